//! Typed object pools: [`Pool`] for one thread, with the configuration and statistics
//! types every pool flavour shares.
//!
//! A pool hands out an object inside a [`PoolGuard`]; dropping the guard resets the
//! object (keeping its allocations) and puts it back. Because the guard owns the object
//! and borrows the pool, safe code cannot release an object twice, use it after release,
//! or outlive the pool.

mod config;
mod stats;
mod sync;

use std::cell::{Cell, UnsafeCell};
use std::fmt;
use std::mem::ManuallyDrop;
use std::ops::{Deref, DerefMut};

pub use config::{ConfigError, OverflowPolicy, PoolConfig, PoolConfigBuilder};
pub use stats::{ByteSize, PoolStats};
pub use sync::{OwnedSyncPoolGuard, SyncPool, SyncPoolGuard};

use crate::EvmPooled;
use stats::{Counters, bump};

/// Why an acquire was refused.
///
/// ```
/// use evm_pool_runtime::{OverflowPolicy, Pool, PoolConfig, PoolError};
///
/// let config = PoolConfig::builder().initial(1).max(1).overflow(OverflowPolicy::Fail).build()?;
/// let pool = Pool::<Vec<u8>>::with_config(config)?;
/// let _held = pool.acquire();
/// let err = pool.try_acquire().unwrap_err();
/// assert_eq!(err, PoolError::Exhausted { max: 1 });
/// println!("{err}"); // says how to fix it
/// # Ok::<(), evm_pool_runtime::ConfigError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PoolError {
    /// All `max` objects are in use and the overflow policy is
    /// [`OverflowPolicy::Fail`]. Nothing was created.
    Exhausted {
        /// The pool's `max`.
        max: usize,
    },
}

impl fmt::Display for PoolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PoolError::Exhausted { max } => write!(
                f,
                "pool exhausted: all {max} objects are in use (overflow policy `Fail`); \
                 release one, raise `max`, or use `OverflowPolicy::Allocate`"
            ),
        }
    }
}

impl std::error::Error for PoolError {}

/// A single-threaded pool of `T`.
///
/// `acquire` hands out an idle object or creates one; the returned [`PoolGuard`]
/// dereferences to `T` and, when dropped, resets the object and returns it. The pool
/// takes `&self` everywhere, so guards from one pool can be held side by side. It is
/// `!Sync` by construction (its counters are `Cell`s): for objects shared across threads
/// use `SyncPool`.
///
/// Objects are stored inline, so acquiring moves a `T`: pool `Box<T>` for types larger
/// than a few hundred bytes.
///
/// # Example
///
/// ```
/// use evm_pool_runtime::{Pool, PoolConfig};
///
/// let pool: Pool<Vec<u8>> = Pool::with_config(PoolConfig::minimal())?;
/// {
///     let mut memory = pool.acquire();
///     memory.resize(4096, 0); // grows the pooled buffer once
/// } // reset (cleared, capacity kept) and returned here
/// let memory = pool.acquire();
/// assert!(memory.is_empty() && memory.capacity() >= 4096);
/// # Ok::<(), evm_pool_runtime::ConfigError>(())
/// ```
pub struct Pool<T: EvmPooled> {
    /// Idle objects, top of the stack last. Reached only through `with_idle` and the
    /// hot path of `acquire`, under the invariant written at `with_idle`.
    idle: UnsafeCell<Vec<T>>,
    /// Objects the pool answers for: idle plus in use (excluding detached ones).
    owned: Cell<usize>,
    counters: Counters,
    /// Most objects a return may leave the pool owning: `max`, or 0 when disabled (so
    /// every return is dropped). One comparison on the release path.
    keep_max: usize,
    config: PoolConfig,
}

impl<T: EvmPooled> Pool<T> {
    /// A pool configured by `T::pool_config()`, prewarmed with `initial` objects.
    ///
    /// # Panics
    ///
    /// If `T::pool_config()` is invalid (a bug in the type's `EvmPooled` impl;
    /// `#[derive(Pooled)]` checks its attributes at compile time). Use
    /// [`try_new`](Self::try_new) to get the error instead.
    ///
    /// ```
    /// let pool = evm_pool_runtime::Pool::<String>::new();
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
    /// let pool = evm_pool_runtime::Pool::<Vec<u64>>::try_new()?;
    /// # Ok::<(), evm_pool_runtime::ConfigError>(())
    /// ```
    pub fn try_new() -> Result<Self, ConfigError> {
        Self::with_config(T::pool_config())
    }

    /// A pool with an explicit configuration, validated, prewarmed with `initial` objects.
    ///
    /// ```
    /// use evm_pool_runtime::{Pool, PoolConfig};
    ///
    /// let pool = Pool::<Vec<u8>>::with_config(PoolConfig::high_performance())?;
    /// assert_eq!(pool.stats().available, 128);
    /// # Ok::<(), evm_pool_runtime::ConfigError>(())
    /// ```
    pub fn with_config(config: PoolConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        let pool = Pool {
            idle: UnsafeCell::new(Vec::with_capacity(config.max.min(1 << 16))),
            owned: Cell::new(0),
            counters: Counters::default(),
            keep_max: if config.enabled { config.max } else { 0 },
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
    /// use evm_pool_runtime::{Pool, PoolConfig};
    ///
    /// let pool = Pool::<Vec<u8>>::with_config(PoolConfig::minimal())?;
    /// assert_eq!(pool.config(), &PoolConfig::minimal());
    /// # Ok::<(), evm_pool_runtime::ConfigError>(())
    /// ```
    pub fn config(&self) -> &PoolConfig {
        &self.config
    }

    /// Hands out an object, creating one if none is idle. Never fails: under
    /// [`OverflowPolicy::Fail`] an exhausted pool still creates an object (counted as an
    /// overflow) and drops it on return. Use [`try_acquire`](Self::try_acquire) for the
    /// policy's error.
    ///
    /// ```
    /// let pool = evm_pool_runtime::Pool::<Vec<u8>>::new();
    /// let mut buffer = pool.acquire();
    /// buffer.push(0x60);
    /// assert_eq!(pool.stats().in_use, 1);
    /// ```
    #[inline]
    pub fn acquire(&self) -> PoolGuard<'_, T> {
        // Hot path: count first, then read the top idle object straight into the guard:
        // one move of `T` (through `Vec::pop`'s `Option` the compiler makes two).
        // SAFETY: the `with_idle` invariant: from here to the end of the function only
        // counters and the vector's length change and no code outside this module runs.
        let idle = unsafe { &mut *self.idle.get() };
        let Some(last) = idle.len().checked_sub(1) else {
            return self.acquire_on_miss();
        };
        bump(&self.counters.hits, 1);
        self.count_hand_out();
        // SAFETY: `last < len`, so the slot is initialized; lowering the length first
        // makes the vector forget it, so the value read is owned only by the guard.
        unsafe {
            idle.set_len(last);
            PoolGuard {
                pool: self,
                value: ManuallyDrop::new(std::ptr::read(idle.as_ptr().add(last))),
            }
        }
    }

    #[cold]
    #[inline(never)]
    fn acquire_on_miss(&self) -> PoolGuard<'_, T> {
        let value = self.on_miss().unwrap_or_else(|| self.create_overflow());
        self.hand_out(value)
    }

    /// Hands out an object, or [`PoolError::Exhausted`] when all `max` are in use and the
    /// policy is [`OverflowPolicy::Fail`]. Under `Allocate` it behaves like `acquire`.
    ///
    /// ```
    /// use evm_pool_runtime::{OverflowPolicy, Pool, PoolConfig};
    ///
    /// let config = PoolConfig::builder().initial(0).max(2).overflow(OverflowPolicy::Fail).build()?;
    /// let pool = Pool::<Vec<u8>>::with_config(config)?;
    /// let held = (pool.try_acquire()?, pool.try_acquire()?);
    /// assert!(pool.try_acquire().is_err());
    /// assert_eq!(pool.stats().overflows, 1);
    /// # drop(held);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn try_acquire(&self) -> Result<PoolGuard<'_, T>, PoolError> {
        let value = match self.pop_idle() {
            Some(value) => value,
            None => match self.on_miss() {
                Some(value) => value,
                None if self.config.overflow == OverflowPolicy::Allocate
                    || !self.config.enabled =>
                {
                    self.create_overflow()
                }
                None => {
                    bump(&self.counters.overflows, 1);
                    return Err(PoolError::Exhausted {
                        max: self.config.max,
                    });
                }
            },
        };
        Ok(self.hand_out(value))
    }

    /// Creates idle objects until at least `n` are available, never owning more than
    /// `max`. Returns how many were created. Does nothing for a disabled pool.
    ///
    /// ```
    /// use evm_pool_runtime::{Pool, PoolConfig};
    ///
    /// let pool = Pool::<Vec<u8>>::with_config(PoolConfig::builder().initial(0).max(8).build()?)?;
    /// assert_eq!(pool.prewarm(5), 5);
    /// assert_eq!(pool.prewarm(100), 3); // capped by max
    /// # Ok::<(), evm_pool_runtime::ConfigError>(())
    /// ```
    pub fn prewarm(&self, n: usize) -> usize {
        if !self.config.enabled {
            return 0;
        }
        let room = self.config.max.saturating_sub(self.owned.get());
        let wanted = n.saturating_sub(self.available()).min(room);
        // Built before touching the stack: `new_pooled` is user code.
        let fresh: Vec<T> = (0..wanted).map(|_| T::new_pooled()).collect();
        self.with_idle(|idle| idle.extend(fresh));
        self.owned.set(self.owned.get() + wanted);
        bump(&self.counters.created, wanted as u64);
        wanted
    }

    /// Drops idle objects until at most `n` remain idle. Returns how many were dropped;
    /// counts one shrinkage if any were.
    ///
    /// ```
    /// let pool = evm_pool_runtime::Pool::<Vec<u8>>::new();
    /// assert_eq!(pool.shrink_to(10), 54);
    /// assert_eq!(pool.stats().available, 10);
    /// ```
    pub fn shrink_to(&self, n: usize) -> usize {
        let dropped: Vec<T> = self.with_idle(|idle| {
            if idle.len() <= n {
                Vec::new()
            } else {
                idle.drain(n..).collect()
            }
        });
        if dropped.is_empty() {
            return 0;
        }
        // Dropped outside `with_idle`: a `Drop` impl may touch this pool.
        let count = dropped.len();
        self.owned.set(self.owned.get() - count);
        bump(&self.counters.shrinkages, 1);
        drop(dropped);
        count
    }

    /// Trims idle objects if the pool was under-used since the last call: when the peak
    /// in use over that window, divided by the objects owned, is below the shrink
    /// threshold, the pool keeps `max(initial, ceil(window peak * growth))` objects.
    /// Returns how many were dropped. Call it periodically (between blocks, say).
    ///
    /// ```
    /// use evm_pool_runtime::{Pool, PoolConfig};
    ///
    /// let pool = Pool::<Vec<u8>>::with_config(PoolConfig::builder().initial(4).max(100).build()?)?;
    /// pool.prewarm(100);
    /// drop(pool.acquire()); // window peak: 1 of 100 owned
    /// assert_eq!(pool.auto_shrink(), 96); // back to `initial`
    /// # Ok::<(), evm_pool_runtime::ConfigError>(())
    /// ```
    pub fn auto_shrink(&self) -> usize {
        let c = &self.counters;
        let window_peak = c.window_peak.replace(c.in_use.get());
        // The hot path tracks only the window's peak; fold it into the all-time peak.
        c.peak_in_use.set(c.peak_in_use.get().max(window_peak));
        let owned = self.owned.get();
        if owned == 0 || window_peak as f64 / owned as f64 >= self.config.shrink_threshold {
            return 0;
        }
        let keep =
            ((window_peak as f64 * self.config.growth).ceil() as usize).max(self.config.initial);
        let in_use = self.counters.in_use.get() as usize;
        self.shrink_to(keep.saturating_sub(in_use))
    }

    /// A snapshot of the pool's counters.
    ///
    /// ```
    /// let pool = evm_pool_runtime::Pool::<Vec<u8>>::new();
    /// let _a = pool.acquire();
    /// assert_eq!(pool.stats().hits, 1);
    /// ```
    pub fn stats(&self) -> PoolStats {
        let c = &self.counters;
        let mut bytes_held = 0;
        let mut available = 0;
        self.for_each_idle(|value| {
            available += 1;
            bytes_held += (size_of::<T>() + value.retained_heap_bytes()) as u64;
        });
        PoolStats {
            hits: c.hits.get(),
            misses: c.misses.get(),
            overflows: c.overflows.get(),
            returns: c.returns.get(),
            discards: c.discards.get(),
            detached: c.detached.get(),
            expansions: c.expansions.get(),
            shrinkages: c.shrinkages.get(),
            created: c.created.get(),
            in_use: c.in_use.get(),
            peak_in_use: c.peak_in_use.get().max(c.window_peak.get()),
            available,
            bytes_held,
        }
    }

    /// Idle objects ready to hand out.
    ///
    /// ```
    /// use evm_pool_runtime::{Pool, PoolConfig};
    ///
    /// let pool = Pool::<Vec<u8>>::with_config(PoolConfig::minimal())?;
    /// assert_eq!(pool.available(), 32); // prewarmed
    /// let guard = pool.acquire();
    /// assert_eq!(pool.available(), 31);
    /// drop(guard);
    /// assert_eq!(pool.available(), 32);
    /// # Ok::<(), evm_pool_runtime::ConfigError>(())
    /// ```
    pub fn available(&self) -> usize {
        self.with_idle(|idle| idle.len())
    }

    /// Objects handed out and not yet returned.
    ///
    /// ```
    /// use evm_pool_runtime::{Pool, PoolConfig};
    ///
    /// let pool = Pool::<Vec<u8>>::with_config(PoolConfig::minimal())?;
    /// let (a, b) = (pool.acquire(), pool.acquire());
    /// assert_eq!(pool.in_use(), 2);
    /// drop((a, b));
    /// assert_eq!(pool.in_use(), 0);
    /// # Ok::<(), evm_pool_runtime::ConfigError>(())
    /// ```
    pub fn in_use(&self) -> usize {
        self.counters.in_use.get() as usize
    }

    /// Runs `f` on every idle object. Crate-internal: lets a wrapper finish objects that
    /// `new_pooled` cannot fully build, such as buffers of a size class chosen at run time.
    ///
    /// `f` (and whatever it calls, like `retained_heap_bytes`) is code from outside this
    /// module, so the idle stack is taken out of the pool while it runs: should `f` use
    /// the pool, the pool just looks empty. Objects it returns meanwhile are kept.
    pub(crate) fn for_each_idle(&self, f: impl FnMut(&mut T)) {
        let mut idle = self.with_idle(std::mem::take);
        idle.iter_mut().for_each(f);
        self.with_idle(|current| {
            let returned_meanwhile = std::mem::replace(current, idle);
            current.extend(returned_meanwhile);
        });
    }

    /// The one way, besides `acquire`'s hot path, to reach the idle stack.
    ///
    /// Invariant that makes the `UnsafeCell` sound: `f` only runs `Vec` operations that
    /// move, never drop, a `T`, and no code from outside this module (no `new_pooled`,
    /// `reset`, `Drop` of a `T`, `retained_heap_bytes` or caller closure), so nothing
    /// can reach the pool while the `&mut` lives. (`Vec` may call the global allocator,
    /// an `unsafe impl` whose contract rules out re-entering the code it serves.) The pool
    /// is `!Sync`: no other thread can be here.
    #[inline(always)]
    fn with_idle<R>(&self, f: impl FnOnce(&mut Vec<T>) -> R) -> R {
        // SAFETY: the invariant above: this is the only reference to the vector while
        // `f` runs, and `f` cannot create another.
        f(unsafe { &mut *self.idle.get() })
    }

    #[inline]
    fn pop_idle(&self) -> Option<T> {
        let value = self.with_idle(Vec::pop)?;
        bump(&self.counters.hits, 1);
        Some(value)
    }

    /// A miss: grow the stock by the growth factor (one expansion) if `max` allows, and
    /// return one of the new objects. `None` when the pool is full (or disabled).
    #[cold]
    fn on_miss(&self) -> Option<T> {
        bump(&self.counters.misses, 1);
        let owned = self.owned.get();
        if !self.config.enabled || owned >= self.config.max {
            return None;
        }
        let target = ((owned as f64 * self.config.growth).ceil() as usize)
            .max(owned + 1)
            .min(self.config.max);
        let extra = target - owned - 1;
        if extra > 0 {
            let fresh: Vec<T> = (0..extra).map(|_| T::new_pooled()).collect();
            self.with_idle(|idle| idle.extend(fresh));
        }
        self.owned.set(target);
        bump(&self.counters.created, (extra + 1) as u64);
        bump(&self.counters.expansions, 1);
        Some(T::new_pooled())
    }

    /// An object beyond `max` (or any object of a disabled pool). A disabled pool's
    /// creations are plain allocations, not overflows.
    #[cold]
    fn create_overflow(&self) -> T {
        if self.config.enabled {
            bump(&self.counters.overflows, 1);
        }
        bump(&self.counters.created, 1);
        self.owned.set(self.owned.get() + 1);
        T::new_pooled()
    }

    #[inline]
    fn hand_out(&self, value: T) -> PoolGuard<'_, T> {
        self.count_hand_out();
        PoolGuard {
            pool: self,
            value: ManuallyDrop::new(value),
        }
    }

    #[inline]
    fn count_hand_out(&self) {
        let c = &self.counters;
        let in_use = c.in_use.get() + 1;
        c.in_use.set(in_use);
        // Only the window's peak: the all-time peak is the larger of it and the peaks of
        // earlier windows (folded in by `auto_shrink`, combined in `stats`).
        if in_use > c.window_peak.get() {
            c.window_peak.set(in_use);
        }
    }

    /// Takes a used object back from its guard: reset it in place and keep it, or drop it
    /// when the pool owns more than `max` (an earlier overflow) or is disabled.
    // Out of line on purpose: inlined into a caller's loop, LLVM copies the whole `T`
    // once more on the way into the idle stack.
    #[inline(never)]
    fn give_back(&self, slot: &mut ManuallyDrop<T>) {
        let c = &self.counters;
        c.in_use.set(c.in_use.get() - 1);
        bump(&c.returns, 1);
        if self.owned.get() > self.keep_max {
            self.discard(slot);
            return;
        }
        // Reset in place, so the object moves only once, into the idle stack. It leaves
        // the books while user code resets it: a panic in `reset` drops it (`unwind`
        // below) without leaving the counts wrong.
        self.owned.set(self.owned.get() - 1);
        let unwind = DropOnUnwind(slot);
        EvmPooled::reset(&mut **unwind.0);
        let slot = unwind.defuse();
        self.owned.set(self.owned.get() + 1);
        // SAFETY: as above: initialized, and the guard never touches it again.
        let value = unsafe { ManuallyDrop::take(slot) };
        self.with_idle(|idle| idle.push(value));
    }

    /// The return of an object the pool may not keep: drop it.
    #[cold]
    #[inline(never)]
    fn discard(&self, slot: &mut ManuallyDrop<T>) {
        self.owned.set(self.owned.get() - 1);
        bump(&self.counters.discards, 1);
        // SAFETY: `slot` is the guard's value, initialized (guard invariant); the guard is
        // being dropped and never touches it again.
        unsafe { ManuallyDrop::drop(slot) };
    }

    fn detach(&self) {
        let c = &self.counters;
        c.in_use.set(c.in_use.get() - 1);
        bump(&c.detached, 1);
        self.owned.set(self.owned.get() - 1);
    }
}

impl<T: EvmPooled> Default for Pool<T> {
    /// [`Pool::new`].
    fn default() -> Self {
        Self::new()
    }
}

impl<T: EvmPooled> fmt::Debug for Pool<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("type", &std::any::type_name::<T>())
            .field("config", &self.config)
            .field("stats", &self.stats())
            .finish()
    }
}

/// An object on loan from a [`Pool`]. Dereferences to `T`; dropping it resets the object
/// and returns it to the pool.
///
/// ```
/// let pool = evm_pool_runtime::Pool::<Vec<u8>>::new();
/// let mut guard = pool.acquire();
/// guard.extend_from_slice(b"\x60\x80");
/// assert_eq!(guard.len(), 2);
/// let kept: Vec<u8> = guard.into_inner(); // detached: the pool forgets it
/// assert_eq!(kept, b"\x60\x80");
/// assert_eq!(pool.stats().detached, 1);
/// ```
#[must_use = "dropping the guard immediately returns the object to the pool"]
pub struct PoolGuard<'a, T: EvmPooled> {
    pool: &'a Pool<T>,
    // Invariant: initialized from creation until `drop` or `into_inner` takes it, after
    // which the guard is never used again.
    value: ManuallyDrop<T>,
}

impl<T: EvmPooled> PoolGuard<'_, T> {
    /// Takes the object out of the pool for good, without resetting it.
    ///
    /// ```
    /// use evm_pool_runtime::{Pool, PoolConfig};
    ///
    /// let pool = Pool::<Vec<u8>>::with_config(PoolConfig::minimal())?;
    /// let mut guard = pool.acquire();
    /// guard.push(1);
    /// let kept: Vec<u8> = guard.into_inner(); // not reset, not returned
    /// assert_eq!(kept, [1]);
    /// assert_eq!(pool.stats().detached, 1);
    /// # Ok::<(), evm_pool_runtime::ConfigError>(())
    /// ```
    pub fn into_inner(self) -> T {
        let mut guard = ManuallyDrop::new(self);
        guard.pool.detach();
        // SAFETY: `guard` is wrapped in `ManuallyDrop`, so `PoolGuard::drop` never runs
        // and `value` is taken exactly once, here; the guard is not used afterwards.
        unsafe { ManuallyDrop::take(&mut guard.value) }
    }

    /// The pool this object came from.
    ///
    /// ```
    /// use evm_pool_runtime::{Pool, PoolConfig};
    ///
    /// let pool = Pool::<Vec<u8>>::with_config(PoolConfig::minimal())?;
    /// let guard = pool.acquire();
    /// assert_eq!(guard.pool().in_use(), 1);
    /// # Ok::<(), evm_pool_runtime::ConfigError>(())
    /// ```
    pub fn pool(&self) -> &Pool<T> {
        self.pool
    }
}

impl<T: EvmPooled> Deref for PoolGuard<'_, T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T: EvmPooled> DerefMut for PoolGuard<'_, T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut T {
        &mut self.value
    }
}

impl<T: EvmPooled> Drop for PoolGuard<'_, T> {
    #[inline]
    fn drop(&mut self) {
        // `drop` runs at most once and `into_inner` suppresses it, so `value` is still
        // initialized here; `give_back` takes or drops it.
        self.pool.give_back(&mut self.value);
    }
}

/// Drops a guard's object if user code panics while it is borrowed (during `reset`);
/// [`defuse`](Self::defuse) disarms it on the normal path.
struct DropOnUnwind<'a, T>(&'a mut ManuallyDrop<T>);

impl<'a, T> DropOnUnwind<'a, T> {
    #[inline]
    fn defuse(self) -> &'a mut ManuallyDrop<T> {
        let this = ManuallyDrop::new(self);
        // SAFETY: `this` is never dropped, so the reference is moved out exactly once.
        unsafe { std::ptr::read(&this.0) }
    }
}

impl<T> Drop for DropOnUnwind<'_, T> {
    fn drop(&mut self) {
        // SAFETY: only reached while unwinding out of `reset` (the normal path defuses):
        // the object is initialized and its guard, being dropped, never touches it again.
        unsafe { ManuallyDrop::drop(self.0) }
    }
}

impl<T: EvmPooled + fmt::Debug> fmt::Debug for PoolGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// Property-test settings for every test module of this crate: Miri (which interprets
/// every instruction and, isolated from the host, can neither read `PROPTEST_CASES` nor
/// the working directory for failure files) runs 4 cases without persistence.
#[cfg(test)]
pub(crate) fn proptest_config() -> proptest::test_runner::Config {
    let config = proptest::test_runner::Config::default();
    if cfg!(miri) {
        proptest::test_runner::Config {
            cases: 4,
            failure_persistence: None,
            ..config
        }
    } else {
        config
    }
}

#[cfg(test)]
pub(crate) mod test_model;
#[cfg(test)]
mod tests;
