//! Generated items are documented and raise no warnings in a crate that denies them.
#![deny(warnings, missing_docs, unused, rust_2018_idioms, missing_debug_implementations)]

use evm_pool::Pooled;

/// Per-call scratch space.
#[derive(Pooled, Default, Debug)]
#[pool(preset = "high_performance", max = 2048)]
pub struct CallScratch {
    /// Calldata.
    pub input: Vec<u8>,
    /// Return data.
    pub output: Vec<u8>,
    /// The chain id, kept across uses.
    #[pool(skip)]
    pub chain_id: u64,
}

/// Private and never used: the generated pool type raises no `dead_code` warning.
#[derive(Pooled, Default)]
struct Unused {
    bytes: Vec<u8>,
}

fn main() {
    let pool = CallScratchPool::new();
    pool.acquire().input.push(0);
    println!("{pool:?}");
}
