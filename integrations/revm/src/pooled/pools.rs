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

/// How much the pools keep after a transaction. Whatever exceeds it is freed, so memory
/// retained between transactions is bounded by this policy, not by the deepest
/// transaction seen so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionPolicy {
    /// Frames kept for reuse (revm keeps every frame it ever created).
    pub max_frames: usize,
    /// Capacity of the shared stack buffer kept, in 32-byte words.
    pub max_stack_words: usize,
    /// Capacity of the shared memory buffer kept, in bytes.
    pub max_memory_bytes: usize,
    /// Spare call/create input boxes kept (each kind).
    pub max_spare_inputs: usize,
}

impl Default for RetentionPolicy {
    /// Room for a typical transaction (p99.9 call depth is 8) with margin: 32 frames,
    /// 8 Ki stack words (256 KiB), 1 MiB of memory, 32 spare boxes.
    fn default() -> Self {
        Self {
            max_frames: 32,
            max_stack_words: 8 * 1024,
            max_memory_bytes: 1024 * 1024,
            max_spare_inputs: 32,
        }
    }
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
    // The boxes themselves are what is recycled: revm's `FrameInput` owns them.
    #[allow(clippy::vec_box)]
    call_inputs: Vec<Box<CallInputs>>,
    #[allow(clippy::vec_box)]
    create_inputs: Vec<Box<CreateInputs>>,
    pub(crate) policy: RetentionPolicy,
    pub(crate) stats: FramePoolStats,
}

impl FramePools {
    /// Empty pools with `policy`.
    pub fn new(policy: RetentionPolicy) -> Self {
        Self {
            policy,
            ..Self::default()
        }
    }

    /// A recycled call-inputs box, if one is spare.
    #[inline]
    pub(crate) fn spare_call(&mut self) -> Option<Box<CallInputs>> {
        self.call_inputs.pop()
    }

    /// Total heap bytes the pools hold now (stack buffer capacity and spare boxes; frames
    /// and memory are counted by the EVM).
    pub fn retained_bytes(&self) -> usize {
        self.stack.capacity() * size_of::<U256>()
            + self.call_inputs.len() * size_of::<CallInputs>()
            + self.create_inputs.len() * size_of::<CreateInputs>()
            + self.call_inputs.capacity() * size_of::<usize>()
            + self.create_inputs.capacity() * size_of::<usize>()
    }

    /// Applies the retention policy; returns whether anything was freed.
    pub(crate) fn trim(&mut self) -> bool {
        let p = self.policy;
        let mut trimmed = false;
        self.stats.peak_stack_words = self.stats.peak_stack_words.max(self.stack.capacity());
        self.stack.clear();
        if self.stack.capacity() > p.max_stack_words {
            self.stack.shrink_to(p.max_stack_words);
            trimmed = true;
        }
        if self.call_inputs.len() > p.max_spare_inputs {
            self.call_inputs.truncate(p.max_spare_inputs);
            self.call_inputs.shrink_to(p.max_spare_inputs);
            trimmed = true;
        }
        if self.create_inputs.len() > p.max_spare_inputs {
            self.create_inputs.truncate(p.max_spare_inputs);
            self.create_inputs.shrink_to(p.max_spare_inputs);
            trimmed = true;
        }
        trimmed
    }
}

impl InputsRecycler for FramePools {
    #[inline]
    fn recycle_call(&mut self, inputs: Box<CallInputs>) {
        self.call_inputs.push(inputs);
    }

    #[inline]
    fn recycle_create(&mut self, inputs: Box<CreateInputs>) {
        self.create_inputs.push(inputs);
    }
}
