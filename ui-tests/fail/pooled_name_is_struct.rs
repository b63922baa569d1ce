//! The pool type needs a name of its own.
use evm_pool::Pooled;

#[derive(Pooled, Default)]
#[pool(name = Frame)]
struct Frame {
    memory: Vec<u8>,
}

fn main() {}
