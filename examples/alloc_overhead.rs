//! The fixed workloads behind `scripts/callgrind-alloc-overhead.sh`, run on a chosen
//! allocator so callgrind's instruction counts compare `EvmAllocator` (statistics on,
//! off at run time, compiled out) with `System` and `mimalloc`:
//!
//! - `calls`: a fixed sequence of raw `GlobalAlloc` calls (EVM object sizes allocated
//!   and freed, a buffer grown to 4 KiB by `realloc`);
//! - `churn`: the small-object churn of `benches/alloc.rs` (20/32/64/256-byte objects
//!   with a sliding live set, `Vec<u8>` growth to 1-4 KiB) for a fixed number of
//!   transactions, through `allocator_api2` collections.
//!
//! ```text
//! cargo run --release --example alloc_overhead -- calls evm-optimized-stats
//! ```
//!
//! Variants: `system`, `mimalloc`, `evm-minimal-compiled-out`, `evm-minimal-stats`,
//! `evm-optimized-compiled-out`, `evm-optimized-runtime-off`, `evm-optimized-stats`.

use evm_pool::{AllocatorConfig, EvmAllocator};
use mimalloc::MiMalloc;
use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;

#[path = "../benches/common/via_global.rs"]
mod via_global;
use via_global::ViaGlobal;

const fn config(pooling: bool, statistics: bool) -> AllocatorConfig {
    let mut c = if pooling {
        AllocatorConfig::optimized()
    } else {
        AllocatorConfig::minimal()
    };
    c.statistics = statistics;
    c
}

static SYSTEM: System = System;
static MIMALLOC: MiMalloc = MiMalloc;
static MINIMAL_OUT: EvmAllocator<System, false> =
    EvmAllocator::with_config(System, config(false, false));
static MINIMAL_STATS: EvmAllocator = EvmAllocator::with_config(System, config(false, true));
static OPTIMIZED_OUT: EvmAllocator<System, false> =
    EvmAllocator::with_config(System, config(true, false));
static OPTIMIZED_OFF: EvmAllocator = EvmAllocator::with_config(System, config(true, false));
static OPTIMIZED_STATS: EvmAllocator = EvmAllocator::with_config(System, config(true, true));

/// Calls made by [`calls`]: 4 sizes x 2 (alloc + dealloc) x `ROUNDS`, plus the
/// buffer's alloc, 3 reallocs and dealloc per round.
pub const ROUNDS: usize = 20_000;
/// `GlobalAlloc` calls per round.
pub const CALLS_PER_ROUND: usize = 4 * 2 + 5;

/// The `calls` workload: EVM object sizes, allocated and freed, and a buffer grown to
/// 4 KiB by reallocation.
#[inline(never)]
fn calls(alloc: &dyn GlobalAlloc) -> usize {
    let mut sum = 0;
    let sizes = [20, 32, 64, 256];
    for round in 0..ROUNDS {
        for &size in &sizes {
            let layout = Layout::from_size_align(size, 8).unwrap();
            // SAFETY: non-zero size; freed with the same layout.
            unsafe {
                let p = alloc.alloc(layout);
                p.write(round as u8);
                sum += *black_box(p) as usize;
                alloc.dealloc(p, layout);
            }
        }
        // SAFETY: each realloc passes the block's current layout.
        unsafe {
            let mut size = 512;
            let mut p = alloc.alloc(Layout::from_size_align(size, 8).unwrap());
            for _ in 0..3 {
                p = alloc.realloc(p, Layout::from_size_align(size, 8).unwrap(), size * 2);
                size *= 2;
            }
            sum += black_box(p).addr() & 1;
            alloc.dealloc(p, Layout::from_size_align(size, 8).unwrap());
        }
    }
    sum
}

/// Transactions run by the `churn` workload.
pub const CHURN_TRANSACTIONS: usize = 200;

/// The churn of `benches/alloc.rs`, for [`CHURN_TRANSACTIONS`] transactions.
#[inline(never)]
fn churn(alloc: &'static dyn GlobalAlloc) -> usize {
    let alloc = ViaGlobal(alloc);
    (0..CHURN_TRANSACTIONS)
        .map(|tx| via_global::churn(&alloc, tx))
        .sum()
}

fn run(workload: u32, variant: u32) -> usize {
    macro_rules! on {
        ($alloc:expr) => {
            if workload == 0 {
                calls($alloc)
            } else {
                churn($alloc)
            }
        };
    }
    match variant {
        0 => on!(&SYSTEM),
        1 => on!(&MIMALLOC),
        2 => on!(&MINIMAL_OUT),
        3 => on!(&MINIMAL_STATS),
        4 => on!(&OPTIMIZED_OUT),
        5 => on!(&OPTIMIZED_OFF),
        _ => on!(&OPTIMIZED_STATS),
    }
}

/// Runs a workload on the named allocator; the symbol callgrind toggles collection on.
#[unsafe(no_mangle)]
#[inline(never)]
pub extern "C" fn evm_pool_overhead_workload(workload: u32, variant: u32) -> usize {
    run(workload, variant)
}

const WORKLOADS: [&str; 2] = ["calls", "churn"];
const VARIANTS: [&str; 7] = [
    "system",
    "mimalloc",
    "evm-minimal-compiled-out",
    "evm-minimal-stats",
    "evm-optimized-compiled-out",
    "evm-optimized-runtime-off",
    "evm-optimized-stats",
];

fn main() {
    let mut args = std::env::args().skip(1);
    let (workload, variant) = (
        args.next().unwrap_or_default(),
        args.next().unwrap_or_default(),
    );
    let (Some(w), Some(v)) = (
        WORKLOADS.iter().position(|x| *x == workload),
        VARIANTS.iter().position(|x| *x == variant),
    ) else {
        eprintln!(
            "usage: alloc_overhead <{}> <{}>",
            WORKLOADS.join("|"),
            VARIANTS.join("|")
        );
        std::process::exit(2);
    };
    // Warm up once outside the measured symbol (first-use setup: thread slot, cache,
    // first chunk), then measure.
    black_box(run(w as u32, v as u32));
    let sum = evm_pool_overhead_workload(w as u32, v as u32);
    let units = if w == 0 {
        ROUNDS * CALLS_PER_ROUND
    } else {
        CHURN_TRANSACTIONS
    };
    println!("{workload} {variant}: {units} units, checksum {sum}");
}
