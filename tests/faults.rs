//! Faults a pool must survive: a panic while a guard is held, a panic inside `reset`,
//! exhaustion under each overflow policy. In each case the pool's books stay exact and
//! no object is lost or dropped twice.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;

use evm_pool::{EvmPooled, OverflowPolicy, Pool, PoolConfig, PoolError};

/// An object that counts its live copies through an `Rc` it holds, so a test can see
/// that each object is dropped exactly once (the count returns to 1 at the end).
#[derive(Debug)]
struct Counted {
    _token: Rc<()>,
    data: Vec<u8>,
    panic_in_reset: bool,
}

thread_local! {
    static TOKEN: Rc<()> = Rc::new(());
}

fn live() -> usize {
    TOKEN.with(Rc::strong_count) - 1
}

impl EvmPooled for Counted {
    fn new_pooled() -> Self {
        Counted {
            _token: TOKEN.with(Rc::clone),
            data: Vec::new(),
            panic_in_reset: false,
        }
    }
    fn reset(&mut self) {
        if std::mem::take(&mut self.panic_in_reset) {
            panic!("reset refused");
        }
        self.data.clear();
    }
}

fn config(initial: usize, max: usize, overflow: OverflowPolicy) -> PoolConfig {
    PoolConfig::builder()
        .initial(initial)
        .max(max)
        .overflow(overflow)
        .build()
        .unwrap()
}

/// A panic while guards are held unwinds through their drops: every object is reset and
/// returned, the counts balance, and the objects are fresh when handed out again.
#[test]
fn panic_inside_a_guard_scope_returns_the_objects() {
    let pool = Pool::<Counted>::with_config(config(2, 4, OverflowPolicy::Allocate)).unwrap();
    let result = catch_unwind(AssertUnwindSafe(|| {
        let mut a = pool.acquire();
        let mut b = pool.acquire();
        a.data.extend_from_slice(b"calldata");
        b.data.push(1);
        panic!("interpreter bug");
    }));
    assert!(result.is_err());
    let s = pool.stats();
    assert_eq!((s.in_use, s.available, s.returns), (0, 2, 2));
    assert_eq!(live(), 2);
    let a = pool.acquire();
    let b = pool.acquire();
    assert!(a.data.is_empty() && b.data.is_empty());
    assert!(a.data.capacity() + b.data.capacity() >= 9);
    drop((a, b));
    drop(pool);
    assert_eq!(live(), 0);
}

/// A panic inside `reset` drops that one object (it may be half reset) and leaves the
/// pool's counts right; the pool keeps working and may create up to `max` again.
#[test]
fn panic_inside_reset_drops_only_that_object() {
    let pool = Pool::<Counted>::with_config(config(2, 2, OverflowPolicy::Fail)).unwrap();
    let mut bad = pool.try_acquire().unwrap();
    let good = pool.try_acquire().unwrap();
    bad.panic_in_reset = true;
    assert!(catch_unwind(AssertUnwindSafe(|| drop(bad))).is_err());
    let s = pool.stats();
    assert_eq!((s.in_use, s.available, s.returns), (1, 0, 1));
    assert_eq!(
        live(),
        1,
        "the panicking object is dropped, the other is held"
    );
    // The slot the dropped object held is free again under `max`.
    let again = pool.try_acquire().unwrap();
    assert!(matches!(
        pool.try_acquire(),
        Err(PoolError::Exhausted { max: 2 })
    ));
    drop((good, again));
    assert_eq!(pool.stats().available, 2);
    drop(pool);
    assert_eq!(live(), 0);
}

/// `Fail`: an exhausted pool refuses with a typed error, creates nothing, and serves
/// again as soon as an object comes back. Held objects are untouched by the refusal.
#[test]
fn exhaustion_under_fail_loses_nothing() {
    let pool = Pool::<Counted>::with_config(config(1, 3, OverflowPolicy::Fail)).unwrap();
    let mut held: Vec<_> = (0..3).map(|_| pool.try_acquire().unwrap()).collect();
    for (i, guard) in held.iter_mut().enumerate() {
        guard.data.push(i as u8);
    }
    for _ in 0..5 {
        let error = pool.try_acquire().unwrap_err();
        assert_eq!(error, PoolError::Exhausted { max: 3 });
        assert!(error.to_string().contains("OverflowPolicy::Allocate"));
    }
    let s = pool.stats();
    assert_eq!((s.created, s.overflows, s.in_use), (3, 5, 3));
    assert_eq!(live(), 3);
    let contents: Vec<Vec<u8>> = held.iter().map(|g| g.data.clone()).collect();
    assert_eq!(contents, [vec![0], vec![1], vec![2]]);
    drop(held.pop());
    assert!(pool.try_acquire().is_ok());
    drop(held);
    let s = pool.stats();
    assert_eq!((s.available, s.in_use, s.created, s.discards), (3, 0, 3, 0));
}

/// `Allocate`: an exhausted pool creates beyond `max` (counted as overflows) and drops
/// the surplus on return, so it never keeps more than `max`; nothing is dropped twice.
#[test]
fn exhaustion_under_allocate_keeps_at_most_max() {
    let pool = Pool::<Counted>::with_config(config(0, 2, OverflowPolicy::Allocate)).unwrap();
    let held: Vec<_> = (0..7).map(|_| pool.try_acquire().unwrap()).collect();
    let s = pool.stats();
    assert_eq!((s.created, s.overflows, s.in_use), (7, 5, 7));
    assert_eq!(live(), 7);
    drop(held);
    let s = pool.stats();
    assert_eq!((s.returns, s.discards, s.available), (7, 5, 2));
    assert_eq!(live(), 2);
    drop(pool);
    assert_eq!(live(), 0);
}

/// `acquire` (infallible) on a `Fail` pool still serves: the object beyond `max` is an
/// overflow and is dropped on return.
#[test]
fn infallible_acquire_on_a_fail_pool_serves_and_discards() {
    let pool = Pool::<Counted>::with_config(config(1, 1, OverflowPolicy::Fail)).unwrap();
    let first = pool.acquire();
    let second = pool.acquire();
    assert_eq!(pool.stats().overflows, 1);
    drop((first, second));
    let s = pool.stats();
    assert_eq!((s.available, s.discards), (1, 1));
    drop(pool);
    assert_eq!(live(), 0);
}

/// Opens `Call` frames one inside the other until the manager refuses; returns the depth
/// of the deepest frame opened and the refusal.
fn nest(
    manager: &evm_pool::FramePoolManager<[u8; 32]>,
    parent: &mut evm_pool::PooledFrame<[u8; 32]>,
) -> (usize, evm_pool::FrameError) {
    let mark = [parent.depth() as u8; 32];
    parent.stack_mut().push(mark).unwrap();
    let error = match manager.acquire(evm_pool::FrameKind::Call, Some(&mut *parent)) {
        Ok(mut child) => {
            let result = nest(manager, &mut child);
            // The child's own word is intact after its descendants returned.
            assert_eq!(child.stack().as_slice(), [[child.depth() as u8; 32]]);
            return result;
        }
        Err(error) => error,
    }; // the refused request's borrow of `parent` ends here
    // A refused call leaves the caller untouched.
    assert_eq!(parent.stack().as_slice(), [mark]);
    (parent.depth(), error)
}

/// A call tree deeper than 1024 gets `FrameError::DepthLimit` at the 1025th nested
/// call; the refusal takes nothing from the pools, and every frame comes back.
#[test]
fn frame_depth_past_1024_is_a_typed_error_and_nothing_is_lost() {
    use evm_pool::{CALL_DEPTH_LIMIT, FrameError, FrameKind, FramePoolConfig, FramePoolManager};
    // Run on a thread with room for 1025 nested calls of `nest` in a debug build.
    std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(|| {
            let manager = FramePoolManager::<[u8; 32]>::new(FramePoolConfig::balanced()).unwrap();
            let mut root = manager.acquire(FrameKind::Call, None).unwrap();
            let (deepest, error) = nest(&manager, &mut root);
            drop(root);
            assert_eq!(deepest, CALL_DEPTH_LIMIT);
            assert_eq!(error, FrameError::DepthLimit { limit: 1024 });
            assert_eq!(error.to_string(), "call depth limit of 1024 reached");
            let stats = manager.statistics().total;
            assert_eq!(stats.acquires(), 1025, "{stats}");
            assert_eq!((stats.in_use, stats.returns), (0, 1025), "{stats}");
            assert_eq!(stats.peak_in_use, 1025);
        })
        .unwrap()
        .join()
        .unwrap();
}

/// A worker thread that panics while holding `SyncPool` guards (borrowed and owned)
/// returns them while unwinding; the pool is not poisoned and its books balance.
#[test]
fn sync_pool_survives_a_thread_panicking_with_guards() {
    use evm_pool::SyncPool;
    use std::sync::Arc;

    let config = PoolConfig::builder().initial(2).max(4).build().unwrap();
    let pool = Arc::new(SyncPool::<Vec<u8>>::with_config(config).unwrap());
    let worker = {
        let pool = Arc::clone(&pool);
        std::thread::spawn(move || {
            let mut a = pool.acquire();
            let mut b = pool.acquire_owned();
            a.extend_from_slice(b"dirty");
            b.push(1);
            panic!("worker bug while holding two guards");
        })
    };
    assert!(worker.join().is_err());
    let s = pool.stats();
    assert_eq!((s.in_use, s.returns, s.available), (0, 2, 2), "{s}");
    // Both came back reset and the pool still serves every thread.
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| {
                let a = pool.acquire();
                assert!(a.is_empty());
            });
        }
    });
    assert_eq!(pool.stats().in_use, 0);
}
