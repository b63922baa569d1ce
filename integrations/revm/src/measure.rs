//! Runs workloads on stock revm and on the pooled EVM and measures them: time per
//! transaction, heap allocations (through a pluggable [`AllocProbe`], normally the
//! `EvmAllocator` installed as global allocator), peak and retained memory, and the
//! frame-pool hit rate. The main job, the benchmarks and the tests share it.

use crate::outcome::TxOutcome;
use crate::pooled::{FramePoolStats, FramePools, PooledEvm, RetentionPolicy};
use crate::stock::StockEvm;
use crate::workload::{EvmContext, Workload};
use evm_pool::PoolStatistics;
use revm::ExecuteEvm;
use revm::context::TxEnv;
use revm::handler::EthPrecompiles;
use revm::primitives::hardfork::SpecId;
use std::time::{Duration, Instant};

/// Heap activity of one measured stretch of code (one thread).
///
/// ```
/// use evm_pool_revm::measure::AllocSample;
///
/// let mut total = AllocSample::default();
/// total.accumulate(&AllocSample { allocations: 3, bytes: 96, peak_bytes: 64, net_bytes: 0, by_class: vec![(Some(32), 3)] });
/// total.accumulate(&AllocSample { allocations: 1, bytes: 32, peak_bytes: 32, net_bytes: 32, by_class: vec![(Some(32), 1)] });
/// assert_eq!((total.allocations, total.bytes, total.peak_bytes), (4, 128, 64));
/// assert_eq!(total.by_class, [(Some(32), 4)]);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllocSample {
    /// Blocks allocated (reallocations that move count as one).
    pub allocations: u64,
    /// Bytes allocated.
    pub bytes: u64,
    /// Highest heap growth above the start of the stretch, in bytes.
    pub peak_bytes: u64,
    /// Bytes still allocated at the end minus at the start (negative when it freed more).
    pub net_bytes: i64,
    /// Allocations per size class: `(class block size, count)`, `None` for the bucket
    /// above the largest class; empty when the probe has no classes.
    pub by_class: Vec<(Option<usize>, u64)>,
}

impl AllocSample {
    /// Adds `other` (counts and bytes summed, peak = the larger peak).
    ///
    /// ```
    /// use evm_pool_revm::measure::AllocSample;
    ///
    /// let mut sum = AllocSample::default();
    /// sum.accumulate(&AllocSample { allocations: 2, net_bytes: -8, ..AllocSample::default() });
    /// assert_eq!((sum.allocations, sum.net_bytes), (2, -8));
    /// ```
    pub fn accumulate(&mut self, other: &AllocSample) {
        self.allocations += other.allocations;
        self.bytes += other.bytes;
        self.peak_bytes = self.peak_bytes.max(other.peak_bytes);
        self.net_bytes += other.net_bytes;
        for &(size, count) in &other.by_class {
            match self.by_class.iter_mut().find(|(s, _)| *s == size) {
                Some((_, c)) => *c += count,
                None => self.by_class.push((size, count)),
            }
        }
    }
}

/// Where allocation numbers come from. [`NoProbe`] reports zeros; the main job plugs in
/// the global `EvmAllocator`'s per-thread regions.
///
/// ```
/// use evm_pool_revm::measure::{AllocProbe, AllocSample};
///
/// /// Counts calls instead of allocations.
/// struct Calls;
/// impl AllocProbe for Calls {
///     fn measure<R>(&self, f: impl FnOnce() -> R) -> (R, AllocSample) {
///         (f(), AllocSample { allocations: 1, ..AllocSample::default() })
///     }
/// }
/// let (value, sample) = Calls.measure(|| 6 * 7);
/// assert_eq!((value, sample.allocations), (42, 1));
/// ```
pub trait AllocProbe {
    /// Runs `f` and reports what it allocated.
    ///
    /// ```
    /// use evm_pool_revm::measure::{AllocProbe, NoProbe};
    ///
    /// let (sum, sample) = NoProbe.measure(|| (1..=10).sum::<u32>());
    /// assert_eq!((sum, sample.allocations), (55, 0));
    /// ```
    fn measure<R>(&self, f: impl FnOnce() -> R) -> (R, AllocSample);
}

/// A probe that measures nothing (all zeros), for runs that only need time.
///
/// ```
/// use evm_pool_revm::measure::{AllocProbe, NoProbe};
///
/// let (v, sample) = NoProbe.measure(|| vec![0u8; 1024]);
/// assert_eq!((v.len(), sample.bytes), (1024, 0)); // measures nothing
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProbe;

impl AllocProbe for NoProbe {
    fn measure<R>(&self, f: impl FnOnce() -> R) -> (R, AllocSample) {
        (f(), AllocSample::default())
    }
}

/// Which EVM runs the workload.
///
/// ```
/// use evm_pool_revm::measure::EvmKind;
///
/// assert_eq!(EvmKind::Stock.name(), "stock revm");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvmKind {
    /// revm as built by `build_mainnet()`.
    Stock,
    /// [`PooledEvm`] with the default [`RetentionPolicy`].
    Pooled,
}

impl EvmKind {
    /// Display name.
    ///
    /// ```
    /// use evm_pool_revm::measure::EvmKind;
    ///
    /// assert_eq!(EvmKind::Pooled.name(), "pooled");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Self::Stock => "stock revm",
            Self::Pooled => "pooled",
        }
    }
}

/// Either EVM, behind one `transact`.
///
/// ```
/// use evm_pool_revm::measure::{AnyEvm, EvmKind};
/// use evm_pool_revm::workload::Workload;
///
/// let w = Workload::transfers(2);
/// for kind in [EvmKind::Stock, EvmKind::Pooled] {
///     let mut evm = AnyEvm::new(kind, w.context());
///     assert!(evm.transact(w.txs[0].clone()).is_success());
/// }
/// ```
#[derive(Debug)]
pub enum AnyEvm {
    /// Stock revm.
    Stock(Box<StockEvm>),
    /// The pooled EVM.
    Pooled(Box<PooledEvm<EvmContext>>),
}

impl AnyEvm {
    /// Builds `kind` over `ctx`.
    ///
    /// ```
    /// use evm_pool_revm::measure::{AnyEvm, EvmKind};
    /// use evm_pool_revm::workload::Workload;
    ///
    /// let evm = AnyEvm::new(EvmKind::Pooled, Workload::transfers(1).context());
    /// assert!(matches!(evm, AnyEvm::Pooled(_)));
    /// ```
    pub fn new(kind: EvmKind, ctx: EvmContext) -> Self {
        match kind {
            EvmKind::Stock => Self::Stock(Box::new(StockEvm::new(ctx))),
            EvmKind::Pooled => Self::Pooled(Box::new(PooledEvm::with_policy(
                ctx,
                RetentionPolicy::default(),
            ))),
        }
    }

    /// Executes `tx` without committing (both EVMs' `transact`).
    ///
    /// ```
    /// use evm_pool_revm::measure::{AnyEvm, EvmKind};
    /// use evm_pool_revm::workload::Workload;
    ///
    /// let w = Workload::transfers(1);
    /// let mut evm = AnyEvm::new(EvmKind::Stock, w.context());
    /// assert_eq!(evm.transact(w.txs[0].clone()).gas_used, 21_000);
    /// ```
    #[inline]
    pub fn transact(&mut self, tx: TxEnv) -> TxOutcome {
        match self {
            Self::Stock(evm) => TxOutcome::from_result(evm.transact(tx)),
            Self::Pooled(evm) => TxOutcome::from_result(evm.transact(tx)),
        }
    }

    /// Executes `tx` and drops the result (what the timing loops run).
    ///
    /// ```
    /// use evm_pool_revm::measure::{AnyEvm, EvmKind};
    /// use evm_pool_revm::workload::Workload;
    ///
    /// let w = Workload::transfers(1);
    /// let mut evm = AnyEvm::new(EvmKind::Pooled, w.context());
    /// assert!(evm.transact_discard(w.txs[0].clone()));
    /// ```
    #[inline]
    pub fn transact_discard(&mut self, tx: TxEnv) -> bool {
        match self {
            Self::Stock(evm) => evm.transact(tx).is_ok(),
            Self::Pooled(evm) => evm.transact(tx).is_ok(),
        }
    }

    /// Pool statistics (pooled EVM only).
    ///
    /// ```
    /// use evm_pool_revm::measure::{AnyEvm, EvmKind};
    /// use evm_pool_revm::workload::Workload;
    ///
    /// let w = Workload::call_loop(10);
    /// let mut pooled = AnyEvm::new(EvmKind::Pooled, w.context());
    /// pooled.transact(w.txs[0].clone());
    /// assert_eq!(pooled.pool_stats().map(|s| s.transactions), Some(1));
    /// assert!(AnyEvm::new(EvmKind::Stock, w.context()).pool_stats().is_none());
    /// ```
    pub fn pool_stats(&self) -> Option<FramePoolStats> {
        match self {
            Self::Stock(_) => None,
            Self::Pooled(evm) => Some(evm.pool_stats()),
        }
    }

    /// The frame pool manager's statistics (pooled EVM only).
    ///
    /// ```
    /// use evm_pool_revm::measure::{AnyEvm, EvmKind};
    /// use evm_pool_revm::workload::Workload;
    ///
    /// let w = Workload::call_loop(10);
    /// let mut pooled = AnyEvm::new(EvmKind::Pooled, w.context());
    /// pooled.transact(w.txs[0].clone());
    /// // Depths 0 and 1, leased to the EVM after the transaction (in use, not returned).
    /// let total = pooled.frame_statistics().map(|s| (s.total.in_use, s.total.returns));
    /// assert_eq!(total, Some((2, 0)));
    /// assert!(AnyEvm::new(EvmKind::Stock, w.context()).frame_statistics().is_none());
    /// ```
    pub fn frame_statistics(&self) -> Option<PoolStatistics> {
        match self {
            Self::Stock(_) => None,
            Self::Pooled(evm) => Some(evm.frame_statistics()),
        }
    }
}

/// An EVM built anew for every transaction, the way RPC servers answer `eth_call` and
/// simulators run a request: stock revm builds a fresh EVM (its frame stack, 32 KiB
/// operand stacks and shared memory allocated again) and drops it after the transaction;
/// the pooled EVM is built around the [`FramePools`] the previous one left
/// ([`PooledEvm::with_pools`], [`PooledEvm::into_pools`]), so its frames, buffers and
/// spare boxes survive from request to request.
///
/// ```
/// use evm_pool_revm::measure::{EvmKind, FreshEvm};
/// use evm_pool_revm::workload::Workload;
///
/// let w = Workload::call_chain();
/// let mut stock = FreshEvm::new(EvmKind::Stock);
/// let mut pooled = FreshEvm::new(EvmKind::Pooled);
/// for _ in 0..2 {
///     let a = stock.transact(w.context(), w.txs[0].clone());
///     let b = pooled.transact(w.context(), w.txs[0].clone());
///     assert_eq!(a.difference(&b), None);
/// }
/// // The second pooled EVM found the first one's 1025 frames: none was created again.
/// let total = pooled.frame_statistics().expect("pooled").total;
/// assert_eq!((total.misses, total.hits), (1025 - 16, 16 + 1025));
/// ```
#[derive(Debug)]
pub struct FreshEvm {
    kind: EvmKind,
    /// The pooled EVM's pools between transactions (`None` before the first one and for
    /// stock revm).
    pools: Option<FramePools>,
}

impl FreshEvm {
    /// A per-transaction `kind` EVM; the pooled one creates its pools with the default
    /// [`RetentionPolicy`] on its first transaction.
    ///
    /// ```
    /// use evm_pool_revm::measure::{EvmKind, FreshEvm};
    ///
    /// assert!(FreshEvm::new(EvmKind::Pooled).frame_statistics().is_none()); // nothing ran yet
    /// ```
    pub fn new(kind: EvmKind) -> Self {
        Self { kind, pools: None }
    }

    /// Builds an EVM over `ctx`, executes `tx` without committing, and drops the EVM
    /// (the pooled EVM keeps its pools).
    ///
    /// ```
    /// use evm_pool_revm::measure::{EvmKind, FreshEvm};
    /// use evm_pool_revm::workload::Workload;
    ///
    /// let w = Workload::transfers(1);
    /// let mut evm = FreshEvm::new(EvmKind::Stock);
    /// assert_eq!(evm.transact(w.context(), w.txs[0].clone()).gas_used, 21_000);
    /// ```
    #[inline]
    pub fn transact(&mut self, ctx: EvmContext, tx: TxEnv) -> TxOutcome {
        self.run(ctx, |evm| evm.transact(tx))
    }

    /// [`transact`](Self::transact) that drops the result (what the timing loops run).
    ///
    /// ```
    /// use evm_pool_revm::measure::{EvmKind, FreshEvm};
    /// use evm_pool_revm::workload::Workload;
    ///
    /// let w = Workload::call_loop(10);
    /// let mut evm = FreshEvm::new(EvmKind::Pooled);
    /// assert!(evm.transact_discard(w.context(), w.txs[0].clone()));
    /// ```
    #[inline]
    pub fn transact_discard(&mut self, ctx: EvmContext, tx: TxEnv) -> bool {
        self.run(ctx, |evm| evm.transact_discard(tx))
    }

    #[inline]
    fn run<R>(&mut self, ctx: EvmContext, f: impl FnOnce(&mut AnyEvm) -> R) -> R {
        let mut evm = match (self.kind, self.pools.take()) {
            (EvmKind::Pooled, Some(pools)) => {
                let spec: SpecId = ctx.cfg.spec;
                AnyEvm::Pooled(Box::new(PooledEvm::with_pools(
                    ctx,
                    EthPrecompiles::new(spec),
                    pools,
                )))
            }
            (kind, _) => AnyEvm::new(kind, ctx),
        };
        let result = f(&mut evm);
        if let AnyEvm::Pooled(evm) = evm {
            self.pools = Some(evm.into_pools());
        }
        result
    }

    /// The frame pool manager's statistics (pooled EVM, after its first transaction):
    /// between transactions every frame is back in the manager.
    ///
    /// ```
    /// use evm_pool_revm::measure::{EvmKind, FreshEvm};
    /// use evm_pool_revm::workload::Workload;
    ///
    /// let w = Workload::call_loop(10);
    /// let mut evm = FreshEvm::new(EvmKind::Pooled);
    /// evm.transact(w.context(), w.txs[0].clone());
    /// let total = evm.frame_statistics().expect("pooled").total;
    /// assert_eq!((total.hits, total.returns, total.in_use), (2, 2, 0));
    /// ```
    pub fn frame_statistics(&self) -> Option<PoolStatistics> {
        self.pools.as_ref().map(FramePools::frame_statistics)
    }
}

/// How long an EVM lives in a measurement.
///
/// ```
/// use evm_pool_revm::measure::EvmLifetime;
///
/// assert_eq!(EvmLifetime::PerTransaction.name(), "a fresh EVM per transaction");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvmLifetime {
    /// One EVM runs every transaction of the workload, as a node executing blocks holds
    /// one ([`AnyEvm`]).
    Shared,
    /// Every transaction gets an EVM of its own, as an RPC server answering `eth_call`
    /// builds one per request ([`FreshEvm`]).
    PerTransaction,
}

impl EvmLifetime {
    /// Display name.
    ///
    /// ```
    /// use evm_pool_revm::measure::EvmLifetime;
    ///
    /// assert_eq!(EvmLifetime::Shared.name(), "one EVM for all transactions");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Self::Shared => "one EVM for all transactions",
            Self::PerTransaction => "a fresh EVM per transaction",
        }
    }
}

/// One EVM kind running a workload with an [`EvmLifetime`]: what the main job and the
/// benchmarks time. A run's inputs are prepared apart ([`prepare`](Self::prepare)), so
/// cloning transactions and contexts stays out of the measured work.
///
/// ```
/// use evm_pool_revm::measure::{EvmKind, EvmLifetime, WorkloadRunner};
/// use evm_pool_revm::workload::Workload;
///
/// let w = Workload::call_loop(10);
/// let mut runner = WorkloadRunner::new(EvmKind::Pooled, EvmLifetime::PerTransaction, &w);
/// let inputs = runner.prepare(&w);
/// let outcomes = runner.run_outcomes(inputs);
/// assert!(outcomes[0].is_success());
/// ```
#[derive(Debug)]
pub enum WorkloadRunner {
    /// [`EvmLifetime::Shared`].
    Shared(Box<AnyEvm>),
    /// [`EvmLifetime::PerTransaction`]: the EVM, and the context each transaction's EVM
    /// is built over when its inputs bring none.
    PerTransaction(Box<FreshEvm>, Box<EvmContext>),
}

/// The inputs of one run of a workload ([`WorkloadRunner::prepare`]).
#[derive(Debug)]
pub enum RunInputs {
    /// The transactions, for [`EvmLifetime::Shared`].
    Txs(Vec<TxEnv>),
    /// Each transaction with the context its EVM is built over, for
    /// [`EvmLifetime::PerTransaction`].
    WithContexts(Vec<(EvmContext, TxEnv)>),
}

impl WorkloadRunner {
    /// A `kind` EVM for `workload` that lives as `lifetime` says.
    ///
    /// ```
    /// use evm_pool_revm::measure::{EvmKind, EvmLifetime, WorkloadRunner};
    /// use evm_pool_revm::workload::Workload;
    ///
    /// let w = Workload::transfers(2);
    /// let runner = WorkloadRunner::new(EvmKind::Stock, EvmLifetime::Shared, &w);
    /// assert!(matches!(runner, WorkloadRunner::Shared(_)));
    /// ```
    pub fn new(kind: EvmKind, lifetime: EvmLifetime, workload: &Workload) -> Self {
        match lifetime {
            EvmLifetime::Shared => Self::Shared(Box::new(AnyEvm::new(kind, workload.context()))),
            EvmLifetime::PerTransaction => {
                Self::PerTransaction(Box::new(FreshEvm::new(kind)), Box::new(workload.context()))
            }
        }
    }

    /// The inputs of one run of `workload`: its transactions, each with a fresh context
    /// when every transaction gets its own EVM.
    ///
    /// ```
    /// use evm_pool_revm::measure::{EvmKind, EvmLifetime, RunInputs, WorkloadRunner};
    /// use evm_pool_revm::workload::Workload;
    ///
    /// let w = Workload::transfers(3);
    /// let runner = WorkloadRunner::new(EvmKind::Stock, EvmLifetime::PerTransaction, &w);
    /// assert!(matches!(runner.prepare(&w), RunInputs::WithContexts(c) if c.len() == 3));
    /// ```
    pub fn prepare(&self, workload: &Workload) -> RunInputs {
        match self {
            Self::Shared(_) => RunInputs::Txs(workload.txs.clone()),
            Self::PerTransaction(..) => RunInputs::WithContexts(
                workload
                    .txs
                    .iter()
                    .map(|tx| (workload.context(), tx.clone()))
                    .collect(),
            ),
        }
    }

    /// Runs the transactions of `inputs`, dropping the results (what timing loops run).
    ///
    /// ```
    /// use evm_pool_revm::measure::{EvmKind, EvmLifetime, WorkloadRunner};
    /// use evm_pool_revm::workload::Workload;
    ///
    /// let w = Workload::call_chain();
    /// let mut runner = WorkloadRunner::new(EvmKind::Pooled, EvmLifetime::PerTransaction, &w);
    /// for _ in 0..2 {
    ///     let inputs = runner.prepare(&w);
    ///     runner.run(inputs);
    /// }
    /// // The second EVM took the first one's 1025 frames back from the manager.
    /// assert_eq!(runner.frame_statistics().map(|s| s.total.misses), Some(1025 - 16));
    /// ```
    #[inline]
    pub fn run(&mut self, inputs: RunInputs) {
        self.each(inputs, |evm, tx| {
            std::hint::black_box(evm.transact_discard(tx));
        });
    }

    /// Runs the transactions of `inputs` and returns their outcomes, in order.
    ///
    /// ```
    /// use evm_pool_revm::measure::{EvmKind, EvmLifetime, WorkloadRunner};
    /// use evm_pool_revm::workload::Workload;
    ///
    /// let w = Workload::transfers(2);
    /// let mut runner = WorkloadRunner::new(EvmKind::Stock, EvmLifetime::Shared, &w);
    /// let inputs = runner.prepare(&w);
    /// assert_eq!(runner.run_outcomes(inputs).len(), 2);
    /// ```
    pub fn run_outcomes(&mut self, inputs: RunInputs) -> Vec<TxOutcome> {
        let mut outcomes = Vec::new();
        self.each(inputs, |evm, tx| outcomes.push(evm.transact(tx)));
        outcomes
    }

    #[inline]
    fn each(&mut self, inputs: RunInputs, mut f: impl FnMut(TxRunner<'_>, TxEnv)) {
        match (self, inputs) {
            (Self::Shared(evm), RunInputs::Txs(txs)) => {
                for tx in txs {
                    f(TxRunner::Shared(evm), tx);
                }
            }
            (Self::PerTransaction(evm, _), RunInputs::WithContexts(txs)) => {
                for (ctx, tx) in txs {
                    f(TxRunner::Fresh(evm, ctx), tx);
                }
            }
            // Inputs another runner prepared: contexts are ignored by a shared EVM and
            // built here for fresh ones.
            (Self::Shared(evm), RunInputs::WithContexts(txs)) => {
                for (_, tx) in txs {
                    f(TxRunner::Shared(evm), tx);
                }
            }
            (Self::PerTransaction(evm, ctx), RunInputs::Txs(txs)) => {
                for tx in txs {
                    f(TxRunner::Fresh(evm, (**ctx).clone()), tx);
                }
            }
        }
    }

    /// The pooled EVM's counters ([`EvmLifetime::Shared`] only).
    ///
    /// ```
    /// use evm_pool_revm::measure::{EvmKind, EvmLifetime, WorkloadRunner};
    /// use evm_pool_revm::workload::Workload;
    ///
    /// let w = Workload::transfers(1);
    /// let runner = WorkloadRunner::new(EvmKind::Pooled, EvmLifetime::Shared, &w);
    /// assert_eq!(runner.pool_stats().map(|s| s.transactions), Some(0));
    /// ```
    pub fn pool_stats(&self) -> Option<FramePoolStats> {
        match self {
            Self::Shared(evm) => evm.pool_stats(),
            Self::PerTransaction(..) => None,
        }
    }

    /// The pooled EVM's frame pool manager statistics.
    ///
    /// ```
    /// use evm_pool_revm::measure::{EvmKind, EvmLifetime, WorkloadRunner};
    /// use evm_pool_revm::workload::Workload;
    ///
    /// let w = Workload::transfers(1);
    /// let runner = WorkloadRunner::new(EvmKind::Stock, EvmLifetime::PerTransaction, &w);
    /// assert!(runner.frame_statistics().is_none());
    /// ```
    pub fn frame_statistics(&self) -> Option<PoolStatistics> {
        match self {
            Self::Shared(evm) => evm.frame_statistics(),
            Self::PerTransaction(evm, _) => evm.frame_statistics(),
        }
    }
}

/// One transaction's EVM inside [`WorkloadRunner`]: the shared one, or a fresh one
/// built over the given context.
#[allow(
    clippy::large_enum_variant,
    reason = "made and consumed once per transaction; boxing the context would allocate"
)]
enum TxRunner<'a> {
    Shared(&'a mut AnyEvm),
    Fresh(&'a mut FreshEvm, EvmContext),
}

impl TxRunner<'_> {
    #[inline]
    fn transact(self, tx: TxEnv) -> TxOutcome {
        match self {
            Self::Shared(evm) => evm.transact(tx),
            Self::Fresh(evm, ctx) => evm.transact(ctx, tx),
        }
    }

    #[inline]
    fn transact_discard(self, tx: TxEnv) -> bool {
        match self {
            Self::Shared(evm) => evm.transact_discard(tx),
            Self::Fresh(evm, ctx) => evm.transact_discard(ctx, tx),
        }
    }
}

/// What [`run`] measured for one EVM on one workload.
///
/// ```
/// use evm_pool_revm::measure::{EvmKind, NoProbe, run};
/// use evm_pool_revm::workload::Workload;
///
/// let report = run(EvmKind::Pooled, &Workload::call_loop(10), 2, &NoProbe, |_| {});
/// assert_eq!((report.txs_per_run, report.steady_runs), (1, 2));
/// assert!(report.outcomes[0].is_success());
/// assert_eq!(report.pool.map(|p| p.transactions), Some(3));
/// ```
#[derive(Debug, Clone)]
pub struct RunReport {
    /// The EVM.
    pub kind: EvmKind,
    /// Transactions per run of the workload.
    pub txs_per_run: usize,
    /// Timed runs after the first.
    pub steady_runs: usize,
    /// Allocations of the first run (cold EVM: frames, stacks, caches created).
    pub first: AllocSample,
    /// Allocations of all steady runs together.
    pub steady: AllocSample,
    /// Wall time of all steady runs together.
    pub steady_time: Duration,
    /// Wall time of each steady run, in order.
    pub run_times: Vec<Duration>,
    /// Outcomes of the first run, in transaction order.
    pub outcomes: Vec<TxOutcome>,
    /// Pool statistics at the end (pooled EVM only).
    pub pool: Option<FramePoolStats>,
    /// The frame pool manager's statistics at the end (pooled EVM only).
    pub frame_pool: Option<PoolStatistics>,
}

impl RunReport {
    fn steady_txs(&self) -> f64 {
        (self.steady_runs * self.txs_per_run).max(1) as f64
    }

    /// Mean wall time per transaction in steady state.
    ///
    /// ```
    /// use evm_pool_revm::measure::{EvmKind, NoProbe, run};
    /// use evm_pool_revm::workload::Workload;
    ///
    /// let report = run(EvmKind::Pooled, &Workload::call_loop(10), 2, &NoProbe, |_| {});
    /// assert!(report.time_per_tx() <= report.steady_time);
    /// ```
    pub fn time_per_tx(&self) -> Duration {
        self.steady_time.div_f64(self.steady_txs())
    }

    /// Median wall time per transaction over the steady runs: the figure a few slow runs
    /// (another process, a page fault) do not move. Zero without steady runs.
    ///
    /// ```
    /// use evm_pool_revm::measure::{EvmKind, NoProbe, run};
    /// use evm_pool_revm::workload::Workload;
    ///
    /// let report = run(EvmKind::Stock, &Workload::transfers(4), 3, &NoProbe, |_| {});
    /// assert!(report.median_time_per_tx() > std::time::Duration::ZERO);
    /// ```
    pub fn median_time_per_tx(&self) -> Duration {
        let mut times = self.run_times.clone();
        times.sort();
        times.get(times.len() / 2).map_or(Duration::ZERO, |t| {
            t.div_f64(self.txs_per_run.max(1) as f64)
        })
    }

    /// Mean heap allocations per transaction in steady state.
    ///
    /// ```
    /// use evm_pool_revm::measure::{EvmKind, NoProbe, run};
    /// use evm_pool_revm::workload::Workload;
    ///
    /// let report = run(EvmKind::Pooled, &Workload::call_loop(10), 2, &NoProbe, |_| {});
    /// assert_eq!(report.allocations_per_tx(), 0.0); // `NoProbe` counts nothing
    /// ```
    pub fn allocations_per_tx(&self) -> f64 {
        self.steady.allocations as f64 / self.steady_txs()
    }

    /// Mean bytes allocated per transaction in steady state.
    ///
    /// ```
    /// use evm_pool_revm::measure::{EvmKind, NoProbe, run};
    /// use evm_pool_revm::workload::Workload;
    ///
    /// let report = run(EvmKind::Pooled, &Workload::call_loop(10), 2, &NoProbe, |_| {});
    /// assert_eq!(report.bytes_per_tx(), 0.0);
    /// ```
    pub fn bytes_per_tx(&self) -> f64 {
        self.steady.bytes as f64 / self.steady_txs()
    }
}

/// Runs `workload` on a fresh `kind` EVM: one cold run (outcomes and first-run
/// allocations recorded), then `steady_runs` timed runs. `progress` is called after each
/// run with the number of runs done.
///
/// ```
/// use evm_pool_revm::measure::{EvmKind, NoProbe, run};
/// use evm_pool_revm::workload::Workload;
///
/// let report = run(EvmKind::Pooled, &Workload::call_loop(10), 2, &NoProbe, |_| {});
/// println!("{}: {:?} per transaction", report.kind.name(), report.time_per_tx());
/// ```
pub fn run(
    kind: EvmKind,
    workload: &Workload,
    steady_runs: usize,
    probe: &impl AllocProbe,
    progress: impl FnMut(usize),
) -> RunReport {
    let [report] = run_alternating(
        [kind],
        EvmLifetime::Shared,
        workload,
        steady_runs,
        probe,
        progress,
    );
    report
}

/// Runs `workload` on stock revm and on the pooled EVM in alternation, for a fair
/// comparison on a machine whose load changes: both cold runs first, then `steady_runs`
/// rounds, each timing one run on each EVM, the order flipping every round. `lifetime`
/// says whether one EVM of each kind runs all transactions or each gets a fresh one.
/// [`PairedRatio::of`] turns the two reports into the median per-round ratio. `progress`
/// is called after each round with the number of rounds done (the cold one included).
///
/// ```
/// use evm_pool_revm::measure::{EvmKind, EvmLifetime, NoProbe, PairedRatio, run_paired};
/// use evm_pool_revm::workload::Workload;
///
/// let w = Workload::call_loop(10);
/// let [stock, pooled] = run_paired(&w, EvmLifetime::Shared, 5, &NoProbe, |_| {});
/// assert_eq!((stock.kind, pooled.kind), (EvmKind::Stock, EvmKind::Pooled));
/// assert_eq!(stock.outcomes, pooled.outcomes);
/// let ratio = PairedRatio::of(&stock, &pooled).expect("5 rounds");
/// assert!(ratio.lower_quartile <= ratio.median && ratio.median <= ratio.upper_quartile);
/// ```
pub fn run_paired(
    workload: &Workload,
    lifetime: EvmLifetime,
    steady_runs: usize,
    probe: &impl AllocProbe,
    progress: impl FnMut(usize),
) -> [RunReport; 2] {
    run_alternating(
        [EvmKind::Stock, EvmKind::Pooled],
        lifetime,
        workload,
        steady_runs,
        probe,
        progress,
    )
}

/// One cold run per EVM, then `steady_runs` rounds of one timed run per EVM; in odd
/// rounds the EVMs run in reverse order, so neither always runs first.
fn run_alternating<const N: usize>(
    kinds: [EvmKind; N],
    lifetime: EvmLifetime,
    workload: &Workload,
    steady_runs: usize,
    probe: &impl AllocProbe,
    mut progress: impl FnMut(usize),
) -> [RunReport; N] {
    let mut runners = kinds.map(|kind| WorkloadRunner::new(kind, lifetime, workload));
    let mut reports = kinds.map(|kind| RunReport {
        kind,
        txs_per_run: workload.txs.len(),
        steady_runs,
        first: AllocSample::default(),
        steady: AllocSample::default(),
        steady_time: Duration::ZERO,
        run_times: Vec::with_capacity(steady_runs),
        outcomes: Vec::new(),
        pool: None,
        frame_pool: None,
    });
    for (runner, report) in runners.iter_mut().zip(&mut reports) {
        let inputs = runner.prepare(workload);
        (report.outcomes, report.first) = probe.measure(|| runner.run_outcomes(inputs));
    }
    progress(1);
    for round in 0..steady_runs {
        for i in 0..N {
            let i = if round % 2 == 0 { i } else { N - 1 - i };
            let runner = &mut runners[i];
            // Prepared before the clock starts: the clones are not the EVM's work.
            let inputs = runner.prepare(workload);
            let (elapsed, sample) = probe.measure(|| {
                let start = Instant::now();
                runner.run(inputs);
                start.elapsed()
            });
            let report = &mut reports[i];
            report.steady_time += elapsed;
            report.run_times.push(elapsed);
            report.steady.accumulate(&sample);
        }
        progress(round + 2);
    }
    for (runner, report) in runners.iter().zip(&mut reports) {
        (report.pool, report.frame_pool) = (runner.pool_stats(), runner.frame_statistics());
    }
    reports
}

/// How two EVMs timed in alternation ([`run_paired`]) compare: the ratio `other / base`
/// of each round's run times, as median and middle half. A change of machine load
/// between rounds moves both runs of a round, so it barely moves their ratio.
///
/// ```
/// use evm_pool_revm::measure::PairedRatio;
/// use std::time::Duration;
///
/// let ms = |v: &[u64]| v.iter().map(|&m| Duration::from_millis(m)).collect::<Vec<_>>();
/// // The third round ran on a busy machine: both runs were slow, the ratio barely moved.
/// let (stock, pooled) = (ms(&[10, 10, 30, 10, 10]), ms(&[8, 9, 27, 8, 8]));
/// let ratio = PairedRatio::from_times(&stock, &pooled).unwrap();
/// let close = |a: f64, b: f64| (a - b).abs() < 1e-9;
/// assert!(close(ratio.median, 0.8));
/// assert!(close(ratio.lower_quartile, 0.8) && close(ratio.upper_quartile, 0.9));
/// assert_eq!(ratio.rounds, 5);
/// assert!(PairedRatio::from_times(&[], &[]).is_none());
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PairedRatio {
    /// Median of the per-round ratios.
    pub median: f64,
    /// First quartile of the per-round ratios.
    pub lower_quartile: f64,
    /// Third quartile of the per-round ratios.
    pub upper_quartile: f64,
    /// Rounds compared.
    pub rounds: usize,
}

impl PairedRatio {
    /// Ratios of `other[i] / base[i]` over the rounds both have; `None` without rounds.
    /// Quantiles are taken at index `(rounds - 1) * q / 4` of the sorted ratios, the
    /// median at `rounds / 2`.
    ///
    /// ```
    /// use evm_pool_revm::measure::PairedRatio;
    /// use std::time::Duration;
    ///
    /// let s = [Duration::from_micros(100); 3];
    /// let p = [Duration::from_micros(50), Duration::from_micros(100), Duration::from_micros(200)];
    /// assert_eq!(PairedRatio::from_times(&s, &p).unwrap().median, 1.0);
    /// ```
    pub fn from_times(base: &[Duration], other: &[Duration]) -> Option<Self> {
        let mut ratios: Vec<f64> = base
            .iter()
            .zip(other)
            .map(|(b, o)| o.as_secs_f64() / b.as_secs_f64().max(f64::MIN_POSITIVE))
            .collect();
        if ratios.is_empty() {
            return None;
        }
        ratios.sort_by(f64::total_cmp);
        let rounds = ratios.len();
        let quartile = |q: usize| ratios[(rounds - 1) * q / 4];
        Some(Self {
            median: ratios[rounds / 2],
            lower_quartile: quartile(1),
            upper_quartile: quartile(3),
            rounds,
        })
    }

    /// The ratio of `other`'s steady run times to `base`'s, round by round (reports of
    /// [`run_paired`]).
    ///
    /// ```
    /// use evm_pool_revm::measure::{EvmLifetime, NoProbe, PairedRatio, run_paired};
    /// use evm_pool_revm::workload::Workload;
    ///
    /// let w = Workload::transfers(4);
    /// let [stock, pooled] = run_paired(&w, EvmLifetime::PerTransaction, 3, &NoProbe, |_| {});
    /// assert_eq!(PairedRatio::of(&stock, &pooled).unwrap().rounds, 3);
    /// ```
    pub fn of(base: &RunReport, other: &RunReport) -> Option<Self> {
        Self::from_times(&base.run_times, &other.run_times)
    }
}
