use super::test_model::{Op, Tagged, config, distinct, op, same_for_every_pool};
use super::*;
use crate::Reset;
use proptest::prelude::*;
use std::rc::Rc;

fn pool<T: EvmPooled>(initial: usize, max: usize, overflow: OverflowPolicy) -> Pool<T> {
    Pool::with_config(config(initial, max, overflow)).unwrap()
}

same_for_every_pool!();

#[test]
fn growth_expands_in_one_batch_up_to_max() {
    let c = PoolConfig::builder()
        .initial(4)
        .max(10)
        .growth(2.0)
        .build()
        .unwrap();
    let pool = Pool::<Vec<u8>>::with_config(c).unwrap();
    let held: Vec<_> = (0..5).map(|_| pool.acquire()).collect();
    let s = pool.stats();
    // 4 hits, then a miss grows 4 -> 8 owned: one handed out, three idle.
    assert_eq!((s.hits, s.misses, s.expansions, s.created), (4, 1, 1, 8));
    assert_eq!((s.in_use, s.available), (5, 3));
    let more: Vec<_> = (0..5).map(|_| pool.acquire()).collect();
    let s = pool.stats();
    // 3 more hits, then a miss grows 8 -> 10 (capped), then one more hit.
    assert_eq!((s.hits, s.misses, s.expansions, s.created), (8, 2, 2, 10));
    assert_eq!(s.available, 0);
    drop((held, more));
    assert_eq!(pool.available(), 10);
}

#[test]
fn fail_policy_is_a_typed_error_and_loses_nothing() {
    let pool = pool::<Vec<u8>>(1, 1, OverflowPolicy::Fail);
    let first = pool.try_acquire().unwrap();
    assert_eq!(
        pool.try_acquire().unwrap_err(),
        PoolError::Exhausted { max: 1 }
    );
    assert!(
        pool.try_acquire()
            .unwrap_err()
            .to_string()
            .contains("raise `max`")
    );
    drop(first);
    let s = pool.stats();
    assert_eq!(
        (s.available, s.in_use, s.created, s.overflows),
        (1, 0, 1, 2)
    );
}

#[test]
fn disabled_pool_allocates_and_drops_every_time() {
    let pool = Pool::<Vec<u8>>::with_config(PoolConfig::disabled()).unwrap();
    for _ in 0..3 {
        drop(pool.acquire());
    }
    assert_eq!(pool.prewarm(10), 0);
    let s = pool.stats();
    assert_eq!((s.hits, s.misses, s.created, s.discards), (0, 3, 3, 3));
    assert_eq!((s.available, s.overflows, s.expansions), (0, 0, 0));
}

#[test]
fn into_inner_detaches() {
    let pool = pool::<Vec<u8>>(1, 1, OverflowPolicy::Fail);
    let mut g = pool.acquire();
    g.push(9);
    assert_eq!(g.into_inner(), vec![9]);
    let s = pool.stats();
    assert_eq!((s.detached, s.in_use, s.available), (1, 0, 0));
    // The detached object no longer counts against `max`.
    assert!(pool.try_acquire().is_ok());
}

#[test]
fn shrink_and_auto_shrink() {
    let c = PoolConfig::builder()
        .initial(2)
        .max(64)
        .shrink_threshold(0.5)
        .build()
        .unwrap();
    let pool = Pool::<Vec<u8>>::with_config(c).unwrap();
    pool.prewarm(40);
    let held: Vec<_> = (0..10).map(|_| pool.acquire()).collect();
    drop(held);
    // window peak 10 of 40 owned = 25% < 50%: keep ceil(10 * 1.3) = 13.
    assert_eq!(pool.auto_shrink(), 27);
    assert_eq!(pool.available(), 13);
    // The next window saw no use at all: back to initial.
    assert_eq!(pool.auto_shrink(), 11);
    assert_eq!(pool.available(), 2);
    assert_eq!(pool.stats().shrinkages, 2);
    assert_eq!(pool.shrink_to(5), 0);
}

#[test]
fn drop_during_reset_panics_leaves_counts_consistent() {
    #[derive(Default)]
    struct Grumpy(bool);
    impl Reset for Grumpy {
        fn reset(&mut self) {
            if self.0 {
                panic!("reset failed");
            }
        }
    }
    let pool = pool::<Grumpy>(1, 4, OverflowPolicy::Allocate);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut g = pool.acquire();
        g.0 = true;
    }));
    assert!(result.is_err());
    let s = pool.stats();
    assert_eq!((s.in_use, s.available), (0, 0));
    // The pool still works and may create up to max again.
    drop(pool.acquire());
    assert_eq!(pool.available(), 1);
}

#[test]
fn objects_are_dropped_exactly_once() {
    #[derive(Default)]
    struct Tracked(Option<Rc<()>>);
    impl Reset for Tracked {
        fn reset(&mut self) {}
    }
    let token = Rc::new(());
    {
        let pool = pool::<Tracked>(0, 2, OverflowPolicy::Allocate);
        let mut held: Vec<_> = (0..4).map(|_| pool.acquire()).collect();
        for g in &mut held {
            g.0 = Some(token.clone());
        }
        assert_eq!(Rc::strong_count(&token), 5);
        drop(held); // two kept, two discarded
        assert_eq!(Rc::strong_count(&token), 3);
    }
    assert_eq!(Rc::strong_count(&token), 1);
}

#[test]
fn stats_report_bytes_held() {
    let pool = pool::<Vec<u64>>(0, 4, OverflowPolicy::Allocate);
    pool.acquire().reserve_exact(100);
    let s = pool.stats();
    assert_eq!(s.available, 1);
    assert_eq!(s.bytes_held, (size_of::<Vec<u64>>() + 800) as u64);
}

proptest! {
    #![proptest_config(crate::pool::proptest_config())]

    /// Random operation sequences against a model of what the pool must own and count.
    #[test]
    fn pool_matches_model(
        initial in 0usize..8,
        extra in 1usize..12,
        fail in any::<bool>(),
        ops in proptest::collection::vec(op(), 0..120),
    ) {
        let max = initial + extra;
        let policy = if fail { OverflowPolicy::Fail } else { OverflowPolicy::Allocate };
        let pool = Pool::<Tagged>::with_config(config(initial, max, policy)).unwrap();
        let mut held: Vec<PoolGuard<'_, Tagged>> = Vec::new();
        let (mut acquires, mut returns, mut detached, mut refused) = (0u64, 0u64, 0u64, 0u64);
        let mut peak = 0u64;
        for op in ops {
            match op {
                Op::Acquire => { held.push(pool.acquire()); acquires += 1; }
                Op::TryAcquire => match pool.try_acquire() {
                    Ok(g) => { held.push(g); acquires += 1; }
                    Err(PoolError::Exhausted { max: m }) => {
                        prop_assert!(fail);
                        prop_assert_eq!(m, max);
                        prop_assert!(held.len() >= max);
                        refused += 1;
                    }
                },
                Op::Release(i) if !held.is_empty() => { drop(held.swap_remove(i % held.len())); returns += 1; }
                Op::Detach(i) if !held.is_empty() => {
                    let _ = held.swap_remove(i % held.len()).into_inner();
                    detached += 1;
                }
                Op::Write(i, b) if !held.is_empty() => { let n = held.len(); held[i % n].data.push(b); }
                Op::Prewarm(n) => { pool.prewarm(n); }
                Op::Shrink(n) => { pool.shrink_to(n); }
                Op::AutoShrink => { pool.auto_shrink(); }
                _ => {}
            }
            peak = peak.max(held.len() as u64);
            let s = pool.stats();
            prop_assert_eq!(s.in_use, held.len() as u64);
            prop_assert_eq!(s.hits + s.misses, acquires + refused);
            prop_assert_eq!(s.returns, returns);
            prop_assert_eq!(s.detached, detached);
            prop_assert_eq!(s.peak_in_use, peak);
            // Nothing is lost: everything created is idle, in use, discarded, shrunk or detached.
            prop_assert!(s.available + s.in_use <= s.created);
            // The pool never keeps more than `max` idle objects.
            prop_assert!(s.available as usize <= max);
            // Idle objects are always fresh.
            let mut idle = Vec::new();
            pool.for_each_idle(|t| idle.push((t.id, t.data.is_empty())));
            prop_assert!(idle.iter().all(|&(_, fresh)| fresh));
            // No object is handed out twice, nor both held and idle.
            let ids = held.iter().map(|g| g.id).chain(idle.iter().map(|&(id, _)| id));
            prop_assert!(distinct(ids.collect()));
        }
        drop(held);
        let s = pool.stats();
        prop_assert_eq!(s.in_use, 0);
        prop_assert!(s.available as usize <= max);
    }
}
