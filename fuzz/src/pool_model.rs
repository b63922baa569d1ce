//! The step/check loop shared by the `pool_ops` and `sync_pool_ops` targets: one
//! operation list, applied to any pool behind [`PoolUnderTest`], with every statistic and
//! every object checked against the model after every step.

use std::sync::Arc;

use arbitrary::Arbitrary;
use evm_pool::{
    OverflowPolicy, OwnedSyncPoolGuard, Pool, PoolError, PoolGuard, PoolStats, SyncPool,
    SyncPoolGuard,
};

use crate::{Tagged, assert_distinct, live};

/// One step of an operation sequence; indexes pick a held object modulo the count.
#[derive(Arbitrary, Debug)]
pub enum Op {
    /// `acquire()`.
    Acquire,
    /// `try_acquire()`.
    TryAcquire,
    /// `acquire_owned()` where the pool has owned guards, else `acquire()`.
    AcquireOwned,
    /// `try_acquire_owned()` where the pool has owned guards, else `try_acquire()`.
    TryAcquireOwned,
    /// Drop a held guard.
    Release(u8),
    /// Detach a held object with `into_inner`.
    Detach(u8),
    /// Write `len` copies of `byte` into a held object.
    Write(u8, u8, u8),
    /// `prewarm(n % 64)`.
    Prewarm(u8),
    /// `shrink_to(n % 64)`.
    ShrinkTo(u8),
    /// `auto_shrink()`.
    AutoShrink,
}

/// A held guard of some pool: it derefs to the object and can detach it.
pub trait HeldObject {
    /// The object the guard holds.
    fn get(&mut self) -> &mut Tagged;
    /// Detaches the object from its pool.
    fn detach(self) -> Tagged;
}

/// The operations of a pool the model drives.
pub trait PoolUnderTest {
    /// What an acquire returns.
    type Held<'a>: HeldObject
    where
        Self: 'a;
    /// `acquire()`, or `acquire_owned()` when `owned` and the pool has it.
    fn acquire(&self, owned: bool) -> Self::Held<'_>;
    /// `try_acquire()`, or `try_acquire_owned()` when `owned` and the pool has it.
    fn try_acquire(&self, owned: bool) -> Result<Self::Held<'_>, PoolError>;
    /// `prewarm(n)`.
    fn prewarm(&self, n: usize) -> usize;
    /// `shrink_to(n)`.
    fn shrink_to(&self, n: usize) -> usize;
    /// `auto_shrink()`.
    fn auto_shrink(&self) -> usize;
    /// `stats()`.
    fn stats(&self) -> PoolStats;
}

impl HeldObject for PoolGuard<'_, Tagged> {
    fn get(&mut self) -> &mut Tagged {
        self
    }
    fn detach(self) -> Tagged {
        self.into_inner()
    }
}

impl PoolUnderTest for Pool<Tagged> {
    type Held<'a> = PoolGuard<'a, Tagged>;
    fn acquire(&self, _owned: bool) -> Self::Held<'_> {
        Pool::acquire(self)
    }
    fn try_acquire(&self, _owned: bool) -> Result<Self::Held<'_>, PoolError> {
        Pool::try_acquire(self)
    }
    fn prewarm(&self, n: usize) -> usize {
        Pool::prewarm(self, n)
    }
    fn shrink_to(&self, n: usize) -> usize {
        Pool::shrink_to(self, n)
    }
    fn auto_shrink(&self) -> usize {
        Pool::auto_shrink(self)
    }
    fn stats(&self) -> PoolStats {
        Pool::stats(self)
    }
}

/// A `SyncPool` guard: borrowed or owned (both deref to `Tagged`).
pub enum SyncHeld<'a> {
    /// From `acquire`/`try_acquire`.
    Borrowed(SyncPoolGuard<'a, Tagged>),
    /// From `acquire_owned`/`try_acquire_owned`.
    Owned(OwnedSyncPoolGuard<Tagged>),
}

impl HeldObject for SyncHeld<'_> {
    fn get(&mut self) -> &mut Tagged {
        match self {
            SyncHeld::Borrowed(g) => g,
            SyncHeld::Owned(g) => g,
        }
    }
    fn detach(self) -> Tagged {
        match self {
            SyncHeld::Borrowed(g) => g.into_inner(),
            SyncHeld::Owned(g) => g.into_inner(),
        }
    }
}

impl PoolUnderTest for Arc<SyncPool<Tagged>> {
    type Held<'a> = SyncHeld<'a>;
    fn acquire(&self, owned: bool) -> Self::Held<'_> {
        if owned {
            SyncHeld::Owned(self.acquire_owned())
        } else {
            SyncHeld::Borrowed(SyncPool::acquire(self))
        }
    }
    fn try_acquire(&self, owned: bool) -> Result<Self::Held<'_>, PoolError> {
        if owned {
            self.try_acquire_owned().map(SyncHeld::Owned)
        } else {
            SyncPool::try_acquire(self).map(SyncHeld::Borrowed)
        }
    }
    fn prewarm(&self, n: usize) -> usize {
        SyncPool::prewarm(self, n)
    }
    fn shrink_to(&self, n: usize) -> usize {
        SyncPool::shrink_to(self, n)
    }
    fn auto_shrink(&self) -> usize {
        SyncPool::auto_shrink(self)
    }
    fn stats(&self) -> PoolStats {
        SyncPool::stats(self)
    }
}

/// What the model knows of the pool's configuration.
#[derive(Clone, Copy, Debug)]
pub struct Model {
    /// The configured `max`.
    pub max: usize,
    /// `false` for a `disabled` pool, which keeps nothing.
    pub enabled: bool,
    /// `OverflowPolicy::Fail`: `try_acquire` refuses exactly when the pool is full.
    pub fail: bool,
    /// `live()` before the pool was built.
    pub live_before: usize,
}

/// The sizes and policy the pool targets read from their input: `initial` below 16,
/// `max` 1 to 32 above it, `Fail` or `Allocate`.
pub fn sizes(initial: u8, extra: u8, fail: bool) -> (usize, usize, OverflowPolicy) {
    let initial = usize::from(initial % 16);
    let max = initial + 1 + usize::from(extra % 32);
    let policy = if fail {
        OverflowPolicy::Fail
    } else {
        OverflowPolicy::Allocate
    };
    (initial, max, policy)
}

/// [`run`] on the pool `build` makes (configured with `max`, `enabled` and `fail`), then
/// drops the pool and the detached objects and checks that every object the pool created
/// is gone.
pub fn run_and_drop<P: PoolUnderTest>(
    (max, enabled, fail): (usize, bool, bool),
    ops: Vec<Op>,
    build: impl FnOnce() -> P,
) {
    let live_before = live();
    let model = Model {
        max,
        enabled,
        fail,
        live_before,
    };
    let pool = build();
    let detached = run(&pool, ops, model);
    drop(pool);
    drop(detached);
    assert_eq!(
        live(),
        live_before,
        "the pool's drop dropped everything it held"
    );
}

/// Applies `ops` to `pool` and checks after every step: no object lost (created = idle +
/// in use + discarded + detached + shrunk, and exactly that many alive), none handed out
/// twice, every handed-out object fresh, statistics exact, `Fail` refusing exactly when
/// the pool is full, never more than `max` kept idle. Returns the detached objects (still
/// alive) so the caller can drop them after the pool and check that nothing leaked.
pub fn run<P: PoolUnderTest>(pool: &P, ops: Vec<Op>, model: Model) -> Vec<Tagged> {
    let Model {
        max,
        enabled,
        fail,
        live_before,
    } = model;
    let mut held: Vec<P::Held<'_>> = Vec::new();
    let mut detached_alive: Vec<Tagged> = Vec::new();
    let (mut acquires, mut refused, mut returns, mut shrunk, mut peak) = (0u64, 0, 0, 0, 0);
    for op in ops {
        let before = pool.stats();
        let full = before.available == 0 && before.in_use as usize >= max;
        let outcome = match op {
            Op::Acquire => Some((false, Ok(pool.acquire(false)))),
            Op::AcquireOwned => Some((false, Ok(pool.acquire(true)))),
            Op::TryAcquire => Some((true, pool.try_acquire(false))),
            Op::TryAcquireOwned => Some((true, pool.try_acquire(true))),
            Op::Release(i) if !held.is_empty() => {
                let at = usize::from(i) % held.len();
                drop(held.swap_remove(at));
                returns += 1;
                None
            }
            Op::Detach(i) if !held.is_empty() => {
                let at = usize::from(i) % held.len();
                detached_alive.push(held.swap_remove(at).detach());
                None
            }
            Op::Write(i, byte, len) if !held.is_empty() => {
                let n = held.len();
                held[usize::from(i) % n]
                    .get()
                    .data
                    .extend(std::iter::repeat_n(byte, usize::from(len)));
                None
            }
            Op::Prewarm(n) => {
                let created = pool.prewarm(usize::from(n % 64));
                let after = pool.stats();
                assert_eq!(after.created, before.created + created as u64);
                assert!(
                    !enabled
                        || after.in_use + after.available
                            <= (max as u64).max(before.in_use + before.available),
                    "prewarm went past max"
                );
                None
            }
            Op::ShrinkTo(n) => {
                let n = usize::from(n % 64);
                let dropped = pool.shrink_to(n);
                assert_eq!(dropped as u64, before.available.saturating_sub(n as u64));
                shrunk += dropped as u64;
                None
            }
            Op::AutoShrink => {
                let dropped = pool.auto_shrink();
                assert!(dropped as u64 <= before.available);
                shrunk += dropped as u64;
                None
            }
            _ => None,
        };
        match outcome {
            Some((is_try, Ok(mut guard))) => {
                assert!(
                    !(is_try && enabled && fail && full),
                    "a full `Fail` pool served"
                );
                assert!(guard.get().data.is_empty(), "handed out a used object");
                held.push(guard);
                acquires += 1;
            }
            Some((_, Err(PoolError::Exhausted { max: m }))) => {
                assert!(enabled && fail, "only an enabled `Fail` pool refuses");
                assert!(full, "refused while not full");
                assert_eq!(m, max);
                refused += 1;
            }
            Some((_, Err(other))) => panic!("unexpected error {other:?}"),
            None => {}
        }
        peak = peak.max(held.len() as u64);
        let s = pool.stats();
        assert_eq!(s.in_use, held.len() as u64);
        assert_eq!(s.hits + s.misses, acquires + refused);
        assert_eq!(s.returns, returns);
        assert_eq!(s.detached, detached_alive.len() as u64);
        assert_eq!(s.peak_in_use, peak);
        // Conservation: every object created is idle, held, discarded, detached or shrunk.
        assert_eq!(
            s.created,
            s.available + s.in_use + s.discards + s.detached + shrunk
        );
        // ... and exactly the idle, held and detached ones are alive.
        assert_eq!(
            live() - live_before,
            (s.available + s.in_use) as usize + detached_alive.len()
        );
        if enabled {
            assert!(s.available as usize <= max, "kept more than max idle");
        } else {
            assert_eq!(s.available, 0, "a disabled pool keeps nothing");
        }
        assert_distinct(held.iter_mut().map(|g| g.get().id).collect());
    }
    detached_alive
}
