//! `#[derive(Pooled)]` in use: per-call scratch space for an EVM, pooled through the
//! generated `CallScratchPool`, with its statistics printed at the end.
//!
//! ```text
//! cargo run --example pooled
//! ```

use evm_pool::{EvmPooled, Pooled};

/// An event log, as a call emits it.
#[derive(Clone, Debug, Default)]
pub struct Log {
    /// Indexed topics.
    pub topics: Vec<[u8; 32]>,
    /// Unindexed data.
    pub data: Vec<u8>,
}

/// What one message call needs besides its frame: calldata, return data, logs.
#[derive(Pooled, Default, Debug)]
#[pool(preset = "minimal", max = 64)]
pub struct CallScratch {
    /// Calldata.
    pub input: Vec<u8>,
    /// Return data.
    pub output: Vec<u8>,
    /// Gas used by the call.
    pub gas: u64,
    /// Set once per chain: kept across uses.
    #[pool(skip)]
    pub chain_id: u64,
    /// Logs are dropped on reset, but the vector keeps its capacity.
    #[pool(reset = "reset_logs")]
    pub logs: Vec<Log>,
}

fn reset_logs(logs: &mut Vec<Log>) {
    logs.clear();
}

/// A call tree `depth` deep: each call holds its scratch while its child runs.
fn call(pool: &CallScratchPool, depth: u32, transfers: &mut u64) {
    let mut scratch = pool.acquire();
    if scratch.chain_id == 0 {
        scratch.chain_id = 1; // first use of this object
    }
    // transfer(address,uint256)
    scratch.input.extend_from_slice(&[0xa9, 0x05, 0x9c, 0xbb]);
    scratch.input.resize(68, 0);
    scratch.gas = 21_000 + u64::from(depth) * 2_600;
    scratch.logs.push(Log {
        topics: vec![[0xdd; 32], [0; 32], [1; 32]],
        data: vec![0; 32],
    });
    if depth > 0 {
        call(pool, depth - 1, transfers);
    }
    scratch.output.extend_from_slice(&[0; 31]);
    scratch.output.push(1); // `true`
    *transfers += 1;
} // scratch reset field by field here and returned to the pool

fn main() {
    let pool = CallScratchPool::new();
    assert_eq!(pool.config(), &CallScratch::pool_config());
    println!("config from #[pool(...)]: {:?}", pool.config());

    let mut transfers = 0;
    for tx in 0..1_000u32 {
        call(&pool, tx % 8, &mut transfers); // call trees 1..=8 deep
    }

    let scratch = pool.acquire();
    assert!(scratch.input.is_empty() && scratch.logs.is_empty());
    println!(
        "a recycled scratch: input capacity {}, logs capacity {}, chain id {} (kept)",
        scratch.input.capacity(),
        scratch.logs.capacity(),
        scratch.chain_id
    );
    drop(scratch);

    println!(
        "{transfers} calls served from {} objects",
        pool.stats().created
    );
    println!("{}", pool.stats());
}
