//! Every union field starts at offset 0: nothing to reorder.
use evm_pool::optimize_layout;

#[optimize_layout]
union Word {
    limbs: [u64; 4],
    bytes: [u8; 32],
}

fn main() {}
