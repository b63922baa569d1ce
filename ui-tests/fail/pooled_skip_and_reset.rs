//! `skip` keeps a value, `reset` changes it: not both.
use evm_pool::Pooled;

fn clear(v: &mut Vec<u8>) {
    v.clear();
}

#[derive(Pooled, Default)]
struct Frame {
    #[pool(skip, reset = "clear")]
    memory: Vec<u8>,
}

fn main() {}
