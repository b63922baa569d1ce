//! `#[derive(Pooled)]` costs nothing: acquire + touch + release through the generated
//! `ScratchPool` against hand-written `EvmPooled` + `Pool<T>` for the same struct and the
//! same configuration, measured side by side in one run.
//!
//! ```text
//! cargo bench --bench derive -- --warm-up-time 1 --measurement-time 2
//! ```
//!
//! For instruction counts, run one workload a fixed number of times under callgrind:
//!
//! ```text
//! EVM_POOL_CALLGRIND=derived:1000000 valgrind --tool=callgrind target/release/deps/derive-*
//! EVM_POOL_CALLGRIND=hand:1000000    valgrind --tool=callgrind target/release/deps/derive-*
//! ```
//! (subtract a `:0` run for start-up, divide by the iterations).

use std::hint::black_box;

use criterion::{Criterion, criterion_group};
use evm_pool::{EvmPooled, Pool, PoolConfig, Pooled, Reset};

/// Per-call scratch, pooled through the derive.
#[derive(Pooled, Default)]
#[pool(preset = "high_performance", max = 2048)]
struct Scratch {
    input: Vec<u8>,
    output: Vec<u8>,
    stack: Vec<[u64; 4]>,
    gas: u64,
    #[pool(skip)]
    chain_id: u64,
}

/// The same struct with `EvmPooled` written by hand, as a user would without the derive.
#[derive(Default)]
struct HandScratch {
    input: Vec<u8>,
    output: Vec<u8>,
    stack: Vec<[u64; 4]>,
    gas: u64,
    chain_id: u64,
}

impl EvmPooled for HandScratch {
    fn new_pooled() -> Self {
        HandScratch::default()
    }

    #[inline]
    fn reset(&mut self) {
        self.input.clear();
        self.output.clear();
        self.stack.clear();
        self.gas = 0;
    }

    fn pool_config() -> PoolConfig {
        PoolConfig {
            max: 2048,
            ..PoolConfig::high_performance()
        }
    }

    fn retained_heap_bytes(&self) -> usize {
        Reset::retained_heap_bytes(&self.input)
            + Reset::retained_heap_bytes(&self.output)
            + Reset::retained_heap_bytes(&self.stack)
    }
}

/// One simulated call: take scratch space, use a little of it, give it back.
macro_rules! call {
    ($pool:expr) => {{
        let mut scratch = $pool.acquire();
        scratch.input.extend_from_slice(&[0xa9, 0x05, 0x9c, 0xbb]);
        scratch.stack.push([1, 2, 3, 4]);
        scratch.gas = scratch.gas.wrapping_add(21_000);
        black_box(&mut *scratch);
    }};
}

fn derived(pool: &ScratchPool, calls: u32) {
    for _ in 0..calls {
        call!(pool);
    }
}

fn hand(pool: &Pool<HandScratch>, calls: u32) {
    for _ in 0..calls {
        call!(pool);
    }
}

fn bench(c: &mut Criterion) {
    let derived_pool = ScratchPool::new();
    let hand_pool = Pool::<HandScratch>::new();
    assert_eq!(derived_pool.config(), hand_pool.config());

    let mut group = c.benchmark_group("acquire_release");
    group.bench_function("derived ScratchPool", |b| {
        b.iter(|| derived(black_box(&derived_pool), 1))
    });
    group.bench_function("hand-written Pool<T>", |b| {
        b.iter(|| hand(black_box(&hand_pool), 1))
    });
    group.finish();
    black_box(derived_pool.acquire().chain_id);
    black_box(hand_pool.acquire().chain_id);
}

criterion_group!(benches, bench);

fn main() {
    if let Ok(spec) = std::env::var("EVM_POOL_CALLGRIND") {
        let (which, calls) = spec
            .split_once(':')
            .expect("EVM_POOL_CALLGRIND=which:calls");
        let calls: u32 = calls.parse().expect("calls is a number");
        match which {
            "derived" => derived(black_box(&ScratchPool::new()), calls),
            "hand" => hand(black_box(&Pool::<HandScratch>::new()), calls),
            other => panic!("unknown workload {other}: use `derived` or `hand`"),
        }
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
