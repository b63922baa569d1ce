//! Quick start: pool the buffers an EVM allocates per call, run a call-heavy workload,
//! and print the pool statistics next to the plain-allocation baseline.
//!
//! ```text
//! cargo run --release --example quickstart
//! ```

use std::hint::black_box;
use std::time::Instant;

use evm_pool::{Pool, PoolConfig, PoolStats};

/// Runs `calls` simulated calls, each taking a memory buffer and an operand stack from
/// the pools, touching them like an EVM frame would, and giving them back.
fn run_calls(memory: &Pool<Vec<u8>>, stacks: &Pool<Vec<[u64; 4]>>, calls: u32) -> u64 {
    let mut checksum = 0u64;
    for call in 0..calls {
        let mut mem = memory.acquire();
        let mut stack = stacks.acquire();
        // Calldata copy and a few words of stack, sized like a typical ERC-20 transfer.
        mem.resize(68 + (call % 7) as usize * 32, 0);
        for i in 0..12u64 {
            stack.push([i, u64::from(call), 0, 0]);
        }
        checksum = checksum.wrapping_add(mem.len() as u64 + stack.len() as u64);
        black_box((&mut mem, &mut stack));
    }
    checksum
}

fn measure(name: &str, config: PoolConfig, calls: u32) -> (f64, PoolStats) {
    let memory = Pool::with_config(config.clone()).expect("preset is valid");
    let stacks = Pool::with_config(config).expect("preset is valid");
    let start = Instant::now();
    black_box(run_calls(&memory, &stacks, calls));
    let ns_per_call = start.elapsed().as_nanos() as f64 / f64::from(calls);
    let mut stats = memory.stats();
    stats.merge(&stacks.stats());
    println!("== {name}: {ns_per_call:.1} ns per call (memory + stack acquire/release)");
    println!("{stats}\n");
    (ns_per_call, stats)
}

fn main() {
    const CALLS: u32 = 1_000_000;
    println!("evm-pool quickstart: {CALLS} simulated calls, each with pooled memory and stack\n");
    let (baseline, _) = measure("disabled (plain allocation)", PoolConfig::disabled(), CALLS);
    let (pooled, stats) = measure("high_performance", PoolConfig::high_performance(), CALLS);
    measure("minimal", PoolConfig::minimal(), CALLS);
    println!(
        "pooled calls take {:.1}% of the baseline's time ({:.1}x faster); hit rate {:.2}%; {} objects created for {} acquires",
        pooled / baseline * 100.0,
        baseline / pooled,
        stats.hit_rate() * 100.0,
        stats.created,
        stats.acquires(),
    );
}
