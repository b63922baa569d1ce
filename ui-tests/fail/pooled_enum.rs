//! An enum has no fixed set of fields to reset.
use evm_pool::Pooled;

#[derive(Pooled, Default)]
enum Opcode {
    #[default]
    Stop,
    Add,
}

fn main() {
    // No cascade: the pool type still exists, so this line adds no error.
    let _pool = OpcodePool::new();
}
