//! A packed struct has no padding to remove.
use evm_pool::optimize_layout;

#[optimize_layout]
#[repr(packed)]
struct Header {
    flag: bool,
    gas: u64,
}

fn main() {}
