use super::*;
use crate::OverflowPolicy;
use crate::pool::test_model::config as sizing;
use proptest::prelude::*;

/// Every idle buffer of every class is a shell or exactly its class size, and all zero.
fn assert_idle_clean(pool: &BufferPool) {
    for class in pool.classes.iter() {
        class.pool.for_each_idle(|buffer| {
            assert!(
                buffer.bytes.is_empty() || buffer.bytes.len() == class.size,
                "idle buffer of {} bytes in class {}",
                buffer.bytes.len(),
                class.size
            );
            assert!(buffer.bytes.iter().all(|&b| b == 0), "dirty idle buffer");
            assert_eq!(buffer.dirty, 0);
        });
    }
}

#[test]
fn config_validation_is_typed() {
    let m = PoolConfig::minimal;
    let reason = |classes: Vec<usize>| match BufferPoolConfig::new(classes, m()) {
        Err(ConfigError::InvalidSizeClasses { reason }) => reason,
        other => panic!("expected InvalidSizeClasses, got {other:?}"),
    };
    assert_eq!(reason(vec![]), "no size classes");
    assert_eq!(reason(vec![256, 0]), "a size class of 0 bytes");
    assert_eq!(
        reason(vec![256, 256]),
        "size classes must be strictly ascending"
    );
    assert_eq!(
        reason(vec![4096, 1024]),
        "size classes must be strictly ascending"
    );
    assert_eq!(reason(vec![1, usize::MAX]), "a size class above 1 GiB");
    let mut bad = m();
    bad.growth = 0.5;
    assert!(matches!(
        BufferPoolConfig::new([256], bad),
        Err(ConfigError::GrowthNotAboveOne { .. })
    ));
    assert!(
        ConfigError::InvalidSizeClasses { reason: "x" }
            .to_string()
            .contains("invalid size classes")
    );
    BufferPoolConfig::new([1, 1 << 30], m()).unwrap();
}

#[test]
fn requests_round_up_to_their_class() {
    let pool = BufferPool::new();
    for (len, class) in [
        (0, 256),
        (1, 256),
        (256, 256),
        (257, 1024),
        (1024, 1024),
        (1025, 4096),
        (4096, 4096),
    ] {
        let buffer = pool.acquire(len);
        assert_eq!((buffer.len(), buffer.capacity()), (len, class));
        assert_eq!(buffer.class(), Some(class));
        assert!(buffer.iter().all(|&b| b == 0));
    }
    let stats = pool.stats();
    assert_eq!(stats.class(256).unwrap().returns, 3);
    assert_eq!(stats.class(1024).unwrap().returns, 2);
    assert_eq!(stats.class(4096).unwrap().returns, 2);
    assert_eq!(stats.oversized, 0);
    assert_idle_clean(&pool);
}

#[test]
fn release_zeroes_exactly_the_high_water_bytes() {
    let pool = BufferPool::with_config(
        BufferPoolConfig::new([64], sizing(1, 1, OverflowPolicy::Fail)).unwrap(),
    );
    // Plant a marker past where the next loan will write: if release zeroed the whole
    // class, it would disappear. (Breaks the idle invariant on purpose.)
    pool.classes[0]
        .pool
        .for_each_idle(|buffer| buffer.bytes[63] = 0xAA);
    {
        let mut buffer = pool.acquire(40);
        buffer.fill(0xff);
        buffer.resize(10).unwrap(); // high-water stays 40
    }
    pool.classes[0].pool.for_each_idle(|buffer| {
        assert!(
            buffer.bytes[..40].iter().all(|&b| b == 0),
            "written bytes zeroed"
        );
        assert!(buffer.bytes[40..63].iter().all(|&b| b == 0));
        assert_eq!(
            buffer.bytes[63], 0xAA,
            "bytes above the high-water are left alone"
        );
        buffer.bytes[63] = 0;
    });
    assert_idle_clean(&pool);
}

#[test]
fn resize_reads_zero_after_shrink_and_regrow() {
    let pool = BufferPool::new();
    let mut buffer = pool.acquire(100);
    buffer.fill(7);
    buffer.resize(50).unwrap();
    assert_eq!(buffer.len(), 50);
    buffer.resize(200).unwrap();
    assert!(buffer[..50].iter().all(|&b| b == 7));
    assert!(buffer[50..].iter().all(|&b| b == 0));
    assert_eq!(
        buffer.resize(257),
        Err(ResizeError {
            requested: 257,
            capacity: 256
        })
    );
    assert_eq!(buffer.len(), 200, "a failed resize changes nothing");
    drop(buffer);
    assert_idle_clean(&pool);
}

#[test]
fn oversized_requests_are_plain_allocations_and_counted() {
    let pool = BufferPool::new();
    let mut big = pool.acquire(5000);
    assert_eq!((big.len(), big.capacity(), big.class()), (5000, 5000, None));
    big.resize(100).unwrap();
    big.resize(5000).unwrap();
    assert!(big.iter().all(|&b| b == 0));
    assert!(big.resize(5001).is_err());
    let kept = pool.acquire(6000).into_vec();
    assert_eq!(kept.len(), 6000);
    drop(big);
    let stats = pool.stats();
    assert_eq!((stats.oversized, stats.oversized_bytes), (2, 11_000));
    assert_eq!(stats.total().acquires(), 0, "no class was touched");
    assert!(
        stats.to_string().contains("oversized 2 requests"),
        "{stats}"
    );
}

#[test]
fn fail_policy_per_class_and_stats() {
    let pool = BufferPool::with_config(
        BufferPoolConfig::new([256, 1024], sizing(0, 2, OverflowPolicy::Fail)).unwrap(),
    );
    let a = pool.try_acquire(10).unwrap();
    let b = pool.try_acquire(20).unwrap();
    assert_eq!(
        pool.try_acquire(30).unwrap_err(),
        PoolError::Exhausted { max: 2 }
    );
    // The other class is independent.
    let c = pool.try_acquire(300).unwrap();
    drop((a, b, c));
    let stats = pool.stats();
    let small = stats.class(256).unwrap();
    assert_eq!(
        (
            small.returns,
            small.overflows,
            small.available,
            small.in_use
        ),
        (2, 1, 2, 0)
    );
    assert_eq!(stats.class(1024).unwrap().returns, 1);
    assert_eq!(stats.total().returns, 3);
    assert!(stats.bytes_held() >= 2 * 256 + 1024);
    assert!(format!("{pool:?}").contains("BufferPool"));
}

#[test]
fn shells_from_growth_are_sized_on_first_use_and_prewarm_sizes_them() {
    let pool = BufferPool::with_config(
        BufferPoolConfig::new([128], sizing(0, 8, OverflowPolicy::Allocate)).unwrap(),
    );
    assert_eq!(pool.stats().bytes_held(), 0);
    let held: Vec<_> = (0..3).map(|_| pool.acquire(128)).collect();
    assert!(
        held.iter()
            .all(|b| b.len() == 128 && b.iter().all(|&x| x == 0))
    );
    drop(held);
    assert_idle_clean(&pool);
    assert_eq!(pool.prewarm(8), 5);
    pool.classes[0]
        .pool
        .for_each_idle(|buffer| assert_eq!(buffer.bytes.len(), 128));
    assert_eq!(pool.shrink_to(1), 7);
}

#[test]
fn acquire_with_capacity_zeroes_only_what_it_grew_to() {
    let pool = BufferPool::with_config(
        BufferPoolConfig::new([4096], sizing(1, 1, OverflowPolicy::Fail)).unwrap(),
    );
    pool.classes[0]
        .pool
        .for_each_idle(|buffer| buffer.bytes[100] = 0xAA); // a marker above the mark
    {
        let mut memory = pool.acquire_with_capacity(3000);
        assert_eq!((memory.len(), memory.capacity()), (0, 4096));
        memory.resize(64).unwrap();
        memory.fill(1);
    }
    pool.classes[0].pool.for_each_idle(|buffer| {
        assert!(buffer.bytes[..64].iter().all(|&b| b == 0));
        assert_eq!(
            buffer.bytes[100], 0xAA,
            "only the 64 exposed bytes were zeroed"
        );
        buffer.bytes[100] = 0;
    });
    assert_idle_clean(&pool);
    let big = pool.acquire_with_capacity(10_000);
    assert_eq!((big.len(), big.capacity(), big.class()), (0, 10_000, None));
    assert_eq!(pool.stats().oversized_bytes, 10_000);
}

#[test]
fn into_vec_detaches_with_current_length() {
    let pool = BufferPool::new();
    let mut buffer = pool.acquire(300);
    buffer[0] = 1;
    buffer.resize(2).unwrap();
    assert_eq!(buffer.into_vec(), [1, 0]);
    let s = pool.stats();
    assert_eq!(s.class(1024).unwrap().detached, 1);
    assert_eq!(s.class(1024).unwrap().in_use, 0);
}

#[derive(Clone, Debug)]
enum Op {
    Acquire(usize),
    Release(usize),
    Write(usize, usize, u8),
    Resize(usize, usize),
    IntoVec(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0usize..1200).prop_map(Op::Acquire),
        3 => any::<usize>().prop_map(Op::Release),
        3 => (any::<usize>(), any::<usize>(), 1u8..).prop_map(|(i, at, b)| Op::Write(i, at, b)),
        2 => (any::<usize>(), 0usize..1100).prop_map(|(i, len)| Op::Resize(i, len)),
        1 => any::<usize>().prop_map(Op::IntoVec),
    ]
}

proptest! {
    #![proptest_config(crate::pool::proptest_config())]

    /// Random loans against a model of each buffer's visible bytes: contents always match
    /// the model (fresh bytes read zero), per-class counters match, and idle buffers are
    /// always entirely zero.
    #[test]
    fn buffer_pool_matches_model(ops in proptest::collection::vec(op(), 0..80)) {
        let pool = BufferPool::with_config(
            BufferPoolConfig::new([16, 256, 1024], sizing(1, 3, OverflowPolicy::Allocate)).unwrap(),
        );
        let mut held: Vec<(PooledBuffer<'_>, Vec<u8>)> = Vec::new();
        let (mut acquires, mut returns, mut detached) = ([0u64; 3], [0u64; 3], [0u64; 3]);
        let mut oversized = 0u64;
        let class_of = |len: usize| [16, 256, 1024].iter().position(|&c| len <= c);
        for op in ops {
            match op {
                Op::Acquire(len) => {
                    let buffer = pool.acquire(len);
                    prop_assert_eq!(buffer.class(), class_of(len).map(|i| [16, 256, 1024][i]));
                    match class_of(len) { Some(i) => acquires[i] += 1, None => oversized += 1 }
                    held.push((buffer, vec![0; len]));
                }
                Op::Release(i) if !held.is_empty() => {
                    let (buffer, _) = held.swap_remove(i % held.len());
                    if let Some(c) = class_of(buffer.capacity()).filter(|_| buffer.class().is_some()) { returns[c] += 1; }
                }
                Op::IntoVec(i) if !held.is_empty() => {
                    let (buffer, model) = held.swap_remove(i % held.len());
                    let class = buffer.class();
                    prop_assert_eq!(buffer.into_vec(), model);
                    if let Some(c) = class.and_then(class_of) { detached[c] += 1; }
                }
                Op::Write(i, at, b) if !held.is_empty() => {
                    let n = held.len();
                    let (buffer, model) = &mut held[i % n];
                    if !model.is_empty() {
                        let at = at % model.len();
                        buffer[at] = b;
                        model[at] = b;
                    }
                }
                Op::Resize(i, len) if !held.is_empty() => {
                    let n = held.len();
                    let (buffer, model) = &mut held[i % n];
                    if buffer.resize(len).is_ok() {
                        model.resize(len, 0);
                    } else {
                        prop_assert!(len > buffer.capacity());
                    }
                }
                _ => {}
            }
            for (buffer, model) in &held {
                prop_assert_eq!(&buffer[..], &model[..]);
            }
            let stats = pool.stats();
            for c in 0..3 {
                let s = &stats.classes[c].stats;
                prop_assert_eq!(s.acquires(), acquires[c]);
                prop_assert_eq!(s.returns, returns[c]);
                prop_assert_eq!(s.detached, detached[c]);
                prop_assert_eq!(s.in_use, acquires[c] - returns[c] - detached[c]);
            }
            prop_assert_eq!(stats.oversized, oversized);
            assert_idle_clean(&pool);
        }
    }
}
