//! A setting given twice, in one attribute or across two.
use evm_pool::Pooled;

#[derive(Pooled, Default)]
#[pool(max = 256, max = 512)]
#[pool(preset = "minimal")]
#[pool(preset = "balanced")]
struct Frame {
    #[pool(skip, skip)]
    memory: Vec<u8>,
}

fn main() {}
