//! Presets are `high_performance`, `balanced`, `minimal` and `disabled`.
use evm_pool::Pooled;

#[derive(Pooled, Default)]
#[pool(preset = "high_perf")]
struct Typo {
    memory: Vec<u8>,
}

#[derive(Pooled, Default)]
#[pool(preset = "fast")]
struct Unknown {
    memory: Vec<u8>,
}

fn main() {}
