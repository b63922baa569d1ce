// The body shared by `benches/revm.rs` (system allocator) and
// `benches/revm_evm_allocator.rs` (EvmAllocator as global allocator): criterion groups per
// workload, stock vs pooled, and the callgrind mode.

use criterion::{BatchSize, Criterion, criterion_group};
use evm_pool_revm::measure::{AnyEvm, EvmKind};
use evm_pool_revm::workload::Workload;
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    for w in Workload::all() {
        let mut group = c.benchmark_group(format!("{}{GROUP_SUFFIX}", w.name));
        if w.name == "snailtracer" {
            group.sample_size(10);
        }
        for kind in [EvmKind::Stock, EvmKind::Pooled] {
            let mut evm = AnyEvm::new(kind, w.context());
            // One cold run first: steady state is what the benchmark compares.
            for tx in &w.txs {
                evm.transact_discard(tx.clone());
            }
            group.bench_function(kind.name(), |b| {
                b.iter_batched(
                    || w.txs.clone(),
                    |txs| {
                        for tx in txs {
                            black_box(evm.transact_discard(tx));
                        }
                    },
                    BatchSize::SmallInput,
                )
            });
        }
        group.finish();
    }
}

criterion_group!(benches, bench);

/// The loop callgrind counts (`--toggle-collect='*measured_loop*'`).
#[inline(never)]
fn measured_loop(evm: &mut AnyEvm, w: &Workload, runs: u32) {
    for _ in 0..runs {
        for tx in &w.txs {
            black_box(evm.transact_discard(tx.clone()));
        }
    }
}

fn main() {
    if let Ok(spec) = std::env::var("EVM_POOL_CALLGRIND") {
        let mut parts = spec.split(':');
        let (Some(kind), Some(name), Some(runs)) = (parts.next(), parts.next(), parts.next())
        else {
            eprintln!("EVM_POOL_CALLGRIND=stock|pooled:<workload>:<runs>");
            std::process::exit(2);
        };
        let kind = match kind {
            "stock" => EvmKind::Stock,
            "pooled" => EvmKind::Pooled,
            other => {
                eprintln!("unknown EVM {other}: use `stock` or `pooled`");
                std::process::exit(2);
            }
        };
        let Some(w) = Workload::all().into_iter().find(|w| w.name == name) else {
            eprintln!("unknown workload {name}");
            std::process::exit(2);
        };
        let runs: u32 = runs.parse().unwrap_or(1);
        let mut evm = AnyEvm::new(kind, w.context());
        // A cold run outside the counted function: steady state is what we compare.
        for tx in &w.txs {
            black_box(evm.transact_discard(tx.clone()));
        }
        measured_loop(&mut evm, &w, runs);
        // For the benchmark report: the unit the instruction count is divided by.
        println!("transactions per run: {}", w.txs.len());
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
