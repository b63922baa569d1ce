//! Model checks of the allocator's cross-thread protocols with loom: the types of
//! `evm_pool_runtime::alloc::handoff` that `EvmAllocator` is built from, run in every
//! interleaving (up to loom's preemption bound) of the threads' atomic operations.
//!
//! ```text
//! RUSTFLAGS="--cfg loom" cargo test -p evm-pool-runtime --release --test loom_alloc \
//!     --target-dir target/loom -- --nocapture
//! ```
//!
//! `LOOM_MAX_PREEMPTIONS` overrides the default bound of 3 preemptions per execution.
//! Blocks are plain heap memory (loom does not track it); the list heads that say who
//! owns them live in loom-checked cells, so two threads using one list at once is
//! reported as a race.
#![cfg(loom)]

#[path = "common/loom_model.rs"]
mod loom_model;
use loom_model::model;

use evm_pool_runtime::alloc::handoff::{
    FreeList, OwnedCounter, PeakPublisher, SlotTable, SpinLock, move_blocks,
};
use loom::cell::UnsafeCell;
use loom::sync::Arc;
use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::thread;

/// Heap blocks for one execution, freed when dropped.
struct Blocks(Vec<*mut u8>);

// SAFETY: the blocks are plain heap memory; the models hand each to one owner at a time.
unsafe impl Send for Blocks {}
// SAFETY: as above; shared references only read the addresses.
unsafe impl Sync for Blocks {}

impl Blocks {
    fn new(n: usize) -> Self {
        Blocks(
            (0..n)
                .map(|_| Box::into_raw(Box::new([0u64; 2])).cast::<u8>())
                .collect(),
        )
    }

    /// Checks that `found` holds every block exactly once.
    fn assert_all_once(&self, mut found: Vec<*mut u8>) {
        found.sort();
        let mut expected = self.0.clone();
        expected.sort();
        assert_eq!(found, expected, "a block was lost or handed out twice");
    }
}

impl Drop for Blocks {
    fn drop(&mut self) {
        for &block in &self.0 {
            // SAFETY: allocated in `new` as a `Box<[u64; 2]>`, freed once.
            drop(unsafe { Box::from_raw(block.cast::<[u64; 2]>()) });
        }
    }
}

fn drain(list: &mut FreeList, into: &mut Vec<*mut u8>) {
    loop {
        // SAFETY: every list in these models holds only `Blocks` pushed with `push`.
        let block = unsafe { list.pop() };
        if block.is_null() {
            return;
        }
        into.push(block);
    }
}

/// The shared exchange as the allocator uses it: a list under the spin lock, and a
/// count of its blocks that threads read without the lock to skip locking.
struct Exchange {
    list: SpinLock<FreeList>,
    available: AtomicUsize,
}

impl Exchange {
    fn new() -> Self {
        Exchange {
            list: SpinLock::new(FreeList::EMPTY),
            available: AtomicUsize::new(0),
        }
    }

    /// A thread's list went over its limit: half of it moves here.
    fn spill(&self, from: &mut FreeList) {
        let half = from.len / 2;
        self.list.with(|shared| {
            // SAFETY: both lists hold `Blocks`; `from` is the caller's own list.
            unsafe { move_blocks(from, shared, half) };
            self.available.store(shared.len, Ordering::Relaxed);
        });
    }

    /// A thread's list is empty: take up to `batch` blocks if the hint says any are here.
    fn refill(&self, to: &mut FreeList, batch: usize) -> usize {
        if self.available.load(Ordering::Relaxed) == 0 {
            return 0;
        }
        self.list.with(|shared| {
            // SAFETY: as in `spill`.
            let moved = unsafe { move_blocks(shared, to, batch) };
            self.available.store(shared.len, Ordering::Relaxed);
            moved
        })
    }
}

/// The cross-thread free path: a thread frees blocks another thread allocated (it
/// adopts them onto its own list), goes over its list limit and spills to the exchange,
/// while the allocating thread, its list empty, drains the exchange. Every block ends
/// up in exactly one place, and nobody touches a list another thread is using.
#[test]
fn cross_thread_free_races_the_owners_drain() {
    model("cross-thread free vs drain", || {
        let blocks = Arc::new(Blocks::new(4));
        let exchange = Arc::new(Exchange::new());
        // The allocating thread starts with one block of its own on its list.
        let mut owner_list = FreeList::EMPTY;
        // SAFETY: a fresh block, on no list.
        unsafe { owner_list.push(blocks.0[3]) };

        let freer = {
            let (blocks, exchange) = (Arc::clone(&blocks), Arc::clone(&exchange));
            thread::spawn(move || {
                // Frees three blocks the other thread allocated; its limit is one block.
                let mut mine = FreeList::EMPTY;
                for &block in &blocks.0[..3] {
                    // SAFETY: handed over by the allocating thread, on no list.
                    unsafe { mine.push(block) };
                    if mine.len > 1 {
                        exchange.spill(&mut mine);
                    }
                }
                let mut left = Vec::new();
                drain(&mut mine, &mut left);
                Blocks(left) // returned to the model, not freed (see below)
            })
        };

        // The allocating thread: allocate three times, refilling when empty.
        let mut handed_out = Vec::new();
        for _ in 0..3 {
            if owner_list.len == 0 {
                exchange.refill(&mut owner_list, 2);
            }
            // SAFETY: the list holds `Blocks` only.
            let block = unsafe { owner_list.pop() };
            if !block.is_null() {
                handed_out.push(block);
            }
        }

        let mut freer_left = freer.join().unwrap();
        let mut everything = handed_out;
        everything.append(&mut freer_left.0);
        std::mem::forget(freer_left); // its blocks belong to `blocks`
        drain(&mut owner_list, &mut everything);
        exchange.list.with(|shared| drain(shared, &mut everything));
        blocks.assert_all_once(everything);
    });
}

/// Thread exit hands a cache over: the first holder counts and exits (releases its
/// slot), the next thread takes the slot and counts on top, while a reader merges.
/// No count is lost (the handover is release/acquire; with relaxed orderings the second
/// holder could start from a stale value), the holders never overlap (the cache's owner
/// state is a loom cell), and the reader never sees a count go down.
#[test]
fn thread_exit_hands_counters_to_the_next_holder() {
    model("thread exit handover", || {
        let slots = Arc::new(SlotTable::<1>::new());
        let counter = Arc::new(OwnedCounter::new());
        let owner_state = Arc::new(UnsafeCell::new(0u64));

        let holder = |adds: u64| {
            let (slots, counter, owner_state) = (
                Arc::clone(&slots),
                Arc::clone(&counter),
                Arc::clone(&owner_state),
            );
            thread::spawn(move || {
                let slot = loop {
                    match slots.take_any() {
                        Some(slot) => break slot,
                        None => thread::yield_now(),
                    }
                };
                for _ in 0..adds {
                    counter.add(1);
                    // SAFETY: only the slot's holder touches the owner state (checked by
                    // loom: an overlapping access fails the model).
                    owner_state.with_mut(|state| unsafe { *state += 1 });
                }
                slots.release(slot); // the thread's exit hook
            })
        };
        let first = holder(2);
        let second = holder(1);

        let reader = {
            let counter = Arc::clone(&counter);
            thread::spawn(move || {
                let early = counter.get();
                let later = counter.get();
                assert!(early <= later && later <= 3, "read {early} then {later}");
            })
        };

        first.join().unwrap();
        second.join().unwrap();
        reader.join().unwrap();
        assert_eq!(counter.get(), 3, "a count was lost in the handover");
        // SAFETY: both holders have exited.
        assert_eq!(owner_state.with(|state| unsafe { *state }), 3);
    });
}

/// A reader merges while a thread counts an allocation and a free the way the
/// allocator does: the hand-out increments its size's counter (relaxed), the return
/// increments its size's `freed` counter with release. The reader reads the frees
/// first with acquire, then the hand-outs, so it never sees a thread's free without
/// the allocation counted before it (bytes freed never exceed bytes allocated, live
/// bytes never read negative); after the join the merge is exact.
#[test]
fn reader_merges_while_a_thread_counts() {
    model("reader merges while counting", || {
        struct Counters {
            allocated_32: OwnedCounter,
            freed_32: OwnedCounter,
        }
        let counters = Arc::new(Counters {
            allocated_32: OwnedCounter::new(),
            freed_32: OwnedCounter::new(),
        });
        /// (allocations, deallocations, bytes allocated, bytes freed)
        fn merge(c: &Counters) -> (u64, u64, u64, u64) {
            let freed = c.freed_32.get_acquire();
            let allocated = c.allocated_32.get();
            (allocated, freed, 32 * allocated, 32 * freed)
        }

        let worker = {
            let c = Arc::clone(&counters);
            thread::spawn(move || {
                // Allocate 32 bytes, free them, allocate again.
                c.allocated_32.add(1);
                c.freed_32.add_publishing(1);
                c.allocated_32.add(1);
            })
        };

        let reader = {
            let c = Arc::clone(&counters);
            thread::spawn(move || {
                let (allocations, deallocations, bytes, freed) = merge(&c);
                assert!(allocations <= 2 && deallocations <= 1);
                assert!(
                    freed <= bytes,
                    "bytes freed ({freed}) read above bytes allocated ({bytes})"
                );
            })
        };

        worker.join().unwrap();
        reader.join().unwrap();
        assert_eq!(merge(&counters), (2, 1, 64, 32));
    });
}

/// Exact peaks (publication on every operation): two threads each allocate and free;
/// the global peak is one thread's high or both together, depending on the order of
/// their publications, never anything else, and the published total returns to zero.
#[test]
fn peak_publication_is_exact_in_every_order() {
    model("peak publication", || {
        let peak = Arc::new(PeakPublisher::new());
        let spawn = |bytes: i64| {
            let peak = Arc::clone(&peak);
            thread::spawn(move || {
                peak.publish(bytes, bytes);
                peak.publish(-bytes, 0);
            })
        };
        let a = spawn(100);
        let b = spawn(50);
        a.join().unwrap();
        b.join().unwrap();
        assert_eq!(peak.total(), 0);
        assert!(
            [100, 150].contains(&peak.peak()),
            "peak {} is not a reachable total",
            peak.peak()
        );
    });
}

/// An exited thread's free lists are collected by another thread (which takes the free
/// slot for the duration, as `reclaim_orphans` does) while a new thread may take the
/// same slot and inherit the lists: the two never use the lists at once, and every
/// block ends up in exactly one place.
#[test]
fn orphaned_lists_are_collected_or_inherited_never_both() {
    model("orphan collection vs new holder", || {
        let blocks = Arc::new(Blocks::new(2));
        let slots = Arc::new(SlotTable::<1>::new());
        let lists = Arc::new(UnsafeCell::new(FreeList::EMPTY));
        let exchange = Arc::new(Exchange::new());

        // The exited thread: it held slot 0 and left two blocks on its list.
        let slot = slots.take_any().unwrap();
        lists.with_mut(|list| {
            for &block in &blocks.0 {
                // SAFETY: fresh blocks; we hold the slot, so the list is ours.
                unsafe { (*list).push(block) };
            }
        });
        slots.release(slot);

        let collector = {
            let (slots, lists, exchange) = (
                Arc::clone(&slots),
                Arc::clone(&lists),
                Arc::clone(&exchange),
            );
            thread::spawn(move || {
                if !slots.is_taken(0) && slots.try_take(0) {
                    // SAFETY: we hold the slot, so the orphan's lists are ours.
                    lists.with_mut(|list| {
                        exchange.list.with(|shared| unsafe {
                            move_blocks(&mut *list, shared, usize::MAX);
                            exchange.available.store(shared.len, Ordering::Relaxed);
                        })
                    });
                    slots.release(0);
                }
            })
        };
        let newcomer = {
            let (slots, lists) = (Arc::clone(&slots), Arc::clone(&lists));
            thread::spawn(move || {
                let mut got = Vec::new();
                if let Some(slot) = slots.take_any() {
                    // SAFETY: we hold the slot, so the inherited lists are ours.
                    lists.with_mut(|list| drain(unsafe { &mut *list }, &mut got));
                    slots.release(slot);
                }
                Blocks(got)
            })
        };

        collector.join().unwrap();
        let mut got = newcomer.join().unwrap();
        let mut everything = std::mem::take(&mut got.0);
        std::mem::forget(got);
        // SAFETY: both threads are done.
        lists.with_mut(|list| drain(unsafe { &mut *list }, &mut everything));
        exchange.list.with(|shared| drain(shared, &mut everything));
        blocks.assert_all_once(everything);
    });
}
