//! Runs workloads on stock revm and on the pooled EVM and measures them: time per
//! transaction, heap allocations (through a pluggable [`AllocProbe`], normally the
//! `EvmAllocator` installed as global allocator), peak and retained memory, and the
//! frame-pool hit rate. The main job, the benchmarks and the tests share it.

use crate::outcome::TxOutcome;
use crate::pooled::{FramePoolStats, PooledEvm, RetentionPolicy};
use crate::stock::StockEvm;
use crate::workload::{EvmContext, Workload};
use evm_pool::PoolStatistics;
use revm::ExecuteEvm;
use revm::context::TxEnv;
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
    mut progress: impl FnMut(usize),
) -> RunReport {
    let mut evm = AnyEvm::new(kind, workload.context());
    let (outcomes, first) = probe.measure(|| {
        workload
            .txs
            .iter()
            .map(|tx| evm.transact(tx.clone()))
            .collect::<Vec<_>>()
    });
    progress(1);
    let mut steady = AllocSample::default();
    let mut steady_time = Duration::ZERO;
    for done in 0..steady_runs {
        let txs = workload.txs.clone();
        let (elapsed, sample) = probe.measure(|| {
            let start = Instant::now();
            for tx in txs {
                std::hint::black_box(evm.transact_discard(tx));
            }
            start.elapsed()
        });
        steady_time += elapsed;
        steady.accumulate(&sample);
        progress(done + 2);
    }
    RunReport {
        kind,
        txs_per_run: workload.txs.len(),
        steady_runs,
        first,
        steady,
        steady_time,
        outcomes,
        pool: evm.pool_stats(),
        frame_pool: evm.frame_statistics(),
    }
}
