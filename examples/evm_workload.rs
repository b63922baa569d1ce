//! The main job: real revm transactions on stock revm and on the pooled EVM, side by
//! side, with exact allocation counts per transaction.
//!
//! ```text
//! cargo run --release --example evm_workload
//! ```
//!
//! Workloads: revm's `snailtracer` and `analysis` benchmark contracts, a loop of 1000
//! `CALL`s, a contract calling itself until the 1024 depth limit, and plain transfers.
//! Each runs once cold (results compared between the two EVMs, first-transaction memory
//! recorded) and then repeatedly for the steady-state figures. The program runs on
//! `EvmAllocator` as global allocator; every figure comes from its per-thread regions
//! (exact counts, bytes, peak, size classes).

use evm_pool::{EvmAllocator, Layout};
use evm_pool_revm::measure::{
    self, AllocProbe, AllocSample, EvmKind, EvmLifetime, PairedRatio, RunReport,
};
use evm_pool_revm::pooled::{PooledFrame, PooledInterpreter};
use evm_pool_revm::workload::Workload;
use std::alloc::System;
use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// The allocator the whole program runs on: exact per-thread statistics, size classes.
#[global_allocator]
static ALLOCATOR: EvmAllocator = EvmAllocator::new(System);

/// Per-transaction numbers from the allocator's regions (this thread, exact).
struct RegionProbe;

impl AllocProbe for RegionProbe {
    fn measure<R>(&self, f: impl FnOnce() -> R) -> (R, AllocSample) {
        let region = ALLOCATOR.region();
        let result = f();
        let stats = region.finish();
        let by_class = stats
            .by_class
            .iter()
            .filter(|c| c.allocated > 0)
            .map(|c| (c.size, c.allocated))
            .collect();
        let sample = AllocSample {
            allocations: stats.allocations,
            bytes: stats.bytes_allocated,
            peak_bytes: stats.peak_bytes,
            net_bytes: stats.net_bytes,
            by_class,
        };
        (result, sample)
    }
}

/// Steady-state runs per workload: enough for a stable mean, bounded in time.
fn steady_runs(w: &Workload) -> usize {
    match w.name {
        "snailtracer" => 10,
        "call-chain-1024" => 200,
        _ => 400,
    }
}

fn fmt_time(d: Duration) -> String {
    let ns = d.as_nanos() as f64;
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.1} µs", ns / 1e3)
    } else {
        format!("{ns:.0} ns")
    }
}

fn fmt_bytes(b: f64) -> String {
    if b >= 1024.0 * 1024.0 {
        format!("{:.1} MiB", b / (1024.0 * 1024.0))
    } else if b >= 1024.0 {
        format!("{:.1} KiB", b / 1024.0)
    } else {
        format!("{b:.0} B")
    }
}

struct Row {
    workload: &'static str,
    stock: RunReport,
    pooled: RunReport,
}

fn main() {
    println!(
        "evm-pool × revm {}: stock revm vs the pooled EVM, same transactions\n",
        revm_version()
    );
    let workloads = Workload::all();
    let total = workloads.len();
    let (mut rows, mut fresh_rows) = (Vec::new(), Vec::new());
    let started = Instant::now();
    // Live progress needs a terminal; in a log, one line per finished run is enough.
    let tty = std::io::stdout().is_terminal();
    for (i, w) in workloads.iter().enumerate() {
        let runs = steady_runs(w);
        let pair = |lifetime: EvmLifetime| {
            let t = Instant::now();
            let [stock, pooled] = measure::run_paired(w, lifetime, runs, &RegionProbe, |done| {
                if tty && (done % (runs / 10).max(1) == 0 || done == runs + 1) {
                    print!(
                        "\r  [{}/{total}] {:<16} {:<28} round {done:>4}/{:<4}",
                        i + 1,
                        w.name,
                        lifetime.name(),
                        runs + 1
                    );
                    let _ = std::io::stdout().flush();
                }
            });
            print!(
                "\r  [{}/{total}] {:<16} {:<28} {:>4} rounds in {:>8}           \n",
                i + 1,
                w.name,
                lifetime.name(),
                runs + 1,
                fmt_time(t.elapsed())
            );
            for (tx, (a, b)) in stock.outcomes.iter().zip(&pooled.outcomes).enumerate() {
                if let Some(diff) = a.difference(b) {
                    eprintln!("\n{} tx {tx}: results differ: {diff}", w.name);
                    std::process::exit(1);
                }
            }
            Row {
                workload: w.name,
                stock,
                pooled,
            }
        };
        rows.push(pair(EvmLifetime::Shared));
        fresh_rows.push(pair(EvmLifetime::PerTransaction));
    }
    println!(
        "\nall {total} workloads: identical results on both EVMs (status, gas, refund, output, logs, state) — {:.1} s\n",
        started.elapsed().as_secs_f64()
    );
    print_table(&rows);
    print_fresh_table(&fresh_rows);
    print_frame_pool(&rows);
    print_classes(&rows);
    print_layouts();
}

/// A table drawn with box characters, right-aligned cells of fixed widths.
struct BoxTable {
    widths: Vec<usize>,
}

impl BoxTable {
    /// Prints the top rule and the header.
    fn new(header: &[&str], widths: &[usize]) -> Self {
        let table = Self {
            widths: widths.to_vec(),
        };
        table.rule("┌", "┬", "┐");
        table.row(&header.iter().map(|h| h.to_string()).collect::<Vec<_>>());
        table.separator();
        table
    }

    fn row(&self, cells: &[String]) {
        let mut out = String::from("│");
        for (c, w) in cells.iter().zip(&self.widths) {
            out.push_str(&format!(" {c:>w$} │"));
        }
        println!("{out}");
    }

    fn separator(&self) {
        self.rule("├", "┼", "┤");
    }

    fn end(&self) {
        self.rule("└", "┴", "┘");
    }

    fn rule(&self, left: &str, middle: &str, right: &str) {
        let mut out = String::from(left);
        for (i, w) in self.widths.iter().enumerate() {
            out.push_str(&"─".repeat(w + 2));
            out.push_str(if i + 1 == self.widths.len() {
                right
            } else {
                middle
            });
        }
        println!("{out}");
    }
}

fn revm_version() -> &'static str {
    "43"
}

fn print_table(rows: &[Row]) {
    let header = [
        "workload",
        "evm",
        "time/tx",
        "speedup",
        "allocs/tx",
        "bytes/tx",
        "peak (1st tx)",
        "kept after",
        "frame hits",
    ];
    let table = BoxTable::new(&header, &[16, 10, 10, 8, 10, 10, 13, 10, 10]);
    for (i, row) in rows.iter().enumerate() {
        let ratio = PairedRatio::of(&row.stock, &row.pooled);
        for r in [&row.stock, &row.pooled] {
            let hits = r
                .pool
                .map(|p| format!("{:.1}%", 100.0 * p.frame_hit_rate()))
                .unwrap_or_else(|| "—".into());
            let speedup = match (r.kind, ratio) {
                (EvmKind::Stock, _) => "1.00×".to_string(),
                (EvmKind::Pooled, Some(ratio)) => format!("{:.2}×", 1.0 / ratio.median),
                (EvmKind::Pooled, None) => "—".to_string(),
            };
            table.row(&[
                if r.kind == EvmKind::Stock {
                    row.workload.to_string()
                } else {
                    String::new()
                },
                r.kind.name().to_string(),
                fmt_time(r.median_time_per_tx()),
                speedup,
                format!("{:.1}", r.allocations_per_tx()),
                fmt_bytes(r.bytes_per_tx()),
                fmt_bytes(r.first.peak_bytes as f64),
                fmt_bytes(r.first.net_bytes.max(0) as f64),
                hits,
            ]);
        }
        if i + 1 < rows.len() {
            table.separator();
        }
    }
    table.end();
    println!(
        "time/tx: median over the steady runs; stock and pooled run in alternation, one run each per\n\
         round. speedup: stock/pooled from the median of the per-round ratios (middle half below).\n\
         allocs/tx and bytes/tx: steady state (after one cold run). peak: heap growth during the\n\
         first (cold) run; kept after: heap still held after it (frames, stacks, buffers, caches).\n"
    );
    let spreads: Vec<String> = rows
        .iter()
        .filter_map(|row| {
            let ratio = PairedRatio::of(&row.stock, &row.pooled)?;
            Some(format!(
                "{} {:.2}×–{:.2}×",
                row.workload,
                1.0 / ratio.upper_quartile,
                1.0 / ratio.lower_quartile
            ))
        })
        .collect();
    println!(
        "speedup, middle half of the rounds: {}\n",
        spreads.join(", ")
    );
}

/// The same workloads with a fresh EVM for every transaction: stock revm allocates its
/// frames, stacks and memory again each time; the pooled EVM takes its pools over from
/// the previous one.
fn print_fresh_table(rows: &[Row]) {
    println!(
        "A fresh EVM per transaction (as an RPC server builds one per eth_call; the pooled EVM\n\
         takes over the previous one's pools with PooledEvm::with_pools / into_pools):\n"
    );
    let table = BoxTable::new(
        &[
            "workload",
            "stock time",
            "pooled time",
            "speedup",
            "stock allocs",
            "pooled allocs",
            "stock bytes",
            "pooled bytes",
            "frame hits",
        ],
        &[16, 11, 11, 8, 12, 13, 11, 12, 10],
    );
    for row in rows {
        let (s, p) = (&row.stock, &row.pooled);
        let speedup =
            PairedRatio::of(s, p).map_or_else(|| "—".into(), |r| format!("{:.2}×", 1.0 / r.median));
        let hits = p.frame_pool.as_ref().map_or_else(
            || "—".into(),
            |f| format!("{:.1}%", 100.0 * f.total.hit_rate()),
        );
        table.row(&[
            row.workload.to_string(),
            fmt_time(s.median_time_per_tx()),
            fmt_time(p.median_time_per_tx()),
            speedup,
            format!("{:.1}", s.allocations_per_tx()),
            format!("{:.1}", p.allocations_per_tx()),
            fmt_bytes(s.bytes_per_tx()),
            fmt_bytes(p.bytes_per_tx()),
            hits,
        ]);
    }
    table.end();
    println!(
        "per transaction, steady state, medians of alternating rounds as above; allocs and bytes\n\
         include building the EVM. frame hits: frames the manager served from its pool, all runs.\n"
    );
}

/// Steady-state allocations per transaction by `EvmAllocator` size class, for the
/// call-heavy workloads: where stock revm's per-CALL box goes, and that it is gone.
fn print_classes(rows: &[Row]) {
    println!("Allocations per transaction by EvmAllocator size class (steady state):\n");
    for row in rows.iter().filter(|r| r.workload.starts_with("call-")) {
        for r in [&row.stock, &row.pooled] {
            let txs = (r.steady_runs * r.txs_per_run).max(1) as f64;
            let mut classes = r.steady.by_class.clone();
            classes.sort_by_key(|(size, _)| size.unwrap_or(usize::MAX));
            let cells: Vec<String> = classes
                .iter()
                .filter(|(_, n)| *n as f64 / txs >= 0.05)
                .map(|(size, n)| {
                    let class = size.map_or_else(|| ">4K".to_string(), |s| format!("{s}B"));
                    format!("{class}: {:.1}", *n as f64 / txs)
                })
                .collect();
            println!(
                "  {:<16} {:<10} {}",
                row.workload,
                r.kind.name(),
                cells.join("  ")
            );
        }
    }
    println!();
}

/// The pooled EVM's frame pool manager (`FramePoolManager`, its `PoolStatistics`) at
/// the end of each workload: every frame the pooled EVM ran came from it.
fn print_frame_pool(rows: &[Row]) {
    println!(
        "Frame pool manager of the pooled EVM (FramePoolManager statistics after all runs; one\n\
         frame per call depth, reused by sibling calls and leased on to the next transaction up\n\
         to its depth: acquisitions count frames newly leased, by a transaction deeper than the\n\
         previous one; leased frames count as in use, not returned):\n"
    );
    println!(
        "  {:<16} {:>9} {:>8} {:>8} {:>9} {:>9} {:>6} {:>10}",
        "workload", "acquired", "hits", "misses", "hit rate", "returned", "peak", "idle kept"
    );
    for row in rows {
        let Some(stats) = &row.pooled.frame_pool else {
            continue;
        };
        let t = &stats.total;
        println!(
            "  {:<16} {:>9} {:>8} {:>8} {:>8.1}% {:>9} {:>6} {:>10}",
            row.workload,
            t.acquires(),
            t.hits,
            t.misses,
            100.0 * t.hit_rate(),
            t.returns,
            t.peak_in_use,
            format!("{} ({})", t.available, fmt_bytes(t.bytes_held as f64)),
        );
    }
    println!();
}

fn print_layouts() {
    use revm::handler::EthFrame;
    use revm::interpreter::Interpreter;
    use revm::interpreter::interpreter::EthInterpreter;
    println!("Frame layouts (exact, from offset_of!/size_of):\n");
    println!("{}\n", PooledFrame::layout_report());
    println!(
        "{}\n",
        evm_pool::layout_of!(EthFrame<EthInterpreter> {
            data,
            input,
            depth,
            checkpoint,
            interpreter,
            is_finished
        })
    );
    println!(
        "{}\n",
        evm_pool::layout_of!(Interpreter<PooledInterpreter> {
            bytecode,
            gas,
            stack,
            return_data,
            memory,
            input,
            runtime_flag,
            extend
        })
    );
}
