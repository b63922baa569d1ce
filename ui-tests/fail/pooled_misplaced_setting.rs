//! Field settings on the struct, pool settings on a field.
use evm_pool::Pooled;

#[derive(Pooled, Default)]
#[pool(skip)]
struct Frame {
    #[pool(max = 10)]
    memory: Vec<u8>,
}

fn main() {}
