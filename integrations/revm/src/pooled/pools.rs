//! The pooled EVM's buffers and pools: the shared operand-stack buffer, recycled
//! call/create input boxes, the retention policy applied after each transaction, and
//! exact statistics.
//!
//! This is the adapter between the EVM and the storage it draws from. Frames themselves
//! are kept by [`PooledEvm`](super::PooledEvm) in LIFO order (index = call depth) and
//! counted here.

use super::frame::InputsRecycler;
use revm::interpreter::{CallInputs, CreateInputs};
use revm::primitives::U256;

/// How much the pools keep after a transaction.
///
/// The pools remember the demand of recent transactions (frames alive at once, stack
/// words, memory bytes, input boxes alive at once) and keep what that demand needs,
/// within `[min, max]`. When a deep transaction has not recurred for `idle_transactions`
/// transactions, the pools shrink back to what the recent ones needed. So memory retained
/// between transactions is bounded by this policy, not by the deepest transaction seen,
/// and a workload that keeps needing deep call trees keeps its frames warm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionPolicy {
    /// Frames always kept once created.
    pub min_frames: usize,
    /// Frames never kept beyond this (1025 = every depth the EVM allows).
    pub max_frames: usize,
    /// Capacity of the shared stack buffer never kept beyond this, in 32-byte words.
    pub max_stack_words: usize,
    /// Capacity of the shared memory buffer never kept beyond this, in bytes.
    pub max_memory_bytes: usize,
    /// Spare call/create input boxes never kept in the pool beyond this (each kind; boxes
    /// that pooled frames keep in their own slots are bounded by the frame count).
    pub max_spare_inputs: usize,
    /// Transactions after which an unrepeated high-water mark is forgotten.
    pub idle_transactions: u32,
}

impl Default for RetentionPolicy {
    /// Keeps what the last 16 transactions needed, at most 1025 frames (about 0.55 MiB),
    /// 64 Ki stack words (2 MiB), 16 MiB of memory and 1025 spare boxes of each kind;
    /// at least 16 frames.
    fn default() -> Self {
        Self {
            min_frames: 16,
            max_frames: 1025,
            max_stack_words: 64 * 1024,
            max_memory_bytes: 16 * 1024 * 1024,
            max_spare_inputs: 1025,
            idle_transactions: 16,
        }
    }
}

impl RetentionPolicy {
    /// A policy that keeps nothing beyond `min_frames` frames and small buffers: the
    /// tightest memory bound, at the cost of re-creating frames for deep transactions.
    pub fn minimal() -> Self {
        Self {
            min_frames: 4,
            max_frames: 4,
            max_stack_words: 1024,
            max_memory_bytes: 64 * 1024,
            max_spare_inputs: 4,
            idle_transactions: 0,
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
/// ([`FramePools::stats`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Counters {
    /// Frames entered (hits = entered - misses).
    pub(crate) frames_entered: u64,
    /// Frames entered at a depth no pooled frame had run at before.
    pub(crate) frame_misses: u64,
    /// `frame_init` requests below the root: exactly one per `CALL`/`CREATE`, each with
    /// an inputs box (hits = requests - boxes allocated).
    pub(crate) nested_requests: u64,
    /// Boxes allocated by frame slots that are gone (trimmed); the pooled slots count
    /// their own (`FrameExtras::allocated`).
    pub(crate) retired_allocated: u64,
    /// Most frames alive at once in the current transaction (applied to the retention
    /// policy and `peak_frames` at its end).
    pub(crate) tx_depth: usize,
}

/// Demand of the current transaction, reset when it starts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct TxDemand {
    pub(crate) stack_words: usize,
    pub(crate) memory_bytes: usize,
    /// Boxes taken from the pool (frames' own spare slots are not counted).
    pub(crate) call_inputs: usize,
    pub(crate) create_inputs: usize,
}

/// High-water marks of recent transactions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct RecentDemand {
    pub(crate) frames: HighWater,
    pub(crate) stack_words: HighWater,
    pub(crate) memory_bytes: HighWater,
    pub(crate) call_inputs: HighWater,
    pub(crate) create_inputs: HighWater,
}

/// Exact counters of the pooled EVM's pools, cumulative since creation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FramePoolStats {
    /// Frames served by reusing a pooled frame.
    pub frame_hits: u64,
    /// Frames that had to be created (the pool had none at that depth).
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

/// The buffers and spare boxes the pooled EVM reuses.
#[derive(Debug, Default)]
pub struct FramePools {
    /// The shared stack buffer while no frame runs.
    pub(crate) stack: Vec<U256>,
    /// The shared memory buffer while no frame runs.
    pub(crate) memory: Vec<u8>,
    // The boxes themselves are what is recycled: revm's `FrameInput` owns them.
    #[allow(clippy::vec_box)]
    call_inputs: Vec<Box<CallInputs>>,
    #[allow(clippy::vec_box)]
    create_inputs: Vec<Box<CreateInputs>>,
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

impl FramePools {
    /// Empty pools with `policy`.
    pub fn new(policy: RetentionPolicy) -> Self {
        Self {
            policy,
            ..Self::default()
        }
    }

    /// Exact statistics; `allocated_in_slots` = boxes allocated by the pooled frames'
    /// slots (their `FrameExtras::allocated`, summed).
    pub(crate) fn stats(&self, allocated_in_slots: u64) -> FramePoolStats {
        let c = self.counters;
        let inputs_misses = c.retired_allocated + allocated_in_slots;
        FramePoolStats {
            frame_hits: c.frames_entered - c.frame_misses,
            frame_misses: c.frame_misses,
            inputs_hits: c.nested_requests - inputs_misses,
            inputs_misses,
            peak_frames: self.stats.peak_frames.max(c.tx_depth),
            ..self.stats
        }
    }

    /// A recycled call-inputs box, if one is spare.
    #[inline]
    pub(crate) fn spare_call(&mut self) -> Option<Box<CallInputs>> {
        let spare = self.call_inputs.pop();
        self.demand.call_inputs += usize::from(spare.is_some());
        spare
    }

    /// Whether a recycled create-inputs box is spare (a check without touching the
    /// demand counters).
    #[inline]
    pub(crate) fn has_spare_create(&self) -> bool {
        !self.create_inputs.is_empty()
    }

    /// A recycled create-inputs box, if one is spare.
    #[inline]
    pub(crate) fn spare_create(&mut self) -> Option<Box<CreateInputs>> {
        let spare = self.create_inputs.pop();
        self.demand.create_inputs += usize::from(spare.is_some());
        spare
    }

    /// Total heap bytes the pools hold now (stack and memory buffer capacity and spare
    /// boxes; frames are counted by the EVM).
    pub fn retained_bytes(&self) -> usize {
        self.stack.capacity() * size_of::<U256>()
            + self.memory.capacity()
            + self.call_inputs.len() * size_of::<CallInputs>()
            + self.create_inputs.len() * size_of::<CreateInputs>()
            + self.call_inputs.capacity() * size_of::<usize>()
            + self.create_inputs.capacity() * size_of::<usize>()
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
        let keep_call = self
            .recent
            .call_inputs
            .record(self.demand.call_inputs, p.idle_transactions)
            .min(p.max_spare_inputs);
        let keep_create = self
            .recent
            .create_inputs
            .record(self.demand.create_inputs, p.idle_transactions)
            .min(p.max_spare_inputs);
        trimmed | self.trim_inputs(keep_call, keep_create)
    }

    /// Drops the spare input boxes beyond `keep_call` call boxes and `keep_create`
    /// create boxes. Returns whether any went. [`trim`](Self::trim) passes the kept
    /// sizes it recorded; the end of a frameless transaction on settled pools passes
    /// 0 and 0 (every demand records 0 there, so that is what `trim` would keep).
    #[inline(always)]
    pub(crate) fn trim_inputs(&mut self, keep_call: usize, keep_create: usize) -> bool {
        let mut trimmed = false;
        if self.call_inputs.len() > keep_call {
            self.call_inputs.truncate(keep_call);
            trimmed = true;
        }
        if self.create_inputs.len() > keep_create {
            self.create_inputs.truncate(keep_create);
            trimmed = true;
        }
        trimmed
    }
}

/// Stack capacity (words) never worth shrinking below: 1024 words is one frame's limit.
const STACK_WORDS_FLOOR: usize = 1024;

impl InputsRecycler for FramePools {
    #[inline]
    fn recycle_call(&mut self, inputs: Box<CallInputs>) {
        // Beyond the cap the box is freed at once, so the list never grows past it.
        if self.call_inputs.len() < self.policy.max_spare_inputs {
            self.call_inputs.push(inputs);
        }
    }

    #[inline]
    fn recycle_create(&mut self, inputs: Box<CreateInputs>) {
        if self.create_inputs.len() < self.policy.max_spare_inputs {
            self.create_inputs.push(inputs);
        }
    }
}
