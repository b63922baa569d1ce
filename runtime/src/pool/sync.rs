//! [`SyncPool`]: the thread-safe object pool, sharded so that threads rarely meet.

use std::fmt;
use std::mem::ManuallyDrop;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use super::{ConfigError, DropOnUnwind, OverflowPolicy, PoolConfig, PoolError, PoolStats};
use crate::EvmPooled;
use crate::sync::{AtomicU64, AtomicUsize, CachePadded, Mutex, Ordering, lock, thread_hint};

/// Most shards a pool gets by default, however many CPUs the machine has.
const MAX_DEFAULT_SHARDS: usize = 64;

/// A thread-safe pool of `T`: share it by `&` (scoped threads) or behind an `Arc`.
///
/// Same configuration and statistics as [`Pool`](crate::Pool): `initial` objects are
/// created up front, a miss grows the stock by the growth factor up to `max`, the
/// [`OverflowPolicy`] decides what happens beyond, and [`PoolConfig::disabled`] makes it
/// plain allocation. The [`SyncPoolGuard`] it hands out is `Send`, so an object may be
/// released on another thread; [`acquire_owned`](Self::acquire_owned) gives a guard that
/// holds an `Arc` of the pool and so may outlive the scope that took it.
///
/// Statistics are exact once the pool is quiescent; while other threads work, a snapshot
/// may mix counters from slightly different instants (each counter is still exact).
/// The design is described below the example.
///
/// # Example
///
/// ```
/// use evm_pool_runtime::{PoolConfig, SyncPool};
///
/// let pool = SyncPool::<Vec<u8>>::with_config(PoolConfig::minimal())?;
/// std::thread::scope(|s| {
///     for t in 0..4u8 {
///         let pool = &pool;
///         s.spawn(move || {
///             for _ in 0..100 {
///                 let mut memory = pool.acquire();
///                 memory.resize(256, t);
///             }
///         });
///     }
/// });
/// let stats = pool.stats();
/// assert_eq!(stats.acquires(), 400);
/// assert_eq!(stats.returns, 400);
/// assert_eq!(stats.in_use, 0);
/// # Ok::<(), evm_pool_runtime::ConfigError>(())
/// ```
///
/// # Design
///
/// The idle objects live in a small, fixed number of **shards**, each a
/// `Mutex<Vec<T>>` on its own cache lines. Every thread has a *home* shard, picked from
/// a per-thread number handed out in the order threads first touch any pool, so up to
/// `shards` threads each get a shard of their own:
///
/// - `acquire` locks the home shard and pops. Only when it is empty does it visit the
///   other shards in turn (stealing), and only when all are empty is it a miss.
/// - a guard's drop resets the object and pushes it to the *dropping* thread's home
///   shard, so a guard may be released on another thread than the one that took it.
/// - creation and the `max` bound are governed by one atomic count of owned objects,
///   updated only on misses, overflows, discards and shrinks (the slow paths).
/// - counters: hits and kept returns live inside each shard's lock (free: the lock is
///   held anyway) and are summed on read; the rare events are relaxed atomics. `in_use`
///   is one shared atomic, the price of an exact `peak_in_use`: one read-modify-write
///   per acquire and per release, on a line that only bounces when threads really
///   acquire at the same time.
///
/// Why this and not a lock-free stack or true thread-local caches: a Treiber stack of
/// owned `T` needs node allocation or unsafe intrusive links and suffers ABA; thread-local
/// caches keyed by pool need a registry to stay exact on read and to give objects back
/// when a thread exits. A shard lock taken by (mostly) one thread costs one uncontended
/// compare-and-swap, and loom can check the whole protocol. The only `unsafe` is local
/// and shared with [`Pool`](crate::Pool): the hot paths move an object between a
/// shard's vector and the guard exactly once (read out past a lowered length; reset
/// in place in the guard), each block with its `SAFETY` note and run under Miri.
///
/// With the pool not shared, a [`Pool`](crate::Pool) is faster (no atomics at all); use
/// `SyncPool` when objects or the pool cross threads.
pub struct SyncPool<T: EvmPooled + Send> {
    shards: Box<[CachePadded<Mutex<Shard<T>>>]>,
    /// `shards.len() - 1`; the length is a power of two.
    mask: usize,
    /// Written on every acquire and release.
    live: CachePadded<Live>,
    /// Written on slow paths only.
    rare: CachePadded<Rare>,
    config: PoolConfig,
}

/// One shard: idle objects and the hot counters, all behind the shard's lock.
struct Shard<T> {
    idle: Vec<T>,
    hits: u64,
    /// Returns that were reset and kept (`returns = kept + discards`).
    kept: u64,
}

#[derive(Default)]
struct Live {
    in_use: AtomicU64,
    peak_in_use: AtomicU64,
    /// Peak in use since the last `auto_shrink`.
    window_peak: AtomicU64,
}

#[derive(Default)]
struct Rare {
    /// Objects the pool answers for: idle plus in use (detached ones excluded). Never
    /// above `max` except through `Allocate` overflows, which are discarded on return.
    owned: AtomicUsize,
    misses: AtomicU64,
    overflows: AtomicU64,
    discards: AtomicU64,
    detached: AtomicU64,
    expansions: AtomicU64,
    shrinkages: AtomicU64,
    created: AtomicU64,
}

/// Counters are statistics, never used to order other memory: the data itself is
/// published through the shard locks. Relaxed is enough.
const RELAXED: Ordering = Ordering::Relaxed;

fn bump(counter: &AtomicU64, by: u64) {
    counter.fetch_add(by, RELAXED);
}

/// Slots of `owned` reserved for objects not created yet; given back if creating panics.
struct Reservation<'a> {
    owned: &'a AtomicUsize,
    slots: usize,
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        if self.slots > 0 {
            self.owned.fetch_sub(self.slots, RELAXED);
        }
    }
}

impl<T: EvmPooled + Send> SyncPool<T> {
    /// A pool configured by `T::pool_config()`, prewarmed with `initial` objects.
    ///
    /// # Panics
    ///
    /// If `T::pool_config()` is invalid (a bug in the type's `EvmPooled` impl). Use
    /// [`try_new`](Self::try_new) to get the error instead.
    ///
    /// ```
    /// let pool = evm_pool_runtime::SyncPool::<String>::new();
    /// assert_eq!(pool.stats().available, 64); // balanced(): 64 up front
    /// ```
    pub fn new() -> Self {
        match Self::try_new() {
            Ok(pool) => pool,
            Err(error) => panic!("invalid `EvmPooled::pool_config()`: {error}"),
        }
    }

    /// A pool configured by `T::pool_config()`, or the configuration's error.
    ///
    /// ```
    /// let pool = evm_pool_runtime::SyncPool::<Vec<u64>>::try_new()?;
    /// # Ok::<(), evm_pool_runtime::ConfigError>(())
    /// ```
    pub fn try_new() -> Result<Self, ConfigError> {
        Self::with_config(T::pool_config())
    }

    /// A pool with an explicit configuration, validated, prewarmed with `initial` objects,
    /// with one shard per available CPU (rounded up to a power of two, at most 64).
    ///
    /// ```
    /// use evm_pool_runtime::{PoolConfig, SyncPool};
    ///
    /// let pool = SyncPool::<Vec<u8>>::with_config(PoolConfig::high_performance())?;
    /// assert_eq!(pool.stats().available, 128);
    /// # Ok::<(), evm_pool_runtime::ConfigError>(())
    /// ```
    pub fn with_config(config: PoolConfig) -> Result<Self, ConfigError> {
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        Self::with_config_and_shards(config, cpus.min(MAX_DEFAULT_SHARDS))
    }

    /// A pool with an explicit configuration and number of shards (rounded up to a power
    /// of two). More shards than threads that use the pool at once buys nothing; one
    /// shard is a single mutex-protected stack. `0` shards is a
    /// [`ConfigError::Invalid`].
    ///
    /// ```
    /// use evm_pool_runtime::{ConfigError, PoolConfig, SyncPool};
    ///
    /// let pool = SyncPool::<Vec<u8>>::with_config_and_shards(PoolConfig::minimal(), 3)?;
    /// assert_eq!(pool.shards(), 4);
    /// assert!(matches!(
    ///     SyncPool::<Vec<u8>>::with_config_and_shards(PoolConfig::minimal(), 0),
    ///     Err(ConfigError::Invalid { name: "shards", .. })
    /// ));
    /// # Ok::<(), ConfigError>(())
    /// ```
    pub fn with_config_and_shards(config: PoolConfig, shards: usize) -> Result<Self, ConfigError> {
        config.validate()?;
        if shards == 0 {
            return Err(ConfigError::Invalid {
                name: "shards",
                reason: "a pool needs at least one shard",
            });
        }
        if shards > 1 << 16 {
            return Err(ConfigError::Invalid {
                name: "shards",
                reason: "more than 65536 shards",
            });
        }
        let shards = shards.next_power_of_two();
        let per_shard = (config.max / shards).min(1 << 12);
        let pool = SyncPool {
            shards: (0..shards)
                .map(|_| {
                    CachePadded(Mutex::new(Shard {
                        idle: Vec::with_capacity(per_shard),
                        hits: 0,
                        kept: 0,
                    }))
                })
                .collect(),
            mask: shards - 1,
            live: CachePadded::default(),
            rare: CachePadded::default(),
            config,
        };
        if pool.config.enabled {
            pool.prewarm(pool.config.initial);
        }
        Ok(pool)
    }

    /// The pool's configuration.
    ///
    /// ```
    /// use evm_pool_runtime::{PoolConfig, SyncPool};
    ///
    /// let pool = SyncPool::<Vec<u8>>::with_config(PoolConfig::minimal())?;
    /// assert_eq!(pool.config().max, 128);
    /// # Ok::<(), evm_pool_runtime::ConfigError>(())
    /// ```
    pub fn config(&self) -> &PoolConfig {
        &self.config
    }

    /// How many shards the idle objects are spread over.
    ///
    /// ```
    /// let pool = evm_pool_runtime::SyncPool::<Vec<u8>>::new();
    /// assert!(pool.shards().is_power_of_two());
    /// ```
    pub fn shards(&self) -> usize {
        self.shards.len()
    }

    /// Hands out an object, creating one if none is idle. Never fails: under
    /// [`OverflowPolicy::Fail`] an exhausted pool still creates an object (counted as an
    /// overflow) and drops it on return. Use [`try_acquire`](Self::try_acquire) for the
    /// policy's error.
    ///
    /// ```
    /// let pool = evm_pool_runtime::SyncPool::<Vec<u8>>::new();
    /// let mut buffer = pool.acquire();
    /// buffer.push(0x60);
    /// assert_eq!(pool.stats().in_use, 1);
    /// ```
    #[inline]
    pub fn acquire(&self) -> SyncPoolGuard<'_, T> {
        // Hot path: the home shard's top object, read straight into the guard (one move
        // of `T`; through `Vec::pop`'s `Option` the compiler makes two or three).
        let mut shard = lock(&self.shards[thread_hint() & self.mask]);
        let Some(last) = shard.idle.len().checked_sub(1) else {
            drop(shard);
            return self.acquire_slow();
        };
        shard.hits += 1;
        self.count_hand_out();
        // SAFETY: `last < len`, so the slot is initialized; lowering the length first
        // makes the vector forget it, so the value read is owned only by the guard.
        unsafe {
            shard.idle.set_len(last);
            SyncPoolGuard {
                pool: self,
                value: ManuallyDrop::new(std::ptr::read(shard.idle.as_ptr().add(last))),
            }
        }
    }

    #[cold]
    #[inline(never)]
    fn acquire_slow(&self) -> SyncPoolGuard<'_, T> {
        let value = self
            .take(OverflowPolicy::Allocate)
            .unwrap_or_else(|_| unreachable!("the `Allocate` path always produces an object"));
        SyncPoolGuard {
            pool: self,
            value: ManuallyDrop::new(value),
        }
    }

    /// Hands out an object, or [`PoolError::Exhausted`] when all `max` are in use and the
    /// policy is [`OverflowPolicy::Fail`]. Under `Allocate` it behaves like `acquire`.
    ///
    /// Under `Fail`, at most `max` objects are ever handed out at once. A call that races
    /// with a release on another thread may see the pool exhausted just before the
    /// object comes back (as if it had run a moment earlier).
    ///
    /// ```
    /// use evm_pool_runtime::{OverflowPolicy, PoolConfig, SyncPool};
    ///
    /// let config = PoolConfig::builder().initial(0).max(2).overflow(OverflowPolicy::Fail).build()?;
    /// let pool = SyncPool::<Vec<u8>>::with_config(config)?;
    /// let held = (pool.try_acquire()?, pool.try_acquire()?);
    /// assert!(pool.try_acquire().is_err());
    /// assert_eq!(pool.stats().overflows, 1);
    /// # drop(held);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn try_acquire(&self) -> Result<SyncPoolGuard<'_, T>, PoolError> {
        let value = self.take(self.config.overflow)?;
        Ok(SyncPoolGuard {
            pool: self,
            value: ManuallyDrop::new(value),
        })
    }

    /// Like [`acquire`](Self::acquire), but the guard holds a clone of the `Arc`, so it
    /// has no lifetime and can be moved into `std::thread::spawn` or stored anywhere.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use evm_pool_runtime::SyncPool;
    ///
    /// let pool = Arc::new(SyncPool::<Vec<u8>>::new());
    /// let mut memory = pool.acquire_owned();
    /// memory.extend_from_slice(b"calldata");
    /// std::thread::spawn(move || drop(memory)).join().unwrap(); // released over there
    /// assert_eq!(pool.stats().returns, 1);
    /// ```
    pub fn acquire_owned(self: &Arc<Self>) -> OwnedSyncPoolGuard<T> {
        let value = self
            .take(OverflowPolicy::Allocate)
            .unwrap_or_else(|_| unreachable!("the `Allocate` path always produces an object"));
        OwnedSyncPoolGuard {
            pool: Arc::clone(self),
            value: ManuallyDrop::new(value),
        }
    }

    /// Like [`try_acquire`](Self::try_acquire), with an [`OwnedSyncPoolGuard`].
    ///
    /// ```
    /// use std::sync::Arc;
    /// use evm_pool_runtime::{OverflowPolicy, PoolConfig, PoolError, SyncPool};
    ///
    /// let config = PoolConfig::builder().initial(1).max(1).overflow(OverflowPolicy::Fail).build()?;
    /// let pool = Arc::new(SyncPool::<Vec<u8>>::with_config(config)?);
    /// let only = pool.try_acquire_owned()?;
    /// assert_eq!(pool.try_acquire_owned().unwrap_err(), PoolError::Exhausted { max: 1 });
    /// # drop(only);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn try_acquire_owned(self: &Arc<Self>) -> Result<OwnedSyncPoolGuard<T>, PoolError> {
        let value = self.take(self.config.overflow)?;
        Ok(OwnedSyncPoolGuard {
            pool: Arc::clone(self),
            value: ManuallyDrop::new(value),
        })
    }

    /// Creates idle objects until at least `n` are available, never owning more than
    /// `max`. Returns how many were created. Does nothing for a disabled pool. The new
    /// objects are spread over the shards.
    ///
    /// ```
    /// use evm_pool_runtime::{PoolConfig, SyncPool};
    ///
    /// let pool = SyncPool::<Vec<u8>>::with_config(PoolConfig::builder().initial(0).max(8).build()?)?;
    /// assert_eq!(pool.prewarm(5), 5);
    /// assert_eq!(pool.prewarm(100), 3); // capped by max
    /// # Ok::<(), evm_pool_runtime::ConfigError>(())
    /// ```
    pub fn prewarm(&self, n: usize) -> usize {
        if !self.config.enabled {
            return 0;
        }
        let wanted = n.saturating_sub(self.available());
        let mut reservation = self.reserve(wanted);
        let count = reservation.slots;
        if count == 0 {
            return 0;
        }
        let mut fresh: Vec<T> = (0..count).map(|_| T::new_pooled()).collect();
        reservation.slots = 0;
        bump(&self.rare.created, count as u64);
        // Spread round-robin from the caller's shard, one lock per shard.
        let shards = self.shards.len();
        let home = thread_hint() & self.mask;
        for i in 0..shards.min(count) {
            let share = count / shards + usize::from(i < count % shards);
            let at = fresh.len() - share;
            lock(&self.shards[(home + i) & self.mask])
                .idle
                .extend(fresh.drain(at..));
        }
        count
    }

    /// Drops idle objects until at most `n` remain idle. Returns how many were dropped;
    /// counts one shrinkage if any were.
    ///
    /// ```
    /// let pool = evm_pool_runtime::SyncPool::<Vec<u8>>::new();
    /// assert_eq!(pool.shrink_to(10), 54);
    /// assert_eq!(pool.stats().available, 10);
    /// ```
    pub fn shrink_to(&self, n: usize) -> usize {
        let mut excess = self.available().saturating_sub(n);
        if excess == 0 {
            return 0;
        }
        let mut dropped: Vec<T> = Vec::with_capacity(excess);
        for shard in self.shards.iter() {
            let mut shard = lock(shard);
            let take = excess.min(shard.idle.len());
            let at = shard.idle.len() - take;
            dropped.extend(shard.idle.drain(at..));
            excess -= take;
            if excess == 0 {
                break;
            }
        }
        let count = dropped.len();
        if count > 0 {
            self.rare.owned.fetch_sub(count, RELAXED);
            bump(&self.rare.shrinkages, 1);
        }
        // Dropped outside every lock: a `Drop` impl may touch this pool.
        drop(dropped);
        count
    }

    /// Trims idle objects if the pool was under-used since the last call, with the same
    /// rule as [`Pool::auto_shrink`](crate::Pool::auto_shrink): when the window's peak in
    /// use, divided by the objects owned, is below the shrink threshold, the pool keeps
    /// `max(initial, ceil(window peak * growth))` objects. Returns how many were dropped.
    ///
    /// ```
    /// use evm_pool_runtime::{PoolConfig, SyncPool};
    ///
    /// let pool = SyncPool::<Vec<u8>>::with_config(PoolConfig::builder().initial(4).max(100).build()?)?;
    /// pool.prewarm(100);
    /// drop(pool.acquire()); // window peak: 1 of 100 owned
    /// assert_eq!(pool.auto_shrink(), 96); // back to `initial`
    /// # Ok::<(), evm_pool_runtime::ConfigError>(())
    /// ```
    pub fn auto_shrink(&self) -> usize {
        let in_use = self.live.in_use.load(RELAXED);
        let window_peak = self.live.window_peak.swap(in_use, RELAXED);
        self.live.peak_in_use.fetch_max(window_peak, RELAXED);
        let owned = self.rare.owned.load(RELAXED);
        if owned == 0 || window_peak as f64 / owned as f64 >= self.config.shrink_threshold {
            return 0;
        }
        let keep =
            ((window_peak as f64 * self.config.growth).ceil() as usize).max(self.config.initial);
        self.shrink_to(keep.saturating_sub(in_use as usize))
    }

    /// A snapshot of the pool's counters: per-shard counters summed, shared ones read.
    /// Exact when no other thread is using the pool.
    ///
    /// ```
    /// let pool = evm_pool_runtime::SyncPool::<Vec<u8>>::new();
    /// let _a = pool.acquire();
    /// assert_eq!(pool.stats().hits, 1);
    /// ```
    pub fn stats(&self) -> PoolStats {
        let mut stats = PoolStats::default();
        let mut kept = 0;
        for shard in self.shards.iter() {
            let shard = lock(shard);
            stats.hits += shard.hits;
            kept += shard.kept;
            stats.available += shard.idle.len() as u64;
            stats.bytes_held += shard
                .idle
                .iter()
                .map(|value| (size_of::<T>() + value.retained_heap_bytes()) as u64)
                .sum::<u64>();
        }
        let rare = &*self.rare;
        stats.misses = rare.misses.load(RELAXED);
        stats.overflows = rare.overflows.load(RELAXED);
        stats.discards = rare.discards.load(RELAXED);
        stats.returns = kept + stats.discards;
        stats.detached = rare.detached.load(RELAXED);
        stats.expansions = rare.expansions.load(RELAXED);
        stats.shrinkages = rare.shrinkages.load(RELAXED);
        stats.created = rare.created.load(RELAXED);
        stats.in_use = self.live.in_use.load(RELAXED);
        stats.peak_in_use =
            (self.live.peak_in_use.load(RELAXED)).max(self.live.window_peak.load(RELAXED));
        stats
    }

    /// Idle objects ready to hand out, over all shards.
    ///
    /// ```
    /// use evm_pool_runtime::{PoolConfig, SyncPool};
    ///
    /// let pool = SyncPool::<Vec<u8>>::with_config(PoolConfig::minimal())?;
    /// assert_eq!(pool.available(), 32);
    /// # Ok::<(), evm_pool_runtime::ConfigError>(())
    /// ```
    pub fn available(&self) -> usize {
        self.shards.iter().map(|shard| lock(shard).idle.len()).sum()
    }

    /// Objects handed out and not yet returned.
    ///
    /// ```
    /// let pool = evm_pool_runtime::SyncPool::<Vec<u8>>::new();
    /// let held = pool.acquire();
    /// assert_eq!(pool.in_use(), 1);
    /// # drop(held);
    /// ```
    pub fn in_use(&self) -> usize {
        self.live.in_use.load(RELAXED) as usize
    }

    /// An object for a new guard: idle, freshly created within `max`, or per `policy`
    /// beyond it. Counts the hand-out.
    #[inline]
    fn take(&self, policy: OverflowPolicy) -> Result<T, PoolError> {
        let value = match self.pop_idle() {
            Some(value) => value,
            None => self.on_miss(policy)?,
        };
        self.count_hand_out();
        Ok(value)
    }

    #[inline]
    fn count_hand_out(&self) {
        let live = &*self.live;
        let in_use = live.in_use.fetch_add(1, RELAXED) + 1;
        // Only the window's peak; `auto_shrink` folds it into the all-time peak and
        // `stats` combines the two. Load first: in steady state the peak does not move,
        // and a plain load keeps the line shared.
        if in_use > live.window_peak.load(RELAXED) {
            live.window_peak.fetch_max(in_use, RELAXED);
        }
    }

    /// Pops from the caller's home shard, else steals from the others in turn.
    #[inline]
    fn pop_idle(&self) -> Option<T> {
        let home = thread_hint() & self.mask;
        {
            let mut shard = lock(&self.shards[home]);
            if let Some(value) = shard.idle.pop() {
                shard.hits += 1;
                return Some(value);
            }
        }
        self.steal(home)
    }

    #[cold]
    fn steal(&self, home: usize) -> Option<T> {
        for i in 1..self.shards.len() {
            let mut shard = lock(&self.shards[(home + i) & self.mask]);
            if let Some(value) = shard.idle.pop() {
                shard.hits += 1;
                return Some(value);
            }
        }
        None
    }

    /// No idle object anywhere: grow within `max` by the growth factor (one expansion,
    /// the extra objects go to the caller's shard), else overflow per `policy`.
    #[cold]
    fn on_miss(&self, policy: OverflowPolicy) -> Result<T, PoolError> {
        let rare = &*self.rare;
        bump(&rare.misses, 1);
        if !self.config.enabled {
            // Plain allocation, the baseline: counted as created, not as an overflow.
            rare.owned.fetch_add(1, RELAXED);
            bump(&rare.created, 1);
            return Ok(T::new_pooled());
        }
        let mut reservation = self.reserve_growth();
        if reservation.slots == 0 {
            return self.overflow(policy);
        }
        let created = reservation.slots;
        let fresh: Vec<T> = (1..created).map(|_| T::new_pooled()).collect();
        let value = T::new_pooled();
        reservation.slots = 0;
        bump(&rare.created, created as u64);
        bump(&rare.expansions, 1);
        if !fresh.is_empty() {
            lock(&self.shards[thread_hint() & self.mask])
                .idle
                .extend(fresh);
        }
        Ok(value)
    }

    /// Reserves the slots of one expansion: `owned` grows to `ceil(owned * growth)`, at
    /// least by one, capped at `max`. No slots when the pool already owns `max`.
    fn reserve_growth(&self) -> Reservation<'_> {
        let owned = &self.rare.owned;
        let mut current = owned.load(RELAXED);
        loop {
            if current >= self.config.max {
                return Reservation { owned, slots: 0 };
            }
            let target = ((current as f64 * self.config.growth).ceil() as usize)
                .max(current + 1)
                .min(self.config.max);
            match owned.compare_exchange_weak(current, target, RELAXED, RELAXED) {
                Ok(_) => {
                    return Reservation {
                        owned,
                        slots: target - current,
                    };
                }
                Err(actual) => current = actual,
            }
        }
    }

    /// Reserves up to `want` slots of `owned` below `max` (fewer when `max` is near).
    fn reserve(&self, want: usize) -> Reservation<'_> {
        let owned = &self.rare.owned;
        let mut current = owned.load(RELAXED);
        loop {
            let slots = want.min(self.config.max.saturating_sub(current));
            if slots == 0 {
                return Reservation { owned, slots: 0 };
            }
            match owned.compare_exchange_weak(current, current + slots, RELAXED, RELAXED) {
                Ok(_) => return Reservation { owned, slots },
                Err(actual) => current = actual,
            }
        }
    }

    #[cold]
    fn overflow(&self, policy: OverflowPolicy) -> Result<T, PoolError> {
        let rare = &*self.rare;
        bump(&rare.overflows, 1);
        match policy {
            OverflowPolicy::Allocate => {
                rare.owned.fetch_add(1, RELAXED);
                bump(&rare.created, 1);
                Ok(T::new_pooled())
            }
            OverflowPolicy::Fail => Err(PoolError::Exhausted {
                max: self.config.max,
            }),
        }
    }

    /// Takes a used object back: reset it and push it to the caller's home shard, or drop
    /// it when the pool owns more than `max` (an earlier overflow) or is disabled.
    // Out of line on purpose: inlined into a caller's loop, LLVM copies the whole `T`
    // once more on the way into the shard.
    #[inline(never)]
    fn give_back(&self, slot: &mut ManuallyDrop<T>) {
        self.live.in_use.fetch_sub(1, RELAXED);
        if self.release_if_over_max() {
            self.discard(slot);
            return;
        }
        // Reset in place, so the object moves only once, into the shard. If user code in
        // `reset` panics, the unwind drops the object (`unwind`) and gives its slot of
        // `owned` back (`reservation`).
        let reservation = Reservation {
            owned: &self.rare.owned,
            slots: 1,
        };
        let unwind = DropOnUnwind(slot);
        EvmPooled::reset(&mut **unwind.0);
        let slot = unwind.defuse();
        std::mem::forget(reservation);
        // SAFETY: the guard's value is initialized (guard invariant) and the guard, being
        // dropped, never touches it again.
        let value = unsafe { ManuallyDrop::take(slot) };
        let mut shard = lock(&self.shards[thread_hint() & self.mask]);
        shard.kept += 1;
        shard.idle.push(value);
    }

    /// The return of an object the pool may not keep (its slot already given up): drop it,
    /// outside every lock.
    #[cold]
    #[inline(never)]
    fn discard(&self, slot: &mut ManuallyDrop<T>) {
        bump(&self.rare.discards, 1);
        // SAFETY: as in `give_back`: initialized, and never touched again by the guard.
        unsafe { ManuallyDrop::drop(slot) };
    }

    /// Gives up one owned slot if the pool owns more than it may keep (always, when
    /// disabled).
    #[inline]
    fn release_if_over_max(&self) -> bool {
        let owned = &self.rare.owned;
        let mut current = owned.load(RELAXED);
        while current > self.config.max || !self.config.enabled {
            match owned.compare_exchange_weak(current, current - 1, RELAXED, RELAXED) {
                Ok(_) => return true,
                Err(actual) => current = actual,
            }
        }
        false
    }

    fn detach(&self) {
        self.live.in_use.fetch_sub(1, RELAXED);
        self.rare.owned.fetch_sub(1, RELAXED);
        bump(&self.rare.detached, 1);
    }
}

impl<T: EvmPooled + Send> Default for SyncPool<T> {
    /// [`SyncPool::new`].
    fn default() -> Self {
        Self::new()
    }
}

impl<T: EvmPooled + Send> fmt::Debug for SyncPool<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SyncPool")
            .field("type", &std::any::type_name::<T>())
            .field("shards", &self.shards.len())
            .field("config", &self.config)
            .field("stats", &self.stats())
            .finish()
    }
}

/// Generates the guard boilerplate shared by the borrowed and the owned guard.
macro_rules! guard_impls {
    ($guard:ident $(<$lt:lifetime>)?) => {
        impl<$($lt,)? T: EvmPooled + Send> $guard<$($lt,)? T> {
            /// Takes the object out of the pool for good, without resetting it.
            pub fn into_inner(self) -> T {
                let mut guard = ManuallyDrop::new(self);
                guard.pool.detach();
                // SAFETY: `guard` is wrapped in `ManuallyDrop`, so the guard's `drop`
                // never runs and `value` is taken exactly once, here. The pool handle
                // (`&SyncPool` or `Arc`) is released just below.
                let value = unsafe { ManuallyDrop::take(&mut guard.value) };
                // SAFETY: `pool` is read once and never used again through `guard`, which
                // is never dropped; binding it here drops the `Arc` of an owned guard at
                // the end of this scope (nothing to drop for a `&`).
                let _pool = unsafe { std::ptr::read(&guard.pool) };
                value
            }

            /// The pool this object came from.
            pub fn pool(&self) -> &SyncPool<T> {
                &self.pool
            }
        }

        impl<$($lt,)? T: EvmPooled + Send> Deref for $guard<$($lt,)? T> {
            type Target = T;

            #[inline]
            fn deref(&self) -> &T {
                &self.value
            }
        }

        impl<$($lt,)? T: EvmPooled + Send> DerefMut for $guard<$($lt,)? T> {
            #[inline]
            fn deref_mut(&mut self) -> &mut T {
                &mut self.value
            }
        }

        impl<$($lt,)? T: EvmPooled + Send> Drop for $guard<$($lt,)? T> {
            #[inline]
            fn drop(&mut self) {
                // `drop` runs at most once and `into_inner` suppresses it, so `value` is
                // still initialized here; `give_back` takes or drops it.
                self.pool.give_back(&mut self.value);
            }
        }

        impl<$($lt,)? T: EvmPooled + Send + fmt::Debug> fmt::Debug for $guard<$($lt,)? T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&**self, f)
            }
        }
    };
}

/// An object on loan from a [`SyncPool`]. Dereferences to `T`; dropping it, on any
/// thread, resets the object and returns it to the pool. `Send` when `T: Send`.
///
/// ```
/// use evm_pool_runtime::SyncPool;
///
/// let pool = SyncPool::<Vec<u8>>::new();
/// let mut guard = pool.acquire();
/// guard.extend_from_slice(b"\x60\x80");
/// std::thread::scope(|s| {
///     s.spawn(move || assert_eq!(guard.len(), 2)); // used and released on another thread
/// });
/// assert_eq!(pool.stats().returns, 1);
///
/// let kept: Vec<u8> = pool.acquire().into_inner(); // detached: the pool forgets it
/// assert_eq!(pool.stats().detached, 1);
/// # drop(kept);
/// ```
#[must_use = "dropping the guard immediately returns the object to the pool"]
pub struct SyncPoolGuard<'a, T: EvmPooled + Send> {
    pool: &'a SyncPool<T>,
    // Invariant: initialized from creation until `drop` or `into_inner` takes it, after
    // which the guard is never used again.
    value: ManuallyDrop<T>,
}

guard_impls!(SyncPoolGuard<'a>);

/// An object on loan from a [`SyncPool`] held in an `Arc`, from
/// [`SyncPool::acquire_owned`]. Like [`SyncPoolGuard`] but `'static` when `T` is: it
/// keeps the pool alive until it is dropped.
///
/// ```
/// use std::sync::Arc;
/// use evm_pool_runtime::SyncPool;
///
/// let pool = Arc::new(SyncPool::<Vec<u8>>::new());
/// let guard = pool.acquire_owned();
/// drop(pool); // the guard still holds the pool
/// let stack: Vec<u8> = guard.into_inner();
/// assert!(stack.is_empty());
/// ```
#[must_use = "dropping the guard immediately returns the object to the pool"]
pub struct OwnedSyncPoolGuard<T: EvmPooled + Send> {
    pool: Arc<SyncPool<T>>,
    // Invariant: as for `SyncPoolGuard`.
    value: ManuallyDrop<T>,
}

guard_impls!(OwnedSyncPoolGuard);

#[cfg(all(test, not(loom)))]
mod tests;
