//! `Pool<T>` operation sequences checked against a model after every step: no object
//! lost (created = idle + in use + discarded + detached + shrunk, and exactly that many
//! alive), none handed out twice, every handed-out object fresh, statistics exact,
//! `Fail` refusing exactly when the pool is full, never more than `max` kept idle.
#![no_main]

use arbitrary::Arbitrary;
use evm_pool::{OverflowPolicy, Pool, PoolConfig, PoolError, PoolGuard};
use evm_pool_fuzz::{Tagged, assert_distinct, live};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
enum Op {
    Acquire,
    TryAcquire,
    Release(u8),
    Detach(u8),
    Write(u8, u8, u8),
    Prewarm(u8),
    ShrinkTo(u8),
    AutoShrink,
}

#[derive(Arbitrary, Debug)]
struct Input {
    initial: u8,
    extra: u8,
    growth_tenths: u8,
    shrink_percent: u8,
    fail: bool,
    enabled: bool,
    ops: Vec<Op>,
}

fuzz_target!(|input: Input| {
    let initial = usize::from(input.initial % 16);
    let max = initial + 1 + usize::from(input.extra % 32);
    let growth = 1.1 + f64::from(input.growth_tenths % 30) / 10.0;
    let policy = if input.fail {
        OverflowPolicy::Fail
    } else {
        OverflowPolicy::Allocate
    };
    let config = PoolConfig::builder()
        .initial(initial)
        .max(max)
        .growth(growth)
        .shrink_threshold(f64::from(input.shrink_percent % 101) / 100.0)
        .overflow(policy)
        .enabled(input.enabled)
        .build()
        .expect("the model only builds valid configurations");
    let live_before = live();
    {
        let pool = Pool::<Tagged>::with_config(config).unwrap();
        run(
            &pool,
            input.ops,
            input.enabled,
            input.fail,
            max,
            live_before,
        );
    }
    assert_eq!(
        live(),
        live_before,
        "the pool's drop dropped everything it held"
    );
});

fn run(
    pool: &Pool<Tagged>,
    ops: Vec<Op>,
    enabled: bool,
    fail: bool,
    max: usize,
    live_before: usize,
) {
    let mut held: Vec<PoolGuard<'_, Tagged>> = Vec::new();
    let (mut acquires, mut refused, mut returns, mut detached, mut shrunk) = (0u64, 0, 0, 0, 0u64);
    let mut peak = 0u64;
    let mut detached_alive: Vec<Tagged> = Vec::new();
    for op in ops {
        let before = pool.stats();
        match op {
            Op::Acquire => {
                let guard = pool.acquire();
                assert!(guard.data.is_empty(), "handed out a used object");
                held.push(guard);
                acquires += 1;
            }
            Op::TryAcquire => match pool.try_acquire() {
                Ok(guard) => {
                    let full = before.available == 0 && before.in_use as usize >= max;
                    assert!(!(enabled && fail && full), "a full `Fail` pool served");
                    assert!(guard.data.is_empty(), "handed out a used object");
                    held.push(guard);
                    acquires += 1;
                }
                Err(PoolError::Exhausted { max: m }) => {
                    assert!(enabled && fail, "only an enabled `Fail` pool refuses");
                    assert_eq!(m, max);
                    assert_eq!(before.available, 0, "refused with idle objects");
                    assert!(before.in_use as usize >= max, "refused below max");
                    refused += 1;
                }
                Err(other) => panic!("unexpected error {other:?}"),
            },
            Op::Release(i) if !held.is_empty() => {
                let at = usize::from(i) % held.len();
                drop(held.swap_remove(at));
                returns += 1;
            }
            Op::Detach(i) if !held.is_empty() => {
                let at = usize::from(i) % held.len();
                detached_alive.push(held.swap_remove(at).into_inner());
                detached += 1;
            }
            Op::Write(i, byte, len) if !held.is_empty() => {
                let n = held.len();
                held[usize::from(i) % n]
                    .data
                    .extend(std::iter::repeat_n(byte, usize::from(len)));
            }
            Op::Prewarm(n) => {
                let created = pool.prewarm(usize::from(n % 64));
                let after = pool.stats();
                assert_eq!(after.created, before.created + created as u64);
                assert!(
                    !enabled
                        || after.in_use + after.available
                            <= (max as u64).max(before.in_use + before.available)
                );
            }
            Op::ShrinkTo(n) => {
                let n = usize::from(n % 64);
                let dropped = pool.shrink_to(n);
                assert_eq!(dropped as u64, before.available.saturating_sub(n as u64));
                shrunk += dropped as u64;
            }
            Op::AutoShrink => {
                let dropped = pool.auto_shrink();
                assert!(dropped as u64 <= before.available);
                shrunk += dropped as u64;
            }
            _ => {}
        }
        peak = peak.max(held.len() as u64);
        let s = pool.stats();
        assert_eq!(s.in_use, held.len() as u64);
        assert_eq!(s.hits + s.misses, acquires + refused);
        assert_eq!(s.returns, returns);
        assert_eq!(s.detached, detached);
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
        assert_distinct(held.iter().map(|g| g.id).collect());
    }
}
