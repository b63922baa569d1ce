//! An allocator for EVM workloads: size-class pooling in thread-local free lists in
//! front of any backing allocator, with exact statistics that cost nothing when compiled
//! out.
//!
//! # The model
//!
//! An EVM allocates many small objects of a few sizes (20-byte addresses, 32-byte words,
//! small buffers) and frees them soon after. [`EvmAllocator`] serves requests of up to
//! 4 KiB from per-thread free lists of fixed [size classes](size_class::SIZE_CLASSES),
//! carving fresh blocks from 64 KiB chunks it takes from the backing allocator; larger
//! requests go straight to the backing allocator. A freed block goes onto the freeing
//! thread's list, whichever thread allocated it; lists that grow too long hand half
//! their blocks to a shared exchange that threads with empty lists draw from. Pooled
//! memory stays with the allocator (its chunks are returned only when an allocator
//! value is dropped), which is what makes reuse fast: the `fragmentation` figure of
//! [`AllocationStatistics`] tells how much of it is idle.
//!
//! It works as the global allocator and, through [`allocator_api2`], for single
//! collections:
//!
//! ```
//! use evm_pool_runtime::EvmAllocator;
//! use std::alloc::System;
//!
//! // As the global allocator (in a binary):
//! // #[global_allocator]
//! // static ALLOC: EvmAllocator = EvmAllocator::new(System);
//!
//! // For one collection:
//! let alloc = EvmAllocator::new(System);
//! let mut memory = allocator_api2::vec::Vec::<u8, _>::new_in(&alloc);
//! memory.extend_from_slice(&[0x60, 0x80, 0x60, 0x40]);
//! assert_eq!(alloc.stats().allocations, 1);
//! ```
//!
//! # Statistics
//!
//! Every thread counts into its own cache with plain instructions (no atomic
//! read-modify-write), as few as exactness allows: a pooled allocation increments the
//! counter of its exact size and subtracts its size from the thread's distance to the
//! next peak-tracking threshold, a `sub` to memory whose sign is the only test; a
//! pooled free does the same with its size's free counter and the distance to the
//! threshold below (three instructions each on x86-64). Each distance ignores the
//! other side's moves, so it can only run out early: the rare slow path then finds the
//! exact live-byte tally, and a peak is never missed. A reallocation increments one
//! counter for the log2 bucket of its new size (split at 4096, so the bucket also
//! fixes the size band), the two class counters when it moves the block, and one byte
//! counter. Counts, bytes allocated and
//! freed, per-class figures, the log2 histogram, the size distribution and pool hits
//! are derived exactly when read (the per-size counters take 64 KiB per thread cache).
//! Reading ([`EvmAllocator::stats`]) sums all threads. [`EvmAllocator::region`]
//! measures what the calling thread does between two points — counts, bytes, the peak
//! inside, by size class — which is what per-transaction figures need. The `STATS` parameter compiles
//! counting out altogether: `EvmAllocator<System, false>` has no statistics API and its
//! fast path contains no counting instructions.
//!
//! # When not to use it
//!
//! The pooling tier keeps memory it has served for reuse; a program that allocates a
//! lot of small objects once and then frees them for good gives that memory back to
//! the pools, not to the system. Use [`AllocatorConfig::minimal`] (or the plain backing
//! allocator) for such programs.

#[cfg(not(loom))]
mod allocator;
mod config;
#[cfg(not(loom))]
mod handoff;
#[cfg(loom)]
#[doc(hidden)]
pub mod handoff;
#[cfg(not(loom))]
mod raw;
pub mod size_class;
#[cfg_attr(loom, allow(dead_code))]
mod stats;

#[cfg(not(loom))]
pub use allocator::{EvmAllocator, Region};

pub use config::{AllocatorConfig, MAX_POOL_CHUNK, MIN_POOL_CHUNK};
pub use stats::{
    AllocationStatistics, CLASS_BUCKETS, ClassCounts, LOG2_BUCKETS, Log2Histogram, RegionStats,
    SizeDistribution,
};

#[cfg(all(test, not(loom)))]
mod tests;
