//! Statistics of a frame pool manager: the shared [`PoolStats`] counters per class and
//! in total, plus the call-tree buffers.

use std::fmt;

use crate::pool::{ByteSize, PoolStats};

use super::kind::FrameClass;

/// One pool's counters. `class` is `None` for the single pool of a shared layout
/// ([`FramePoolConfig::minimal`](crate::FramePoolConfig::minimal)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClassStats {
    /// The class this pool serves, or `None` when one pool serves every kind.
    pub class: Option<FrameClass>,
    /// Its counters: the same [`PoolStats`] every pool in the crate reports.
    pub stats: PoolStats,
}

/// The call trees' shared stack and memory buffers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BufferStats {
    /// Call trees started (root frames acquired).
    pub trees: u64,
    /// Trees that got a kept buffer pair instead of fresh ones.
    pub reused: u64,
    /// Largest stack buffer seen when a tree ended, in bytes of capacity.
    pub peak_stack_bytes: u64,
    /// Largest memory buffer seen when a tree ended, in bytes of capacity.
    pub peak_memory_bytes: u64,
    /// Idle buffer pairs kept for the next trees.
    pub spare: u64,
    /// Bytes those idle buffers hold.
    pub spare_bytes: u64,
    /// Releases whose stack or memory could not be handed back to the parent because a
    /// view had been swapped out by the user (the parent then stays suspended).
    pub link_errors: u64,
}

impl BufferStats {
    /// Adds another manager's counters (peaks take the maximum).
    pub fn merge(&mut self, other: &BufferStats) {
        self.trees += other.trees;
        self.reused += other.reused;
        self.peak_stack_bytes = self.peak_stack_bytes.max(other.peak_stack_bytes);
        self.peak_memory_bytes = self.peak_memory_bytes.max(other.peak_memory_bytes);
        self.spare += other.spare;
        self.spare_bytes += other.spare_bytes;
        self.link_errors += other.link_errors;
    }
}

/// A snapshot of a [`FramePoolManager`](crate::FramePoolManager)'s statistics: every
/// pool's [`PoolStats`], their total, and the shared buffers.
///
/// ```
/// use evm_pool_runtime::{FrameKind, FramePoolConfig, FramePoolManager};
///
/// let manager = FramePoolManager::<[u8; 32]>::new(FramePoolConfig::balanced())?;
/// {
///     let mut root = manager.acquire(FrameKind::Call, None)?;
///     let _child = manager.acquire(FrameKind::StaticCall, Some(&mut root))?;
/// }
/// let stats = manager.statistics();
/// assert_eq!(stats.total.hits, 2);
/// assert_eq!(stats.total.returns, 2);
/// assert_eq!(stats.buffers.trees, 1);
/// println!("{stats}");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PoolStatistics {
    /// One entry per pool, in [`FrameClass::ALL`] order (one entry for a shared layout).
    pub classes: Vec<ClassStats>,
    /// All pools together.
    pub total: PoolStats,
    /// The call trees' shared buffers.
    pub buffers: BufferStats,
}

impl PoolStatistics {
    /// The counters of the pool serving `class` (the shared pool in a shared layout).
    pub fn class(&self, class: FrameClass) -> Option<&PoolStats> {
        self.classes
            .iter()
            .find(|c| c.class.is_none() || c.class == Some(class))
            .map(|c| &c.stats)
    }

    /// Adds another manager's statistics, class by class (for one manager per thread).
    /// Classes missing here are appended.
    ///
    /// ```
    /// use evm_pool_runtime::{FrameKind, FramePoolConfig, FramePoolManager};
    ///
    /// let a = FramePoolManager::<[u8; 32]>::new(FramePoolConfig::minimal())?;
    /// let b = FramePoolManager::<[u8; 32]>::new(FramePoolConfig::minimal())?;
    /// drop(a.acquire(FrameKind::Call, None)?);
    /// drop(b.acquire(FrameKind::Call, None)?);
    /// let mut total = a.statistics();
    /// total.merge(&b.statistics());
    /// assert_eq!(total.total.hits, 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn merge(&mut self, other: &PoolStatistics) {
        for theirs in &other.classes {
            match self.classes.iter_mut().find(|c| c.class == theirs.class) {
                Some(ours) => ours.stats.merge(&theirs.stats),
                None => self.classes.push(*theirs),
            }
        }
        self.total.merge(&other.total);
        self.buffers.merge(&other.buffers);
    }
}

impl fmt::Display for PoolStatistics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<13} {:>10} {:>10} {:>8} {:>8} {:>8} {:>7} {:>7} {:>8} {:>10}",
            "class",
            "acquires",
            "hits",
            "misses",
            "hit %",
            "returns",
            "in use",
            "peak",
            "idle",
            "held"
        )?;
        let rows = self
            .classes
            .iter()
            .map(|c| (c.class.map_or("Shared", FrameClass::name), &c.stats))
            .chain(std::iter::once(("total", &self.total)));
        for (name, s) in rows {
            writeln!(
                f,
                "{:<13} {:>10} {:>10} {:>8} {:>7.2}% {:>8} {:>7} {:>7} {:>8} {:>10}",
                name,
                s.acquires(),
                s.hits,
                s.misses,
                s.hit_rate() * 100.0,
                s.returns,
                s.in_use,
                s.peak_in_use,
                s.available,
                ByteSize(s.bytes_held).to_string()
            )?;
        }
        let t = &self.total;
        writeln!(
            f,
            "created {}  overflows {}  discards {}  expansions {}  shrinkages {}  utilization {:.2}%",
            t.created,
            t.overflows,
            t.discards,
            t.expansions,
            t.shrinkages,
            t.utilization() * 100.0
        )?;
        let b = &self.buffers;
        write!(
            f,
            "call trees {} (buffers reused {})  peak stack {}  peak memory {}  spare {} ({})",
            b.trees,
            b.reused,
            ByteSize(b.peak_stack_bytes),
            ByteSize(b.peak_memory_bytes),
            b.spare,
            ByteSize(b.spare_bytes)
        )?;
        if b.link_errors > 0 {
            write!(f, "  link errors {}", b.link_errors)?;
        }
        Ok(())
    }
}
