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

use allocator_api2::alloc::{AllocError, Allocator};
use allocator_api2::boxed::Box;
use allocator_api2::vec::Vec;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use evm_pool::{AllocatorConfig, EvmAllocator};
use mimalloc::MiMalloc;
use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::ptr::NonNull;

/// Calls a `GlobalAlloc` through the `Allocator` trait. A `dyn` reference, so the
/// workload's code is one and the same for every contender and only the allocator's
/// own code differs.
struct ViaGlobal(&'static dyn GlobalAlloc);

// SAFETY: forwards to a `GlobalAlloc`, which upholds the contract for non-zero sizes;
// zero sizes get a dangling pointer and are never freed.
unsafe impl Allocator for ViaGlobal {
    #[inline]
    fn allocate(&self, layout: Layout) -> Result<NonNull<[u8]>, AllocError> {
        if layout.size() == 0 {
            return Err(AllocError); // the workload never asks for zero bytes
        }
        // SAFETY: non-zero size.
        let p = unsafe { self.0.alloc(layout) };
        NonNull::new(p)
            .map(|p| NonNull::slice_from_raw_parts(p, layout.size()))
            .ok_or(AllocError)
    }

    #[inline]
    unsafe fn deallocate(&self, ptr: NonNull<u8>, layout: Layout) {
        // SAFETY: caller contract.
        unsafe { self.0.dealloc(ptr.as_ptr(), layout) }
    }

    #[inline]
    unsafe fn grow(
        &self,
        ptr: NonNull<u8>,
        old: Layout,
        new: Layout,
    ) -> Result<NonNull<[u8]>, AllocError> {
        debug_assert_eq!(old.align(), new.align());
        // SAFETY: caller contract; alignment unchanged in this workload.
        let p = unsafe { self.0.realloc(ptr.as_ptr(), old, new.size()) };
        NonNull::new(p)
            .map(|p| NonNull::slice_from_raw_parts(p, new.size()))
            .ok_or(AllocError)
    }
}

static SYSTEM: System = System;
static MIMALLOC: MiMalloc = MiMalloc;
static EVM_STATS: EvmAllocator = EvmAllocator::new(System);
static EVM_STATS_RUNTIME_OFF: EvmAllocator = EvmAllocator::with_config(System, {
    let mut c = AllocatorConfig::optimized();
    c.statistics = false;
    c
});
static EVM_NO_STATS: EvmAllocator<System, false> = EvmAllocator::new(System);

/// One "transaction": objects of EVM sizes with a sliding live set, and memory buffers
/// growing to 1-4 KiB.
#[inline(never)]
fn churn(alloc: &ViaGlobal, tx: usize) -> usize {
    let mut live_addresses: std::vec::Vec<Box<[u8; 20], &ViaGlobal>> =
        std::vec::Vec::with_capacity(16);
    let mut live_words: std::vec::Vec<Box<[u8; 32], &ViaGlobal>> = std::vec::Vec::with_capacity(16);
    let mut checksum = 0usize;
    for i in 0..256usize {
        let address = Box::new_in([i as u8; 20], alloc);
        let word = Box::new_in([i as u8; 32], alloc);
        let small = Box::new_in([i as u8; 64], alloc);
        checksum += address[0] as usize + word[31] as usize + small[63] as usize;
        if live_addresses.len() == 16 {
            live_addresses.swap_remove(i % 16);
            live_words.swap_remove((i * 7) % 16);
        }
        live_addresses.push(address);
        live_words.push(word);
        if i % 8 == 0 {
            let log = Box::new_in([i as u8; 256], alloc);
            checksum += log[255] as usize;
        }
    }
    for frame in 0..4usize {
        let target = 1024 << ((tx + frame) % 3); // 1, 2 or 4 KiB
        let mut memory: Vec<u8, &ViaGlobal> = Vec::new_in(alloc);
        while memory.len() < target {
            memory.extend_from_slice(&[frame as u8; 32]);
        }
        checksum += memory.len();
    }
    checksum
}

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
