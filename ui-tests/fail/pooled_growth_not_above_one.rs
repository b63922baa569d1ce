//! A pool that grows by a factor of 1 or less never grows.
use evm_pool::Pooled;

#[derive(Pooled, Default)]
#[pool(growth = 1.0)]
struct One {
    memory: Vec<u8>,
}

#[derive(Pooled, Default)]
#[pool(growth = 0.5)]
struct Half {
    memory: Vec<u8>,
}

fn main() {}
