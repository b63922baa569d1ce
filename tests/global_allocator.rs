//! `EvmAllocator` installed as `#[global_allocator]`: exact counts, bytes and peak for a
//! known pattern, single- and multi-threaded, through plain `std` collections.
//!
//! Runs without the libtest harness (`harness = false` in Cargo.toml) so that no other
//! test thread allocates while the global numbers are checked.

use evm_pool::{AllocatorConfig, EvmAllocator};
use std::alloc::System;
use std::sync::Barrier;

const CONFIG: AllocatorConfig = {
    let mut config = AllocatorConfig::optimized();
    config.peak_granularity = 0; // exact global peak across threads
    config
};

#[global_allocator]
static ALLOC: EvmAllocator = EvmAllocator::with_config(System, CONFIG);

/// Index of the statistics bucket of the 3072-byte class: a size `std` itself does not
/// use here, so its counts are ours alone.
fn class_3072() -> usize {
    evm_pool::alloc::size_class::SIZE_CLASSES
        .iter()
        .position(|&s| s == 3072)
        .unwrap()
}

fn single_thread_pattern_is_exact() {
    let region = ALLOC.region();
    let before = ALLOC.stats();
    {
        let addresses: Vec<Box<[u8; 20]>> = (0..8).map(|i| Box::new([i; 20])).collect(); // 1 + 8 allocations
        let mut memory: Vec<u8> = Vec::with_capacity(32); // 1 allocation
        memory.resize(4096, 0xFF); // 1 reallocation to 4096
        assert_eq!(addresses.len() + memory.len(), 4104);
    }
    let stats = region.finish();
    let after = ALLOC.stats();
    let vec_of_boxes = 8 * std::mem::size_of::<Box<[u8; 20]>>() as u64;
    assert_eq!(stats.allocations, 10);
    assert_eq!(stats.reallocations, 1);
    assert_eq!(stats.deallocations, 10);
    assert_eq!(stats.bytes_allocated, vec_of_boxes + 8 * 20 + 4096);
    assert_eq!(stats.net_bytes, 0);
    assert_eq!(stats.peak_bytes, vec_of_boxes + 8 * 20 + 4096);
    assert_eq!(stats.class(20).allocated, 8);
    assert_eq!(stats.class(4096).allocated, 1);
    // The same numbers globally (this is the only thread running).
    assert_eq!(after.allocations - before.allocations, 10);
    assert_eq!(after.reallocations - before.reallocations, 1);
    assert_eq!(after.current_bytes, before.current_bytes);
    println!("test single_thread_pattern_is_exact ... ok");
}

fn many_threads_are_exact_including_the_peak() {
    const THREADS: usize = 4;
    const BLOCKS: usize = 100;
    let class = class_3072();
    let spawned = Barrier::new(THREADS + 1);
    let go = Barrier::new(THREADS + 1);
    let allocated = Barrier::new(THREADS + 1);
    let release = Barrier::new(THREADS + 1);
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let (spawned, go, allocated, release) = (&spawned, &go, &allocated, &release);
            s.spawn(move || {
                spawned.wait();
                go.wait();
                let region = ALLOC.region();
                let blocks: Vec<Box<[u8; 3000]>> =
                    (0..BLOCKS).map(|_| Box::new([t as u8; 3000])).collect();
                allocated.wait();
                release.wait();
                let sent = blocks; // freed below, after the region is read
                let stats = region.finish();
                assert_eq!(stats.allocations, BLOCKS as u64 + 1);
                assert_eq!(stats.class(3000).allocated, BLOCKS as u64);
                drop(sent);
            });
        }
        spawned.wait(); // every thread is running and idle
        let idle = ALLOC.stats();
        go.wait();
        allocated.wait(); // every block is live
        let full = ALLOC.stats();
        let ours = (THREADS * BLOCKS * 3000 + THREADS * BLOCKS * 8) as u64;
        assert_eq!(full.current_bytes - idle.current_bytes, ours);
        assert_eq!(
            full.by_class[class].allocated - idle.by_class[class].allocated,
            (THREADS * BLOCKS) as u64
        );
        assert_eq!(full.peak_bytes, idle.peak_bytes.max(full.current_bytes));
        release.wait();
    });
    let done = ALLOC.stats();
    let c = done.by_class[class];
    assert_eq!(c.allocated, c.freed, "all 3000-byte blocks were freed");
    println!("test many_threads_are_exact_including_the_peak ... ok");
}

fn cross_thread_frees_and_exited_threads_keep_counts() {
    let class = class_3072();
    let before = ALLOC.stats().by_class[class];
    let (tx, rx) = std::sync::mpsc::channel::<Box<[u8; 3000]>>();
    let producer = std::thread::spawn(move || {
        for i in 0..50u8 {
            tx.send(Box::new([i; 3000])).unwrap();
        }
    });
    let consumer = std::thread::spawn(move || {
        let mut n = 0;
        for (i, block) in rx.into_iter().enumerate() {
            assert_eq!(block[2999], i as u8);
            n += 1;
        }
        n
    });
    producer.join().unwrap();
    assert_eq!(consumer.join().unwrap(), 50);
    // Both threads have exited; their counts are still in the totals.
    let after = ALLOC.stats().by_class[class];
    assert_eq!(after.allocated - before.allocated, 50);
    assert_eq!(after.freed - before.freed, 50);
    println!("test cross_thread_frees_and_exited_threads_keep_counts ... ok");
}

fn main() {
    single_thread_pattern_is_exact();
    many_threads_are_exact_including_the_peak();
    cross_thread_frees_and_exited_threads_keep_counts();
    println!("{}", ALLOC.stats());
    println!("3 passed, 0 failed");
}
