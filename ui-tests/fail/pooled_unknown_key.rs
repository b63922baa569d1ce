//! Unknown settings, on the struct and on a field, with suggestions.
use evm_pool::Pooled;

#[derive(Pooled, Default)]
#[pool(maximum = 10, shrink_threshold = 0.5)]
struct Frame {
    #[pool(skipp)]
    memory: Vec<u8>,
}

fn main() {}
