//! Reordering a tuple struct would change what `.0` means.
use evm_pool::optimize_layout;

#[optimize_layout]
struct Log(bool, u64, [u8; 20]);

fn main() {}
