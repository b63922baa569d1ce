//! A misspelled option is an error, not silently ignored.
use evm_pool::optimize_layout;

#[optimize_layout(reprot, max_bytes = 64)]
struct Header {
    flag: bool,
    gas: u64,
}

fn main() {}
