//! `size = N` pins the size: a change to the struct that changes it fails the build.
use evm_pool::optimize_layout;

#[optimize_layout(size = 32)]
struct Account {
    balance: [u64; 4],
    nonce: u64,
}

fn main() {}
