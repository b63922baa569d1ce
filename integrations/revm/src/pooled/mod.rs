//! The pooled EVM: real revm (its handler, interpreter, instructions, journal and
//! precompiles) with call frames, operand stacks, memory and call inputs drawn from
//! pools.
//!
//! revm's handler drives execution through two traits, [`EvmTr`] (create, run and
//! return frames) and [`FrameTr`](revm::handler::FrameTr). [`PooledEvm`] implements them
//! for its own frame type, so revm's [`Handler`] runs transactions on it (every step
//! revm's default, as in its [`MainnetHandler`](revm::handler::MainnetHandler), except
//! that the execution loop's three steps are fused into one loop over the same steps),
//! and it implements [`ExecuteEvm`] so users call `transact` as on stock revm.
//!
//! What changes against stock revm:
//!
//! | | stock revm | pooled EVM |
//! |---|---|---|
//! | operand stacks | one 32 KiB `Vec` per frame, kept forever | windows of one shared buffer ([`PooledStack`]) |
//! | frames | created on first use at each depth, kept forever | leased from a [`FrameManager`] (the runtime's `FramePoolManager`, revm's frame as each pooled frame's payload): a transaction keeps the frames at the depths it reached for the next one and gives the deeper ones back, so the manager's acquisitions count the frames newly leased (a transaction deeper than the previous one); hits, misses, peaks in its `PoolStatistics` (leased frames count as in use), frames given back kept at most to their class's `max`, cleaned up, tuned and trimmed under memory pressure by its `FramePoolConfig` |
//! | `Box<CallInputs>` per `CALL`, `Box<CreateInputs>` per `CREATE` | allocated and freed per call | recycled ([`FrameExtras`]) |
//! | memory | `SharedMemory`: per-frame checkpoints into one `Rc<RefCell<Vec<u8>>>` in the context, capacity kept forever | views of one buffer handed LIFO from caller to callee (the runtime's `SharedMemory` behind its `MemoryWindow`, [`PooledMemory`]), kept in the pools between transactions and trimmed to [`RetentionPolicy::max_memory_bytes`] |

mod frame;
mod interpreter;
mod memory;
mod pools;
mod stack;

pub use frame::{FrameError, FrameSetup, InputsRecycler, PooledFrame};
pub use interpreter::{FrameExtras, PooledInterpreter, pooled_call, pooled_create};
pub use memory::PooledMemory;
pub use pools::{FrameManager, FramePoolStats, FramePools, RetentionPolicy, default_frame_config};
pub use stack::PooledStack;

use revm::ExecuteEvm;
use revm::bytecode::opcode::{CALL, CALLCODE, CREATE, CREATE2, DELEGATECALL, STATICCALL};
use revm::context::result::{
    EVMError, ExecutionResult, HaltReason, InvalidTransaction, ResultAndState,
};
use revm::context::{ContextSetters, FrameStack};
use revm::context_interface::{Cfg, ContextTr, Database, Host, JournalTr, LocalContextTr};
use revm::handler::evm::{ContextDbError, FrameInitResult};
use revm::handler::instructions::EthInstructions;
use revm::handler::{
    EthPrecompiles, EvmTr, FrameData, FrameInitOrResult, FrameResult, Handler, ItemOrResult,
    PrecompileProvider,
};
use revm::interpreter::instructions::{gas_table_spec, instruction_table};
use revm::interpreter::interpreter_action::FrameInit;
use revm::interpreter::{
    CallInputs, CreateInputs, FrameInput, Instruction, InterpreterAction, InterpreterResult,
};
use revm::primitives::hardfork::SpecId;
use revm::state::EvmState;

use evm_pool::{ConfigError, FramePoolConfig, PoolStatistics};
use pools::ManagedFrame;

/// revm with pooled frames, shared operand-stack and memory buffers and recycled call
/// inputs.
///
/// ```
/// use evm_pool_revm::{outcome::TxOutcome, pooled::PooledEvm, stock::StockEvm, workload::Workload};
/// use revm::ExecuteEvm;
///
/// let w = Workload::call_loop(50);
/// let mut pooled = PooledEvm::new(w.context());
/// let mut stock = StockEvm::new(w.context());
/// for _ in 0..2 {
///     let a = TxOutcome::from_result(pooled.transact(w.txs[0].clone()));
///     let b = TxOutcome::from_result(stock.transact(w.txs[0].clone()));
///     assert_eq!(a, b);
/// }
/// // Every frame came from the frame pool manager (16 prewarmed): one per depth the
/// // first transaction reached, reused by the 50 calls at depth 1 and leased on to the
/// // second, equally deep transaction. Every call reused one inputs box.
/// let stats = pooled.pool_stats();
/// assert_eq!((stats.frame_hits, stats.frame_misses), (2, 0));
/// assert_eq!(stats.inputs_misses, 1); // one box, recycled by all 100 calls
/// ```
#[derive(Debug)]
pub struct PooledEvm<CTX: Host, P = EthPrecompiles> {
    /// The execution context (block, transaction, configuration, journal and database).
    pub ctx: CTX,
    instructions: EthInstructions<PooledInterpreter, CTX>,
    precompiles: P,
    /// The frames leased from `pools.frames` (the frame pool manager), index = call
    /// depth; `frames[..active]` are alive. A frame that ended stays here for the next
    /// call at its depth (as in revm's own frame stack), also across transactions: when
    /// a transaction ends, the frames at the depths it reached stay leased (the manager
    /// counts them in use) and only the deeper ones go back to the manager, deepest
    /// first. A round trip through the manager per `CALL` cost about 100 instructions
    /// per call on the call loop (4.5%); one per depth and transaction cost 105 per
    /// call on the 1024-deep chain, where every call reaches a new depth.
    frames: Vec<ManagedFrame>,
    active: usize,
    pools: FramePools,
    /// `EvmTr` hands out revm's `FrameStack`; revm's handler only ever clears it. The
    /// pooled EVM keeps its frames in `frames`, so this one stays empty.
    unused_frame_stack: FrameStack<PooledFrame>,
}

impl<CTX> PooledEvm<CTX, EthPrecompiles>
where
    CTX: ContextTr + Host,
{
    /// Builds the pooled EVM over `ctx` with mainnet precompiles, the default
    /// [`RetentionPolicy`] and frames from a [`FrameManager`] with
    /// [`default_frame_config`].
    ///
    /// ```
    /// use evm_pool_revm::{pooled::PooledEvm, workload::Workload};
    /// use revm::ExecuteEvm;
    ///
    /// let w = Workload::call_loop(10);
    /// let mut evm = PooledEvm::new(w.context());
    /// assert!(evm.transact(w.txs[0].clone())?.result.is_success());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(ctx: CTX) -> Self {
        Self::with_policy(ctx, RetentionPolicy::default())
    }

    /// Builds the pooled EVM with a retention policy.
    ///
    /// ```
    /// use evm_pool_revm::{pooled::PooledEvm, workload::Workload};
    /// use revm::ExecuteEvm;
    ///
    /// let w = Workload::call_loop(10);
    /// use evm_pool_revm::pooled::RetentionPolicy;
    ///
    /// let mut evm = PooledEvm::with_policy(w.context(), RetentionPolicy::minimal());
    /// evm.transact(w.txs[0].clone())?;
    /// assert_eq!(evm.pool_stats().inputs_misses, 1); // one call box, kept (at most 4)
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_policy(ctx: CTX, policy: RetentionPolicy) -> Self {
        let spec: SpecId = ctx.cfg().spec().into();
        let precompiles = EthPrecompiles::new(spec);
        Self::with_pools(ctx, precompiles, FramePools::new(policy))
    }

    /// Builds the pooled EVM with frames from a [`FrameManager`] configured by `config`
    /// (a preset such as [`FramePoolConfig::high_performance`], or your own; validated)
    /// and the default [`RetentionPolicy`].
    ///
    /// A class whose overflow policy is `Fail` caps the frames alive at once: a
    /// transaction that needs more fails with revm's custom context error
    /// (`frame pool: ... exhausted`), which stock revm would not do. The presets (and
    /// [`default_frame_config`]) use `Allocate`: extra frames are created, counted as
    /// overflows, and dropped when they go back.
    ///
    /// ```
    /// use evm_pool::FramePoolConfig;
    /// use evm_pool_revm::{pooled::PooledEvm, workload::Workload};
    /// use revm::ExecuteEvm;
    ///
    /// let w = Workload::call_loop(10);
    /// let mut evm = PooledEvm::with_frame_config(w.context(), FramePoolConfig::high_performance())?;
    /// evm.transact(w.txs[0].clone())?;
    /// // Per-kind pools (128 Call frames prewarmed): one frame per depth reached, leased
    /// // to the EVM after the transaction (in use for the manager, not returned).
    /// let stats = evm.frame_statistics();
    /// assert_eq!((stats.total.hits, stats.total.misses, stats.total.returns), (2, 0, 0));
    /// assert_eq!(stats.total.in_use, 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_frame_config(ctx: CTX, config: FramePoolConfig) -> Result<Self, ConfigError> {
        let spec: SpecId = ctx.cfg().spec().into();
        let pools = FramePools::with_frame_config(RetentionPolicy::default(), config)?;
        Ok(Self::with_pools(ctx, EthPrecompiles::new(spec), pools))
    }
}

impl<CTX, P> PooledEvm<CTX, P>
where
    CTX: ContextTr + Host,
{
    /// Builds the pooled EVM from parts; `pools` may come from another EVM
    /// ([`into_pools`](Self::into_pools)), so warm pools survive a context change.
    ///
    /// ```
    /// use evm_pool_revm::{pooled::PooledEvm, workload::Workload};
    /// use revm::ExecuteEvm;
    /// use revm::handler::EthPrecompiles;
    /// use revm::primitives::hardfork::SpecId;
    ///
    /// let w = Workload::call_loop(10);
    /// let mut first = PooledEvm::new(w.context());
    /// first.transact(w.txs[0].clone())?;
    /// // The pools (buffers, spare input boxes, counters) move to an EVM over a new context.
    /// let mut second = PooledEvm::with_pools(w.context(), EthPrecompiles::new(SpecId::default()), first.into_pools());
    /// second.transact(w.txs[0].clone())?;
    /// assert_eq!(second.pool_stats().transactions, 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_pools(ctx: CTX, precompiles: P, pools: FramePools) -> Self {
        let spec: SpecId = ctx.cfg().spec().into();
        let mut table = instruction_table::<PooledInterpreter, CTX>();
        table[CALL as usize] = Instruction::new(pooled_call::<CALL, CTX>);
        table[CALLCODE as usize] = Instruction::new(pooled_call::<CALLCODE, CTX>);
        table[DELEGATECALL as usize] = Instruction::new(pooled_call::<DELEGATECALL, CTX>);
        table[STATICCALL as usize] = Instruction::new(pooled_call::<STATICCALL, CTX>);
        table[CREATE as usize] = Instruction::new(pooled_create::<false, CTX>);
        table[CREATE2 as usize] = Instruction::new(pooled_create::<true, CTX>);
        Self {
            ctx,
            instructions: EthInstructions::new(table, gas_table_spec(spec), spec),
            precompiles,
            frames: Vec::new(),
            active: 0,
            pools,
            unused_frame_stack: FrameStack::new(),
        }
    }

    /// Takes the pools (and the pooled frames' storage) out of this EVM.
    ///
    /// ```
    /// use evm_pool_revm::{pooled::PooledEvm, workload::Workload};
    /// use revm::ExecuteEvm;
    ///
    /// let w = Workload::call_loop(10);
    /// let mut evm = PooledEvm::new(w.context());
    /// evm.transact(w.txs[0].clone())?;
    /// # use revm::{handler::EthPrecompiles, primitives::hardfork::SpecId};
    /// let pools = evm.into_pools();
    /// let again = PooledEvm::with_pools(w.context(), EthPrecompiles::new(SpecId::default()), pools);
    /// assert_eq!(again.pool_stats().transactions, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn into_pools(mut self) -> FramePools {
        self.reclaim_frames();
        self.return_frames(0);
        self.pools
    }

    /// Pool counters since creation.
    ///
    /// ```
    /// use evm_pool_revm::{pooled::PooledEvm, workload::Workload};
    /// use revm::ExecuteEvm;
    ///
    /// let w = Workload::call_loop(10);
    /// let mut evm = PooledEvm::new(w.context());
    /// for _ in 0..3 {
    ///     evm.transact(w.txs[0].clone())?;
    /// }
    /// let stats = evm.pool_stats();
    /// // Depths 0 and 1, taken by the first transaction and leased on to the others.
    /// assert_eq!((stats.transactions, stats.frame_hits, stats.frame_misses), (3, 2, 0));
    /// assert_eq!(stats.frame_hit_rate(), 1.0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn pool_stats(&self) -> FramePoolStats {
        let in_frames = self
            .frames
            .iter()
            .map(|f| f.payload.interpreter.extend.allocated)
            .sum();
        self.pools.stats(in_frames)
    }

    /// The frame pool manager's statistics: hits, misses, returns, overflows,
    /// discards, frames in use and their peak, idle frames and the bytes they hold.
    ///
    /// ```
    /// use evm_pool_revm::{pooled::PooledEvm, workload::Workload};
    /// use revm::ExecuteEvm;
    ///
    /// let w = Workload::call_chain();
    /// let mut evm = PooledEvm::new(w.context());
    /// for _ in 0..2 {
    ///     evm.transact(w.txs[0].clone())?;
    /// }
    /// let total = evm.frame_statistics().total;
    /// // 1025 frames (depths 0 to 1024), 16 prewarmed, taken by the first transaction and
    /// // leased on to the second, equally deep one: the manager counts them in use.
    /// assert_eq!((total.misses, total.hits, total.returns), (1025 - 16, 16, 0));
    /// assert_eq!((total.peak_in_use, total.in_use, total.available), (1025, 1025, 0));
    /// // Giving the pools up gives every frame back.
    /// let total = evm.into_pools().frame_statistics().total;
    /// assert_eq!((total.returns, total.in_use, total.available), (1025, 0, 1025));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn frame_statistics(&self) -> PoolStatistics {
        self.pools.frame_statistics()
    }

    /// The frame pool manager the frames come from (its configuration, tracker,
    /// `cleanup`, `auto_tune` and `check_memory_pressure`).
    ///
    /// ```
    /// use evm_pool_revm::{pooled::PooledEvm, workload::Workload};
    /// use revm::ExecuteEvm;
    ///
    /// let w = Workload::call_loop(10);
    /// let mut evm = PooledEvm::new(w.context());
    /// evm.transact(w.txs[0].clone())?;
    /// let calls = evm.frame_manager().tracker().kind(evm_pool::FrameKind::Call);
    /// // Depths 0 and 1, leased to the EVM for the next transaction.
    /// assert_eq!((calls.acquires, calls.releases), (2, 0));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn frame_manager(&self) -> &FrameManager {
        self.pools.frame_manager()
    }

    /// Gives the frames above depth `keep` (`frames[keep..]`) back to the frame pool
    /// manager, deepest first (so the manager's LIFO pool hands each depth its frame
    /// again next time, with its bytecode still installed). The frames below stay
    /// leased to this EVM: the manager counts them in use. Inline check, out-of-line
    /// work.
    #[inline(always)]
    fn return_frames(&mut self, keep: usize) {
        if self.frames.len() > keep {
            self.return_taken_frames(keep);
        }
    }

    /// [`return_frames`](Self::return_frames)' work.
    #[inline(never)]
    fn return_taken_frames(&mut self, keep: usize) {
        debug_assert_eq!(self.active, 0, "frames alive at the end of a transaction");
        for frame in self.frames.drain(keep..).rev() {
            // Only a frame of another manager is refused, and these all came from ours.
            let _ = Self::release_frame(&mut self.pools, frame);
        }
    }

    /// The transaction reaches a call depth for the first time (`self.active` frames
    /// alive, the new one goes at index `self.active`): raises the transaction's depth,
    /// marks the transaction's start in the frame pool manager on its first frame
    /// (clock and maintenance tick), and takes a frame of `kind` for `depth` from the
    /// manager when this EVM holds none there yet (a transaction deeper than any since
    /// the EVM last gave frames back).
    #[inline(always)]
    fn reach_new_depth(
        &mut self,
        kind: evm_pool::FrameKind,
        depth: usize,
    ) -> Result<(), ContextDbError<CTX>> {
        let manager = &mut self.pools.frames;
        if self.active == 0 {
            manager.start_transaction();
        }
        if self.active == self.frames.len() {
            match manager.acquire_owned(kind, depth, 0) {
                Ok(frame) => self.frames.push(frame),
                Err(error) => return Err(frame::pool_error(error)),
            }
        }
        self.pools.counters.tx_depth = self.active + 1;
        Ok(())
    }

    /// Gives a frame back to the frame pool manager, its allocation count to the
    /// statistics first (the manager may drop the frame). Its spare input boxes stay
    /// in it, so a frame is reused with its boxes: they are bounded by the frames the
    /// manager keeps (at most one of each kind per frame).
    #[inline(always)]
    fn release_frame(
        pools: &mut FramePools,
        mut frame: ManagedFrame,
    ) -> Result<(), ContextDbError<CTX>> {
        let extras = &mut frame.payload.interpreter.extend;
        pools.counters.boxes_allocated += core::mem::take(&mut extras.allocated);
        pools
            .frames
            .release_owned(frame)
            .map_err(|_| foreign_frame())
    }

    /// The retention policy.
    ///
    /// ```
    /// use evm_pool_revm::{pooled::PooledEvm, workload::Workload};
    /// use revm::ExecuteEvm;
    ///
    /// let w = Workload::call_loop(10);
    /// use evm_pool_revm::pooled::RetentionPolicy;
    ///
    /// assert_eq!(PooledEvm::new(w.context()).policy(), RetentionPolicy::default());
    /// ```
    pub fn policy(&self) -> RetentionPolicy {
        self.pools.policy
    }

    /// Frames currently idle in the frame pool manager, kept for reuse (not counting
    /// the frames leased to this EVM: those at the depths the last transaction
    /// reached).
    ///
    /// ```
    /// use evm_pool_revm::{pooled::PooledEvm, workload::Workload};
    /// use revm::ExecuteEvm;
    ///
    /// let w = Workload::call_chain();
    /// let mut evm = PooledEvm::new(w.context());
    /// assert_eq!(evm.pooled_frames(), 16); // prewarmed
    /// evm.transact(w.txs[0].clone())?;
    /// assert_eq!(evm.pooled_frames(), 0); // every frame of the chain, leased to the EVM
    /// assert_eq!(evm.frame_statistics().total.in_use, 1025);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn pooled_frames(&self) -> usize {
        self.pools.frames.statistics().total.available as usize
    }

    /// Heap bytes kept between transactions by the pools and the idle frames (the
    /// frames' own size; code and return data they reference belong to revm's caches).
    ///
    /// ```
    /// use evm_pool_revm::{pooled::PooledEvm, workload::Workload};
    /// use revm::ExecuteEvm;
    ///
    /// let w = Workload::call_loop(10);
    /// let mut evm = PooledEvm::new(w.context());
    /// evm.transact(w.txs[0].clone())?;
    /// assert!(evm.retained_bytes() > 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn retained_bytes(&self) -> usize {
        // The input boxes parked in a frame's slots (the manager counts a payload by
        // its size only).
        let parked_boxes = |extras: &FrameExtras| {
            usize::from(extras.spare_call_inputs.is_some()) * size_of::<CallInputs>()
                + usize::from(extras.spare_create_inputs.is_some()) * size_of::<CreateInputs>()
        };
        let mut boxes = 0;
        self.pools
            .frames
            .for_each_idle(|frame| boxes += parked_boxes(&frame.payload.interpreter.extend));
        // The frames leased to this EVM between transactions, as the manager counts
        // its idle ones, with the boxes in their slots.
        let leased: usize = self
            .frames
            .iter()
            .map(|frame| frame.held_bytes() + parked_boxes(&frame.payload.interpreter.extend))
            .sum();
        self.pools.retained_bytes()
            + self.frames.capacity() * size_of::<ManagedFrame>()
            + boxes
            + leased
    }

    /// Returns every alive frame's resources to the pools (after an error unwound the
    /// handler, or before reuse). Inline check, out-of-line work: after a normal
    /// transaction no frame is alive, and this runs twice per transaction.
    #[inline(always)]
    fn reclaim_frames(&mut self) {
        if self.active > 0 {
            self.reclaim_alive_frames();
        }
    }

    /// [`reclaim_frames`](Self::reclaim_frames)' work when frames are alive.
    #[cold]
    #[inline(never)]
    fn reclaim_alive_frames(&mut self) {
        while self.active > 0 {
            self.active -= 1;
            let (parents, rest) = self.frames.split_at_mut(self.active);
            let Some(frame) = rest.first_mut() else {
                break;
            };
            frame.payload.finish(&mut self.pools.inputs);
            // The innermost alive frame holds the shared buffer: hand it back up, LIFO.
            let child = &mut frame.payload.interpreter;
            let stack = child.stack.window_mut();
            match parents.last_mut() {
                Some(parent) => {
                    let parent = &mut parent.payload.interpreter;
                    let _ = parent.stack.window_mut().resume(stack);
                    let _ = parent.memory.resume(&mut child.memory);
                }
                None => {
                    if let Ok(buffer) = stack.detach() {
                        self.pools.stack = buffer;
                    }
                    if let Ok(buffer) = child.memory.detach() {
                        self.pools.memory = buffer;
                    }
                }
            }
        }
    }

    /// End-of-transaction bookkeeping: statistics and the retention policy.
    ///
    /// A transaction that ran no frame (a plain transfer, a call to a precompile or to
    /// an account without code) after the pools have settled at zero demand takes
    /// [`end_idle_transaction`](Self::end_idle_transaction): the same outcome without
    /// recording five zero demands into high-water marks that are already 0.
    #[inline(always)]
    fn end_transaction(&mut self) {
        self.reclaim_frames();
        // Leasing: the frames at the depths this transaction reached (the most frames
        // alive at once, raised in `frame_init` only when a call reaches a new depth)
        // stay with this EVM for the next transaction; the deeper ones, held since a
        // deeper transaction, go back to the manager, whose configuration governs them
        // from then on. A run of equally deep transactions makes no manager traffic.
        // At most the policy's `max_leased_frames` stay leased.
        let keep = self.pools.counters.tx_depth;
        self.return_frames(keep.min(self.pools.policy.max_leased_frames));
        // No frame ran (running one takes a frame), so the demand is zero and the stack
        // and memory buffers untouched.
        if self.pools.counters.tx_depth == 0 && self.pools.settled {
            self.end_idle_transaction();
        } else {
            self.end_busy_transaction();
        }
    }

    /// [`end_transaction`](Self::end_transaction) when no frame ran and the pools are
    /// settled. What the full pass would do, with every demand and every kept size 0:
    /// - `recent` stays all (0, 0), and `demand` is still zero;
    /// - the peaks cannot rise (no buffer changed, depth 0);
    /// - the stack and memory buffers are already within their zero-demand bound (the
    ///   pass that settled the pools trimmed them, and no frame has held them since);
    /// - what a frameless transaction can change is checked as the full pass checks it:
    ///   input boxes given back to the pools (kept: 0) and the context's staging buffer
    ///   (kept: 0, so the bound is twice the floor), through the same helpers the full
    ///   pass calls. (A frameless call takes no frame from the frame pool manager.)
    #[inline(always)]
    fn end_idle_transaction(&mut self) {
        self.pools.stats.transactions += 1;
        let mut trimmed = self.pools.trim_inputs(0, 0);
        if self.shrink_staging(0) {
            trimmed = true;
        }
        if trimmed {
            self.pools.stats.trims += 1;
        }
    }

    /// [`end_transaction`](Self::end_transaction)'s full pass: records this
    /// transaction's demand and trims to the retention policy.
    #[inline]
    fn end_busy_transaction(&mut self) {
        let policy = self.pools.policy;
        self.pools.stats.transactions += 1;
        let mut trimmed = self.pools.trim();

        let memory = &mut self.pools.memory;
        let stats = &mut self.pools.stats;
        stats.peak_memory_bytes = stats.peak_memory_bytes.max(memory.capacity());
        let keep = self
            .pools
            .recent
            .memory_bytes
            .record(self.pools.demand.memory_bytes, policy.idle_transactions)
            .min(policy.max_memory_bytes);
        if memory.capacity() > 2 * keep.max(MEMORY_BYTES_FLOOR) {
            memory.clear();
            memory.shrink_to(keep);
            trimmed = true;
        }
        // The context's own buffer only stages precompile call data now; same bound.
        if self.shrink_staging(keep) {
            trimmed = true;
        }

        // Frames are retained by the frame pool manager under its own configuration.
        let tx_depth = core::mem::take(&mut self.pools.counters.tx_depth);
        self.pools.stats.peak_frames = self.pools.stats.peak_frames.max(tx_depth);
        if trimmed {
            self.pools.stats.trims += 1;
        }
        self.pools.demand = Default::default();
        self.pools.settled = self.pools.recent == pools::RecentDemand::default();
    }

    /// Shrinks the context's staging buffer (precompile call data) to `keep` bytes when
    /// it holds more than twice `keep` (at least the floor). Returns whether it shrank.
    /// Both end-of-transaction passes use it, so the bound is written once.
    #[inline(always)]
    fn shrink_staging(&mut self, keep: usize) -> bool {
        let mut staging = self.ctx.local().shared_memory_buffer().borrow_mut();
        if staging.capacity() > 2 * keep.max(MEMORY_BYTES_FLOOR) {
            staging.clear();
            staging.shrink_to(keep);
            return true;
        }
        false
    }
}

impl<CTX, P> PooledEvm<CTX, P>
where
    CTX: ContextTr + Host,
    P: PrecompileProvider<CTX, Output = InterpreterResult>,
{
    /// `frame_init`'s work: the call or create `frame_input` at `depth` either ends
    /// without a frame (its result) or runs in a frame of this EVM (the frame).
    #[inline(always)]
    fn init_frame(
        &mut self,
        depth: usize,
        frame_input: FrameInput,
    ) -> Result<FrameInitResult<'_, PooledFrame>, ContextDbError<CTX>> {
        if depth == 0 {
            // A new transaction: frames left alive by an error are reclaimed.
            self.reclaim_frames();
        } else {
            // One request per CALL/CREATE, each with an inputs box.
            self.pools.counters.nested_requests += 1;
        }
        // A call that ends without a frame gives its box straight back to the caller.
        let (caller_extras, caller_memory) = match self.frames.get_mut(..self.active) {
            Some([.., p]) => {
                let p = &mut p.payload.interpreter;
                (Some(&mut p.extend), Some(&p.memory))
            }
            _ => (None, None),
        };
        let mut recycler = interpreter::ReturnToCaller {
            caller: caller_extras,
            pool: &mut self.pools.inputs,
        };
        // A precompile's or a failed create's result, written in place; a create's new
        // account likewise.
        let mut full = None;
        let mut target = frame::CreateTarget::default();
        let prepared = match frame_input {
            FrameInput::Call(inputs) => frame::make_call_frame::<_, _, ContextDbError<CTX>>(
                &mut self.ctx,
                &mut self.precompiles,
                depth,
                caller_memory,
                inputs,
                &mut recycler,
                &mut full,
            )?,
            FrameInput::Create(inputs) => frame::make_create_frame::<_, ContextDbError<CTX>>(
                &mut self.ctx,
                depth,
                inputs,
                &mut recycler,
                &mut full,
                &mut target,
            )?,
            // revm never asks for a frame without inputs (its own frame does
            // `unreachable!()` here); answer with the error type rather than panic.
            FrameInput::Empty => {
                return Err(revm::context_interface::context::ContextError::Custom(
                    "frame input is empty".into(),
                ));
            }
        };
        let ready = match prepared {
            ItemOrResult::Item(ready) => ready,
            // No frame ran (depth limit, precompile, empty code): none was needed.
            ItemOrResult::Result(ended) => {
                return match ended.into_result(&mut full) {
                    Some(result) => Ok(ItemOrResult::Result(result)),
                    None => Err(revm::context_interface::context::ContextError::Custom(
                        "frameless call without a result".into(),
                    )),
                };
            }
        };
        // Code runs: the frame this EVM already holds at this depth (leased in this or
        // an earlier transaction), or one from the frame pool manager. Only a depth
        // this transaction has not reached yet gets here: one compare per call.
        if self.active >= self.pools.counters.tx_depth {
            self.reach_new_depth(ready.kind(), depth)?;
        }
        self.pools.counters.frames_run += 1;
        let spec_id = self.ctx.cfg().spec().into();

        // The running frame's stack and memory buffers move to the new frame.
        let (parents, rest) = self.frames.split_at_mut(self.active);
        let Some(frame) = rest.first_mut() else {
            return Err(no_frame());
        };
        ready.install(&mut frame.payload, depth, spec_id, &target);
        // The frame's spare boxes stay in it across calls and transactions, also while
        // it is idle in the manager (a child's box comes back into the slot its
        // caller's CALL emptied). An empty slot is refilled here from the pools, once
        // per run of the frame: within a transaction the pools rarely receive boxes,
        // so a later refill could rarely find more. The create pool is looked at only
        // when it has boxes: call-only workloads never fill it.
        let extras = &mut frame.payload.interpreter.extend;
        if extras.spare_call_inputs.is_none() {
            extras.spare_call_inputs = self.pools.spare_call();
        }
        if extras.spare_create_inputs.is_none() && self.pools.has_spare_create() {
            extras.spare_create_inputs = self.pools.spare_create();
        }
        let child = &mut frame.payload.interpreter;
        let stack = child.stack.window_mut();
        match parents.last_mut() {
            Some(parent) => {
                let parent = &mut parent.payload.interpreter;
                parent
                    .stack
                    .window_mut()
                    .enter_child_into(stack)
                    .map_err(link_error)?;
                parent
                    .memory
                    .enter_child_into(&mut child.memory)
                    .map_err(link_error)?;
            }
            None => {
                stack.attach(core::mem::take(&mut self.pools.stack));
                let limit = memory::memory_limit(&self.ctx);
                child
                    .memory
                    .attach(core::mem::take(&mut self.pools.memory), limit);
            }
        }
        self.active += 1;
        Ok(ItemOrResult::Item(&mut frame.payload))
    }

    /// `frame_return_result` for a finished call frame with a caller, taking the call's
    /// outcome in parts: the frame ends (its inputs box back to the caller's slot, the
    /// stack and memory buffers back to the caller) and the outcome goes into the caller.
    #[inline(always)]
    fn return_call(
        &mut self,
        result: InterpreterResult,
        memory_offset: core::ops::Range<usize>,
        charged_new_account_state_gas: bool,
    ) -> Result<(), ContextDbError<CTX>> {
        let Some((frame, [.., parent])) = self
            .frames
            .get_mut(..self.active)
            .and_then(<[ManagedFrame]>::split_last_mut)
        else {
            return Err(no_frame());
        };
        let child = &mut frame.payload;
        self.active -= 1;
        record_demand(&mut self.pools.demand, child);
        let parent = &mut parent.payload;
        return_to_parent(child, parent, &mut self.pools.inputs)?;
        parent.insert_call_result::<_, ContextDbError<CTX>>(
            &mut self.ctx,
            result,
            memory_offset,
            charged_new_account_state_gas,
        )
    }

    /// revm's execution loop (`Handler::run_exec_loop`: `frame_run` and
    /// `frame_return_result` until the first frame returns) once the first frame runs,
    /// with the steps fused: a `CALL`'s request goes from the interpreter's action
    /// straight to [`init_frame`](Self::init_frame), and a frame's return straight to
    /// its result, without the `FrameInit` (and its memory handle) and the
    /// `Result`-wrapped `ItemOrResult`s revm's loop moves between the steps. The steps
    /// and their order are exactly revm's loop's. Out of line: a transaction whose
    /// first frame runs no code (a plain transfer) never gets here.
    #[inline(never)]
    fn run_frames(&mut self) -> Result<FrameResult, ContextDbError<CTX>> {
        loop {
            let Some(frame) = self.frames.get_mut(self.active.wrapping_sub(1)) else {
                return Err(no_frame());
            };
            let frame = &mut frame.payload;
            let action = frame.interpreter.run_plain(
                self.instructions.instruction_table(),
                self.instructions.gas_table(),
                &mut self.ctx,
            );
            let result = match action {
                InterpreterAction::NewFrame(input) => {
                    let depth = frame.depth + 1;
                    match self.init_frame(depth, input)? {
                        ItemOrResult::Item(_) => continue,
                        ItemOrResult::Result(result) => result,
                    }
                }
                InterpreterAction::Return(result) => {
                    if let FrameData::Call(call) = &frame.data
                        && self.active > 1
                    {
                        // A call returning to its caller: `frame_result`'s `Call` half
                        // and `frame_return_result`, without building the `FrameResult`.
                        let memory_offset = call.return_memory_range.clone();
                        if result.result.is_ok() {
                            self.ctx.journal_mut().checkpoint_commit();
                        } else {
                            self.ctx.journal_mut().checkpoint_revert(frame.checkpoint);
                        }
                        let charged = match &frame.input {
                            FrameInput::Call(inputs) => inputs.charged_new_account_state_gas,
                            _ => false,
                        };
                        frame.is_finished = true;
                        self.return_call(result, memory_offset, charged)?;
                        continue;
                    }
                    let result = frame.frame_result(&mut self.ctx, result);
                    frame.is_finished = true;
                    result
                }
            };
            if let Some(result) = self.frame_return_result(result)? {
                return Ok(result);
            }
        }
    }
}

/// Demand for the retention policy: stack words and memory bytes in use when `child`
/// ends (its own plus all its ancestors').
#[inline(always)]
fn record_demand(demand: &mut pools::TxDemand, child: &PooledFrame) {
    demand.stack_words = demand.stack_words.max(child.interpreter.stack.buffer_len());
    demand.memory_bytes = demand
        .memory_bytes
        .max(child.interpreter.memory.global_len());
}

/// `child` has ended under `parent`: its inputs box goes back into the slot the parent's
/// CALL emptied, and the stack and memory buffers go back to the parent (revm's
/// `free_child_context`: the caller's memory is back to its own size).
#[inline(always)]
fn return_to_parent<E>(
    child: &mut PooledFrame,
    parent: &mut PooledFrame,
    inputs: &mut pools::InputPools,
) -> Result<(), revm::context_interface::context::ContextError<E>> {
    child.finish(&mut interpreter::ReturnToCaller {
        caller: Some(&mut parent.interpreter.extend),
        pool: inputs,
    });
    parent
        .interpreter
        .stack
        .window_mut()
        .resume(child.interpreter.stack.window_mut())
        .map_err(link_error)?;
    parent
        .interpreter
        .memory
        .resume(&mut child.interpreter.memory)
        .map_err(link_error)
}

/// A stack hand-off out of LIFO order: a bug in the EVM's frame bookkeeping, reported
/// as revm's custom context error rather than a panic.
fn link_error<E>(error: evm_pool::LinkError) -> revm::context_interface::context::ContextError<E> {
    revm::context_interface::context::ContextError::Custom(format!("stack hand-off: {error}"))
}

/// revm asked to run or return into a frame while none is alive: a bug in the handler
/// loop, reported as revm's custom context error rather than a panic.
fn no_frame<E>() -> revm::context_interface::context::ContextError<E> {
    revm::context_interface::context::ContextError::Custom("no frame is running".into())
}

/// A frame refused by the frame pool manager as another manager's: a bug in the
/// EVM's frame bookkeeping, reported as revm's custom context error.
#[cold]
#[inline(never)]
fn foreign_frame<E>() -> revm::context_interface::context::ContextError<E> {
    revm::context_interface::context::ContextError::Custom(
        "a frame went back to another frame pool manager".into(),
    )
}

/// Memory capacity never worth shrinking below (revm starts every buffer at 4 KiB).
const MEMORY_BYTES_FLOOR: usize = 4 * 1024;

impl<CTX, P> EvmTr for PooledEvm<CTX, P>
where
    CTX: ContextTr + Host,
    P: PrecompileProvider<CTX, Output = InterpreterResult>,
{
    type Context = CTX;
    type Instructions = EthInstructions<PooledInterpreter, CTX>;
    type Precompiles = P;
    type Frame = PooledFrame;

    #[inline]
    fn all(
        &self,
    ) -> (
        &Self::Context,
        &Self::Instructions,
        &Self::Precompiles,
        &FrameStack<Self::Frame>,
    ) {
        (
            &self.ctx,
            &self.instructions,
            &self.precompiles,
            &self.unused_frame_stack,
        )
    }

    #[inline]
    fn all_mut(
        &mut self,
    ) -> (
        &mut Self::Context,
        &mut Self::Instructions,
        &mut Self::Precompiles,
        &mut FrameStack<Self::Frame>,
    ) {
        (
            &mut self.ctx,
            &mut self.instructions,
            &mut self.precompiles,
            &mut self.unused_frame_stack,
        )
    }

    #[inline]
    fn frame_init(
        &mut self,
        frame_input: FrameInit,
    ) -> Result<FrameInitResult<'_, Self::Frame>, ContextDbError<CTX>> {
        // revm's memory handle (the handler's, over the context's buffer) is not used:
        // frames get views of the pools' memory buffer.
        let FrameInit {
            depth, frame_input, ..
        } = frame_input;
        self.init_frame(depth, frame_input)
    }

    #[inline]
    fn frame_run(&mut self) -> Result<FrameInitOrResult<Self::Frame>, ContextDbError<CTX>> {
        let Some(frame) = self.frames.get_mut(self.active.wrapping_sub(1)) else {
            return Err(no_frame());
        };
        let frame = &mut frame.payload;
        let action = frame.interpreter.run_plain(
            self.instructions.instruction_table(),
            self.instructions.gas_table(),
            &mut self.ctx,
        );

        // Inputs hits and misses: `pooled_call`/`pooled_create` count the boxes they
        // allocate; `frame_init` counts the requests.
        frame
            .process_next_action(&mut self.ctx, action)
            .inspect(|next| {
                if next.is_result() {
                    frame.is_finished = true;
                }
            })
    }

    #[inline]
    fn frame_return_result(
        &mut self,
        result: FrameResult,
    ) -> Result<Option<FrameResult>, ContextDbError<CTX>> {
        // The running frame and its ancestors.
        let Some((frame, parents)) = self
            .frames
            .get_mut(..self.active)
            .and_then(<[ManagedFrame]>::split_last_mut)
        else {
            return Err(no_frame());
        };
        let child = &mut frame.payload;
        if !child.is_finished {
            // A call that ran no frame: its result goes to the running frame.
            return child
                .return_result::<_, ContextDbError<CTX>>(&mut self.ctx, result)
                .map(|()| None);
        }
        self.active -= 1;
        record_demand(&mut self.pools.demand, child);
        let Some(parent) = parents.last_mut() else {
            child.finish(&mut self.pools.inputs);
            self.pools.stack = child
                .interpreter
                .stack
                .window_mut()
                .detach()
                .map_err(link_error)?;
            self.pools.memory = child.interpreter.memory.detach().map_err(link_error)?;
            return Ok(Some(result));
        };
        let parent = &mut parent.payload;
        return_to_parent(child, parent, &mut self.pools.inputs)?;
        parent.return_result::<_, ContextDbError<CTX>>(&mut self.ctx, result)?;
        Ok(None)
    }
}

/// revm's mainnet handler (every step its default) with the execution loop's steps
/// fused (`PooledEvm::run_frames`): the pooled EVM runs transactions through it.
#[derive(Debug)]
struct PooledHandler<EVM, ERROR> {
    _phantom: core::marker::PhantomData<(EVM, ERROR)>,
}

impl<EVM, ERROR> Default for PooledHandler<EVM, ERROR> {
    fn default() -> Self {
        Self {
            _phantom: core::marker::PhantomData,
        }
    }
}

impl<CTX, P, ERROR> Handler for PooledHandler<PooledEvm<CTX, P>, ERROR>
where
    CTX: ContextTr<Journal: JournalTr<State = EvmState>> + Host,
    P: PrecompileProvider<CTX, Output = InterpreterResult>,
    ERROR: revm::handler::EvmTrError<PooledEvm<CTX, P>>,
{
    type Evm = PooledEvm<CTX, P>;
    type Error = ERROR;
    type HaltReason = HaltReason;

    #[inline]
    fn run_exec_loop(
        &mut self,
        evm: &mut Self::Evm,
        first_frame_input: FrameInit,
    ) -> Result<FrameResult, Self::Error> {
        // As revm's loop starts.
        if let ItemOrResult::Result(result) = evm.frame_init(first_frame_input)? {
            return Ok(result);
        }
        Ok(evm.run_frames()?)
    }
}

impl<CTX, P> ExecuteEvm for PooledEvm<CTX, P>
where
    CTX: ContextTr<Journal: JournalTr<State = EvmState>> + ContextSetters + Host,
    P: PrecompileProvider<CTX, Output = InterpreterResult>,
{
    type ExecutionResult = ExecutionResult<HaltReason>;
    type State = EvmState;
    type Error = EVMError<<CTX::Db as Database>::Error, InvalidTransaction>;
    type Tx = <CTX as ContextTr>::Tx;
    type Block = <CTX as ContextTr>::Block;

    #[inline]
    fn transact_one(&mut self, tx: Self::Tx) -> Result<Self::ExecutionResult, Self::Error> {
        self.ctx.set_tx(tx);
        let result = PooledHandler::default().run(self);
        self.end_transaction();
        result
    }

    #[inline]
    fn finalize(&mut self) -> Self::State {
        self.ctx.journal_mut().finalize()
    }

    #[inline]
    fn set_block(&mut self, block: Self::Block) {
        self.ctx.set_block(block);
    }

    #[inline]
    fn replay(&mut self) -> Result<ResultAndState<HaltReason>, Self::Error> {
        let result = PooledHandler::default().run(self);
        self.end_transaction();
        match result {
            Ok(result) => Ok(ResultAndState::new(result, self.finalize())),
            Err(error) => {
                let _ = self.finalize();
                Err(error)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{PooledEvm, RetentionPolicy};
    use crate::outcome::TxOutcome;
    use crate::workload::{CALLER, Workload, call_tx};
    use revm::ExecuteEvm;
    use revm::context::TxEnv;
    use revm::primitives::{Address, Bytes};

    /// Transactions that run frames (a 1024-deep chain, a CALL loop) and many that run
    /// none (transfers, a call to an account without code, precompile calls), in one
    /// database.
    fn mixed_txs() -> (Workload, Vec<TxEnv>) {
        let chain = Workload::call_chain();
        let transfers = Workload::transfers(80);
        let no_code = call_tx(Address::with_last_byte(0x77), Bytes::new(), 100_000);
        let identity = call_tx(
            Address::with_last_byte(4),
            Bytes::from_static(&[7; 100]),
            100_000,
        );
        let mut txs = Vec::new();
        txs.extend(transfers.txs[..5].iter().cloned());
        txs.push(chain.txs[0].clone());
        txs.extend(transfers.txs[5..25].iter().cloned());
        txs.push(no_code.clone());
        txs.push(identity.clone());
        txs.push(chain.txs[0].clone());
        txs.push(chain.txs[0].clone());
        txs.extend(transfers.txs[25..].iter().cloned());
        txs.push(identity);
        txs.push(no_code);
        txs.push(call_tx(CALLER, Bytes::new(), 100_000));
        (chain, txs)
    }

    /// A frame pool that refuses frames (`Fail` at its max) fails the transaction with a
    /// typed error instead of panicking, and no frame is lost: the frames the failed
    /// transaction reached stay leased to the EVM (in use for the manager), all go back
    /// with `into_pools`, and the next transactions run normally on the same pools.
    #[test]
    fn exhausted_frame_pool_is_an_error_and_loses_nothing() {
        use evm_pool::{ClassLayout, FramePoolConfig, OverflowPolicy, PoolConfig};
        let mut class = PoolConfig::minimal();
        (class.initial, class.max, class.overflow) = (2, 3, OverflowPolicy::Fail);
        let config = FramePoolConfig {
            classes: ClassLayout::Shared(class),
            ..super::default_frame_config()
        };
        let chain = Workload::call_chain();
        let mut evm = PooledEvm::with_frame_config(chain.context(), config).unwrap();
        let error = evm.transact(chain.txs[0].clone()).unwrap_err();
        assert!(error.to_string().contains("frame pool"), "{error}");
        // Depths 0 to 2 ran (3 frames, the class's max); the 4th was refused.
        let frames = evm.frame_statistics().total;
        assert_eq!((frames.in_use, frames.returns, frames.overflows), (3, 0, 1));
        assert_eq!(evm.pool_stats().peak_frames, 3);
        let pools = evm.into_pools();
        let frames = pools.frame_statistics().total;
        assert_eq!((frames.in_use, frames.returns, frames.available), (0, 3, 3));
        // Two frames suffice for the call loop: it runs, and matches stock revm.
        let w = Workload::call_loop(20);
        let mut stock = crate::stock::StockEvm::new(w.context());
        let mut evm = PooledEvm::with_pools(
            w.context(),
            revm::handler::EthPrecompiles::new(revm::primitives::hardfork::SpecId::default()),
            pools,
        );
        for _ in 0..2 {
            let a = TxOutcome::from_result(evm.transact(w.txs[0].clone()));
            let b = TxOutcome::from_result(stock.transact(w.txs[0].clone()));
            assert_eq!(a, b);
        }
        // Leased by the first call-loop transaction (depths 0 and 1), kept by the second.
        let frames = evm.frame_statistics().total;
        assert_eq!((frames.in_use, frames.returns, frames.available), (2, 3, 1));
        let frames = evm.into_pools().frame_statistics().total;
        assert_eq!((frames.in_use, frames.returns, frames.available), (0, 5, 3));
    }

    /// The call loop's database plus the chain's contract (it calls its own address) at
    /// another address: the database, a 1025-frame transaction and a 2-frame one.
    fn loop_and_chain() -> (crate::workload::WorkloadDb, TxEnv, TxEnv) {
        use revm::bytecode::opcode::{ADDRESS, CALL, GAS, PUSH0, STOP};
        let w = Workload::call_loop(5);
        let chain_at = Address::with_last_byte(0x99);
        let mut db = w.db.clone();
        let chain_code = [PUSH0, PUSH0, PUSH0, PUSH0, PUSH0, ADDRESS, GAS, CALL, STOP];
        crate::workload::insert_contract(&mut db, chain_at, Bytes::from(chain_code.to_vec()));
        let deep = call_tx(chain_at, Bytes::new(), 1_000_000_000_000);
        (db, deep, w.txs[0].clone())
    }

    /// Leasing: a transaction keeps the frames at the depths it reached and gives the
    /// deeper ones back, deepest first. A deep transaction (the chain, 1025 frames), then
    /// a shallow one (the call loop, 2 frames) gives exactly 1023 frames back to the
    /// manager; a second transaction as deep as the shallow one makes no manager
    /// traffic at all (no acquisition, no release). Outcomes match stock revm
    /// throughout, and `into_pools` gives the last 2 back.
    #[test]
    fn frames_are_leased_to_the_depth_of_the_last_transaction() {
        let (db, deep, shallow) = loop_and_chain();
        let mut evm = PooledEvm::new(crate::workload::context(db.clone()));
        let mut stock = crate::stock::StockEvm::new(crate::workload::context(db));
        let mut run = |tx: &TxEnv| {
            let a = TxOutcome::from_result(evm.transact(tx.clone()));
            let b = TxOutcome::from_result(stock.transact(tx.clone()));
            assert_eq!(a, b);
            evm.frame_statistics().total
        };

        let before = run(&deep);
        // 1025 frames (16 prewarmed), all leased to the EVM.
        assert_eq!((before.hits, before.misses), (16, 1025 - 16));
        assert_eq!(
            (before.in_use, before.returns, before.available),
            (1025, 0, 0)
        );

        let after = run(&shallow);
        // The shallow transaction reached depth 1 (2 frames): it kept those and gave
        // the 1023 deeper ones back; the manager acquired nothing.
        assert_eq!(after.available - before.available, 1025 - 2);
        assert_eq!((after.in_use, after.returns), (2, 1025 - 2));
        assert_eq!((after.hits, after.misses), (before.hits, before.misses));
        assert_eq!(after.discards, 0); // within the default class's max

        let again = run(&shallow);
        // As deep as the last one: zero acquisitions, zero releases.
        assert_eq!(again, after);
        let calls = evm
            .frame_manager()
            .tracker()
            .kind(evm_pool::FrameKind::Call);
        assert_eq!((calls.acquires, calls.releases), (1025, 1025 - 2));
        assert_eq!(evm.pool_stats().peak_frames, 1025);

        // Giving the pools up gives the 2 leased frames back too.
        let end = evm.into_pools().frame_statistics().total;
        assert_eq!((end.in_use, end.returns, end.available), (0, 1025, 1025));
    }

    /// `RetentionPolicy::max_leased_frames` caps what the EVM keeps leased after a
    /// transaction: after a 1025-frame transaction under a cap of 8, 8 frames stay
    /// leased and 1017 go back to the manager (idle there, under its configuration); a
    /// second deep transaction takes them back from the manager (hits, no misses), and
    /// outcomes match stock revm throughout.
    #[test]
    fn leased_frames_are_capped_by_the_policy() {
        let (db, deep, shallow) = loop_and_chain();
        let policy = RetentionPolicy {
            max_leased_frames: 8,
            ..RetentionPolicy::default()
        };
        let mut evm = PooledEvm::with_policy(crate::workload::context(db.clone()), policy);
        let mut stock = crate::stock::StockEvm::new(crate::workload::context(db));
        let mut run = |tx: &TxEnv| {
            let a = TxOutcome::from_result(evm.transact(tx.clone()));
            let b = TxOutcome::from_result(stock.transact(tx.clone()));
            assert_eq!(a, b);
            evm.frame_statistics().total
        };

        let first = run(&deep);
        assert_eq!((first.hits, first.misses), (16, 1025 - 16));
        assert_eq!(
            (first.in_use, first.returns, first.available),
            (8, 1025 - 8, 1025 - 8)
        );
        assert_eq!(first.discards, 0);

        let second = run(&deep);
        // The 8 leased frames serve depths 0 to 7; the manager hands out the rest again.
        assert_eq!(second.misses, first.misses);
        assert_eq!(second.hits - first.hits, 1025 - 8);
        assert_eq!(
            (
                second.in_use,
                second.returns - first.returns,
                second.available
            ),
            (8, 1025 - 8, 1025 - 8)
        );

        // A shallow transaction keeps its 2 frames and gives the other 6 back.
        let after_shallow = run(&shallow);
        assert_eq!(
            (after_shallow.in_use, after_shallow.available),
            (2, 1025 - 2)
        );
        assert_eq!(after_shallow.hits, second.hits);
    }

    /// The frameless end of transaction gives exactly what the full pass gives: same
    /// results, statistics, retained memory, pooled frames and high-water marks, under
    /// several policies (one that forgets soon, one that keeps no box and forgets at
    /// once).
    #[test]
    fn frameless_end_of_transaction_matches_the_full_pass() {
        let policies = [
            RetentionPolicy::default(),
            RetentionPolicy::minimal(),
            RetentionPolicy {
                idle_transactions: 3,
                ..RetentionPolicy::default()
            },
            RetentionPolicy {
                max_spare_inputs: 0,
                idle_transactions: 0,
                ..RetentionPolicy::default()
            },
        ];
        for policy in policies {
            let (w, txs) = mixed_txs();
            let mut fast = PooledEvm::with_policy(w.context(), policy);
            let mut full = PooledEvm::with_policy(w.context(), policy);
            let mut fast_ends = 0;
            for (i, tx) in txs.iter().enumerate() {
                let settled_before = fast.pools.settled;
                // The reference never takes the frameless path.
                full.pools.settled = false;
                let a = TxOutcome::from_result(fast.transact(tx.clone()));
                let b = TxOutcome::from_result(full.transact(tx.clone()));
                assert_eq!(a, b, "tx {i}, {policy:?}");
                if settled_before && fast.pools.stats.transactions > 0 && a.gas_used == 21_000 {
                    fast_ends += 1;
                }
                assert_eq!(fast.pool_stats(), full.pool_stats(), "tx {i}, {policy:?}");
                assert_eq!(fast.retained_bytes(), full.retained_bytes(), "tx {i}");
                assert_eq!(fast.pooled_frames(), full.pooled_frames(), "tx {i}");
                assert_eq!(fast.frame_statistics(), full.frame_statistics(), "tx {i}");
                assert_eq!(fast.pools.recent, full.pools.recent, "tx {i}");
                assert_eq!(fast.pools.demand, full.pools.demand, "tx {i}");
                assert_eq!(fast.pools.stack.capacity(), full.pools.stack.capacity());
                assert_eq!(fast.pools.memory.capacity(), full.pools.memory.capacity());
            }
            // The frameless path was taken, for most of the transfers.
            assert!(fast_ends >= 30, "{fast_ends} frameless ends, {policy:?}");
        }
    }
}
