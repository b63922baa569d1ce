//! Small-object churn typical of an EVM (20-, 32-, 64- and 256-byte objects, `Vec<u8>`
//! growing to 1-4 KiB) on `EvmAllocator` with statistics on, off at run time, and
//! compiled out, against `System` and `mimalloc`, all in one run.
//!
//! Every contender is driven the same way: `allocator_api2` collections over a thin
//! adapter that calls the contender's `GlobalAlloc` methods, so dispatch costs the same.
//!
//! ```text
//! cargo bench --bench alloc -- --warm-up-time 1 --measurement-time 2
//! ```

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use evm_pool::{AllocatorConfig, EvmAllocator};
use mimalloc::MiMalloc;
use std::alloc::System;
use std::hint::black_box;

mod common {
    pub mod via_global;
}
use common::via_global::{ViaGlobal, churn};

static SYSTEM: System = System;
static MIMALLOC: MiMalloc = MiMalloc;
static EVM_STATS: EvmAllocator = EvmAllocator::new(System);
static EVM_STATS_RUNTIME_OFF: EvmAllocator = EvmAllocator::with_config(System, {
    let mut c = AllocatorConfig::optimized();
    c.statistics = false;
    c
});
static EVM_NO_STATS: EvmAllocator<System, false> = EvmAllocator::new(System);

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("small_object_churn");
    group.throughput(Throughput::Elements(1));
    let mut tx = 0;
    macro_rules! contender {
        ($name:expr, $alloc:expr) => {
            let alloc = ViaGlobal($alloc);
            group.bench_function($name, |b| {
                b.iter(|| {
                    tx += 1;
                    black_box(churn(&alloc, black_box(tx)))
                })
            });
        };
    }
    contender!("system", &SYSTEM);
    contender!("mimalloc", &MIMALLOC);
    contender!("evm_stats_on", &EVM_STATS);
    contender!("evm_stats_runtime_off", &EVM_STATS_RUNTIME_OFF);
    contender!("evm_stats_compiled_out", &EVM_NO_STATS);
    group.finish();
    println!(
        "evm_stats_on totals: {} allocations, {} reallocations, pool hit rate {:.2}%",
        EVM_STATS.stats().allocations,
        EVM_STATS.stats().reallocations,
        EVM_STATS.stats().pool_hit_rate() * 100.0
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
