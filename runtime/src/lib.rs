//! The run-time half of [evm-pool](https://docs.rs/evm-pool): object, buffer and
//! call-frame pools, an allocator with exact statistics, a per-transaction arena, and
//! layout reports.
//!
//! Most users depend on the `evm-pool` facade, which re-exports everything here together
//! with the `#[optimize_layout]` and `#[derive(Pooled)]` macros.
//!
//! # The model
//!
//! An EVM allocates the same few shapes over and over, in a strict order: call frames,
//! operand stacks, memory buffers, call inputs, 20-byte addresses and 32-byte words,
//! created when a call starts and dropped when it ends, with a child call always ending
//! before its parent resumes. Each part of this crate exploits one of those facts:
//!
//! | part | the fact it uses | what it does |
//! |---|---|---|
//! | [`Pool<T>`], [`SyncPool<T>`] | the same objects are needed again | keeps objects after use, reset but with their allocations, and hands them out again |
//! | [`BufferPool`] | buffers come in a few sizes and must start zeroed | zeroed byte buffers by size class, re-zeroing only the bytes a loan used |
//! | [`FramePoolManager`] | call frames nest LIFO, at most 1024 deep | frames by kind from pools, one shared stack and memory per call tree, EVM rules as typed errors |
//! | [`EvmAllocator`] | most allocations are small and short-lived | size-class free lists per thread in front of any allocator, exact statistics |
//! | [`TxArena`] | per-transaction data dies together | a bump arena whose `reset` keeps every chunk |
//! | [`layout`] | hot structs are read every instruction | exact layout reports (`#[optimize_layout]` in the facade orders the fields) |
//!
//! Every part counts what it does, exactly, and reports it in a snapshot type with a
//! `Display` table: [`PoolStats`], [`PoolStatistics`], [`AllocationTracker`],
//! [`AllocationStatistics`], [`ArenaStats`], [`LayoutReport`]. The guide
//! ([`docs/guide.md`](https://github.com/evm-pool/evm-pool/blob/main/docs/guide.md))
//! explains how to choose presets and how to read each of those.
//!
//! ## Pools
//!
//! - [`Reset`] puts a value back into its fresh state **keeping its allocations**
//!   (a `Vec` is cleared, not freed) in O(what was used).
//! - [`EvmPooled`] is what a pool needs of a type: create fresh, reset for reuse, and the
//!   default [`PoolConfig`]. Every `T: Default + Reset` has it; `#[derive(Pooled)]`
//!   writes it for a struct.
//! - [`Pool<T>`] is single-threaded; [`Pool::acquire`] returns a [`PoolGuard`] that
//!   resets and returns the object when dropped, so use after release and double release
//!   cannot be written. [`SyncPool<T>`] is the thread-safe variant (per-CPU shards).
//! - [`PoolConfig`] sets initial and maximum sizes, growth, shrinking and the
//!   [`OverflowPolicy`]; presets match common needs, and [`PoolConfig::disabled`] is the
//!   honest baseline of plain allocation.
//!
//! ```
//! use evm_pool_runtime::{Pool, PoolConfig};
//!
//! let pool = Pool::<Vec<u8>>::with_config(PoolConfig::minimal())?;
//! for tx in 0..100u8 {
//!     let mut memory = pool.acquire();
//!     memory.resize(1024, tx);
//! } // each guard's drop clears the buffer and puts it back, capacity kept
//! let stats = pool.stats();
//! assert_eq!(stats.hits, 100);
//! assert_eq!(stats.created, 32); // the prewarmed stock, nothing more
//! # Ok::<(), evm_pool_runtime::ConfigError>(())
//! ```
//!
//! ## Frames, allocator, arena
//!
//! ```
//! use evm_pool_runtime::{EvmAllocator, FrameKind, FramePoolConfig, FramePoolManager, TxArena};
//!
//! // Call frames: the child borrows its parent, so LIFO order is checked at compile time.
//! let frames = FramePoolManager::<[u8; 32]>::new(FramePoolConfig::balanced())?;
//! let mut root = frames.acquire(FrameKind::Call, None)?;
//! let mut child = frames.acquire(FrameKind::StaticCall, Some(&mut root))?;
//! child.stack_mut().push([1; 32])?;
//! drop(child);
//! drop(root);
//! assert_eq!(frames.statistics().total.hits, 2);
//!
//! // The allocator, here for one collection (usually the `#[global_allocator]`).
//! let alloc = EvmAllocator::new(std::alloc::System);
//! let mut words = allocator_api2::vec::Vec::<[u8; 32], _>::with_capacity_in(16, &alloc);
//! words.push([0; 32]);
//! assert_eq!(alloc.stats().allocations, 1);
//!
//! // The arena: per-transaction data, reclaimed at once, chunks kept.
//! let mut arena = TxArena::with_chunk_size(4096);
//! let calldata = arena.alloc_slice_copy(&[0xa9, 0x05, 0x9c, 0xbb]);
//! assert_eq!(calldata.len(), 4);
//! arena.reset();
//! assert_eq!(arena.stats().chunks, 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # When not to pool
//!
//! Do not pool `Copy` values that live on the stack: a 32-byte word is cheaper to copy
//! than to pool. Pool what owns heap memory, or what is expensive to build. A pool keeps
//! the memory of its idle objects (up to `max` of them): a burst that is never repeated
//! leaves memory held until [`Pool::auto_shrink`] or [`Pool::shrink_to`] trims it.

pub mod alloc;
pub mod arena;
pub mod buffer;
pub mod frame;
pub mod layout;
pub mod pool;
mod reset;
mod sync;

pub use buffer::{
    BufferPool, BufferPoolConfig, BufferPoolStats, PooledBuffer, ResizeError, SizeClassStats,
};
pub use frame::MemoryWindow;
pub use frame::{
    Address, AllocationTracker, BufferStats, CALL_DEPTH_LIMIT, ClassLayout, ClassStats,
    CleanupReport, Clock, FrameClass, FrameError, FrameEvent, FrameEventKind, FrameGuard,
    FrameKind, FramePoolConfig, FramePoolManager, FrameRequest, Gas, KindCounters, LinkError,
    ManualClock, MemoryError, PatternReport, PoolStatistics, PooledFrame, PressureLevel,
    PressureReport, STACK_LIMIT, SharedMemory, SharedStack, StackError, StackWindow, SystemClock,
    TIMELINE_CAPACITY, TuneReport, Word,
};
pub use frame::{CallFrame, CallTree, FrameMemory, FrameStack};
pub use frame::{ForeignFrame, OwnedFrame};
pub use layout::{Layout, LayoutReport};
pub use pool::{
    ByteSize, ConfigError, OverflowPolicy, Pool, PoolConfig, PoolConfigBuilder, PoolError,
    PoolGuard, PoolStats,
};
pub use pool::{OwnedSyncPoolGuard, SyncPool, SyncPoolGuard};
pub use reset::{EvmPooled, Reset};

pub use alloc::{
    AllocationStatistics, AllocatorConfig, ClassCounts, Log2Histogram, RegionStats,
    SizeDistribution,
};
#[cfg(not(loom))]
pub use alloc::{EvmAllocator, Region};
pub use arena::{ArenaError, ArenaStats, Checkpoint, TxArena};
