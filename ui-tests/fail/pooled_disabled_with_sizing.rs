//! A disabled pool holds nothing, so sizing it means nothing.
use evm_pool::Pooled;

#[derive(Pooled, Default)]
#[pool(preset = "disabled", max = 64, overflow = "fail")]
struct Frame {
    memory: Vec<u8>,
}

fn main() {}
