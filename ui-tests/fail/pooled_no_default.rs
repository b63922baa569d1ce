//! Without `Default` and without `#[pool(init = "...")]` a pool cannot create values.
use evm_pool::Pooled;

#[derive(Pooled)]
struct Frame {
    memory: Vec<u8>,
}

fn main() {}
