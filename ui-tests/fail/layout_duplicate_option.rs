//! Each option may be given once.
use evm_pool::optimize_layout;

#[optimize_layout(keep_order, max_size = 64, keep_order, max_size = 32)]
struct Header {
    flag: bool,
    gas: u64,
}

fn main() {}
