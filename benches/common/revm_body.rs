// The body shared by `benches/revm.rs` (system allocator) and
// `benches/revm_evm_allocator.rs` (EvmAllocator as global allocator): criterion groups per
// workload, stock vs pooled, the callgrind mode and the paired wall-clock mode.

use criterion::{BatchSize, Criterion, criterion_group};
use evm_pool_revm::measure::{
    AnyEvm, EvmKind, EvmLifetime, PairedRatio, RunInputs, WorkloadRunner,
};
use evm_pool_revm::workload::Workload;
use std::hint::black_box;
use std::time::{Duration, Instant};

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
fn measured_loop(evm: &mut WorkloadRunner, inputs: Vec<RunInputs>) {
    for run in inputs {
        evm.run(run);
    }
}

/// Wall time of `runs` runs of `w` on `evm`, per run. The inputs are prepared before
/// the clock starts, as in the criterion groups.
fn time_runs(evm: &mut WorkloadRunner, w: &Workload, runs: u32) -> Duration {
    let inputs: Vec<RunInputs> = (0..runs).map(|_| evm.prepare(w)).collect();
    let start = Instant::now();
    for run in inputs {
        evm.run(run);
    }
    start.elapsed() / runs
}

/// Paired wall-clock comparison (`EVM_POOL_PAIRED=<workload|all>:<rounds>`): stock and
/// pooled alternate within every round (the order flips each round), so both see the
/// same machine load; the figure is the median of the per-round ratios, which a load
/// change between rounds does not move the way it moves two separate criterion groups.
fn paired(spec: &str) {
    let mut parts = spec.split(':');
    let name = parts.next().unwrap_or("all");
    let rounds: usize = parts.next().and_then(|r| r.parse().ok()).unwrap_or(31).max(1);
    // `fresh`: an EVM built for every transaction (`FreshEvm`) instead of one for all.
    let (lifetime, tag) = match parts.next() {
        Some("fresh") => (EvmLifetime::PerTransaction, "paired-fresh"),
        _ => (EvmLifetime::Shared, "paired"),
    };
    let workloads: Vec<Workload> = Workload::all()
        .into_iter()
        .filter(|w| name == "all" || w.name == name)
        .collect();
    if workloads.is_empty() {
        eprintln!("unknown workload {name}");
        std::process::exit(2);
    }
    println!(
        "paired wall time{GROUP_SUFFIX}, {}, {rounds} rounds, medians per run of the workload:",
        lifetime.name()
    );
    println!(
        "{:<18} {:>12} {:>12} {:>14} {:>22}",
        "workload", "stock", "pooled", "pooled/stock", "ratio, middle half"
    );
    for w in &workloads {
        let mut stock = WorkloadRunner::new(EvmKind::Stock, lifetime, w);
        let mut pooled = WorkloadRunner::new(EvmKind::Pooled, lifetime, w);
        // Cold runs outside the measurement, then size a sample to about 20 ms.
        for _ in 0..2 {
            time_runs(&mut stock, w, 1);
            time_runs(&mut pooled, w, 1);
        }
        let one = time_runs(&mut stock, w, 1).max(Duration::from_nanos(1));
        let runs = (Duration::from_millis(20).as_nanos() / one.as_nanos()).clamp(1, 10_000) as u32;
        let (mut stock_times, mut pooled_times) = (vec![], vec![]);
        for round in 0..rounds {
            let (s, p) = if round % 2 == 0 {
                let s = time_runs(&mut stock, w, runs);
                (s, time_runs(&mut pooled, w, runs))
            } else {
                let p = time_runs(&mut pooled, w, runs);
                (time_runs(&mut stock, w, runs), p)
            };
            stock_times.push(s);
            pooled_times.push(p);
        }
        let ratio = PairedRatio::from_times(&stock_times, &pooled_times).expect("rounds >= 1");
        stock_times.sort();
        pooled_times.sort();
        let (stock_median, pooled_median) = (stock_times[rounds / 2], pooled_times[rounds / 2]);
        println!(
            "{:<18} {:>12.2?} {:>12.2?} {:>13.3}x {:>13.3}x-{:.3}x",
            w.name,
            stock_median,
            pooled_median,
            ratio.median,
            ratio.lower_quartile,
            ratio.upper_quartile,
        );
        // For the benchmark report: workload, median ns per run (stock, pooled), median
        // ratio, first and third quartile of the ratio, rounds.
        println!(
            "{tag}\t{}\t{}\t{}\t{}\t{}\t{}\t{rounds}",
            w.name,
            stock_median.as_nanos(),
            pooled_median.as_nanos(),
            ratio.median,
            ratio.lower_quartile,
            ratio.upper_quartile,
        );
    }
}

fn main() {
    if let Ok(spec) = std::env::var("EVM_POOL_PAIRED") {
        paired(&spec);
        return;
    }
    if let Ok(spec) = std::env::var("EVM_POOL_CALLGRIND") {
        let mut parts = spec.split(':');
        let (Some(kind), Some(name), Some(runs)) = (parts.next(), parts.next(), parts.next())
        else {
            eprintln!("EVM_POOL_CALLGRIND=<stock|pooled>[-fresh]:<workload>:<runs>");
            std::process::exit(2);
        };
        let (kind, lifetime) = match kind.strip_suffix("-fresh") {
            Some(kind) => (kind, EvmLifetime::PerTransaction),
            None => (kind, EvmLifetime::Shared),
        };
        let kind = match kind {
            "stock" => EvmKind::Stock,
            "pooled" => EvmKind::Pooled,
            other => {
                eprintln!("unknown EVM {other}: use `stock` or `pooled`, `-fresh` for an EVM per transaction");
                std::process::exit(2);
            }
        };
        let Some(w) = Workload::all().into_iter().find(|w| w.name == name) else {
            eprintln!("unknown workload {name}");
            std::process::exit(2);
        };
        let runs: u32 = runs.parse().unwrap_or(1);
        let mut evm = WorkloadRunner::new(kind, lifetime, &w);
        // A cold run outside the counted function: steady state is what we compare.
        let cold = evm.prepare(&w);
        evm.run(cold);
        let inputs = (0..runs).map(|_| evm.prepare(&w)).collect();
        measured_loop(&mut evm, inputs);
        // For the benchmark report: the unit the instruction count is divided by.
        println!("transactions per run: {}", w.txs.len());
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
