//! An explicit repr(C) means the declared order matters: say keep_order or drop the repr.
use evm_pool::optimize_layout;

#[optimize_layout]
#[repr(C)]
struct Header {
    flag: bool,
    gas: u64,
}

fn main() {}
