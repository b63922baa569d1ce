//! The frame pool manager: per-class pools of [`PooledFrame`]s, the EVM nesting rules,
//! the call trees' shared buffers, self-tuning, cleanup and memory pressure.

use std::cell::{RefCell, UnsafeCell};
use std::fmt;
use std::ops::{Deref, DerefMut};
use std::time::Duration;

use crate::pool::{ConfigError, OverflowPolicy, PoolConfig, PoolStats};

use super::FrameError;
use super::clock::{Clock, SystemClock};
use super::config::{ClassLayout, FramePoolConfig};
use super::kind::{FrameClass, FrameKind};
use super::pooled::{CALL_DEPTH_LIMIT, FrameRequest, Gas, PooledFrame};
use super::shared::{STACK_LIMIT, SharedMemory, SharedStack, Word, take_back_both};
use super::stats::{BufferStats, ClassStats, PoolStatistics};
use super::tracker::{AllocationTracker, FrameEvent, FrameEventKind};

/// Hands out call frames from per-kind pools and enforces the EVM's nesting rules.
///
/// - [`acquire`](Self::acquire)`(kind, parent)` returns a [`FrameGuard`]; dropping it
///   releases the frame (gas left over goes back to the parent, the shared stack and
///   memory go back to the parent's views, the frame goes back to its pool).
/// - A child guard borrows its parent mutably, so the borrow checker enforces LIFO
///   order: the parent cannot run, or be released, while its child lives.
/// - Rules: call depth at most [`CALL_DEPTH_LIMIT`]; a child gets at most all but one
///   64th of its parent's remaining gas (EIP-150); children of static frames are
///   static and may not be `CREATE`, `CREATE2` or a value-carrying `CALL`; precompile
///   frames have no children. Breaking one is a [`FrameError`]; nothing is taken
///   from a pool.
///
/// The manager is single-threaded (`Send`, not `Sync`): give each executor thread its
/// own and merge their [`PoolStatistics`] (see the [module docs](super#threads)).
///
/// ```
/// use evm_pool_runtime::{FrameError, FrameKind, FramePoolConfig, FramePoolManager, FrameRequest};
///
/// let manager = FramePoolManager::<[u8; 32]>::new(FramePoolConfig::high_performance())?;
/// let mut tx = manager.acquire_with(FrameRequest::new(FrameKind::Call).gas(64_000), None)?;
/// tx.stack_mut().push([1; 32])?;
/// {
///     let mut child = manager.acquire(FrameKind::StaticCall, Some(&mut tx))?;
///     assert_eq!(child.gas.limit, 63_000); // all but one 64th
///     assert!(child.is_static());
///     assert!(matches!(
///         manager.acquire(FrameKind::Create, Some(&mut child)),
///         Err(FrameError::StaticViolation { .. })
///     ));
///     child.gas.spend(1_000);
/// } // child released: 62_000 gas back to the parent, its stack words gone
/// assert_eq!(tx.gas.remaining, 63_000);
/// assert_eq!(tx.stack().as_slice(), &[[1; 32]]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct FramePoolManager<W: Copy = Word, X: Default = ()> {
    pub(super) config: FramePoolConfig,
    /// The first size-class bound (`usize::MAX` without size classes).
    smallest_bound: usize,
    /// Frames retaining at most this many bytes go back to the smallest size class on
    /// the inline release path: `min(smallest_bound, max_pooled_bytes)`.
    small_release_bound: usize,
    /// The nested API's fast paths in one compare each: requests with less call data
    /// than `fast_take_below` and frames retaining less than `fast_put_below` bytes take
    /// them (`smallest_bound + 1` and `small_release_bound + 1`, saturating); 0 with a
    /// timeline, which the general paths record.
    fast_take_below: usize,
    fast_put_below: usize,
    /// `fast_put_below` for the nested API's release, 0 with `shared_buffers` off
    /// (`disabled()`): one compare decides its inline path.
    nested_put_below: usize,
    /// The nested API reads the clock once per `trees_per_clock_reading` call trees
    /// instead of once per tree (shared buffers, no timeline; see
    /// [`begin_tree`](Self::begin_tree)). `disabled()` and timeline configurations read
    /// it for every tree, as before.
    lazy_clock: bool,
    clock: Box<dyn Clock>,
    pub(super) state: RefCell<State<W, X>>,
    /// The nested API's buffer pair: the stack and memory that the running call tree's
    /// frames take their windows from, kept for the next tree when it ends
    /// (`State::tree_pair_kept`). A tree works on it in place: nothing moves in or out
    /// per tree. Outside `state`, so frames reach it without a `RefCell` borrow and read
    /// it through `&self`; see [`tree_buffers_ref`](Self::tree_buffers_ref) for why that
    /// is sound.
    tree_pair: UnsafeCell<TreeBuffers<W>>,
    /// Tells this manager's owned frames from other managers' ([`OwnedFrame`](super::OwnedFrame)).
    pub(super) id: u64,
}

pub(super) struct State<W, X = ()> {
    /// One pool per class; only the first `live` are used (1 with a shared class).
    /// A fixed array indexed by [`FrameClass`], so the hot path has no bounds check.
    pools: [ClassPool<W, X>; 8],
    live: usize,
    /// Pool for each [`FrameKind`] (by [`FrameKind::index`]).
    pool_of: [FrameClass; 9],
    /// Call-tree buffers kept for the next trees: a stack and a memory buffer each,
    /// in pairs (one pop and one push per tree).
    spare: Vec<(Vec<W>, Vec<u8>)>,
    /// The manager's nested-API pair (`FramePoolManager::tree_pair`; only one nested
    /// tree runs at a time) is kept for the next tree: set when a tree ends, cleared
    /// when one starts, so it is never set while a tree runs. While set, the pair counts
    /// as spare, with `tree_pair_bytes`, and does not change. Its capacities enter the
    /// buffer peaks when read ([`statistics`](FramePoolManager::statistics)) or dropped:
    /// they only grow while a tree runs, so that is the peak at the end of every tree
    /// that used it.
    tree_pair_kept: bool,
    /// The kept pair's bytes (its capacities), taken when it is kept.
    tree_pair_bytes: u64,
    buffers: BufferStats,
    tracker: AllocationTracker,
    /// The latest clock reading: at the current transaction's start, except for the
    /// nested API's lazy trees, which run on the reading of an earlier tree (at most
    /// `trees_per_clock_reading` - 1 trees earlier).
    now: Duration,
    /// A lazy nested tree has run (sticky: a reading may even be taken inside a tree,
    /// through `CallFrame::manager`, and frames released after it are unstamped again).
    /// From then on every clock reading re-stamps the frames pushed above the pools'
    /// marks (`State::restamp`): they may carry a reading taken before their release.
    pending: bool,
    /// Nested trees until the lazy clock's next reading.
    trees_to_reading: u32,
    /// Per pool: `small[small_marks[i]..]` holds every frame pushed to the smallest size
    /// class since the marks were last reset (every pop lowers the mark), i.e. every
    /// frame whose `last_used` may be older than its release (the larger size classes
    /// are stamped with a reading of their own). Outside `ClassPool` so the pools'
    /// stride stays.
    small_marks: [usize; 8],
    last_maintenance: Duration,
    transaction: u64,
    next_id: u64,
}

struct ClassPool<W, X> {
    config: PoolConfig,
    /// Idle frames of the smallest size class: the one the hot path pops and pushes,
    /// kept in the pool itself so it costs no bounds check and no indirection. Boxed on
    /// purpose: handing a frame out or back moves one pointer, not the whole frame.
    #[allow(clippy::vec_box)]
    small: Vec<Box<PooledFrame<W, X>>>,
    /// Idle frames of the larger size classes (class `b` at index `b - 1`).
    #[allow(clippy::vec_box)]
    larger: Vec<Vec<Box<PooledFrame<W, X>>>>,
    /// Frames the pool answers for: idle plus in use.
    owned: usize,
    /// A returned frame is kept while `owned <= keep_limit`: `max`, or 0 for a disabled
    /// pool (so one compare decides).
    keep_limit: usize,
    /// Exact counters. `peak_in_use` lags: the hot path only raises `window_peak`, which
    /// is folded in by [`fold_window`](Self::fold_window) and when statistics are read.
    /// `returns` is not counted here but derived in [`stats`](Self::stats): every frame
    /// handed out (a hit, or a miss that was not refused) is either in use or returned.
    counters: PoolStats,
    /// Misses refused with [`FrameError::Exhausted`] (nothing handed out).
    refused: u64,
    /// `hits` and `misses` when the tuning window started.
    window_start_hits: u64,
    window_start_misses: u64,
    /// Highest `in_use` since the tuning window started.
    window_peak: u64,
}

impl<W, X> ClassPool<W, X> {
    /// The exact counters, with the window's peak folded in.
    fn stats(&self) -> PoolStats {
        let mut stats = self.counters;
        stats.peak_in_use = stats.peak_in_use.max(self.window_peak);
        stats.returns = stats.hits + stats.misses - self.refused - stats.in_use;
        stats
    }

    /// Hit rate, peak and acquires of the tuning window, and starts a new window.
    fn fold_window(&mut self) -> (u64, u64, u64) {
        let hits = self.counters.hits - self.window_start_hits;
        let misses = self.counters.misses - self.window_start_misses;
        let peak = self.window_peak;
        self.counters.peak_in_use = self.counters.peak_in_use.max(peak);
        self.window_start_hits = self.counters.hits;
        self.window_start_misses = self.counters.misses;
        self.window_peak = self.counters.in_use;
        (hits, misses, peak)
    }

    /// Every size class's idle frames, smallest class first.
    #[allow(clippy::vec_box)]
    fn buckets(&self) -> impl DoubleEndedIterator<Item = &Vec<Box<PooledFrame<W, X>>>> {
        std::iter::once(&self.small).chain(&self.larger)
    }

    #[allow(clippy::vec_box)]
    fn buckets_mut(&mut self) -> impl DoubleEndedIterator<Item = &mut Vec<Box<PooledFrame<W, X>>>> {
        std::iter::once(&mut self.small).chain(&mut self.larger)
    }

    /// Size class `b`'s idle frames.
    #[allow(clippy::vec_box)]
    fn bucket_mut(&mut self, b: usize) -> &mut Vec<Box<PooledFrame<W, X>>> {
        match b {
            0 => &mut self.small,
            _ => &mut self.larger[b - 1],
        }
    }

    fn available(&self) -> usize {
        self.buckets().map(Vec::len).sum()
    }

    fn idle_bytes(&self) -> u64 {
        self.buckets()
            .flatten()
            .map(|frame| frame_bytes(frame))
            .sum()
    }

    /// Drops idle frames, largest size classes first, until at most `keep` are idle.
    /// Counts one shrinkage if any were dropped.
    fn trim_idle_to(&mut self, keep: usize) -> usize {
        let mut excess = self.available().saturating_sub(keep);
        let dropped = excess;
        for bucket in self.buckets_mut().rev() {
            let n = excess.min(bucket.len());
            bucket.truncate(bucket.len() - n);
            excess -= n;
        }
        if dropped > 0 {
            self.owned -= dropped;
            self.counters.shrinkages += 1;
        }
        dropped
    }
}

/// Bytes of capacity of a stack buffer.
/// A call tree's two buffers: its frames' stack words and memory bytes, one window per
/// frame (see [`nested`](super::nested)).
pub(super) struct TreeBuffers<W> {
    pub(super) stack: Vec<W>,
    pub(super) memory: Vec<u8>,
}

impl<W> Default for TreeBuffers<W> {
    fn default() -> Self {
        TreeBuffers {
            stack: Vec::new(),
            memory: Vec::new(),
        }
    }
}

impl<W> TreeBuffers<W> {
    /// Bytes the two buffers hold (their capacities).
    #[inline]
    fn bytes(&self) -> u64 {
        stack_bytes(&self.stack) + self.memory.capacity() as u64
    }
}

fn stack_bytes<W>(stack: &Vec<W>) -> u64 {
    (stack.capacity() * size_of::<W>()) as u64
}

fn frame_bytes<W, X>(frame: &PooledFrame<W, X>) -> u64 {
    frame.held_bytes() as u64
}

/// What [`FramePoolManager::auto_tune`] changed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TuneReport {
    /// Pools grown because their hit rate since the last tune was below 80%.
    pub grown: usize,
    /// Frames created by growing.
    pub frames_created: usize,
    /// Pools shrunk because their utilization was below the shrink threshold.
    pub shrunk: usize,
    /// Frames dropped by shrinking.
    pub frames_dropped: usize,
}

/// What [`FramePoolManager::cleanup`] dropped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CleanupReport {
    /// Idle frames dropped (idle too long and rarely used, or too large).
    pub frames_dropped: usize,
    /// Bytes they held.
    pub bytes_freed: u64,
}

/// How close the bytes held are to the memory budget.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PressureLevel {
    /// Below the threshold: nothing done.
    Normal,
    /// At or above `budget x pressure_threshold`: pools trimmed halfway toward their
    /// initial sizes.
    High,
    /// At or above 95% of the budget: pools trimmed to their initial sizes and spare
    /// call-tree buffers dropped.
    Critical,
}

/// What [`FramePoolManager::check_memory_pressure`] found and did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PressureReport {
    /// The level found.
    pub level: PressureLevel,
    /// Bytes held before acting.
    pub bytes_before: u64,
    /// Bytes held after acting.
    pub bytes_after: u64,
    /// Idle frames dropped.
    pub frames_dropped: usize,
}

impl<W: Copy, X: Default> FramePoolManager<W, X> {
    /// A manager with `config` (validated) on the system clock, its pools prewarmed.
    ///
    /// ```
    /// use evm_pool_runtime::{ConfigError, FramePoolConfig, FramePoolManager};
    ///
    /// let manager = FramePoolManager::<[u8; 32]>::new(FramePoolConfig::minimal())?;
    /// assert_eq!(manager.statistics().total.available, 32);
    /// let mut bad = FramePoolConfig::minimal();
    /// bad.max_pooled_bytes = 0;
    /// assert!(matches!(FramePoolManager::<[u8; 32]>::new(bad), Err(ConfigError::Invalid { .. })));
    /// # Ok::<(), ConfigError>(())
    /// ```
    pub fn new(config: FramePoolConfig) -> Result<Self, ConfigError> {
        Self::with_clock(config, SystemClock::new())
    }

    /// A manager reading time from `clock` (a [`ManualClock`](crate::ManualClock) in
    /// tests).
    pub fn with_clock(
        config: FramePoolConfig,
        clock: impl Clock + 'static,
    ) -> Result<Self, ConfigError> {
        config.validate()?;
        let buckets = if config.size_classes.is_empty() {
            1
        } else {
            config.size_classes.len() + 1
        };
        let configs = config.classes.configs();
        let live = configs.len();
        // Unused slots (a shared class) copy the first config; they are never touched.
        let pools = std::array::from_fn(|index| {
            let c = &configs[index.min(live - 1)];
            ClassPool {
                config: c.clone(),

                small: Vec::new(),
                larger: (1..buckets).map(|_| Vec::new()).collect(),
                owned: 0,
                keep_limit: if c.enabled { c.max } else { 0 },
                counters: PoolStats::default(),
                refused: 0,
                window_start_hits: 0,
                window_start_misses: 0,
                window_peak: 0,
            }
        });
        let pool_of = match config.classes {
            ClassLayout::PerKind(_) => FrameKind::ALL.map(FrameKind::class),
            ClassLayout::Shared(_) => [FrameClass::Regular; 9],
        };
        let now = clock.now();
        let tracker = if config.track_timeline {
            AllocationTracker::with_timeline()
        } else {
            AllocationTracker::new()
        };
        let smallest_bound = config.size_classes.first().copied().unwrap_or(usize::MAX);
        let small_release_bound = smallest_bound.min(config.max_pooled_bytes);
        let fast = |bound: usize| {
            if config.track_timeline {
                0
            } else {
                bound.saturating_add(1)
            }
        };
        let (fast_take_below, fast_put_below) = (fast(smallest_bound), fast(small_release_bound));
        let lazy_clock = config.shared_buffers && !config.track_timeline;
        let manager = FramePoolManager {
            state: RefCell::new(State {
                pools,
                live,
                pool_of,
                spare: Vec::new(),
                tree_pair_kept: false,
                tree_pair_bytes: 0,
                buffers: BufferStats::default(),
                tracker,
                now,
                pending: false,
                trees_to_reading: 1,
                small_marks: [0; 8],

                last_maintenance: now,
                transaction: 0,
                next_id: 0,
            }),
            clock: Box::new(clock),
            smallest_bound,
            small_release_bound,
            fast_take_below,
            fast_put_below,
            nested_put_below: if config.shared_buffers {
                fast_put_below
            } else {
                0
            },
            lazy_clock,
            config,
            tree_pair: UnsafeCell::new(TreeBuffers::default()),
            id: super::owned::next_manager_id(),
        };
        {
            let mut state = manager.state.borrow_mut();
            for index in 0..state.live {
                let initial = state.pools[index].config.initial;
                manager.prewarm_pool(&mut state, index, initial);
            }
        }
        Ok(manager)
    }

    /// The configuration.
    pub fn config(&self) -> &FramePoolConfig {
        &self.config
    }

    /// Opens a frame of `kind` under `parent` (`None` for a transaction's root frame),
    /// asking for as much gas as allowed, no value, no input. See
    /// [`acquire_with`](Self::acquire_with).
    #[inline]
    pub fn acquire<'m, 'p>(
        &'m self,
        kind: FrameKind,
        parent: Option<&'p mut PooledFrame<W, X>>,
    ) -> Result<FrameGuard<'m, 'p, W, X>, FrameError> {
        self.acquire_with(FrameRequest::new(kind), parent)
    }

    /// Opens a frame for `request` under `parent`: checks the EVM rules, reuses a pooled
    /// frame of the request's class (the smallest size class that fits its input first,
    /// a smaller one only when nothing fitting is free) or creates one, hands it the
    /// call tree's stack and memory, and forwards gas.
    ///
    /// ```
    /// use evm_pool_runtime::{FrameError, FrameKind, FramePoolConfig, FramePoolManager, FrameRequest};
    ///
    /// let manager = FramePoolManager::<[u8; 32]>::new(FramePoolConfig::balanced())?;
    /// let mut root = manager.acquire(FrameKind::Call, None)?;
    /// let mut pre = manager.acquire_with(
    ///     FrameRequest::new(FrameKind::Precompile).input(&[1, 2, 3]),
    ///     Some(&mut root),
    /// )?;
    /// assert_eq!(pre.input, [1, 2, 3]);
    /// assert_eq!(
    ///     manager.acquire(FrameKind::Call, Some(&mut pre)).unwrap_err(),
    ///     FrameError::PrecompileHasNoChildren
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn acquire_with<'m, 'p>(
        &'m self,
        request: FrameRequest<'_>,
        parent: Option<&'p mut PooledFrame<W, X>>,
    ) -> Result<FrameGuard<'m, 'p, W, X>, FrameError> {
        self.acquire_ref(&request, parent)
    }

    /// [`acquire_with`](Self::acquire_with) with the request by reference, for callers
    /// that keep one request and open several frames with it.
    ///
    /// ```
    /// use evm_pool_runtime::{FrameKind, FramePoolConfig, FramePoolManager, FrameRequest};
    ///
    /// let manager = FramePoolManager::<[u8; 32]>::new(FramePoolConfig::high_performance())?;
    /// let mut root = manager.acquire(FrameKind::Call, None)?;
    /// let call = FrameRequest::new(FrameKind::StaticCall).gas(10_000);
    /// for _ in 0..3 {
    ///     let child = manager.acquire_ref(&call, Some(&mut root))?;
    ///     assert_eq!(child.gas.limit, 10_000);
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn acquire_ref<'m, 'p>(
        &'m self,
        request: &FrameRequest<'_>,
        parent: Option<&'p mut PooledFrame<W, X>>,
    ) -> Result<FrameGuard<'m, 'p, W, X>, FrameError> {
        let frame = match parent {
            Some(parent) => {
                let frame = self.acquire_child(request, parent)?;
                return Ok(FrameGuard {
                    manager: self,
                    parent: Some(parent),
                    frame: Some(frame),
                });
            }
            None => self.acquire_root(request)?,
        };
        Ok(FrameGuard {
            manager: self,
            parent: None,
            frame: Some(frame),
        })
    }

    /// The hot path: a child frame. Every rule is checked with one combined test first;
    /// the exact error is worked out out of line.
    #[inline]
    fn acquire_child(
        &self,
        request: &FrameRequest<'_>,
        parent: &mut PooledFrame<W, X>,
    ) -> Result<Box<PooledFrame<W, X>>, FrameError> {
        let shared = self.config.shared_buffers;
        // Non-short-circuit `&`/`|`: folded into `open_child`'s one flag.
        let views_ok = !shared | (parent.stack.is_running() & parent.memory.is_running());
        let mut frame = self.open_child(request, parent, views_ok)?;
        if shared {
            // Both views running: checked in `open_child`.
            parent.stack.lend_to(&mut frame.stack);
            parent.memory.lend_to(&mut frame.memory);
        } else {
            Self::standalone_buffers(&mut frame, self.config.memory_limit);
        }
        Ok(frame)
    }

    /// What both child APIs share: the rules (one combined test, the exact error out of
    /// line; `views_ok` is the guard API's "parent's views are running"), a frame from
    /// the pool, its call context and its gas (EIP-150, taken from the parent).
    #[inline(always)] // one call site per API; out of line it cost ~17 in saves
    pub(super) fn open_child(
        &self,
        request: &FrameRequest<'_>,
        parent: &mut PooledFrame<W, X>,
        views_ok: bool,
    ) -> Result<Box<PooledFrame<W, X>>, FrameError> {
        let kind = request.kind;
        // Non-short-circuit `|`: one flag, one branch.
        if (parent.kind == FrameKind::Precompile)
            | (parent.depth >= CALL_DEPTH_LIMIT)
            | parent.is_static
            | !views_ok
        {
            // Static parents are legal for most kinds; `check_rules` decides.
            if let Err(error) = Self::check_rules(request, parent, views_ok) {
                return Err(self.reject(kind, parent.depth + 1, error));
            }
        }
        let depth = parent.depth + 1;
        let mut frame = self.take_frame(
            &mut self.state.borrow_mut(),
            kind,
            request.input.len(),
            depth,
        )?;
        Self::set_up_child(&mut frame, request, parent, depth);
        Ok(frame)
    }

    /// [`open_child`](Self::open_child) with the manager borrowed exclusively (the nested
    /// API's `CallTree` holds `&mut FramePoolManager`): the same rules, counting and set-up,
    /// without a `RefCell` borrow on the hot path.
    #[inline(always)]
    pub(super) fn open_child_exclusive(
        &mut self,
        request: &FrameRequest<'_>,
        parent: &mut PooledFrame<W, X>,
        parent_restricted: bool,
    ) -> Result<Box<PooledFrame<W, X>>, FrameError> {
        let kind = request.kind;
        debug_assert_eq!(parent_restricted, Self::restricted(parent));
        if parent_restricted {
            // Static parents are legal for most kinds; `check_rules` decides.
            if let Err(error) = Self::check_rules(request, parent, true) {
                return Err(self.reject(kind, parent.depth + 1, error));
            }
        }
        let depth = parent.depth + 1;
        let mut frame = self.take_frame_exclusive(kind, request.input.len(), depth)?;
        Self::set_up_child(&mut frame, request, parent, depth);
        Ok(frame)
    }

    /// `true` when a child of `frame` may break a rule (a precompile, the depth limit, a
    /// static frame): the one flag the child paths test before the exact rules.
    #[inline(always)]
    pub(super) fn restricted(frame: &PooledFrame<W, X>) -> bool {
        // Non-short-circuit `|`: one flag, no branches.
        (frame.kind == FrameKind::Precompile) | (frame.depth >= CALL_DEPTH_LIMIT) | frame.is_static
    }

    /// A child frame's fields for `request` below `parent`: kind, depth, use count, call
    /// data, EIP-150 gas (taken from the parent), static flag and call context.
    #[inline(always)]
    fn set_up_child(
        frame: &mut PooledFrame<W, X>,
        request: &FrameRequest<'_>,
        parent: &mut PooledFrame<W, X>,
        depth: usize,
    ) {
        let kind = request.kind;
        frame.kind = kind;
        frame.depth = depth;
        frame.usage_count += 1;
        if !request.input.is_empty() {
            frame.input.extend_from_slice(request.input);
        }
        let forwarded = request.gas.min(Gas::all_but_one_64th(parent.gas.remaining));
        parent.gas.remaining -= forwarded;
        frame.gas = Gas::new(forwarded);
        frame.is_static = parent.is_static | (kind == FrameKind::StaticCall);
        match kind {
            FrameKind::DelegateCall => {
                frame.caller = parent.caller;
                frame.address = parent.address;
                frame.value = parent.value;
            }
            FrameKind::CallCode => {
                frame.caller = parent.address;
                frame.address = parent.address;
                frame.value = request.value;
            }
            FrameKind::StaticCall => {
                frame.caller = parent.address;
                frame.address = request.target;
                frame.value = [0; 32];
            }
            _ => {
                frame.caller = parent.address;
                frame.address = request.target;
                frame.value = request.value;
            }
        }
    }

    /// A transaction's root frame: reads the clock (once per transaction), runs
    /// maintenance when due, and hands the frame the spare call-tree buffers.
    #[inline(never)]
    fn acquire_root(
        &self,
        request: &FrameRequest<'_>,
    ) -> Result<Box<PooledFrame<W, X>>, FrameError> {
        let mut state = self.state.borrow_mut();
        self.begin_transaction(&mut state);
        let mut frame = self.open_root(&mut state, request)?;
        state.buffers.trees += 1;
        if self.config.shared_buffers {
            let (stack, memory) = Self::spare_buffers(&mut state);
            frame.stack.attach(stack);
            frame.memory.attach(memory, self.config.memory_limit);
        } else {
            Self::standalone_buffers(&mut frame, self.config.memory_limit);
        }
        Ok(frame)
    }

    /// A transaction starts: counted, the clock read, maintenance run when due.
    #[inline]
    pub(super) fn begin_transaction(&self, state: &mut State<W, X>) {
        state.transaction += 1;
        state.now = self.clock.now();
        if state.pending {
            Self::settle(state);
        }
        if state.now.saturating_sub(state.last_maintenance) >= self.config.cleanup_interval {
            self.maintain(state);
        }
    }

    /// A nested-API call tree starts: a transaction, counted as a tree; its buffers from
    /// the spare list with shared buffers (empty ones otherwise).
    ///
    /// With the lazy clock (shared buffers, no timeline) the clock is read by one tree
    /// in `trees_per_clock_reading` (and by the first); the other trees run on that
    /// reading. Frames they release are re-stamped by the
    /// next reading, so a frame's `last_used` is never before its release once the
    /// manager has read the clock after it, and cleanup never drops a frame earlier
    /// than its true idle time says (see [`cleanup`](Self::cleanup)).
    #[inline]
    pub(super) fn begin_tree(&mut self) {
        if !self.config.shared_buffers {
            return self.begin_unshared_tree();
        }
        if self.lazy_clock {
            let state = self.state.get_mut();
            state.transaction += 1;
            state.trees_to_reading -= 1;
            if state.trees_to_reading == 0 {
                self.lazy_reading();
            }
        } else {
            self.exact_reading(); // a timeline: every event carries its tree's time
        }
        let state = self.state.get_mut();
        state.buffers.trees += 1;
        if state.tree_pair_kept {
            // The pair stays where it is: the tree's frames work on it in place.
            state.tree_pair_kept = false;
            state.buffers.reused += 1;
        } else {
            Self::fill_tree_pair(state, self.tree_pair.get_mut());
        }
    }

    /// `disabled()`, the baseline: a reading per tree, as the guard API does; the pair
    /// stays empty (every frame allocates its own buffers).
    #[inline(never)]
    fn begin_unshared_tree(&mut self) {
        self.exact_reading();
        self.state.get_mut().buffers.trees += 1;
    }

    /// A tree counted and the clock read for it, maintenance run when due.
    #[inline(always)]
    fn exact_reading(&mut self) {
        let now = self.clock.now();
        let state = self.state.get_mut();
        state.transaction += 1;
        state.now = now;
        if now.saturating_sub(state.last_maintenance) >= self.config.cleanup_interval {
            self.maintain(&mut self.state.borrow_mut());
        }
    }

    /// A nested tree without a kept pair (the first tree, or after the guard API's
    /// trees, memory pressure or a pair over `max_pooled_bytes`): the spare list's pair
    /// (empty buffers if none is spare). A pair left by a tree that was never dropped
    /// (`std::mem::forget`) is cleared and reused.
    #[cold]
    #[inline(never)]
    fn fill_tree_pair(state: &mut State<W, X>, pair: &mut TreeBuffers<W>) {
        if pair.stack.capacity() == 0 && pair.memory.capacity() == 0 {
            let (stack, memory) = Self::spare_buffers(state);
            *pair = TreeBuffers { stack, memory };
        } else {
            pair.stack.clear();
            pair.memory.clear();
            state.buffers.reused += 1;
        }
    }

    /// The nested tree's pair, where its frames' stack and memory windows live.
    #[inline(always)]
    pub(super) fn tree_buffers(&mut self) -> &mut TreeBuffers<W> {
        self.tree_pair.get_mut()
    }

    /// The nested tree's pair, read-only, through `&self` (a frame's
    /// [`stack`](super::CallFrame::stack) and [`memory`](super::CallFrame::memory),
    /// statistics).
    #[inline(always)]
    pub(super) fn tree_buffers_ref(&self) -> &TreeBuffers<W> {
        // SAFETY: the pair is written through `&mut self` (which no reference returned
        // here outlives) and, through `&self`, only by `drop_kept_tree_pair`, which
        // touches it only while `State::tree_pair_kept` is set. That flag is cleared when
        // a call tree starts and set when it ends (both through `&mut self`), so it is
        // never set while a `CallTree` or `CallFrame` lives: those are the only holders
        // of references from here that outlive a manager method, and inside the manager
        // such references never live across a call that could reach
        // `drop_kept_tree_pair`. So no write happens while a reference from here lives.
        unsafe { &*self.tree_pair.get() }
    }

    /// Drops the kept pair (critical memory pressure), its sizes kept in the peaks.
    fn drop_kept_tree_pair(&self, state: &mut State<W, X>) {
        if state.tree_pair_kept {
            // SAFETY: `tree_pair_kept` is set, so no call tree runs and no reference
            // from `tree_buffers_ref` lives (see there), and nothing else in the manager
            // holds one across this call: this is the only reference to the pair.
            let pair = std::mem::take(unsafe { &mut *self.tree_pair.get() });
            state.fold_buffer_peaks(&pair.stack, &pair.memory);
            state.tree_pair_kept = false;
            state.tree_pair_bytes = 0;
        }
    }

    /// A nested tree ends (shared buffers): its pair is cleared and kept for the next
    /// tree, unless it grew over `max_pooled_bytes` (then dropped, its sizes in the
    /// peaks).
    #[inline]
    pub(super) fn end_tree(&mut self) {
        let max_pooled_bytes = self.config.max_pooled_bytes as u64;
        let state = self.state.get_mut();
        let pair = self.tree_pair.get_mut();
        pair.stack.clear();
        pair.memory.clear();
        let bytes = pair.bytes();
        if bytes <= max_pooled_bytes {
            state.tree_pair_kept = true;
            state.tree_pair_bytes = bytes;
        } else {
            Self::discard_tree_pair(state, pair);
        }
    }

    /// A nested tree's pair over `max_pooled_bytes`: into the peaks, then dropped.
    #[cold]
    #[inline(never)]
    fn discard_tree_pair(state: &mut State<W, X>, pair: &mut TreeBuffers<W>) {
        let pair = std::mem::take(pair);
        state.fold_buffer_peaks(&pair.stack, &pair.memory);
    }

    /// The lazy clock's reading, out of line: re-stamps the frames released since the
    /// last reading, runs maintenance when due, and starts a new lazy stretch of
    /// `trees_per_clock_reading` trees.
    #[cold]
    #[inline(never)]
    fn lazy_reading(&mut self) {
        let now = self.clock.now();
        let state = self.state.get_mut();
        state.now = now;
        // Either way the marks end at the tops: nothing pushed since this reading.
        if state.pending {
            Self::settle(state);
        } else {
            state.reset_marks();
        }
        if now.saturating_sub(state.last_maintenance) >= self.config.cleanup_interval {
            self.maintain(&mut self.state.borrow_mut());
            self.state.get_mut().reset_marks(); // trims lowered them
        }
        let state = self.state.get_mut();
        state.pending = true;
        state.trees_to_reading = self.config.trees_per_clock_reading;
    }

    /// After a reading (`state.now`) once lazy trees have run: the frames pushed since
    /// the last one get that reading.
    #[cold]
    #[inline(never)]
    fn settle(state: &mut State<W, X>) {
        state.restamp(state.now);
    }

    /// A depth-0 frame for `request`, taken from its pool and filled in.
    #[inline]
    pub(super) fn open_root(
        &self,
        state: &mut State<W, X>,
        request: &FrameRequest<'_>,
    ) -> Result<Box<PooledFrame<W, X>>, FrameError> {
        let mut frame = self.take_frame(state, request.kind, request.input.len(), 0)?;
        Self::set_up_root(&mut frame, request);
        Ok(frame)
    }

    /// [`open_root`](Self::open_root) with the manager borrowed exclusively (the nested
    /// API), without a `RefCell` borrow on the hot path.
    #[inline]
    pub(super) fn open_root_exclusive(
        &mut self,
        request: &FrameRequest<'_>,
    ) -> Result<Box<PooledFrame<W, X>>, FrameError> {
        let mut frame = self.take_frame_exclusive(request.kind, request.input.len(), 0)?;
        Self::set_up_root(&mut frame, request);
        Ok(frame)
    }

    /// A root frame's fields for `request`: depth 0, exactly the gas asked for, the
    /// request's origin as caller.
    #[inline(always)]
    fn set_up_root(frame: &mut PooledFrame<W, X>, request: &FrameRequest<'_>) {
        let kind = request.kind;
        frame.kind = kind;
        frame.depth = 0;
        frame.usage_count += 1;
        frame.input.extend_from_slice(request.input);
        frame.gas = Gas::new(request.gas);
        frame.is_static = kind == FrameKind::StaticCall;
        frame.caller = request.origin;
        frame.address = request.target;
        // Two stores, not a selected temporary copied in.
        if kind == FrameKind::StaticCall {
            frame.value = [0; 32];
        } else {
            frame.value = request.value;
        }
    }

    /// A call tree's stack and memory buffers from the spare list (empty ones if none is
    /// spare), counted as reused.
    #[inline]
    fn spare_buffers(state: &mut State<W, X>) -> (Vec<W>, Vec<u8>) {
        match state.spare.pop() {
            Some(pair) => {
                state.buffers.reused += 1;
                pair
            }
            None => (Vec::new(), Vec::new()),
        }
    }

    /// A call tree's buffers (cleared, capacity kept) go to the spare list unless they
    /// are over `max_pooled_bytes`; their sizes feed the buffer peaks.
    #[inline]
    pub(super) fn keep_spare_buffers(
        state: &mut State<W, X>,
        max_pooled_bytes: usize,
        stack: Vec<W>,
        memory: Vec<u8>,
    ) {
        let stack_bytes = (stack.capacity() * size_of::<W>()) as u64;
        let memory_bytes = memory.capacity() as u64;
        let b = &mut state.buffers;
        b.peak_stack_bytes = b.peak_stack_bytes.max(stack_bytes);
        b.peak_memory_bytes = b.peak_memory_bytes.max(memory_bytes);
        if stack_bytes + memory_bytes <= max_pooled_bytes as u64 {
            state.spare.push((stack, memory));
        }
    }

    /// Counts a refused acquire and hands back its error.
    #[cold]
    #[inline(never)]
    pub(super) fn reject(&self, kind: FrameKind, depth: usize, error: FrameError) -> FrameError {
        self.state
            .borrow_mut()
            .record(kind, depth, FrameEventKind::Rejected);
        error
    }

    /// The revm-style baseline: a frame's own 1024-word stack and memory.
    #[inline(never)]
    pub(super) fn standalone_buffers(frame: &mut PooledFrame<W, X>, memory_limit: usize) {
        frame.stack = SharedStack::with_capacity(STACK_LIMIT);
        frame.memory = SharedMemory::with_limit(memory_limit);
    }

    /// The exact rule a child request breaks (`views_ok`: the guard API's parent views
    /// are running).
    fn check_rules(
        request: &FrameRequest<'_>,
        parent: &PooledFrame<W, X>,
        views_ok: bool,
    ) -> Result<(), FrameError> {
        let kind = request.kind;
        if parent.kind == FrameKind::Precompile {
            return Err(FrameError::PrecompileHasNoChildren);
        }
        if parent.depth >= CALL_DEPTH_LIMIT {
            return Err(FrameError::DepthLimit {
                limit: CALL_DEPTH_LIMIT,
            });
        }
        if parent.is_static
            && (kind.is_create() || (kind == FrameKind::Call && nonzero(&request.value)))
        {
            return Err(FrameError::StaticViolation { kind });
        }
        if !views_ok {
            return Err(FrameError::ParentNotRunning);
        }
        Ok(())
    }

    /// A frame for `kind` from its pool (hit) or freshly created (miss), counted.
    #[inline(always)] // out of line it cost ~17 instructions of register saves per frame
    pub(super) fn take_frame(
        &self,
        state: &mut State<W, X>,
        kind: FrameKind,
        size: usize,
        depth: usize,
    ) -> Result<Box<PooledFrame<W, X>>, FrameError> {
        let index = state.pool_of[kind.index()].index();
        let pool = &mut state.pools[index];
        let popped = if size <= self.smallest_bound {
            pool.small.pop()
        } else {
            None
        };
        let (frame, hit) = match popped {
            Some(frame) => {
                // Frames pushed from here up are re-stamped at the next reading.
                let mark = &mut state.small_marks[index];
                if pool.small.len() < *mark {
                    *mark = pool.small.len();
                }
                pool.counters.hits += 1;
                // Counted here with a constant `hit`: two plain increments.
                state
                    .tracker
                    .count(kind, FrameEventKind::Acquire { hit: true });
                (frame, true)
            }
            None => match self.take_frame_slow(state, index, kind, size) {
                Ok((frame, hit)) => {
                    state.tracker.count(kind, FrameEventKind::Acquire { hit });
                    (frame, hit)
                }
                Err(error) => return Err(self.reject_locked(state, kind, depth, error)),
            },
        };
        let pool = &mut state.pools[index];
        pool.counters.in_use += 1;
        // The all-time peak is folded in lazily (`fold_window`, `statistics`).
        pool.window_peak = pool.window_peak.max(pool.counters.in_use);
        if state.tracker.has_timeline() {
            state.record_timeline(kind, depth, FrameEventKind::Acquire { hit });
        }
        Ok(frame)
    }

    #[cold]
    #[inline(never)]
    fn reject_locked(
        &self,
        state: &mut State<W, X>,
        kind: FrameKind,
        depth: usize,
        error: FrameError,
    ) -> FrameError {
        state.record(kind, depth, FrameEventKind::Rejected);
        error
    }

    /// The fitting size class was empty (or the request is not small): the fitting
    /// class, a bigger one, then a smaller one (a hit), or a new frame (a miss).
    #[cold]
    #[inline(never)]
    fn take_frame_slow(
        &self,
        state: &mut State<W, X>,
        index: usize,
        kind: FrameKind,
        size: usize,
    ) -> Result<(Box<PooledFrame<W, X>>, bool), FrameError> {
        let wanted = self.bucket_of(size);
        let pool = &mut state.pools[index];
        let found = (wanted..pool.larger.len() + 1)
            .chain((0..wanted).rev())
            .find_map(|b| pool.bucket_mut(b).pop());
        if let Some(frame) = found {
            pool.counters.hits += 1;
            state.lower_marks(index); // it may have come from the smallest size class
            return Ok((frame, true));
        }
        pool.counters.misses += 1;
        if pool.config.enabled && pool.owned >= pool.config.max {
            pool.counters.overflows += 1;
            if pool.config.overflow == OverflowPolicy::Fail {
                pool.refused += 1;
                return Err(FrameError::Exhausted {
                    class: kind.class(),
                    max: pool.config.max,
                });
            }
        }
        pool.counters.created += 1;
        pool.owned += 1;
        let id = state.next_id;
        state.next_id += 1;
        Ok((Box::new(PooledFrame::new(kind, id)), false))
    }

    /// The size class for `bytes`.
    fn bucket_of(&self, bytes: usize) -> usize {
        if bytes <= self.smallest_bound {
            0
        } else {
            self.config
                .size_classes
                .partition_point(|&bound| bound < bytes)
        }
    }

    /// Gives `frame` back: buffers to the parent (or the spare list), gas to the parent,
    /// the frame to its pool ([`put_back`](Self::put_back)).
    #[inline]
    fn release(&self, mut frame: Box<PooledFrame<W, X>>, parent: Option<&mut PooledFrame<W, X>>) {
        match parent {
            Some(parent) => {
                give_back_gas(&mut parent.gas, &frame.gas);
                if self.config.shared_buffers
                    && !take_back_both(
                        &mut parent.stack,
                        &mut parent.memory,
                        &mut frame.stack,
                        &mut frame.memory,
                    )
                {
                    self.link_error(&mut frame, parent);
                }
            }
            None => self.release_root_buffers(&mut frame),
        }
        self.put_back(frame, false);
    }

    /// The frame goes back to its pool, counted. `views_detached`: the caller knows the
    /// frame's stack and memory views are detached (the nested API never attaches them),
    /// so `reset` need not check them. A small frame going back to a pool with
    /// room takes the inline path; everything else goes through
    /// [`release_slow`](Self::release_slow).
    #[inline(always)] // one call site per API; out of line it cost ~17 in saves
    pub(super) fn put_back(&self, mut frame: Box<PooledFrame<W, X>>, views_detached: bool) {
        let mut state = self.state.borrow_mut();
        let kind = frame.kind;
        state.tracker.count(kind, FrameEventKind::Release);
        if state.tracker.has_timeline() {
            state.record_timeline(kind, frame.depth, FrameEventKind::Release);
        }
        let index = state.pool_of[kind.index()].index();
        let now = state.now;
        let pool = &mut state.pools[index];
        pool.counters.in_use -= 1; // `returns` is derived from it (`ClassPool::stats`)
        if (frame.retained_bytes() <= self.small_release_bound) & (pool.owned <= pool.keep_limit) {
            if views_detached {
                frame.clear_buffers();
            } else {
                frame.reset();
            }
            frame.last_used = now;
            pool.small.push(frame);
        } else {
            self.release_slow(pool, frame, now);
        }
    }

    /// [`take_frame`](Self::take_frame) with the manager borrowed exclusively: a hit on
    /// the smallest size class is counted here exactly as `take_frame` counts it, without
    /// a `RefCell` borrow; anything else (a miss, a larger request) goes to `take_frame`.
    #[inline(always)]
    pub(super) fn take_frame_exclusive(
        &mut self,
        kind: FrameKind,
        size: usize,
        depth: usize,
    ) -> Result<Box<PooledFrame<W, X>>, FrameError> {
        let state = self.state.get_mut();
        let index = state.pool_of[kind.index()].index();
        let pool = &mut state.pools[index];
        // Small enough and no timeline (which `take_frame` records): one compare.
        if size < self.fast_take_below
            && let Some(frame) = pool.small.pop()
        {
            // Frames pushed from here up are re-stamped at the next reading.
            let mark = &mut state.small_marks[index];
            if pool.small.len() < *mark {
                *mark = pool.small.len();
            }
            pool.counters.hits += 1;
            pool.counters.in_use += 1;
            // The all-time peak is folded in lazily (`fold_window`, `statistics`).
            // A branch, not a `max`: a new peak is rare, so most acquires store nothing.
            if pool.counters.in_use > pool.window_peak {
                pool.window_peak = pool.counters.in_use;
            }
            state
                .tracker
                .count(kind, FrameEventKind::Acquire { hit: true });
            return Ok(frame);
        }
        self.take_frame_cold(kind, size, depth)
    }

    /// [`take_frame`](Self::take_frame) out of line, for the exclusive path's misses.
    #[cold]
    #[inline(never)]
    fn take_frame_cold(
        &self,
        kind: FrameKind,
        size: usize,
        depth: usize,
    ) -> Result<Box<PooledFrame<W, X>>, FrameError> {
        self.take_frame(&mut self.state.borrow_mut(), kind, size, depth)
    }

    /// [`put_back`](Self::put_back) of a frame with detached views, with the manager
    /// borrowed exclusively, for the common case: no timeline, and the
    /// frame goes back to the smallest size class of a pool below its keep limit. It is
    /// counted here exactly as `put_back` counts it, without a `RefCell` borrow. Anything
    /// else hands the frame back untouched (`Err`) for the caller's cold path.
    #[inline(always)]
    ///
    /// `STAMP`: set `last_used` to the latest reading. The nested API passes `false`: its
    /// trees run with the lazy clock's re-stamping on (`State::pending`), which gives the
    /// frame the next reading.
    pub(super) fn put_back_exclusive<const STAMP: bool>(
        &mut self,
        mut frame: Box<PooledFrame<W, X>>,
    ) -> Result<(), Box<PooledFrame<W, X>>> {
        let state = self.state.get_mut();
        let kind = frame.kind;
        let index = state.pool_of[kind.index()].index();
        let pool = &mut state.pools[index];
        // Non-short-circuit `&`: one branch (`fast_put_below` is 0 with a timeline).
        if (frame.retained_bytes() < self.fast_put_below) & (pool.owned <= pool.keep_limit) {
            pool.counters.in_use -= 1; // `returns` is derived from it (`ClassPool::stats`)
            frame.clear_buffers();
            if STAMP {
                frame.last_used = state.now;
            } else {
                debug_assert!(
                    state.pending,
                    "unstamped frames need the lazy clock's re-stamp"
                );
            }
            pool.small.push(frame);
            state.tracker.count(kind, FrameEventKind::Release);
            Ok(())
        } else {
            Err(frame)
        }
    }

    /// Whether the nested API can release `frame` without a call
    /// ([`put_back_nested`](Self::put_back_nested)): shared buffers, no timeline, a small
    /// frame, a pool below its keep limit with room in its smallest size class. Clears
    /// the frame's call data and return data first (every release path does), so that
    /// nothing is written between the room check and the push, and the push never grows.
    #[inline(always)]
    pub(super) fn releases_inline(&mut self, frame: &mut PooledFrame<W, X>) -> bool {
        frame.clear_buffers();
        let state = self.state.get_mut();
        let pool = &state.pools[state.pool_of[frame.kind.index()].index()];
        // Non-short-circuit `&`: one branch.
        (frame.retained_bytes() < self.nested_put_below)
            & (pool.owned <= pool.keep_limit)
            & (pool.small.len() < pool.small.capacity())
    }

    /// The nested API's release after [`releases_inline`](Self::releases_inline): the
    /// frame back to its smallest size class, counted exactly as
    /// [`put_back`](Self::put_back) counts it; no stamp (the lazy clock's re-stamping
    /// gives the frame the next reading).
    #[inline(always)]
    pub(super) fn put_back_nested(&mut self, frame: Box<PooledFrame<W, X>>) {
        let state = self.state.get_mut();
        debug_assert!(
            state.pending,
            "unstamped frames need the lazy clock's re-stamp"
        );
        let kind = frame.kind;
        let pool = &mut state.pools[state.pool_of[kind.index()].index()];
        pool.small.push(frame);
        pool.counters.in_use -= 1; // `returns` is derived from it (`ClassPool::stats`)
        state.tracker.count(kind, FrameEventKind::Release);
    }

    /// A frame that is not small or whose pool is full or disabled.
    #[cold]
    #[inline(never)]
    fn release_slow(
        &self,
        pool: &mut ClassPool<W, X>,
        mut frame: Box<PooledFrame<W, X>>,
        now: Duration,
    ) {
        let retained = frame.retained_bytes();
        if pool.owned > pool.keep_limit || retained > self.config.max_pooled_bytes {
            pool.owned -= 1;
            pool.counters.discards += 1;
            return; // dropped here
        }
        frame.reset();
        self.keep_larger(pool, frame, retained, now);
    }

    /// [`release_slow`](Self::release_slow)'s push to a larger size class, with a clock
    /// reading of its own: the transaction's reading `now` may be the lazy clock's, taken
    /// before the release, and the larger size classes have no marks.
    #[cold]
    #[inline(never)]
    fn keep_larger(
        &self,
        pool: &mut ClassPool<W, X>,
        mut frame: Box<PooledFrame<W, X>>,
        retained: usize,
        now: Duration,
    ) {
        frame.last_used = self.clock.now().max(now);
        pool.bucket_mut(self.bucket_of(retained)).push(frame);
    }

    /// Only the running direct child can hand the buffers back: a frame whose views were
    /// swapped out cannot. Takes back what still matches, counts the error.
    #[cold]
    #[inline(never)]
    fn link_error(&self, frame: &mut PooledFrame<W, X>, parent: &mut PooledFrame<W, X>) {
        let _ = parent.stack.resume(&mut frame.stack);
        let _ = parent.memory.resume(&mut frame.memory);
        self.state.borrow_mut().buffers.link_errors += 1;
    }

    /// A root frame's buffers go to the spare list for the next transaction.
    #[inline(never)]
    fn release_root_buffers(&self, frame: &mut PooledFrame<W, X>) {
        if !self.config.shared_buffers {
            return;
        }
        let mut state = self.state.borrow_mut();
        if let (Ok(stack), Ok(memory)) = (frame.stack.detach(), frame.memory.detach()) {
            Self::keep_spare_buffers(&mut state, self.config.max_pooled_bytes, stack, memory);
        } else {
            state.buffers.link_errors += 1;
        }
    }

    fn prewarm_pool(&self, state: &mut State<W, X>, index: usize, target: usize) -> usize {
        let pool = &state.pools[index];
        if !pool.config.enabled {
            return 0;
        }
        let target = target.min(pool.config.max);
        let missing = target.saturating_sub(pool.owned);
        let kind = match self.config.classes {
            ClassLayout::PerKind(_) => kind_of_class(FrameClass::ALL[index]),
            ClassLayout::Shared(_) => FrameKind::Regular,
        };
        for _ in 0..missing {
            let id = state.next_id;
            state.next_id += 1;
            let mut frame = Box::new(PooledFrame::new(kind, id));
            frame.last_used = state.now;
            state.pools[index].small.push(frame);
        }
        let pool = &mut state.pools[index];
        pool.owned += missing;
        pool.counters.created += missing as u64;
        missing
    }

    /// Self-tuning, per pool, over the acquires since the last tune: a pool whose hit
    /// rate was below 80% grows its stock by its growth factor (up to its max; one
    /// expansion); a pool whose utilization (peak in use / frames owned) was below its
    /// shrink threshold drops idle frames down to `max(initial, ceil(peak x growth))`
    /// (one shrinkage). Does nothing when `auto_tune` is off.
    ///
    /// ```
    /// use evm_pool_runtime::{FrameClass, FrameKind, FramePoolConfig, FramePoolManager, PooledFrame};
    ///
    /// fn nest(m: &FramePoolManager, parent: &mut PooledFrame, kind: FrameKind, n: usize) {
    ///     if n > 0 {
    ///         let mut child = m.acquire(kind, Some(parent)).unwrap();
    ///         nest(m, &mut child, kind, n - 1);
    ///     }
    /// }
    ///
    /// let manager = FramePoolManager::new(FramePoolConfig::balanced())?;
    /// let mut root = manager.acquire(FrameKind::Call, None)?;
    /// // Create2 starts with 16 frames; 25 nested creates hit 16 times (64% < 80%).
    /// nest(&manager, &mut root, FrameKind::Create2, 25);
    /// drop(root);
    /// assert_eq!(manager.owned(FrameClass::Create2), 25);
    /// let report = manager.auto_tune();
    /// assert_eq!(report.grown, 1);
    /// assert_eq!(manager.owned(FrameClass::Create2), 33); // ceil(25 x 1.3)
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn auto_tune(&self) -> TuneReport {
        let mut state = self.state.borrow_mut();
        self.auto_tune_locked(&mut state)
    }

    fn auto_tune_locked(&self, state: &mut State<W, X>) -> TuneReport {
        let mut report = TuneReport::default();
        if !self.config.auto_tune {
            return report;
        }
        for index in 0..state.live {
            let pool = &mut state.pools[index];
            let (window_hits, window_misses, window_peak) = pool.fold_window();
            let acquires = window_hits + window_misses;
            let hit_rate = if acquires == 0 {
                1.0
            } else {
                window_hits as f64 / acquires as f64
            };
            let owned = pool.owned;
            if !pool.config.enabled {
                continue;
            }
            if hit_rate < 0.8 && owned < pool.config.max {
                let target = ((owned as f64 * pool.config.growth).ceil() as usize)
                    .max(owned + 1)
                    .min(pool.config.max);
                let created = self.prewarm_pool(state, index, target);
                state.pools[index].counters.expansions += 1;
                report.grown += 1;
                report.frames_created += created;
            } else if owned > 0
                && (window_peak as f64 / owned as f64) < pool.config.shrink_threshold
            {
                let keep = ((window_peak as f64 * pool.config.growth).ceil() as usize)
                    .max(pool.config.initial);
                let idle_keep = keep.saturating_sub(pool.counters.in_use as usize);
                let dropped = pool.trim_idle_to(idle_keep);
                if dropped > 0 {
                    report.shrunk += 1;
                    report.frames_dropped += dropped;
                }
            }
        }
        state.lower_all_marks();
        report
    }

    /// Drops idle frames that have been idle longer than `idle_timeout` (30 s in the
    /// presets) and were handed out fewer than `min_uses` (5) times, and any idle frame
    /// whose buffers grew past `max_pooled_bytes` (1 MiB). Reads the clock.
    ///
    /// **Idle time.** A frame's idle time is counted from its
    /// [`last_used`](PooledFrame::last_used) stamp, which is never before its release:
    /// - the guard and owned APIs stamp it with the reading taken when the releasing
    ///   transaction started (the clock is read once per transaction), and larger size
    ///   classes with a reading taken at the release;
    /// - the nested API ([`call_tree`](Self::call_tree)) reads the clock only once per
    ///   [`trees_per_clock_reading`](FramePoolConfig::trees_per_clock_reading) call trees
    ///   (32 in every preset; with shared buffers and no timeline, while `disabled()` and
    ///   timelines read it for every tree). A frame it releases is stamped with the
    ///   **first reading after its release**: that of the 32nd tree after at the latest,
    ///   or earlier of the next guard or owned transaction, or of `cleanup` itself.
    ///
    /// So a frame is never dropped before it has really been idle longer than
    /// `idle_timeout`; after a nested tree it may be dropped later than that by at most
    /// the time until that next reading (at most 32 trees with the presets). Maintenance
    /// ticks are checked at the same readings, so with the nested API they run up to 31
    /// trees after `cleanup_interval` has passed. Set `trees_per_clock_reading` to 1 for a
    /// reading per tree.
    ///
    /// ```
    /// use std::time::Duration;
    /// use evm_pool_runtime::{FramePoolConfig, FramePoolManager, ManualClock};
    ///
    /// let clock = ManualClock::new();
    /// let manager = FramePoolManager::<[u8; 32]>::with_clock(FramePoolConfig::minimal(), clock.clone())?;
    /// assert_eq!(manager.cleanup().frames_dropped, 0); // fresh frames are not idle yet
    /// clock.advance(Duration::from_secs(31));
    /// assert_eq!(manager.cleanup().frames_dropped, 32); // never used, idle 31 s
    /// # Ok::<(), evm_pool_runtime::ConfigError>(())
    /// ```
    pub fn cleanup(&self) -> CleanupReport {
        let mut state = self.state.borrow_mut();
        state.now = self.clock.now();
        if state.pending {
            Self::settle(&mut state);
        }
        self.cleanup_locked(&mut state)
    }

    fn cleanup_locked(&self, state: &mut State<W, X>) -> CleanupReport {
        let now = state.now;
        let mut report = CleanupReport::default();
        let live = state.live;
        for pool in &mut state.pools[..live] {
            let mut dropped = 0;
            for bucket in pool.buckets_mut() {
                bucket.retain(|frame| {
                    let stale = now.saturating_sub(frame.last_used) > self.config.idle_timeout
                        && frame.usage_count < self.config.min_uses;
                    let large = frame.retained_bytes() > self.config.max_pooled_bytes;
                    if stale || large {
                        dropped += 1;
                        report.bytes_freed += frame_bytes(frame);
                    }
                    !(stale || large)
                });
            }
            if dropped > 0 {
                pool.owned -= dropped;
                pool.counters.shrinkages += 1;
                report.frames_dropped += dropped;
            }
        }
        state.lower_all_marks();
        report
    }

    /// Bytes the manager keeps alive while idle: idle frames (their size plus their
    /// buffers' capacity) and spare call-tree buffers.
    pub fn bytes_held(&self) -> u64 {
        let state = self.state.borrow();
        state.bytes_held()
    }

    /// Compares the bytes held with the memory budget and trims if needed (see
    /// [`PressureLevel`]). Runs on request whatever `pressure_handling` says; with
    /// `pressure_handling` on it also runs at each maintenance tick.
    ///
    /// ```
    /// use evm_pool_runtime::{FramePoolConfig, FramePoolManager, PressureLevel};
    ///
    /// let mut config = FramePoolConfig::high_performance();
    /// config.memory_budget = 64 * 1024; // far below what 480 prewarmed frames hold
    /// let manager = FramePoolManager::<[u8; 32]>::new(config)?;
    /// let report = manager.check_memory_pressure();
    /// assert_eq!(report.level, PressureLevel::Critical);
    /// assert_eq!(manager.statistics().total.available, 480); // already at initial sizes
    /// # Ok::<(), evm_pool_runtime::ConfigError>(())
    /// ```
    pub fn check_memory_pressure(&self) -> PressureReport {
        let mut state = self.state.borrow_mut();
        self.pressure_locked(&mut state)
    }

    fn pressure_locked(&self, state: &mut State<W, X>) -> PressureReport {
        let before = state.bytes_held();
        let budget = self.config.memory_budget as f64;
        let level = if before as f64 >= budget * 0.95 {
            PressureLevel::Critical
        } else if before as f64 >= budget * self.config.pressure_threshold {
            PressureLevel::High
        } else {
            PressureLevel::Normal
        };
        let mut frames_dropped = 0;
        if level != PressureLevel::Normal {
            let live = state.live;
            for pool in &mut state.pools[..live] {
                let initial_idle = pool
                    .config
                    .initial
                    .saturating_sub(pool.counters.in_use as usize);
                let idle = pool.available();
                let keep = if level == PressureLevel::Critical {
                    initial_idle
                } else {
                    initial_idle + idle.saturating_sub(initial_idle) / 2
                };
                frames_dropped += pool.trim_idle_to(keep);
            }
            if level == PressureLevel::Critical {
                state.spare.clear();
                state.spare.shrink_to_fit();
                self.drop_kept_tree_pair(state);
            }
            state.lower_all_marks();
        }
        PressureReport {
            level,
            bytes_before: before,
            bytes_after: state.bytes_held(),
            frames_dropped,
        }
    }

    /// One maintenance tick: cleanup, pressure (if handled), tuning (if on).
    #[cold]
    #[inline(never)]
    fn maintain(&self, state: &mut State<W, X>) {
        state.last_maintenance = state.now;
        self.cleanup_locked(state);
        if self.config.pressure_handling {
            self.pressure_locked(state);
        }
        self.auto_tune_locked(state);
    }

    /// A snapshot of every pool's counters, their total and the shared buffers.
    pub fn statistics(&self) -> PoolStatistics {
        let state = self.state.borrow();
        let mut total = PoolStats::default();
        let classes = state.pools[..state.live]
            .iter()
            .enumerate()
            .map(|(index, pool)| {
                let mut stats = pool.stats();
                stats.available = pool.available() as u64;
                stats.bytes_held = pool.idle_bytes();
                total.merge(&stats);
                ClassStats {
                    class: match self.config.classes {
                        ClassLayout::PerKind(_) => Some(FrameClass::ALL[index]),
                        ClassLayout::Shared(_) => None,
                    },
                    stats,
                }
            })
            .collect();
        let mut buffers = state.buffers;
        if state.tree_pair_kept {
            let TreeBuffers { stack, memory } = self.tree_buffers_ref();
            buffers.peak_stack_bytes = buffers.peak_stack_bytes.max(stack_bytes(stack));
            buffers.peak_memory_bytes = buffers.peak_memory_bytes.max(memory.capacity() as u64);
        }
        buffers.spare = state.spare.len() as u64 + u64::from(state.tree_pair_kept);
        buffers.spare_bytes = state.spare_bytes();
        PoolStatistics {
            classes,
            total,
            buffers,
        }
    }

    /// A copy of the allocation tracker (with its timeline, up to 10,000 events).
    pub fn tracker(&self) -> AllocationTracker {
        self.state.borrow().tracker.clone()
    }

    /// Frames owned by the pool serving `class` (idle plus in use).
    pub fn owned(&self, class: FrameClass) -> usize {
        let state = self.state.borrow();
        state.pools[state.pool_of[kind_of_class(class).index()].index()].owned
    }

    /// Calls `f` with every idle frame, for a caller's own accounting of what its
    /// payloads hold ([`bytes_held`](Self::bytes_held) counts a payload by its size
    /// only).
    ///
    /// ```
    /// use evm_pool_runtime::{FramePoolConfig, FramePoolManager};
    ///
    /// let manager = FramePoolManager::<u64, Vec<u8>>::new(FramePoolConfig::minimal())?;
    /// let mut payload_bytes = 0;
    /// manager.for_each_idle(|frame| payload_bytes += frame.payload.capacity());
    /// assert_eq!(payload_bytes, 0); // 32 prewarmed frames, empty payloads
    /// # Ok::<(), evm_pool_runtime::ConfigError>(())
    /// ```
    pub fn for_each_idle(&self, mut f: impl FnMut(&PooledFrame<W, X>)) {
        let state = self.state.borrow();
        for pool in &state.pools[..state.live] {
            pool.buckets().flatten().for_each(|frame| f(frame));
        }
    }
}

/// `value != 0`, as two 128-bit compares: unlike the array compare (a `bcmp` on memory),
/// it folds when the caller builds the request inline, so the request need not be
/// written out to memory for the rule check.
#[inline(always)]
fn nonzero(value: &Word) -> bool {
    let half = |chunk: Option<&[u8; 16]>| chunk.map_or(0, |c| u128::from_ne_bytes(*c));
    (half(value.first_chunk::<16>()) | half(value.last_chunk::<16>())) != 0
}

/// Unused gas and the refund counter of a returning child go back to its parent.
#[inline]
pub(super) fn give_back_gas(parent: &mut Gas, child: &Gas) {
    // Saturating: gas sums never get there in practice, and an add with a conditional
    // move each keeps the release free of calls.
    parent.remaining = parent.remaining.saturating_add(child.remaining);
    parent.refunded = parent.refunded.saturating_add(child.refunded);
}

fn kind_of_class(class: FrameClass) -> FrameKind {
    match class {
        FrameClass::Regular => FrameKind::Regular,
        FrameClass::Call => FrameKind::Call,
        FrameClass::DelegateCall => FrameKind::DelegateCall,
        FrameClass::StaticCall => FrameKind::StaticCall,
        FrameClass::Create => FrameKind::Create,
        FrameClass::Create2 => FrameKind::Create2,
        FrameClass::Precompile => FrameKind::Precompile,
        FrameClass::System => FrameKind::System,
    }
}

impl<W, X> State<W, X> {
    /// Lowers pool `index`'s mark to its smallest size class's length (after a pop or
    /// a trim off the fast path).
    fn lower_marks(&mut self, index: usize) {
        let mark = &mut self.small_marks[index];
        *mark = (*mark).min(self.pools[index].small.len());
    }

    /// [`lower_marks`](Self::lower_marks) for every pool after trims or cleanup.
    fn lower_all_marks(&mut self) {
        for index in 0..self.live {
            self.lower_marks(index);
        }
    }

    /// Every frame pushed to a smallest size class since the last reading (above the
    /// marks) gets the reading `now`, which was taken after its release; the marks move
    /// up to the tops. (The larger size classes are stamped with a reading of their own
    /// on release: [`FramePoolManager::release_slow`].)
    fn restamp(&mut self, now: Duration) {
        for index in 0..self.live {
            let pool = &mut self.pools[index];
            let top = pool.small.len();
            let mark = self.small_marks[index].min(top);
            for frame in &mut pool.small[mark..] {
                frame.last_used = now;
            }
            self.small_marks[index] = top;
        }
    }

    /// The marks at the tops: nothing pushed since the reading just taken.
    fn reset_marks(&mut self) {
        for index in 0..self.live {
            self.small_marks[index] = self.pools[index].small.len();
        }
    }

    fn record(&mut self, kind: FrameKind, depth: usize, event: FrameEventKind) {
        self.tracker.count(kind, event);
        if self.tracker.has_timeline() {
            self.record_timeline(kind, depth, event);
        }
    }

    /// Appends to the tracker's timeline (only called when it keeps one).
    #[inline(never)]
    fn record_timeline(&mut self, kind: FrameKind, depth: usize, event: FrameEventKind) {
        self.tracker.push_event(FrameEvent {
            at: self.now,
            transaction: self.transaction,
            kind,
            depth: depth.min(u16::MAX as usize) as u16,
            event,
        });
    }

    fn spare_bytes(&self) -> u64 {
        let kept = if self.tree_pair_kept {
            self.tree_pair_bytes
        } else {
            0
        };
        self.spare
            .iter()
            .map(|(stack, memory)| stack_bytes(stack) + memory.capacity() as u64)
            .sum::<u64>()
            + kept
    }

    /// A tree's buffer sizes into the buffer peaks.
    fn fold_buffer_peaks(&mut self, stack: &Vec<W>, memory: &Vec<u8>) {
        let b = &mut self.buffers;
        b.peak_stack_bytes = b.peak_stack_bytes.max(stack_bytes(stack));
        b.peak_memory_bytes = b.peak_memory_bytes.max(memory.capacity() as u64);
    }

    fn bytes_held(&self) -> u64 {
        self.pools[..self.live]
            .iter()
            .map(ClassPool::idle_bytes)
            .sum::<u64>()
            + self.spare_bytes()
    }
}

impl<W: Copy, X: Default> fmt::Debug for FramePoolManager<W, X> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FramePoolManager")
            .field("config", &self.config)
            .field("statistics", &self.statistics())
            .finish_non_exhaustive()
    }
}

impl<W: Copy, X: Default> fmt::Display for FramePoolManager<W, X> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.statistics(), f)
    }
}

/// A frame on loan from a [`FramePoolManager`]. Dereferences to [`PooledFrame`];
/// dropping it (or [`release`](Self::release)) gives the frame back: unused gas and the
/// refund counter to the parent, the shared stack and memory to the parent's views, the
/// frame to its pool.
///
/// `'p` is the borrow of the parent frame: while a child guard lives its parent cannot
/// be used, so frames are released in LIFO order by construction.
#[must_use = "dropping the guard immediately releases the frame"]
pub struct FrameGuard<'m, 'p, W: Copy = Word, X: Default = ()> {
    manager: &'m FramePoolManager<W, X>,
    parent: Option<&'p mut PooledFrame<W, X>>,
    // Invariant: `Some` from creation until `drop`.
    frame: Option<Box<PooledFrame<W, X>>>,
}

impl<W: Copy, X: Default> FrameGuard<'_, '_, W, X> {
    /// Releases the frame now (the same as dropping the guard).
    pub fn release(self) {}
}

impl<W: Copy, X: Default> Deref for FrameGuard<'_, '_, W, X> {
    type Target = PooledFrame<W, X>;

    #[inline]
    fn deref(&self) -> &PooledFrame<W, X> {
        match &self.frame {
            Some(frame) => frame,
            None => unreachable!("a FrameGuard holds its frame until dropped"),
        }
    }
}

impl<W: Copy, X: Default> DerefMut for FrameGuard<'_, '_, W, X> {
    #[inline]
    fn deref_mut(&mut self) -> &mut PooledFrame<W, X> {
        match &mut self.frame {
            Some(frame) => frame,
            None => unreachable!("a FrameGuard holds its frame until dropped"),
        }
    }
}

impl<W: Copy, X: Default> Drop for FrameGuard<'_, '_, W, X> {
    #[inline]
    fn drop(&mut self) {
        if let Some(frame) = self.frame.take() {
            self.manager.release(frame, self.parent.as_deref_mut());
        }
    }
}

impl<W: Copy, X: Default> fmt::Debug for FrameGuard<'_, '_, W, X> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}
