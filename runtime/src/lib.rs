//! The run-time half of [evm-pool](https://docs.rs/evm-pool): typed object pools, byte
//! buffer pools, and the traits that make a type poolable.
//!
//! Most users depend on the `evm-pool` facade, which re-exports everything here together
//! with the `#[optimize_layout]` and `#[derive(Pooled)]` macros.
//!
//! # The model
//!
//! An EVM allocates the same shapes over and over: call frames, operand stacks, memory
//! buffers, call inputs. A pool keeps those objects after use and hands them out again,
//! so the allocator is asked once per object rather than once per call:
//!
//! - [`Reset`] puts a value back into its fresh state **keeping its allocations**
//!   (a `Vec` is cleared, not freed) in O(what was used).
//! - [`EvmPooled`] is what a pool needs of a type: create fresh, reset for reuse, and the
//!   default [`PoolConfig`]. Every `T: Default + Reset` has it.
//! - [`Pool<T>`] is single-threaded; [`Pool::acquire`] returns a [`PoolGuard`] that
//!   resets and returns the object when dropped.
//! - [`PoolConfig`] sets initial and maximum sizes, growth, shrinking and the
//!   [`OverflowPolicy`]; presets match common needs, and [`PoolConfig::disabled`] is the
//!   honest baseline of plain allocation.
//! - [`PoolStats`] counts every hit, miss, return and overflow exactly.
//!
//! ```
//! use evm_pool_runtime::{Pool, PoolConfig};
//!
//! let pool = Pool::<Vec<u8>>::with_config(PoolConfig::minimal())?;
//! for tx in 0..100u8 {
//!     let mut memory = pool.acquire();
//!     memory.resize(1024, tx);
//! }
//! let stats = pool.stats();
//! assert_eq!(stats.hits, 100);
//! assert_eq!(stats.created, 32); // the prewarmed stock, nothing more
//! # Ok::<(), evm_pool_runtime::ConfigError>(())
//! ```
//!
//! # When not to pool
//!
//! Do not pool `Copy` values that live on the stack: a 32-byte word is cheaper to copy
//! than to pool. Pool what owns heap memory, or what is expensive to build.

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
pub use frame::{
    Address, AllocationTracker, BufferStats, CALL_DEPTH_LIMIT, ClassLayout, ClassStats,
    CleanupReport, Clock, FrameClass, FrameError, FrameEvent, FrameEventKind, FrameGuard,
    FrameKind, FramePoolConfig, FramePoolManager, FrameRequest, Gas, KindCounters, LinkError,
    ManualClock, MemoryError, PatternReport, PoolStatistics, PooledFrame, PressureLevel,
    PressureReport, STACK_LIMIT, SharedMemory, SharedStack, StackError, StackWindow, SystemClock,
    TIMELINE_CAPACITY, TuneReport, Word,
};
pub use layout::{Layout, LayoutReport};
pub use pool::{
    ByteSize, ConfigError, OverflowPolicy, Pool, PoolConfig, PoolConfigBuilder, PoolError,
    PoolGuard, PoolStats,
};
pub use pool::{OwnedSyncPoolGuard, SyncPool, SyncPoolGuard};
pub use reset::{EvmPooled, Reset};

pub use alloc::{
    AllocationStatistics, AllocatorConfig, ClassCounts, EvmAllocator, Log2Histogram, Region,
    RegionStats, SizeDistribution,
};
pub use arena::{ArenaError, ArenaStats, Checkpoint, TxArena};
