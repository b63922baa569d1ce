//! Call frames: a pool manager that hands out EVM call frames by kind and size class,
//! enforces the EVM's nesting rules, and backs every frame of a call tree with one
//! shared operand stack and one shared memory buffer.
//!
//! # The model
//!
//! An EVM call tree is LIFO: a child frame always ends before its parent resumes, and
//! only the innermost frame runs. This module builds on that:
//!
//! - [`FramePoolManager::acquire`]`(kind, parent)` hands out a [`PooledFrame`] inside a
//!   [`FrameGuard`]. Frames come from per-[`FrameClass`] pools (the spec's eight classes;
//!   `CALLCODE` shares `CALL`'s) and, inside a class, from size classes by the capacity
//!   their own buffers grew to, smallest fitting first.
//! - [`FramePoolManager::call_tree`] is the nested API: a [`CallTree`] per transaction
//!   opens a root [`CallFrame`], and [`CallFrame::call`] opens a child that borrows its
//!   parent mutably, so the borrow checker proves LIFO order and the child's stack and
//!   memory are windows ([`FrameStack`], [`FrameMemory`]) of the tree's two buffers from
//!   the parent's top. The cheapest path when the interpreter recurses; see [`nested`].
//! - EVM rules decide nesting, not the pool: depth at most [`CALL_DEPTH_LIMIT`] (1024;
//!   the 1025th nested call is [`FrameError::DepthLimit`]), EIP-150 gas forwarding (all
//!   but one 64th), static frames have static children and refuse `CREATE`, `CREATE2`
//!   and value-carrying `CALL`, precompiles have no children.
//! - The operand stack and memory of every frame of one call tree live in one growable
//!   buffer each ([`SharedStack`], [`SharedMemory`]), with per-frame base offsets,
//!   handed to the child on entry and back on release. A 1024-deep tree costs what it
//!   uses, not 1024 preallocated 32 KiB stacks. See [`shared`] for the design and its
//!   safety argument (no `unsafe`).
//! - The manager tunes itself ([`FramePoolManager::auto_tune`]), drops idle and
//!   oversized frames ([`FramePoolManager::cleanup`]), and trims under memory pressure
//!   ([`FramePoolManager::check_memory_pressure`]); time comes from a [`Clock`], so
//!   tests use a [`ManualClock`].
//! - [`PoolStatistics`] reports the crate's [`PoolStats`](crate::PoolStats) per class
//!   and in total; [`AllocationTracker`] keeps per-kind counters and a bounded timeline
//!   with [`PatternReport`]s.
//!
//! ```
//! use evm_pool_runtime::{FrameKind, FramePoolConfig, FramePoolManager, FrameRequest};
//!
//! let manager = FramePoolManager::<[u8; 32]>::new(FramePoolConfig::high_performance())?;
//! for _tx in 0..3 {
//!     let mut root = manager.acquire_with(FrameRequest::new(FrameKind::Call).gas(1_000_000), None)?;
//!     root.memory_mut().resize(64)?;
//!     let mut child = manager.acquire(FrameKind::DelegateCall, Some(&mut root))?;
//!     child.stack_mut().push([7; 32])?;
//!     assert_eq!(child.memory().local_offset(), 64); // above the caller's memory
//! }
//! let stats = manager.statistics();
//! assert_eq!((stats.total.hits, stats.total.misses), (6, 0));
//! assert_eq!(stats.buffers.reused, 2); // trees 2 and 3 reused tree 1's buffers
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Threads
//!
//! A [`FramePoolManager`] is single-threaded: it is `Send` but not `Sync`, and its
//! guards borrow it. An EVM executes one transaction per thread at a time, so give
//! each executor thread its own manager (owned by the thread's executor or in a
//! `thread_local!`) and merge their statistics with [`PoolStatistics::merge`]. No
//! locks, no contention, and frames never cross threads.
//!
//! ```
//! use evm_pool_runtime::{FrameKind, FramePoolConfig, FramePoolManager, PoolStatistics};
//!
//! let per_thread: Vec<PoolStatistics> = std::thread::scope(|s| {
//!     let workers: Vec<_> = (0..2)
//!         .map(|_| {
//!             s.spawn(|| {
//!                 let manager = FramePoolManager::<[u8; 32]>::new(FramePoolConfig::balanced()).unwrap();
//!                 for _ in 0..10 {
//!                     let mut root = manager.acquire(FrameKind::Call, None).unwrap();
//!                     drop(manager.acquire(FrameKind::StaticCall, Some(&mut root)).unwrap());
//!                 }
//!                 manager.statistics()
//!             })
//!         })
//!         .collect();
//!     workers.into_iter().map(|w| w.join().unwrap()).collect()
//! });
//! let mut total = PoolStatistics::default();
//! for stats in &per_thread {
//!     total.merge(stats);
//! }
//! assert_eq!(total.total.acquires(), 40);
//! ```

mod clock;
mod config;
mod kind;
mod manager;
mod memory_window;
pub mod nested;
mod owned;
mod pooled;
pub mod shared;
mod stats;
mod tracker;

use std::fmt;

pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{ClassLayout, FramePoolConfig};
pub use kind::{FrameClass, FrameKind};
pub use manager::{
    CleanupReport, FrameGuard, FramePoolManager, PressureLevel, PressureReport, TuneReport,
};
pub use memory_window::MemoryWindow;
pub use nested::{CallFrame, CallTree, FrameMemory, FrameStack};
pub use owned::{ForeignFrame, OwnedFrame};
pub use pooled::{Address, CALL_DEPTH_LIMIT, FrameRequest, Gas, PooledFrame};
pub use shared::{
    LinkError, MemoryError, STACK_LIMIT, SharedMemory, SharedStack, StackError, StackWindow, Word,
};
pub use stats::{BufferStats, ClassStats, PoolStatistics};
pub use tracker::{
    AllocationTracker, FrameEvent, FrameEventKind, KindCounters, PatternReport, TIMELINE_CAPACITY,
};

/// Why a frame could not be opened. Nothing was taken from a pool.
///
/// ```
/// use evm_pool_runtime::{FrameError, FrameKind, FramePoolConfig, FramePoolManager};
///
/// let manager = FramePoolManager::<[u8; 32]>::new(FramePoolConfig::balanced())?;
/// let mut root = manager.acquire(FrameKind::StaticCall, None)?;
/// assert_eq!(
///     manager.acquire(FrameKind::Create, Some(&mut root)).unwrap_err(),
///     FrameError::StaticViolation { kind: FrameKind::Create }
/// );
/// assert_eq!(manager.statistics().total.in_use, 1); // the refusal took nothing
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FrameError {
    /// The parent is already at the deepest call depth.
    DepthLimit {
        /// The limit, [`CALL_DEPTH_LIMIT`].
        limit: usize,
    },
    /// A static frame may not open this child (`CREATE`, `CREATE2`, or a `CALL` with
    /// value).
    StaticViolation {
        /// The refused kind.
        kind: FrameKind,
    },
    /// Precompiles run native code and open no frames.
    PrecompileHasNoChildren,
    /// The parent's stack or memory view is not running (its buffer was swapped out).
    ParentNotRunning,
    /// The class's pool is at its max and its overflow policy is
    /// [`OverflowPolicy::Fail`](crate::OverflowPolicy::Fail).
    Exhausted {
        /// The class.
        class: FrameClass,
        /// Its max.
        max: usize,
    },
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::DepthLimit { limit } => {
                write!(f, "call depth limit of {limit} reached")
            }
            FrameError::StaticViolation { kind } => {
                write!(f, "{kind} is not allowed inside a static call")
            }
            FrameError::PrecompileHasNoChildren => {
                f.write_str("a precompile frame cannot open child frames")
            }
            FrameError::ParentNotRunning => {
                f.write_str("the parent frame's stack or memory view is not running")
            }
            FrameError::Exhausted { class, max } => write!(
                f,
                "frame pool {class} exhausted: all {max} frames in use (overflow policy `Fail`)"
            ),
        }
    }
}

impl std::error::Error for FrameError {}

#[cfg(test)]
mod tests;
