//! Model checks of `SyncPool` with loom: every interleaving of the threads' lock and
//! atomic operations (up to loom's preemption bound) is run, and each must keep the
//! pool's promises.
//!
//! ```text
//! RUSTFLAGS="--cfg loom" cargo test -p evm-pool-runtime --release --test loom_sync_pool \
//!     --target-dir target/loom -- --nocapture
//! ```
//!
//! `LOOM_MAX_PREEMPTIONS` overrides the default bound of 3 preemptions per execution.
#![cfg(loom)]

#[path = "common/loom_model.rs"]
mod loom_model;
use loom_model::model;

use std::sync::Arc;

use evm_pool_runtime::{OverflowPolicy, PoolConfig, PoolError, Reset, SyncPool};
use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::thread;

/// Proves exclusive use: comes out empty, and what its user writes is still there,
/// unchanged, when the user gives it back.
#[derive(Default, Debug)]
struct Exclusive(Vec<usize>);

impl Reset for Exclusive {
    fn reset(&mut self) {
        self.0.clear();
    }
}

fn use_exclusively(object: &mut Exclusive, me: usize) {
    assert!(
        object.0.is_empty(),
        "handed out dirty or shared: {object:?}"
    );
    object.0.push(me);
    loom::thread::yield_now();
    assert_eq!(object.0, [me], "another thread touched my object");
}

fn config(initial: usize, max: usize, overflow: OverflowPolicy) -> PoolConfig {
    PoolConfig::builder()
        .initial(initial)
        .max(max)
        .overflow(overflow)
        .build()
        .unwrap()
}

/// Two threads acquire and release at once; afterwards every counter balances exactly.
fn two_threads_balance(shards: usize, initial: usize) {
    let pool = Arc::new(
        SyncPool::<Exclusive>::with_config_and_shards(
            config(initial, 2, OverflowPolicy::Allocate),
            shards,
        )
        .unwrap(),
    );
    let workers: Vec<_> = (1..=2)
        .map(|me| {
            let pool = Arc::clone(&pool);
            thread::spawn(move || {
                let mut g = pool.acquire();
                use_exclusively(&mut g, me);
            })
        })
        .collect();
    for worker in workers {
        worker.join().unwrap();
    }
    let s = pool.stats();
    assert_eq!((s.acquires(), s.returns, s.in_use), (2, 2, 0), "{s}");
    assert!(s.peak_in_use >= 1 && s.peak_in_use <= 2, "{s}");
    assert_eq!(s.created, s.available + s.discards, "{s}");
    assert!(s.available <= 2, "{s}");
    assert_eq!(s.hits + s.misses, 2);
    assert_eq!(s.overflows, s.discards, "{s}");
    // Objects come back fresh.
    let g = pool.acquire();
    assert!(g.0.is_empty());
}

#[test]
fn two_threads_acquire_release_one_shard() {
    model("two_threads_acquire_release_one_shard", || {
        two_threads_balance(1, 1)
    });
}

#[test]
fn two_threads_acquire_release_two_shards() {
    model("two_threads_acquire_release_two_shards", || {
        two_threads_balance(2, 1)
    });
}

#[test]
fn two_threads_miss_and_grow_concurrently() {
    // Empty pool: both threads miss, race to reserve growth, maybe overflow.
    model("two_threads_miss_and_grow_concurrently", || {
        two_threads_balance(2, 0)
    });
}

#[test]
fn guard_sent_to_another_thread_is_released_there() {
    model("guard_sent_to_another_thread_is_released_there", || {
        let pool = Arc::new(
            SyncPool::<Exclusive>::with_config_and_shards(
                config(1, 2, OverflowPolicy::Allocate),
                2,
            )
            .unwrap(),
        );
        let mut sent = pool.acquire_owned();
        sent.0.push(7);
        let receiver = thread::spawn(move || {
            assert_eq!(sent.0, [7]);
            drop(sent); // reset and returned on this thread
        });
        // Meanwhile the sender keeps working with the pool.
        {
            let mut g = pool.acquire();
            use_exclusively(&mut g, 1);
        }
        receiver.join().unwrap();
        let s = pool.stats();
        assert_eq!((s.acquires(), s.returns, s.in_use), (2, 2, 0), "{s}");
        assert_eq!(s.created, s.available + s.discards, "{s}");
        let (a, b) = (pool.acquire(), pool.acquire());
        assert!(
            a.0.is_empty() && b.0.is_empty(),
            "returned objects are reset"
        );
    });
}

#[test]
fn fail_policy_never_hands_out_more_than_max() {
    model("fail_policy_never_hands_out_more_than_max", || {
        const MAX: usize = 1;
        let pool = Arc::new(
            SyncPool::<Exclusive>::with_config_and_shards(config(0, MAX, OverflowPolicy::Fail), 2)
                .unwrap(),
        );
        let out = Arc::new(AtomicUsize::new(0));
        let refused = Arc::new(AtomicUsize::new(0));
        let workers: Vec<_> = (1..=2)
            .map(|me| {
                let (pool, out, refused) = (Arc::clone(&pool), out.clone(), refused.clone());
                thread::spawn(move || match pool.try_acquire() {
                    Ok(mut g) => {
                        let now = out.fetch_add(1, Ordering::SeqCst) + 1;
                        assert!(now <= MAX, "{now} out at once, max {MAX}");
                        use_exclusively(&mut g, me);
                        out.fetch_sub(1, Ordering::SeqCst);
                    }
                    Err(PoolError::Exhausted { max }) => {
                        assert_eq!(max, MAX);
                        refused.fetch_add(1, Ordering::SeqCst);
                    }
                    Err(other) => panic!("unexpected {other}"),
                })
            })
            .collect();
        for worker in workers {
            worker.join().unwrap();
        }
        let s = pool.stats();
        let refused = refused.load(Ordering::SeqCst) as u64;
        assert_eq!(s.created, MAX as u64, "{s}");
        assert_eq!(s.overflows, refused);
        assert_eq!(s.returns + refused, 2);
        assert_eq!((s.in_use, s.available, s.discards), (0, MAX as u64, 0));
    });
}
