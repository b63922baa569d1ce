//! A struct over its cache-line budget fails to build.
use evm_pool::optimize_layout;

#[optimize_layout(max_size = 64)]
struct Frame {
    value: [u64; 4],
    caller: [u8; 20],
    address: [u8; 20],
    gas_limit: u64,
}

fn main() {}
