//! The pooled EVM's buffers and pools: the frame pool manager its frames come from,
//! the shared operand-stack and memory buffers, recycled call/create input boxes, the
//! retention policy applied after each transaction, and exact statistics.
//!
//! This is the adapter between the EVM and the storage it draws from. The frames alive
//! in a transaction are kept by [`PooledEvm`](super::PooledEvm) in LIFO order (index =
//! call depth); between uses they are idle in the [`FrameManager`].

use super::frame::{InputsRecycler, PooledFrame};
use evm_pool::{
    ClassLayout, ConfigError, FramePoolConfig, FramePoolManager, OwnedFrame, PoolConfig,
    PoolStatistics,
};
use revm::interpreter::{CallInputs, CreateInputs};
use revm::primitives::U256;

/// The frame pool manager of the pooled EVM: [`evm_pool::PooledFrame`]s whose payload is
/// the pooled EVM's own frame (revm's interpreter state), so the interpreter, its
/// bytecode and its stack and memory views are reused warm with the pooled frame.
pub type FrameManager = FramePoolManager<U256, PooledFrame>;

/// A frame taken from the [`FrameManager`] while it is alive.
pub(crate) type ManagedFrame = OwnedFrame<U256, PooledFrame>;

/// The frame pool configuration [`PooledEvm::new`](super::PooledEvm::new) uses: one
/// pool shared by every kind of frame (revm's frames are one type, so the frame a
/// `CALL` gave back serves the next `STATICCALL`), 16 frames prewarmed, at most 1025
/// kept (every depth the EVM allows: a 1024-deep call chain reuses all its frames), no
/// size classes (the pooled EVM keeps nothing in the runtime frame's own buffers), and
/// the balanced preset's maintenance: every 30 s, frames idle for 30 s and used fewer
/// than 5 times are dropped, and the pool shrinks to 1.3 x the peak in use since the
/// last tick (at least 16) when fewer than 30% of its frames were in use.
///
/// ```
/// use evm_pool_revm::pooled::default_frame_config;
///
/// let config = default_frame_config();
/// assert_eq!(config.classes.configs()[0].max, 1025);
/// assert!(config.validate().is_ok());
/// ```
pub fn default_frame_config() -> FramePoolConfig {
    let mut class = PoolConfig::balanced();
    class.initial = 16;
    class.max = FRAMES_KEPT;
    FramePoolConfig {
        classes: ClassLayout::Shared(class),
        size_classes: Vec::new(),
        ..FramePoolConfig::balanced()
    }
}

/// Frames the default configuration keeps at most: depths 0 to 1024.
const FRAMES_KEPT: usize = 1025;

/// How much the stack, memory and input pools keep after a transaction.
///
/// The pools remember the demand of recent transactions (stack words, memory bytes,
/// input boxes taken) and keep what that demand needs, up to the maximums below. When a
/// large transaction has not recurred for `idle_transactions` transactions, the pools
/// shrink back to what the recent ones needed. So memory retained between transactions
/// is bounded by this policy, not by the largest transaction seen.
///
/// Frames are kept by the [`FrameManager`] under its [`FramePoolConfig`]
/// ([`default_frame_config`], or one passed to
/// [`PooledEvm::with_frame_config`](super::PooledEvm::with_frame_config)): at most the
/// class's `max` frames (a frame coming back to a full pool is dropped), idle and
/// rarely used ones dropped by the periodic cleanup, the pool shrunk by auto-tuning when
/// its utilization falls, and trimmed under memory pressure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionPolicy {
    /// Capacity of the shared stack buffer never kept beyond this, in 32-byte words.
    pub max_stack_words: usize,
    /// Capacity of the shared memory buffer never kept beyond this, in bytes.
    pub max_memory_bytes: usize,
    /// Spare call/create input boxes never kept in the pool beyond this (each kind; boxes
    /// that pooled frames keep in their own slots are bounded by the frames the
    /// [`FrameManager`] keeps, one of each kind per frame).
    pub max_spare_inputs: usize,
    /// Transactions after which an unrepeated high-water mark is forgotten.
    pub idle_transactions: u32,
    /// Frames the EVM keeps leased from the [`FrameManager`] between transactions, at
    /// most: a transaction keeps the frames at the depths it reached (so equally deep
    /// transactions make no manager traffic), but never more than this many; the deeper
    /// ones go back to the manager when the transaction ends, and its
    /// [`FramePoolConfig`] (class `max`, cleanup, auto-tuning, memory pressure) governs
    /// them from then on. Without it, what an EVM keeps after a transaction would be
    /// bounded by that transaction's depth (up to 1025 frames, about 1.2 MiB).
    pub max_leased_frames: usize,
}

impl Default for RetentionPolicy {
    /// Keeps what the last 16 transactions needed, at most 64 Ki stack words (2 MiB),
    /// 16 MiB of memory and 1025 spare boxes of each kind, and leases up to 1025 frames
    /// (every call depth: a run of transactions as deep as the EVM allows still makes
    /// no manager traffic).
    fn default() -> Self {
        Self {
            max_stack_words: 64 * 1024,
            max_memory_bytes: 16 * 1024 * 1024,
            max_spare_inputs: 1025,
            idle_transactions: 16,
            max_leased_frames: 1025,
        }
    }
}

impl RetentionPolicy {
    /// A policy that keeps small buffers and 4 spare boxes of each kind, leases at most
    /// 16 frames between transactions, and forgets a transaction's demand at once: the
    /// tightest memory bound.
    pub fn minimal() -> Self {
        Self {
            max_stack_words: 1024,
            max_memory_bytes: 64 * 1024,
            max_spare_inputs: 4,
            idle_transactions: 0,
            max_leased_frames: 16,
        }
    }
}

/// A demand figure that remembers its recent maximum for a number of transactions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct HighWater {
    mark: usize,
    age: u32,
}

impl HighWater {
    /// Records one transaction's demand; returns what to keep.
    pub(crate) fn record(&mut self, demand: usize, idle: u32) -> usize {
        // A new maximum, or an old one not repeated for `idle` transactions: start over.
        if demand >= self.mark || self.age >= idle {
            *self = Self {
                mark: demand,
                age: 0,
            };
        } else {
            self.age += 1;
        }
        self.mark
    }
}

#[cfg(test)]
mod tests {
    use super::HighWater;

    #[test]
    fn high_water_is_forgotten_after_idle_transactions() {
        let mut h = HighWater::default();
        assert_eq!(h.record(1000, 2), 1000);
        assert_eq!(h.record(5, 2), 1000);
        assert_eq!(h.record(5, 2), 1000);
        assert_eq!(h.record(7, 2), 7); // two idle transactions: shrink to current demand
        assert_eq!(h.record(900, 2), 900);
    }
}

/// The hot-path counters: plain integers, updated with one operation per frame (or only
/// on the rare path); [`FramePoolStats`] derives from them exactly
/// ([`FramePools::stats`]). Frame hits and misses are the [`FrameManager`]'s.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Counters {
    /// `frame_init` requests below the root: exactly one per `CALL`/`CREATE`, each with
    /// an inputs box (hits = requests - boxes allocated).
    pub(crate) nested_requests: u64,
    /// Boxes allocated by frames that have ended (a frame's own count,
    /// `FrameExtras::allocated`, moves here when it goes back to the manager).
    pub(crate) boxes_allocated: u64,
    /// Most frames alive at once in the current transaction (the depths it reached; 0
    /// when no frame ran): raised when a call reaches a new depth, read when the
    /// transaction ends (the frames it keeps leased) and folded into `peak_frames`.
    pub(crate) tx_depth: usize,
}

/// Demand of the current transaction, reset when it starts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct TxDemand {
    pub(crate) stack_words: usize,
    pub(crate) memory_bytes: usize,
}

/// High-water marks of recent transactions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct RecentDemand {
    pub(crate) stack_words: HighWater,
    pub(crate) memory_bytes: HighWater,
    /// Input boxes of each kind.
    pub(crate) inputs: HighWater,
}

/// Exact counters of the pooled EVM's pools, cumulative since creation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FramePoolStats {
    /// Frames served by reusing a pooled frame (the [`FrameManager`]'s hits; its
    /// [`PoolStatistics`] has the rest, [`PooledEvm::frame_statistics`](super::PooledEvm::frame_statistics)).
    pub frame_hits: u64,
    /// Frames that had to be created (the manager's misses).
    pub frame_misses: u64,
    /// `CALL`s and `CREATE`s whose inputs box was recycled.
    pub inputs_hits: u64,
    /// `CALL`s and `CREATE`s that allocated a new inputs box.
    pub inputs_misses: u64,
    /// Deepest call depth reached (frames alive at once).
    pub peak_frames: usize,
    /// Largest capacity of the shared stack buffer, in words.
    pub peak_stack_words: usize,
    /// Largest capacity of the shared memory buffer, in bytes.
    pub peak_memory_bytes: usize,
    /// Transactions after which the retention policy freed something.
    pub trims: u64,
    /// Transactions executed.
    pub transactions: u64,
}

impl FramePoolStats {
    /// Frame hits over all frame requests (1.0 when there were none).
    pub fn frame_hit_rate(&self) -> f64 {
        ratio(self.frame_hits, self.frame_misses)
    }

    /// Recycled input boxes over all `CALL`/`CREATE` inputs (1.0 when there were none).
    pub fn inputs_hit_rate(&self) -> f64 {
        ratio(self.inputs_hits, self.inputs_misses)
    }
}

fn ratio(hits: u64, misses: u64) -> f64 {
    if hits + misses == 0 {
        1.0
    } else {
        hits as f64 / (hits + misses) as f64
    }
}

/// Spare call/create input boxes, at most `max_spare` of each kind.
#[derive(Debug, Default)]
pub(crate) struct InputPools {
    // The boxes themselves are what is recycled: revm's `FrameInput` owns them.
    #[allow(clippy::vec_box)]
    call: Vec<Box<CallInputs>>,
    #[allow(clippy::vec_box)]
    create: Vec<Box<CreateInputs>>,
    max_spare: usize,
}

/// The frame pool manager, buffers and spare boxes the pooled EVM reuses.
#[derive(Debug)]
pub struct FramePools {
    /// Where frames come from and go back to.
    pub(crate) frames: FrameManager,
    /// The shared stack buffer while no frame runs.
    pub(crate) stack: Vec<U256>,
    /// The shared memory buffer while no frame runs.
    pub(crate) memory: Vec<u8>,
    pub(crate) inputs: InputPools,
    pub(crate) policy: RetentionPolicy,
    /// The cumulative figures not derived from `counters` (peaks, trims, transactions).
    pub(crate) stats: FramePoolStats,
    pub(crate) counters: Counters,
    pub(crate) demand: TxDemand,
    pub(crate) recent: RecentDemand,
    /// Every entry of `recent` is at rest (mark 0, age 0) and the last full
    /// end-of-transaction pass trimmed the buffers to zero demand: a transaction that
    /// runs no frame leaves `recent`, the buffers and the peaks as they are, so the
    /// pooled EVM skips their bookkeeping (of these pools, only
    /// [`trim_inputs`](Self::trim_inputs) runs, with 0 and 0).
    pub(crate) settled: bool,
}

impl Default for FramePools {
    /// [`FramePools::new`] with the default [`RetentionPolicy`].
    fn default() -> Self {
        Self::new(RetentionPolicy::default())
    }
}

impl FramePools {
    /// Empty pools with `policy`, and a [`FrameManager`] with [`default_frame_config`]
    /// (its prewarmed frames are created here).
    ///
    /// ```
    /// use evm_pool_revm::pooled::{FramePools, RetentionPolicy};
    ///
    /// let pools = FramePools::new(RetentionPolicy::minimal());
    /// assert_eq!(pools.frame_manager().statistics().total.available, 16);
    /// ```
    pub fn new(policy: RetentionPolicy) -> Self {
        match Self::with_frame_config(policy, default_frame_config()) {
            Ok(pools) => pools,
            // `default_frame_config` is valid (its doc test and the unit tests check).
            Err(error) => unreachable!("default frame config: {error}"),
        }
    }

    /// Empty pools with `policy`, and a [`FrameManager`] with `config` (validated).
    ///
    /// ```
    /// use evm_pool::FramePoolConfig;
    /// use evm_pool_revm::pooled::{FramePools, RetentionPolicy};
    ///
    /// let pools = FramePools::with_frame_config(RetentionPolicy::default(), FramePoolConfig::minimal())?;
    /// assert_eq!(pools.frame_manager().statistics().total.available, 32);
    /// let mut bad = FramePoolConfig::minimal();
    /// bad.max_pooled_bytes = 0;
    /// assert!(FramePools::with_frame_config(RetentionPolicy::default(), bad).is_err());
    /// # Ok::<(), evm_pool::ConfigError>(())
    /// ```
    pub fn with_frame_config(
        policy: RetentionPolicy,
        config: FramePoolConfig,
    ) -> Result<Self, ConfigError> {
        Ok(Self {
            frames: FrameManager::new(config)?,
            stack: Vec::new(),
            memory: Vec::new(),
            inputs: InputPools {
                max_spare: policy.max_spare_inputs,
                ..InputPools::default()
            },
            policy,
            stats: FramePoolStats::default(),
            counters: Counters::default(),
            demand: TxDemand::default(),
            recent: RecentDemand::default(),
            settled: false,
        })
    }

    /// The frame pool manager the frames come from.
    pub fn frame_manager(&self) -> &FrameManager {
        &self.frames
    }

    /// The frame pool manager's statistics (hits, misses, returns, overflows, in use,
    /// peak, idle frames and their bytes).
    pub fn frame_statistics(&self) -> PoolStatistics {
        self.frames.statistics()
    }

    /// Exact statistics; `allocated_in_frames` = boxes allocated by the frames alive
    /// now (their `FrameExtras::allocated`, summed).
    pub(crate) fn stats(&self, allocated_in_frames: u64) -> FramePoolStats {
        let c = self.counters;
        let inputs_misses = c.boxes_allocated + allocated_in_frames;
        let frames = self.frames.statistics().total;
        FramePoolStats {
            frame_hits: frames.hits,
            frame_misses: frames.misses,
            inputs_hits: c.nested_requests - inputs_misses,
            inputs_misses,
            peak_frames: self.stats.peak_frames.max(c.tx_depth),
            ..self.stats
        }
    }

    /// A recycled call-inputs box, if one is spare.
    #[inline]
    pub(crate) fn spare_call(&mut self) -> Option<Box<CallInputs>> {
        self.inputs.call.pop()
    }

    /// Whether a recycled create-inputs box is spare (a check without touching the
    /// demand counters).
    #[inline]
    pub(crate) fn has_spare_create(&self) -> bool {
        !self.inputs.create.is_empty()
    }

    /// A recycled create-inputs box, if one is spare.
    #[inline]
    pub(crate) fn spare_create(&mut self) -> Option<Box<CreateInputs>> {
        self.inputs.create.pop()
    }

    /// Total heap bytes the pools hold now: stack and memory buffer capacity, spare
    /// boxes, and the frame manager's idle frames ([`FramePoolManager::bytes_held`];
    /// the boxes in their slots are counted by the EVM).
    pub fn retained_bytes(&self) -> usize {
        let inputs = &self.inputs;
        self.stack.capacity() * size_of::<U256>()
            + self.memory.capacity()
            + inputs.call.len() * size_of::<CallInputs>()
            + inputs.create.len() * size_of::<CreateInputs>()
            + inputs.call.capacity() * size_of::<usize>()
            + inputs.create.capacity() * size_of::<usize>()
            + self.frames.bytes_held() as usize
    }

    /// Applies the retention policy to the stack buffer and the spare boxes after a
    /// transaction; returns whether anything was freed.
    pub(crate) fn trim(&mut self) -> bool {
        let p = self.policy;
        let mut trimmed = false;
        self.stats.peak_stack_words = self.stats.peak_stack_words.max(self.stack.capacity());
        let keep = self
            .recent
            .stack_words
            .record(self.demand.stack_words, p.idle_transactions)
            .min(p.max_stack_words);
        // The buffer needs one frame's limit above the deepest base. Hysteresis: shrink
        // only when twice what is needed is held.
        let keep = keep + STACK_WORDS_FLOOR;
        if self.stack.capacity() > 2 * keep {
            self.stack.truncate(keep);
            self.stack.shrink_to(keep);
            trimmed = true;
        }
        // A box is held by a running frame's slot or by its child's inputs: at most two
        // of each kind per frame alive at once.
        let keep = self
            .recent
            .inputs
            .record(2 * self.counters.tx_depth, p.idle_transactions)
            .min(p.max_spare_inputs);
        trimmed | self.trim_inputs(keep, keep)
    }

    /// Drops the spare input boxes beyond `keep_call` call boxes and `keep_create`
    /// create boxes. Returns whether any went. [`trim`](Self::trim) passes the kept
    /// sizes it recorded; the end of a frameless transaction on settled pools passes
    /// 0 and 0 (every demand records 0 there, so that is what `trim` would keep).
    #[inline(always)]
    pub(crate) fn trim_inputs(&mut self, keep_call: usize, keep_create: usize) -> bool {
        let (call, create) = (&mut self.inputs.call, &mut self.inputs.create);
        let mut trimmed = false;
        if call.len() > keep_call {
            call.truncate(keep_call);
            trimmed = true;
        }
        if create.len() > keep_create {
            create.truncate(keep_create);
            trimmed = true;
        }
        trimmed
    }
}

/// Stack capacity (words) never worth shrinking below: 1024 words is one frame's limit.
const STACK_WORDS_FLOOR: usize = 1024;

impl InputsRecycler for InputPools {
    #[inline]
    fn recycle_call(&mut self, inputs: Box<CallInputs>) {
        // Beyond the cap the box is freed at once, so the list never grows past it.
        if self.call.len() < self.max_spare {
            self.call.push(inputs);
        }
    }

    #[inline]
    fn recycle_create(&mut self, inputs: Box<CreateInputs>) {
        if self.create.len() < self.max_spare {
            self.create.push(inputs);
        }
    }
}
