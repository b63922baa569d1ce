//! The shrink threshold is a utilization fraction.
use evm_pool::Pooled;

#[derive(Pooled, Default)]
#[pool(shrink = 1.5)]
struct Frame {
    memory: Vec<u8>,
}

fn main() {}
