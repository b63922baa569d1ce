//! A transparent struct has its single field's layout.
use evm_pool::optimize_layout;

#[optimize_layout]
#[repr(transparent)]
struct Gas {
    remaining: u64,
}

fn main() {}
