//! Tests of the allocator through `allocator-api2` and direct `GlobalAlloc` calls, so Miri
//! runs every unsafe path (the global-allocator path is tested in the root `tests/`).

use super::size_class::{LARGE_CLASS, NUM_CLASSES, SIZE_CLASSES, class_for};
use super::*;
use crate::pool::ConfigError;
use allocator_api2::alloc::Allocator;
use allocator_api2::boxed::Box;
use allocator_api2::vec::Vec;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::{Arc, Barrier};

/// Iteration counts shrink under Miri, which interprets every instruction.
const fn scaled(n: usize) -> usize {
    if cfg!(miri) { n / 16 + 1 } else { n }
}

fn exact_peak() -> AllocatorConfig {
    let mut config = AllocatorConfig::optimized();
    config.peak_granularity = 0;
    config
}

fn class_index(size: usize) -> usize {
    class_for(Layout::from_size_align(size, 1).unwrap()).unwrap()
}

#[test]
fn known_pattern_gives_exact_counts_bytes_and_peak() {
    let alloc = EvmAllocator::new(System);
    {
        let addresses: std::vec::Vec<_> = (0..10)
            .map(|i| Box::new_in([i as u8; 20], &alloc))
            .collect();
        let words: std::vec::Vec<_> = (0..5).map(|i| Box::new_in([i as u8; 32], &alloc)).collect();
        let big: Vec<u8, _> = Vec::with_capacity_in(10_000, &alloc);
        let stats = alloc.stats();
        assert_eq!(stats.allocations, 16);
        assert_eq!(stats.deallocations, 0);
        assert_eq!(stats.bytes_allocated, 200 + 160 + 10_000);
        assert_eq!(stats.current_bytes, 10_360);
        assert_eq!(stats.peak_bytes, 10_360);
        assert_eq!(stats.by_class[class_index(20)].allocated, 10);
        assert_eq!(stats.by_class[class_index(32)].allocated, 5);
        assert_eq!(stats.by_class[LARGE_CLASS].allocated, 1);
        assert_eq!(
            stats.distribution,
            SizeDistribution {
                below_256: 15,
                up_to_4k: 0,
                above_4k: 1
            }
        );
        assert_eq!(stats.histogram.buckets[4], 10); // 20 in [16, 32)
        assert_eq!(stats.histogram.buckets[5], 5); // 32 in [32, 64)
        assert_eq!(stats.histogram.buckets[13], 1); // 10_000 in [8 KiB, 16 KiB)
        assert_eq!(stats.pool_bytes_in_use, 10 * 20 + 5 * 32);
        assert_eq!(stats.pool_bytes_held, 64 * 1024);
        drop((addresses, words, big));
    }
    let stats = alloc.stats();
    assert_eq!((stats.allocations, stats.deallocations), (16, 16));
    assert_eq!(stats.bytes_freed, 10_360);
    assert_eq!(stats.current_bytes, 0);
    assert_eq!(stats.peak_bytes, 10_360);
    assert_eq!(stats.pool_bytes_in_use, 0);
    assert!(stats.by_class.iter().all(|c| c.live() == 0));

    // The same pattern again reuses the freed blocks: all hits, peak unchanged.
    let again: std::vec::Vec<_> = (0..10).map(|_| Box::new_in([0u8; 20], &alloc)).collect();
    let stats = alloc.stats();
    assert_eq!(stats.pool_hits, 10);
    assert_eq!(stats.pool_misses, 15);
    assert_eq!(stats.peak_bytes, 10_360);
    let text = stats.to_string();
    assert!(text.contains("allocations 26, deallocations 16"), "{text}");
    assert!(text.contains("20B 20/10"), "{text}");
    drop(again);
}

#[test]
fn blocks_are_distinct_aligned_and_keep_their_contents() {
    let alloc = EvmAllocator::new(System);
    let mut blocks = std::vec::Vec::new();
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for i in 0..scaled(2000) {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let size = 1 + (seed % 5000) as usize;
        let align = 1 << ((seed >> 60) % 8); // 1..=128
        let layout = Layout::from_size_align(size, align).unwrap();
        // SAFETY: non-zero size.
        let p = unsafe { alloc.alloc(layout) };
        assert!(!p.is_null());
        assert_eq!(p.addr() % align, 0, "size {size} align {align}");
        // SAFETY: `p` has `size` writable bytes.
        unsafe { p.write_bytes(i as u8, size) };
        blocks.push((p, layout, i as u8));
        if seed.is_multiple_of(3) {
            let (p, layout, byte) = blocks.swap_remove((seed as usize / 3) % blocks.len());
            // SAFETY: allocated above with `layout` and filled with `byte`.
            unsafe {
                let bytes = std::slice::from_raw_parts(p, layout.size());
                // A slice comparison (one `memcmp`) rather than a per-byte loop: the same
                // check, and Miri runs it as one intrinsic instead of interpreting it.
                assert!(bytes == vec![byte; bytes.len()]);
                alloc.dealloc(p, layout);
            }
        }
    }
    for (p, layout, byte) in blocks {
        // SAFETY: as above.
        unsafe {
            let bytes = std::slice::from_raw_parts(p, layout.size());
            assert!(bytes == vec![byte; bytes.len()], "block overwritten");
            alloc.dealloc(p, layout);
        }
    }
    let stats = alloc.stats();
    assert_eq!(stats.allocations, stats.deallocations);
    assert_eq!(stats.current_bytes, 0);
}

#[test]
fn realloc_within_a_class_stays_in_place_and_across_classes_moves() {
    let alloc = EvmAllocator::with_config(System, exact_peak());
    let layout = Layout::from_size_align(17, 1).unwrap();
    // SAFETY: GlobalAlloc contract: each pointer is reallocated with its current layout.
    unsafe {
        let p = alloc.alloc(layout);
        p.write_bytes(0xAB, 17);
        let same = alloc.realloc(p, layout, 20); // still class 20
        assert_eq!(same, p);
        let moved = alloc.realloc(same, Layout::from_size_align(20, 1).unwrap(), 100);
        assert_ne!(moved, p);
        assert!(
            std::slice::from_raw_parts(moved, 17)
                .iter()
                .all(|&b| b == 0xAB)
        );
        let large = alloc.realloc(moved, Layout::from_size_align(100, 1).unwrap(), 50_000);
        assert!(
            std::slice::from_raw_parts(large, 17)
                .iter()
                .all(|&b| b == 0xAB)
        );
        let small = alloc.realloc(large, Layout::from_size_align(50_000, 1).unwrap(), 30);
        assert!(
            std::slice::from_raw_parts(small, 17)
                .iter()
                .all(|&b| b == 0xAB)
        );
        alloc.dealloc(small, Layout::from_size_align(30, 1).unwrap());
    }
    let stats = alloc.stats();
    assert_eq!(
        (stats.allocations, stats.reallocations, stats.deallocations),
        (1, 4, 1)
    );
    assert_eq!(stats.bytes_allocated, 17 + 3 + 80 + 49_900);
    assert_eq!(stats.bytes_freed, 49_970 + 30);
    assert_eq!(stats.current_bytes, 0);
    assert_eq!(stats.peak_bytes, 50_000);
    // 17 -> 20 stayed in class 20; then 20 -> 128, 128 -> large, large -> 32.
    assert_eq!(
        stats.by_class[class_index(20)],
        ClassCounts {
            size: Some(20),
            allocated: 1,
            freed: 1
        }
    );
    assert_eq!(stats.by_class[class_index(100)].live(), 0);
    assert_eq!(stats.by_class[LARGE_CLASS].allocated, 1);
    assert_eq!(stats.by_class[class_index(32)].freed, 1);
}

#[test]
fn moves_between_classes_count_exactly_both_ways() {
    let alloc = EvmAllocator::with_config(System, exact_peak());
    let warm = Box::new_in(0u64, &alloc); // the thread's cache exists before the region
    let region = alloc.region();
    let l = |n| Layout::from_size_align(n, 8).unwrap();
    // SAFETY: GlobalAlloc contract: each pointer is reallocated with its current layout.
    unsafe {
        let p = alloc.alloc(l(1000)); // class 1024
        p.write_bytes(0x5A, 1000);
        let shrunk = alloc.realloc(p, l(1000), 40); // to class 48: a move downwards
        assert_ne!(shrunk, p);
        let grown = alloc.realloc(shrunk, l(40), 3000); // to class 3072
        let full = alloc.realloc(grown, l(3000), 4096); // to class 4096
        assert!(
            std::slice::from_raw_parts(full, 40)
                .iter()
                .all(|&b| b == 0x5A)
        );
        let back = alloc.realloc(full, l(4096), 256); // to class 256
        assert!(
            std::slice::from_raw_parts(back, 40)
                .iter()
                .all(|&b| b == 0x5A)
        );
        alloc.dealloc(back, l(256));
    }
    let s = region.finish();
    assert_eq!((s.allocations, s.reallocations, s.deallocations), (1, 4, 1));
    assert_eq!(s.bytes_allocated, 1000 + 2960 + 1096);
    assert_eq!(s.bytes_freed, 960 + 3840 + 256);
    assert_eq!((s.net_bytes, s.peak_bytes), (0, 4096));
    for size in [1000, 40, 3000, 4096, 256] {
        assert_eq!(
            (s.class(size).allocated, s.class(size).freed),
            (1, 1),
            "class of {size}"
        );
    }
    // Requests: the allocation of 1000 and the reallocations' new sizes.
    assert_eq!(
        s.distribution,
        SizeDistribution {
            below_256: 1,
            up_to_4k: 4,
            above_4k: 0
        }
    );
    for (bucket, size) in [(9, 1000), (5, 40), (11, 3000), (12, 4096), (8, 256)] {
        assert_eq!(s.histogram.buckets[bucket], 1, "{size}");
    }
    assert_eq!(s.histogram.total(), 5);
    assert_eq!((s.pool_hits, s.pool_misses), (0, 1)); // 1000 carved a fresh block
    assert_eq!(alloc.stats().peak_bytes, 8 + 4096);
    drop(warm);
}

#[test]
fn realloc_of_a_block_bumped_by_its_alignment_counts_under_its_classes() {
    let alloc = EvmAllocator::with_config(System, exact_peak());
    let l = |n| Layout::from_size_align(n, 64).unwrap();
    // SAFETY: GlobalAlloc contract: each pointer is reallocated with its current layout.
    unsafe {
        let p = alloc.alloc(l(40)); // class 48 is 16-aligned: served from class 64
        p.write_bytes(0x3C, 40);
        let grown = alloc.realloc(p, l(40), 100); // class 128
        let shrunk = alloc.realloc(grown, l(100), 60); // class 64 again
        let same = alloc.realloc(shrunk, l(60), 50); // still class 64: in place
        assert_eq!(same, shrunk);
        for q in [grown, shrunk] {
            assert_eq!(q.addr() % 64, 0);
        }
        assert!(
            std::slice::from_raw_parts(same, 40)
                .iter()
                .all(|&b| b == 0x3C)
        );
        alloc.dealloc(same, l(50));
    }
    let s = alloc.stats();
    assert_eq!((s.allocations, s.reallocations, s.deallocations), (1, 3, 1));
    assert_eq!((s.bytes_allocated, s.bytes_freed), (40 + 60, 40 + 10 + 50));
    assert_eq!((s.current_bytes, s.peak_bytes), (0, 100));
    let class = |size| s.by_class[class_index(size)];
    assert_eq!((class(64).allocated, class(64).freed), (2, 2));
    assert_eq!((class(128).allocated, class(128).freed), (1, 1));
    assert_eq!(class(48).allocated + class(48).freed, 0);
    assert_eq!(s.histogram.total(), 4);
}

#[test]
fn pooled_moves_spill_a_long_list_for_other_threads() {
    let alloc = EvmAllocator::new(System);
    let (big, small) = (Layout::from_size_align(4096, 8).unwrap(), 3000);
    // 40 blocks of class 4096 go back to this thread's list by reallocation: more than
    // its limit (32 blocks), so part of the list moves to the shared cache.
    // SAFETY: GlobalAlloc contract: each block is reallocated with its current layout.
    let moved: std::vec::Vec<*mut u8> = unsafe {
        let blocks: std::vec::Vec<_> = (0..40u8)
            .map(|i| {
                let p = alloc.alloc(big);
                p.write(i);
                p
            })
            .collect();
        (0..40u8)
            .zip(blocks)
            .map(|(i, p)| {
                let q = alloc.realloc(p, big, small);
                assert_eq!(q.read(), i);
                q
            })
            .collect()
    };
    let s = alloc.stats();
    assert_eq!((s.allocations, s.reallocations), (40, 40));
    assert_eq!(s.current_bytes, 40 * small as u64);
    // Another thread finds blocks of class 4096 in the shared cache: no fresh carving.
    std::thread::scope(|scope| {
        scope.spawn(|| {
            let region = alloc.region();
            let blocks: std::vec::Vec<_> =
                (0..4).map(|_| Box::new_in([0u8; 4096], &alloc)).collect();
            let r = region.finish();
            assert_eq!((r.pool_hits, r.pool_misses), (4, 0));
            drop(blocks);
        });
    });
    for q in moved {
        // SAFETY: each block was reallocated to `small` bytes above.
        unsafe { alloc.dealloc(q, Layout::from_size_align(small, 8).unwrap()) };
    }
    assert_eq!(alloc.stats().current_bytes, 0);
}

#[test]
fn vec_growth_through_allocator_api2_preserves_data_and_counts_reallocs() {
    let alloc = EvmAllocator::with_config(System, exact_peak());
    let mut memory: Vec<u8, _> = Vec::new_in(&alloc);
    for i in 0..scaled(4096) {
        memory.push(i as u8);
    }
    assert!(memory.iter().enumerate().all(|(i, &b)| b == i as u8));
    let grown = alloc.stats();
    assert_eq!(grown.allocations, 1);
    assert_eq!(grown.current_bytes, memory.capacity() as u64);
    assert_eq!(
        grown.reallocations as usize,
        memory.capacity().trailing_zeros() as usize - 3
    );
    memory.truncate(10);
    memory.shrink_to_fit();
    assert_eq!(&memory[..3], &[0, 1, 2]);
    assert_eq!(alloc.stats().current_bytes, 10);
    drop(memory);
    let stats = alloc.stats();
    assert_eq!(stats.current_bytes, 0);
    assert_eq!(stats.peak_bytes, grown.peak_bytes);
    assert_eq!(
        stats.histogram.total(),
        stats.allocations + stats.reallocations
    );
}

#[test]
fn zeroed_allocation_is_zero_even_for_reused_blocks() {
    let alloc = EvmAllocator::<System>::new(System);
    let layout = Layout::from_size_align(256, 8).unwrap();
    // SAFETY: GlobalAlloc contract.
    unsafe {
        let p = alloc.alloc(layout);
        p.write_bytes(0xFF, 256);
        alloc.dealloc(p, layout);
        let q = alloc.alloc_zeroed(layout);
        assert_eq!(q, p, "the freed block is reused");
        assert!(std::slice::from_raw_parts(q, 256).iter().all(|&b| b == 0));
        alloc.dealloc(q, layout);
    }
    let z = Box::<[u8; 64], _>::new_zeroed_in(&alloc);
    // SAFETY: zeroed bytes are a valid `[u8; 64]`.
    let z = unsafe { z.assume_init() };
    assert!(z.iter().all(|&b| b == 0));
}

#[test]
fn zero_sized_requests_are_not_counted() {
    let alloc = EvmAllocator::new(System);
    let v: Vec<(), _> = Vec::with_capacity_in(10, &alloc);
    let e: Vec<u8, _> = Vec::new_in(&alloc);
    drop((v, e));
    assert_eq!(alloc.stats().allocations, 0);
}

#[test]
fn grow_with_new_alignment_moves() {
    let alloc = EvmAllocator::new(System);
    let old = Layout::from_size_align(24, 8).unwrap();
    let new = Layout::from_size_align(64, 64).unwrap();
    let block = alloc.allocate(old).unwrap().cast::<u8>();
    // SAFETY: Allocator contract: `block` was allocated with `old`, `new` is larger.
    unsafe {
        block.as_ptr().write_bytes(7, 24);
        let grown = alloc.grow_zeroed(block, old, new).unwrap().cast::<u8>();
        assert_eq!(grown.as_ptr().addr() % 64, 0);
        let bytes = std::slice::from_raw_parts(grown.as_ptr(), 64);
        assert!(bytes[..24].iter().all(|&b| b == 7) && bytes[24..].iter().all(|&b| b == 0));
        let shrunk = alloc
            .shrink(grown, new, Layout::from_size_align(8, 8).unwrap())
            .unwrap();
        alloc.deallocate(shrunk.cast(), Layout::from_size_align(8, 8).unwrap());
    }
    let stats = alloc.stats();
    assert_eq!(stats.current_bytes, 0);
}

#[test]
fn cross_thread_frees_are_counted_and_blocks_reused() {
    let alloc = EvmAllocator::with_config(System, exact_peak());
    let n = scaled(1000);
    let boxes: std::vec::Vec<_> = (0..n).map(|i| Box::new_in([i as u8; 32], &alloc)).collect();
    std::thread::scope(|s| {
        s.spawn(|| {
            for (i, b) in boxes.into_iter().enumerate() {
                assert_eq!(b[0], i as u8);
                drop(b);
            }
            // The freeing thread now reuses the blocks it was handed.
            let again: std::vec::Vec<_> = (0..n).map(|_| Box::new_in([0u8; 32], &alloc)).collect();
            drop(again);
        });
    });
    let stats = alloc.stats();
    assert_eq!(
        (stats.allocations, stats.deallocations),
        (2 * n as u64, 2 * n as u64)
    );
    assert_eq!(stats.current_bytes, 0);
    assert_eq!(stats.peak_bytes, 32 * n as u64);
    assert_eq!(stats.pool_hits, n as u64);
    assert_eq!(stats.pool_misses, n as u64);
}

#[test]
fn producer_consumer_reuses_blocks_instead_of_growing() {
    // A consumer thread that only frees hands surplus blocks to the shared cache, and
    // its leftovers are collected after it exits; the producer refills from there. Held
    // memory stays bounded instead of growing by a round's worth each round. (Other
    // tests' threads may hold the slot of an exited consumer for a while, delaying the
    // collection of its leftovers, hence the slack in the bound.)
    let alloc = EvmAllocator::new(System);
    let rounds = if cfg!(miri) { 3 } else { 50 };
    // More than a thread's list may hold (512 blocks of 64 bytes), so the consumer spills.
    let per_round = if cfg!(miri) { 600 } else { 2000 };
    let mut held_after_first = 0;
    for round in 0..rounds {
        let boxes: std::vec::Vec<_> = (0..per_round)
            .map(|i| Box::new_in([i as u8; 64], &alloc))
            .collect();
        std::thread::scope(|s| {
            s.spawn(move || drop(boxes));
        });
        if round == 0 {
            held_after_first = alloc.stats().pool_bytes_held;
        }
    }
    let stats = alloc.stats();
    assert_eq!(stats.current_bytes, 0);
    assert!(
        stats.pool_bytes_held <= 10 * held_after_first,
        "{} held after {rounds} rounds of {held_after_first}",
        stats.pool_bytes_held
    );
    let reused = stats.pool_hits as f64 / (stats.allocations - per_round as u64) as f64;
    assert!(
        reused > 0.5,
        "only {reused:.2} of later allocations reused a block"
    );
}

#[test]
fn many_threads_give_exact_totals_and_peak() {
    let threads = 4;
    let per_thread = scaled(500);
    let alloc = EvmAllocator::with_config(System, exact_peak());
    let barrier = Barrier::new(threads);
    std::thread::scope(|s| {
        for t in 0..threads {
            let (alloc, barrier) = (&alloc, &barrier);
            s.spawn(move || {
                let blocks: std::vec::Vec<_> = (0..per_thread)
                    .map(|_| Box::new_in([t as u8; 256], alloc))
                    .collect();
                let big: Vec<u8, _> = Vec::with_capacity_in(8192, alloc);
                barrier.wait(); // everyone's blocks are live now
                barrier.wait();
                drop((blocks, big));
            });
        }
    });
    let stats = alloc.stats();
    let expected_peak = (threads * (per_thread * 256 + 8192)) as u64;
    assert_eq!(stats.allocations, (threads * (per_thread + 1)) as u64);
    assert_eq!(stats.deallocations, stats.allocations);
    assert_eq!(stats.bytes_allocated, expected_peak);
    assert_eq!(stats.current_bytes, 0);
    assert_eq!(stats.peak_bytes, expected_peak);
    assert_eq!(
        stats.by_class[class_index(256)].allocated,
        (threads * per_thread) as u64
    );
}

#[test]
fn counts_of_exited_threads_are_kept() {
    let alloc = EvmAllocator::new(System);
    for i in 0..scaled(64) {
        std::thread::scope(|s| {
            s.spawn(|| {
                let b = Box::new_in([i as u8; 20], &alloc);
                std::mem::forget(b); // stays live past the thread's exit
            });
        });
    }
    let stats = alloc.stats();
    assert_eq!(stats.allocations, scaled(64) as u64);
    assert_eq!(stats.current_bytes, 20 * scaled(64) as u64);
    // Forgotten blocks live in pooled chunks, which the allocator frees on drop.
}

#[test]
#[cfg_attr(
    miri,
    ignore = "spawns more threads than there are slots; too slow under Miri"
)]
fn threads_beyond_the_slot_table_use_the_shared_cache() {
    let alloc = EvmAllocator::with_config(System, exact_peak());
    let threads = raw::MAX_THREADS + 20;
    let barrier = Arc::new(Barrier::new(threads));
    std::thread::scope(|s| {
        for _ in 0..threads {
            let (alloc, barrier) = (&alloc, barrier.clone());
            s.spawn(move || {
                let b = Box::new_in([1u8; 48], alloc);
                barrier.wait(); // all alive at once: some threads get no slot
                drop(b);
            });
        }
    });
    let stats = alloc.stats();
    assert_eq!(stats.allocations, threads as u64);
    assert_eq!(stats.current_bytes, 0);
    assert_eq!(stats.peak_bytes, 48 * threads as u64);
}

#[test]
fn regions_nest_and_handle_memory_from_before() {
    let alloc = EvmAllocator::new(System);
    let before = Box::new_in([0u8; 1024], &alloc);
    let outer = alloc.region();
    let a = Box::new_in([0u8; 256], &alloc);
    {
        let inner = alloc.region();
        drop(before); // allocated before both regions
        let b = Box::new_in([0u8; 4096], &alloc);
        drop(b);
        let s = inner.finish();
        assert_eq!((s.allocations, s.deallocations), (1, 2));
        assert_eq!(s.net_bytes, -1024);
        assert_eq!(s.peak_bytes, 4096 - 1024);
        assert_eq!(s.by_class[class_index(4096)].allocated, 1);
        assert_eq!(s.by_class[class_index(1024)].freed, 1);
    }
    let c = Box::new_in([0u8; 32], &alloc);
    let s = outer.stats();
    assert_eq!((s.allocations, s.deallocations), (3, 2));
    assert_eq!(s.bytes_allocated, 256 + 4096 + 32);
    assert_eq!(s.net_bytes, 256 - 1024 + 32);
    // Highest point: 256 (a) - 1024 (before) + 4096 (b) = 3328, seen inside the inner region.
    assert_eq!(s.peak_bytes, 3328);
    assert!(s.to_string().contains("peak 3.2 KiB"), "{s}");
    drop((a, c, outer));
}

#[test]
fn region_sees_only_its_own_thread() {
    let alloc = EvmAllocator::new(System);
    let region = alloc.region();
    std::thread::scope(|s| {
        s.spawn(|| drop(Box::new_in([0u8; 64], &alloc)));
    });
    let mine = Box::new_in([0u8; 20], &alloc);
    let s = region.finish();
    assert_eq!(s.allocations, 1);
    assert_eq!(s.peak_bytes, 20);
    assert_eq!(alloc.stats().allocations, 2);
    drop(mine);
}

#[test]
fn minimal_config_forwards_everything_and_counts_nothing() {
    let alloc = EvmAllocator::with_config(System, AllocatorConfig::minimal());
    let v: Vec<u8, _> = Vec::with_capacity_in(32, &alloc);
    drop(v);
    let stats = alloc.stats();
    assert_eq!(stats.allocations, 0);
    assert_eq!(stats.pool_bytes_held, 0);

    let mut counting_only = AllocatorConfig::minimal();
    counting_only.statistics = true;
    let alloc = EvmAllocator::with_config(System, counting_only);
    let v: Vec<u8, _> = Vec::with_capacity_in(32, &alloc);
    drop(v);
    let stats = alloc.stats();
    assert_eq!(
        (stats.allocations, stats.deallocations, stats.peak_bytes),
        (1, 1, 32)
    );
    assert_eq!(stats.by_class[class_index(32)].allocated, 1);
    assert_eq!(
        (stats.pool_bytes_held, stats.pool_hits + stats.pool_misses),
        (0, 0)
    );
}

#[test]
fn pass_through_counts_every_size_and_alignment_exactly() {
    // Pooling off, statistics on: natural-class sizes count in the size counters,
    // alignment-bumped and large ones in the merged form; both must give the same
    // figures as pooling would (and no pool hits).
    let mut config = AllocatorConfig::minimal();
    config.statistics = true;
    let alloc = EvmAllocator::with_config(System, config);
    let requests = [
        (20, 4),
        (20, 8),
        (32, 8),
        (256, 8),
        (4096, 8),
        (5000, 8),
        (64, 128),
    ];
    let blocks: std::vec::Vec<_> = requests
        .iter()
        .map(|&(size, align)| {
            let layout = Layout::from_size_align(size, align).unwrap();
            // SAFETY: non-zero sizes; freed below with the same layout.
            let p = unsafe { GlobalAlloc::alloc(&alloc, layout) };
            assert!(!p.is_null() && p.addr() % align == 0);
            (p, layout)
        })
        .collect();
    let total: u64 = requests.iter().map(|&(size, _)| size as u64).sum();
    let during = alloc.stats();
    assert_eq!((during.allocations, during.current_bytes), (7, total));
    assert_eq!(during.peak_bytes, total);
    for (p, layout) in blocks {
        // SAFETY: allocated above with `layout`.
        unsafe { GlobalAlloc::dealloc(&alloc, p, layout) };
    }
    let s = alloc.stats();
    assert_eq!((s.allocations, s.deallocations), (7, 7));
    assert_eq!(
        (s.bytes_allocated, s.bytes_freed, s.current_bytes),
        (total, total, 0)
    );
    assert_eq!((s.pool_hits, s.pool_misses, s.pool_bytes_held), (0, 0, 0));
    assert_eq!(
        (
            s.by_class[class_index(20)].allocated,
            s.by_class[class_index(20)].freed
        ),
        (1, 1)
    );
    // 20 bytes aligned to 8 is served from the 32-byte class's bucket.
    assert_eq!(
        (
            s.by_class[class_index(32)].allocated,
            s.by_class[class_index(32)].freed
        ),
        (2, 2)
    );
    assert_eq!(s.by_class[class_index(256)].allocated, 1);
    assert_eq!(s.by_class[class_index(4096)].allocated, 1);
    let large = s.by_class.iter().find(|c| c.size.is_none()).unwrap();
    // 5000 bytes, and 64 bytes aligned beyond any class.
    assert_eq!((large.allocated, large.freed), (2, 2));
    assert_eq!(
        (
            s.distribution.below_256,
            s.distribution.up_to_4k,
            s.distribution.above_4k
        ),
        (4, 2, 1)
    );
    assert_eq!(s.histogram.buckets[4], 2); // 20, 20
    assert_eq!(s.histogram.buckets[5], 1); // 32
    assert_eq!(s.histogram.buckets[6], 1); // 64
    assert_eq!(s.histogram.buckets[12], 2); // 4096, 5000
}

#[test]
fn statistics_compiled_out_still_allocates() {
    let alloc: EvmAllocator<System, false> = EvmAllocator::new(System);
    let mut v: Vec<u64, _> = Vec::new_in(&alloc);
    v.extend(0..1000);
    assert_eq!(v.iter().sum::<u64>(), 999 * 1000 / 2);
}

#[test]
fn invalid_config_is_a_typed_error() {
    let mut config = AllocatorConfig::optimized();
    config.pool_chunk_bytes = 0;
    assert!(matches!(
        EvmAllocator::<System>::try_with_config(System, config),
        Err(ConfigError::Invalid {
            name: "pool_chunk_bytes",
            ..
        })
    ));
}

#[test]
fn alignment_optimization_keeps_small_blocks_within_a_cache_line() {
    for line_aware in [true, false] {
        let mut config = AllocatorConfig::optimized();
        config.alignment_optimization = line_aware;
        let alloc = EvmAllocator::<System>::with_config(System, config);
        let boxes: std::vec::Vec<_> = (0..12).map(|_| Box::new_in([0u8; 20], &alloc)).collect();
        let straddling = boxes
            .iter()
            .filter(|b| {
                let start = std::ptr::from_ref::<[u8; 20]>(b).addr();
                start / 64 != (start + 19) / 64
            })
            .count();
        if line_aware {
            assert_eq!(straddling, 0);
        } else {
            assert!(straddling > 0);
        }
    }
}

#[test]
fn rate_and_efficiency_figures() {
    let alloc = EvmAllocator::new(System);
    let first = alloc.stats();
    for _ in 0..10 {
        drop(Box::new_in([0u8; 32], &alloc));
    }
    let second = alloc.stats();
    assert_eq!(second.allocations - first.allocations, 10);
    assert!(second.allocation_rate_since(&first) > 0.0);
    assert!(second.elapsed >= first.elapsed);
    assert_eq!(second.pool_hit_rate(), 0.9);
    assert_eq!(second.mean_allocation_size(), 32.0);
    assert!(second.fragmentation() > 0.99); // everything freed, one chunk held
    assert_eq!(SIZE_CLASSES.len(), NUM_CLASSES);
}
