//! `SyncPool<T>` operation sequences (borrowed and owned guards, detaching, prewarm,
//! shrink, several shards) checked after every step against the same model as
//! `pool_ops`: conservation of objects, exactly that many alive, none handed out twice,
//! each handed out fresh, statistics exact, `Fail` refusing exactly when full. The
//! threaded interleavings are loom's job (`runtime/tests/loom_sync_pool.rs`); this target
//! explores long single-threaded histories across shards.
#![no_main]

use std::sync::Arc;

use arbitrary::Arbitrary;
use evm_pool::{OverflowPolicy, PoolConfig, PoolError, SyncPool};
use evm_pool_fuzz::{Tagged, assert_distinct, live};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
enum Op {
    Acquire,
    TryAcquire,
    AcquireOwned,
    TryAcquireOwned,
    Release(u8),
    Detach(u8),
    Write(u8, u8),
    Prewarm(u8),
    ShrinkTo(u8),
    AutoShrink,
}

#[derive(Arbitrary, Debug)]
struct Input {
    initial: u8,
    extra: u8,
    shards: u8,
    fail: bool,
    enabled: bool,
    ops: Vec<Op>,
}

/// A held object: a borrowed or an owned guard (both deref to `Tagged`).
enum Held<'a> {
    Borrowed(evm_pool::SyncPoolGuard<'a, Tagged>),
    Owned(evm_pool::OwnedSyncPoolGuard<Tagged>),
}

impl Held<'_> {
    fn get(&mut self) -> &mut Tagged {
        match self {
            Held::Borrowed(g) => g,
            Held::Owned(g) => g,
        }
    }
    fn into_inner(self) -> Tagged {
        match self {
            Held::Borrowed(g) => g.into_inner(),
            Held::Owned(g) => g.into_inner(),
        }
    }
}

fuzz_target!(|input: Input| {
    let initial = usize::from(input.initial % 16);
    let max = initial + 1 + usize::from(input.extra % 32);
    let policy = if input.fail {
        OverflowPolicy::Fail
    } else {
        OverflowPolicy::Allocate
    };
    let config = PoolConfig::builder()
        .initial(initial)
        .max(max)
        .overflow(policy)
        .enabled(input.enabled)
        .build()
        .unwrap();
    let shards = 1 + usize::from(input.shards % 8);
    let live_before = live();
    let pool = Arc::new(SyncPool::<Tagged>::with_config_and_shards(config, shards).unwrap());
    assert_eq!(pool.shards(), shards.next_power_of_two());
    let mut held: Vec<Held<'_>> = Vec::new();
    let mut detached_alive: Vec<Tagged> = Vec::new();
    let (mut acquires, mut refused, mut returns, mut shrunk, mut peak) =
        (0u64, 0u64, 0u64, 0u64, 0u64);
    let (enabled, fail) = (input.enabled, input.fail);
    for op in input.ops {
        let before = pool.stats();
        let full = before.available == 0 && before.in_use as usize >= max;
        let is_try = matches!(op, Op::TryAcquire | Op::TryAcquireOwned);
        let outcome: Option<Result<Held<'_>, PoolError>> = match op {
            Op::Acquire => Some(Ok(Held::Borrowed(pool.acquire()))),
            Op::AcquireOwned => Some(Ok(Held::Owned(pool.acquire_owned()))),
            Op::TryAcquire => Some(pool.try_acquire().map(Held::Borrowed)),
            Op::TryAcquireOwned => Some(pool.try_acquire_owned().map(Held::Owned)),
            Op::Release(i) if !held.is_empty() => {
                let at = usize::from(i) % held.len();
                drop(held.swap_remove(at));
                returns += 1;
                None
            }
            Op::Detach(i) if !held.is_empty() => {
                let at = usize::from(i) % held.len();
                detached_alive.push(held.swap_remove(at).into_inner());
                None
            }
            Op::Write(i, len) if !held.is_empty() => {
                let n = held.len();
                held[usize::from(i) % n]
                    .get()
                    .data
                    .extend(std::iter::repeat_n(0xAB, usize::from(len)));
                None
            }
            Op::Prewarm(n) => {
                let created = pool.prewarm(usize::from(n % 64));
                assert_eq!(pool.stats().created, before.created + created as u64);
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
                shrunk += pool.auto_shrink() as u64;
                None
            }
            _ => None,
        };
        match outcome {
            Some(Ok(mut guard)) => {
                assert!(
                    !(is_try && enabled && fail && full),
                    "a full `Fail` pool served"
                );
                assert!(guard.get().data.is_empty(), "handed out a used object");
                held.push(guard);
                acquires += 1;
            }
            Some(Err(PoolError::Exhausted { max: m })) => {
                assert!(enabled && fail && full, "refused while not full");
                assert_eq!(m, max);
                refused += 1;
            }
            Some(Err(other)) => panic!("unexpected error {other:?}"),
            None => {}
        }
        peak = peak.max(held.len() as u64);
        let s = pool.stats();
        assert_eq!(s.in_use, held.len() as u64);
        assert_eq!(s.hits + s.misses, acquires + refused);
        assert_eq!(s.returns, returns);
        assert_eq!(s.detached, detached_alive.len() as u64);
        assert_eq!(s.peak_in_use, peak);
        assert_eq!(
            s.created,
            s.available + s.in_use + s.discards + s.detached + shrunk
        );
        assert_eq!(
            live() - live_before,
            (s.available + s.in_use) as usize + detached_alive.len()
        );
        if enabled {
            assert!(s.available as usize <= max, "kept more than max idle");
        } else {
            assert_eq!(s.available, 0);
        }
        assert_distinct(held.iter_mut().map(|g| g.get().id).collect());
    }
    drop(held);
    drop(pool);
    drop(detached_alive);
    assert_eq!(live(), live_before);
});
