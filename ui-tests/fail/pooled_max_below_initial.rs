//! `max` below `initial`, written or from the preset.
use evm_pool::Pooled;

#[derive(Pooled, Default)]
#[pool(initial = 100, max = 10)]
struct Explicit {
    memory: Vec<u8>,
}

#[derive(Pooled, Default)]
#[pool(preset = "high_performance", max = 64)]
struct FromPreset {
    memory: Vec<u8>,
}

#[derive(Pooled, Default)]
#[pool(preset = "minimal", initial = 200)]
struct InitialAboveMax {
    memory: Vec<u8>,
}

fn main() {}
