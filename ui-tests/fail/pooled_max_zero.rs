//! `max = 0` is not how to turn pooling off.
use evm_pool::Pooled;

#[derive(Pooled, Default)]
#[pool(initial = 0, max = 0)]
struct Frame {
    memory: Vec<u8>,
}

fn main() {}
