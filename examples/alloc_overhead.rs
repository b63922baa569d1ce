//! The fixed workload behind `scripts/callgrind-alloc-overhead.sh`: the same sequence of
//! `GlobalAlloc` calls on a chosen allocator, so callgrind's instruction counts compare
//! `EvmAllocator` (statistics on, off at run time, compiled out) with plain `System`.
//!
//! ```text
//! cargo run --release --example alloc_overhead -- evm-optimized-stats
//! ```
//!
//! Variants: `system`, `evm-minimal-compiled-out`, `evm-minimal-stats`,
//! `evm-optimized-compiled-out`, `evm-optimized-runtime-off`, `evm-optimized-stats`.

use evm_pool::{AllocatorConfig, EvmAllocator};
use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;

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
static MINIMAL_OUT: EvmAllocator<System, false> =
    EvmAllocator::with_config(System, config(false, false));
static MINIMAL_STATS: EvmAllocator = EvmAllocator::with_config(System, config(false, true));
static OPTIMIZED_OUT: EvmAllocator<System, false> =
    EvmAllocator::with_config(System, config(true, false));
static OPTIMIZED_OFF: EvmAllocator = EvmAllocator::with_config(System, config(true, false));
static OPTIMIZED_STATS: EvmAllocator = EvmAllocator::with_config(System, config(true, true));

/// Calls made by [`workload`]: 4 sizes x 2 (alloc + dealloc) x `ROUNDS`, plus the
/// buffer's alloc, 3 reallocs and dealloc per round.
pub const ROUNDS: usize = 20_000;
/// `GlobalAlloc` calls per round.
pub const CALLS_PER_ROUND: usize = 4 * 2 + 5;

/// The fixed workload: EVM object sizes, allocated and freed, and a buffer grown to
/// 4 KiB by reallocation.
#[inline(never)]
fn workload<G: GlobalAlloc>(alloc: &G) -> usize {
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

/// Runs the workload on the named allocator; the symbol callgrind toggles collection on.
#[unsafe(no_mangle)]
#[inline(never)]
pub extern "C" fn evm_pool_overhead_workload(variant: u32) -> usize {
    match variant {
        0 => workload(&SYSTEM),
        1 => workload(&MINIMAL_OUT),
        2 => workload(&MINIMAL_STATS),
        3 => workload(&OPTIMIZED_OUT),
        4 => workload(&OPTIMIZED_OFF),
        _ => workload(&OPTIMIZED_STATS),
    }
}

const VARIANTS: [&str; 6] = [
    "system",
    "evm-minimal-compiled-out",
    "evm-minimal-stats",
    "evm-optimized-compiled-out",
    "evm-optimized-runtime-off",
    "evm-optimized-stats",
];

fn main() {
    let name = std::env::args().nth(1).unwrap_or_else(|| "system".into());
    let Some(variant) = VARIANTS.iter().position(|v| *v == name) else {
        eprintln!("unknown variant {name:?}; one of {VARIANTS:?}");
        std::process::exit(2);
    };
    // Warm up once outside the measured symbol (first-use setup: thread slot, cache,
    // first chunk), then measure.
    black_box(match variant {
        0 => workload(&SYSTEM),
        1 => workload(&MINIMAL_OUT),
        2 => workload(&MINIMAL_STATS),
        3 => workload(&OPTIMIZED_OUT),
        4 => workload(&OPTIMIZED_OFF),
        _ => workload(&OPTIMIZED_STATS),
    });
    let sum = evm_pool_overhead_workload(variant as u32);
    println!(
        "{name}: {} GlobalAlloc calls, checksum {sum}",
        ROUNDS * CALLS_PER_ROUND
    );
}
