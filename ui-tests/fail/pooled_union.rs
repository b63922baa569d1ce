//! A union's fields overlap and cannot be reset one by one.
use evm_pool::Pooled;

#[derive(Pooled)]
union Word {
    bytes: [u8; 32],
    limbs: [u64; 4],
}

fn main() {}
