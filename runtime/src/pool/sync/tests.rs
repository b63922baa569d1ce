use super::*;
use crate::pool::test_model::{Op, Tagged, config, distinct, op, same_for_every_pool};
use crate::{Pool, PoolGuard, Reset};
use proptest::prelude::*;
use std::sync::atomic::{AtomicBool, AtomicUsize};

fn pool<T: EvmPooled + Send>(initial: usize, max: usize, overflow: OverflowPolicy) -> SyncPool<T> {
    SyncPool::with_config_and_shards(config(initial, max, overflow), 4).unwrap()
}

/// Threads for the multi-threaded tests: fewer under Miri, which interprets every step.
const THREADS: usize = if cfg!(miri) { 3 } else { 8 };
const ROUNDS: usize = if cfg!(miri) { 30 } else { 20_000 };

same_for_every_pool!();

#[test]
fn pool_and_guards_are_send_and_sync() {
    fn send_sync<X: Send + Sync>() {}
    fn send<X: Send>() {}
    send_sync::<SyncPool<Vec<u8>>>();
    send_sync::<SyncPoolGuard<'static, Vec<u8>>>();
    send_sync::<OwnedSyncPoolGuard<Vec<u8>>>();
    // A `Send` but `!Sync` object still gives a `Sync` pool and `Send` guards.
    #[derive(Default)]
    struct Unshared(std::cell::Cell<u64>);
    impl Reset for Unshared {
        fn reset(&mut self) {
            self.0.set(0);
        }
    }
    send_sync::<SyncPool<Unshared>>();
    send::<SyncPoolGuard<'static, Unshared>>();
    send::<OwnedSyncPoolGuard<Unshared>>();
}

#[test]
fn growth_expands_in_one_batch_up_to_max() {
    let c = PoolConfig::builder()
        .initial(4)
        .max(10)
        .growth(2.0)
        .build()
        .unwrap();
    for shards in [1, 2, 8] {
        let pool = SyncPool::<Vec<u8>>::with_config_and_shards(c.clone(), shards).unwrap();
        let held: Vec<_> = (0..5).map(|_| pool.acquire()).collect();
        let s = pool.stats();
        assert_eq!((s.hits, s.misses, s.expansions, s.created), (4, 1, 1, 8));
        assert_eq!((s.in_use, s.available), (5, 3));
        let more: Vec<_> = (0..5).map(|_| pool.acquire()).collect();
        let s = pool.stats();
        assert_eq!((s.hits, s.misses, s.expansions, s.created), (8, 2, 2, 10));
        assert_eq!(s.available, 0);
        drop((held, more));
        assert_eq!(pool.available(), 10);
    }
}

#[test]
fn fail_policy_is_a_typed_error_and_loses_nothing() {
    let pool = pool::<Vec<u8>>(1, 1, OverflowPolicy::Fail);
    let first = pool.try_acquire().unwrap();
    assert_eq!(
        pool.try_acquire().unwrap_err(),
        PoolError::Exhausted { max: 1 }
    );
    drop(first);
    let s = pool.stats();
    assert_eq!(
        (s.available, s.in_use, s.created, s.overflows),
        (1, 0, 1, 1)
    );
    // `acquire` never fails: beyond max it allocates, and the extra is discarded.
    let (a, b) = (pool.acquire(), pool.acquire());
    drop((a, b));
    let s = pool.stats();
    assert_eq!((s.available, s.discards, s.overflows), (1, 1, 2));
}

#[test]
fn disabled_pool_allocates_and_drops_every_time() {
    let pool = SyncPool::<Vec<u8>>::with_config(PoolConfig::disabled()).unwrap();
    for _ in 0..3 {
        drop(pool.acquire());
    }
    let detached = pool.acquire().into_inner();
    assert_eq!(pool.prewarm(10), 0);
    let s = pool.stats();
    assert_eq!((s.hits, s.misses, s.created, s.discards), (0, 4, 4, 3));
    assert_eq!((s.available, s.overflows, s.expansions), (0, 0, 0));
    assert_eq!((s.detached, s.in_use), (1, 0));
    assert_eq!(pool.rare.owned.load(RELAXED), 0);
    drop(detached);
}

#[test]
fn into_inner_detaches_both_guards() {
    let pool = Arc::new(pool::<Vec<u8>>(1, 1, OverflowPolicy::Fail));
    let mut g = pool.acquire();
    g.push(9);
    assert_eq!(g.into_inner(), vec![9]);
    let s = pool.stats();
    assert_eq!((s.detached, s.in_use, s.available), (1, 0, 0));
    // The detached object no longer counts against `max`.
    let mut owned = pool.try_acquire_owned().unwrap();
    owned.push(7);
    assert_eq!(Arc::strong_count(&pool), 2);
    assert_eq!(owned.into_inner(), vec![7]);
    assert_eq!(Arc::strong_count(&pool), 1, "into_inner released the Arc");
    assert_eq!(pool.stats().detached, 2);
    assert!(pool.try_acquire().is_ok());
}

#[test]
fn owned_guard_keeps_the_pool_alive_and_returns_on_another_thread() {
    let pool = Arc::new(pool::<Vec<u8>>(0, 4, OverflowPolicy::Allocate));
    let mut guard = pool.acquire_owned();
    guard.extend_from_slice(&[1; 64]);
    let weak = Arc::downgrade(&pool);
    drop(pool);
    std::thread::spawn(move || {
        assert_eq!(guard.pool().in_use(), 1);
        drop(guard);
    })
    .join()
    .unwrap();
    assert!(weak.upgrade().is_none(), "the last guard dropped the pool");
}

#[test]
fn shrink_and_auto_shrink() {
    let c = PoolConfig::builder()
        .initial(2)
        .max(64)
        .shrink_threshold(0.5)
        .build()
        .unwrap();
    let pool = SyncPool::<Vec<u8>>::with_config_and_shards(c, 4).unwrap();
    pool.prewarm(40);
    let held: Vec<_> = (0..10).map(|_| pool.acquire()).collect();
    drop(held);
    assert_eq!(pool.auto_shrink(), 27);
    assert_eq!(pool.available(), 13);
    assert_eq!(pool.auto_shrink(), 11);
    assert_eq!(pool.available(), 2);
    assert_eq!(pool.stats().shrinkages, 2);
    assert_eq!(pool.shrink_to(5), 0);
    // The dropped objects no longer count against `max`.
    assert_eq!(pool.prewarm(64), 62);
}

#[test]
fn prewarm_spreads_over_shards() {
    let pool = SyncPool::<Vec<u8>>::with_config_and_shards(config(0, 64, OverflowPolicy::Fail), 4)
        .unwrap();
    assert_eq!(pool.prewarm(10), 10);
    let lens: Vec<usize> = pool.shards.iter().map(|s| lock(s).idle.len()).collect();
    let mut sorted = lens.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, [2, 2, 3, 3], "{lens:?}");
    // One thread can still take every idle object (it steals from the other shards).
    let held: Vec<_> = (0..10).map(|_| pool.try_acquire().unwrap()).collect();
    assert_eq!(pool.stats().misses, 0);
    drop(held);
}

#[test]
fn reset_panic_leaves_counts_consistent() {
    #[derive(Default)]
    struct Grumpy(bool);
    impl Reset for Grumpy {
        fn reset(&mut self) {
            if self.0 {
                panic!("reset failed");
            }
        }
    }
    let pool = pool::<Grumpy>(1, 1, OverflowPolicy::Fail);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut g = pool.acquire();
        g.0 = true;
    }));
    assert!(result.is_err());
    let s = pool.stats();
    assert_eq!((s.in_use, s.available), (0, 0));
    assert_eq!(pool.rare.owned.load(RELAXED), 0);
    // The lost object's slot is free again: max 1 can be created anew.
    drop(pool.try_acquire().unwrap());
    assert_eq!(pool.available(), 1);
}

#[test]
fn create_panic_gives_the_reservation_back() {
    static FAIL: AtomicBool = AtomicBool::new(false);
    struct Fragile;
    impl EvmPooled for Fragile {
        fn new_pooled() -> Self {
            assert!(!FAIL.load(RELAXED), "cannot create");
            Fragile
        }
        fn reset(&mut self) {}
    }
    let pool = SyncPool::<Fragile>::with_config_and_shards(
        PoolConfig::builder()
            .initial(0)
            .max(4)
            .overflow(OverflowPolicy::Fail)
            .build()
            .unwrap(),
        1,
    )
    .unwrap();
    FAIL.store(true, RELAXED);
    assert!(std::panic::catch_unwind(|| pool.prewarm(3)).is_err());
    assert!(std::panic::catch_unwind(|| drop(pool.acquire())).is_err());
    FAIL.store(false, RELAXED);
    assert_eq!(pool.rare.owned.load(RELAXED), 0);
    assert_eq!(pool.prewarm(4), 4);
}

#[test]
fn objects_are_dropped_exactly_once() {
    #[derive(Default)]
    struct Tracked(Option<Arc<()>>);
    impl Reset for Tracked {
        fn reset(&mut self) {}
    }
    let token = Arc::new(());
    {
        let pool = pool::<Tracked>(0, 2, OverflowPolicy::Allocate);
        let mut held: Vec<_> = (0..4).map(|_| pool.acquire()).collect();
        for g in &mut held {
            g.0 = Some(token.clone());
        }
        assert_eq!(Arc::strong_count(&token), 5);
        drop(held); // two kept, two discarded
        assert_eq!(Arc::strong_count(&token), 3);
        pool.shrink_to(1);
        assert_eq!(Arc::strong_count(&token), 2);
    }
    assert_eq!(Arc::strong_count(&token), 1);
}

#[test]
fn stats_report_bytes_held() {
    let pool = pool::<Vec<u64>>(0, 4, OverflowPolicy::Allocate);
    pool.acquire().reserve_exact(100);
    let s = pool.stats();
    assert_eq!(s.available, 1);
    assert_eq!(s.bytes_held, (size_of::<Vec<u64>>() + 800) as u64);
    assert!(format!("{pool:?}").contains("SyncPool"));
}

#[test]
fn guards_released_on_other_threads_balance() {
    let pool = pool::<Vec<u8>>(0, 16, OverflowPolicy::Allocate);
    let guards: Vec<_> = (0..8).map(|_| pool.acquire()).collect();
    std::thread::scope(|s| {
        for guard in guards {
            s.spawn(move || drop(guard));
        }
    });
    let s = pool.stats();
    assert_eq!(
        (s.in_use, s.returns, s.available, s.peak_in_use),
        (0, 8, 8, 8)
    );
}

/// A pooled object that proves exclusive use: it must come out empty, and what its user
/// writes must still be there, unchanged, when the user gives it back.
#[derive(Default)]
struct Exclusive(Vec<usize>);

impl Reset for Exclusive {
    fn reset(&mut self) {
        self.0.clear();
    }
}

fn use_exclusively(object: &mut Exclusive, me: usize) {
    assert!(object.0.is_empty(), "handed out dirty or shared");
    object.0.extend([me; 3]);
    std::hint::spin_loop();
    assert_eq!(object.0, [me; 3], "another thread touched my object");
}

#[test]
#[cfg_attr(
    miri,
    ignore = "tens of thousands of locked operations; the Miri variant below is small"
)]
fn stress_allocate_policy_stats_balance() {
    stress_allocate(THREADS, ROUNDS);
}

#[test]
#[cfg(miri)]
fn stress_allocate_policy_stats_balance_small() {
    stress_allocate(THREADS, ROUNDS);
}

fn stress_allocate(threads: usize, rounds: usize) {
    // A small max so misses, overflows and discards all happen.
    let pool = SyncPool::<Exclusive>::with_config_and_shards(
        PoolConfig::builder().initial(2).max(6).build().unwrap(),
        2,
    )
    .unwrap();
    std::thread::scope(|s| {
        for me in 0..threads {
            let pool = &pool;
            s.spawn(move || {
                let mut held = Vec::new();
                for round in 0..rounds {
                    let mut g = pool.acquire();
                    use_exclusively(&mut g, me);
                    held.push(g);
                    // Hold up to three at a time; release in varying order.
                    if held.len() > (round + me) % 4 {
                        let i = round % held.len();
                        drop(held.swap_remove(i));
                    }
                    if round % 1000 == 999 {
                        pool.shrink_to(1);
                    }
                }
            });
        }
    });
    let s = pool.stats();
    let total = (threads * rounds) as u64;
    assert_eq!(s.acquires(), total, "{s}");
    assert_eq!(s.returns, total, "{s}");
    assert_eq!(s.in_use, 0);
    assert!(s.available <= 6);
    assert!(s.peak_in_use <= (threads * 4) as u64);
    // Every object created is idle or was discarded or shrunk away.
    let shrunk = s.created - s.available - s.discards;
    assert!(shrunk == 0 || s.shrinkages > 0, "{s}");
    assert_eq!(pool.rare.owned.load(RELAXED) as u64, s.available);
    assert_eq!(
        s.overflows, s.discards,
        "every overflow object is discarded once"
    );
}

#[test]
#[cfg_attr(miri, ignore = "tens of thousands of locked operations")]
fn stress_fail_policy_never_exceeds_max() {
    const MAX: usize = 3;
    let pool =
        SyncPool::<Exclusive>::with_config_and_shards(config(1, MAX, OverflowPolicy::Fail), 4)
            .unwrap();
    let out = AtomicUsize::new(0);
    let refused = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for me in 0..THREADS {
            let (pool, out, refused) = (&pool, &out, &refused);
            s.spawn(move || {
                for _ in 0..ROUNDS / 16 {
                    // Ask for more than `max` at once, so refusals always happen.
                    let mut held = Vec::new();
                    for _ in 0..=MAX {
                        match pool.try_acquire() {
                            Ok(mut g) => {
                                let now = out.fetch_add(1, Ordering::SeqCst) + 1;
                                assert!(now <= MAX, "{now} objects out, max {MAX}");
                                use_exclusively(&mut g, me);
                                held.push(g);
                            }
                            Err(PoolError::Exhausted { max }) => {
                                assert_eq!(max, MAX);
                                refused.fetch_add(1, RELAXED);
                            }
                        }
                    }
                    for g in held {
                        out.fetch_sub(1, Ordering::SeqCst);
                        drop(g);
                    }
                }
            });
        }
    });
    let s = pool.stats();
    assert_eq!(s.created, MAX as u64, "{s}");
    assert!(s.overflows >= (THREADS * (ROUNDS / 16)) as u64, "{s}");
    assert_eq!(s.overflows, refused.load(RELAXED) as u64);
    assert_eq!(
        s.returns + s.overflows,
        (THREADS * (ROUNDS / 16) * (MAX + 1)) as u64
    );
    assert_eq!((s.in_use, s.available, s.discards), (0, MAX as u64, 0));
    assert!(s.peak_in_use <= MAX as u64);
}

proptest! {
    #![proptest_config(crate::pool::proptest_config())]

    /// Random operation sequences on one thread, run side by side on a `SyncPool` (any
    /// number of shards) and on the single-threaded `Pool` as the model: every statistic
    /// must match after every step, idle objects must be fresh, and no object may be out
    /// twice.
    #[test]
    fn sync_pool_matches_pool(
        initial in 0usize..8,
        extra in 1usize..12,
        fail in any::<bool>(),
        shards in 1usize..6,
        ops in proptest::collection::vec(op(), 0..120),
    ) {
        let max = initial + extra;
        let policy = if fail { OverflowPolicy::Fail } else { OverflowPolicy::Allocate };
        let model = Pool::<Tagged>::with_config(config(initial, max, policy)).unwrap();
        let pool = SyncPool::<Tagged>::with_config_and_shards(config(initial, max, policy), shards).unwrap();
        let mut held: Vec<SyncPoolGuard<'_, Tagged>> = Vec::new();
        let mut model_held: Vec<PoolGuard<'_, Tagged>> = Vec::new();
        for op in ops {
            match op {
                Op::Acquire => { held.push(pool.acquire()); model_held.push(model.acquire()); }
                Op::TryAcquire => match (pool.try_acquire(), model.try_acquire()) {
                    (Ok(g), Ok(m)) => { held.push(g); model_held.push(m); }
                    (Err(e), Err(m)) => prop_assert_eq!(e, m),
                    (got, want) => prop_assert!(false, "sync {:?} vs model {:?}", got.is_ok(), want.is_ok()),
                },
                Op::Release(i) if !held.is_empty() => {
                    let i = i % held.len();
                    drop(held.swap_remove(i));
                    drop(model_held.swap_remove(i));
                }
                Op::Detach(i) if !held.is_empty() => {
                    let i = i % held.len();
                    let _ = held.swap_remove(i).into_inner();
                    let _ = model_held.swap_remove(i).into_inner();
                }
                Op::Write(i, b) if !held.is_empty() => { let n = held.len(); held[i % n].data.push(b); }
                Op::Prewarm(n) => prop_assert_eq!(pool.prewarm(n), model.prewarm(n)),
                Op::Shrink(n) => prop_assert_eq!(pool.shrink_to(n), model.shrink_to(n)),
                Op::AutoShrink => prop_assert_eq!(pool.auto_shrink(), model.auto_shrink()),
                _ => {}
            }
            let (s, m) = (pool.stats(), model.stats());
            // Which objects stay idle may differ (and so their capacity): compare bytes apart.
            prop_assert_eq!(PoolStats { bytes_held: 0, ..s }, PoolStats { bytes_held: 0, ..m });
            prop_assert_eq!(s.in_use, held.len() as u64);
            let idle: Vec<u64> = pool.shards.iter()
                .flat_map(|shard| lock(shard).idle.iter().map(|t| t.id).collect::<Vec<_>>())
                .collect();
            // `Tagged` reports no heap bytes: each idle object holds its inline size.
            prop_assert_eq!(s.bytes_held, (idle.len() * size_of::<Tagged>()) as u64);
            prop_assert!(pool.shards.iter().all(|shard| lock(shard).idle.iter().all(|t| t.data.is_empty())));
            prop_assert_eq!(pool.rare.owned.load(RELAXED), idle.len() + held.len());
            prop_assert!(distinct(held.iter().map(|g| g.id).chain(idle.iter().copied()).collect()));
        }
    }
}
