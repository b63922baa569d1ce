//! Sizes are integers in bytes; `crate` is a quoted path.
use evm_pool::optimize_layout;

#[optimize_layout(max_size = "64", size, crate = evm_pool)]
struct Header {
    flag: bool,
    gas: u64,
}

fn main() {}
