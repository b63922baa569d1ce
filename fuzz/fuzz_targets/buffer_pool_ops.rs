//! `BufferPool` operation sequences against a byte-exact model: every held buffer is
//! shadowed by a `Vec<u8>`, and after each step its bytes must equal the shadow. This
//! checks the zero-only-the-high-water-mark rule: a buffer comes out all zero however
//! it was dirtied before, bytes exposed by a `resize` read as zero, and a shrink then
//! grow never shows old data. Also checked: the class chosen (smallest that fits),
//! `resize` beyond capacity a typed error that changes nothing, and exact statistics.
#![no_main]

use arbitrary::Arbitrary;
use evm_pool::{BufferPool, BufferPoolConfig, OverflowPolicy, PoolConfig, PooledBuffer};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
enum Op {
    Acquire(u16),
    AcquireWithCapacity(u16),
    TryAcquire(u16),
    Release(u8),
    IntoVec(u8),
    /// Write `byte` over `len` bytes from `at` (clamped to the buffer's length).
    Write {
        buffer: u8,
        at: u16,
        len: u16,
        byte: u8,
    },
    Resize(u8, u16),
    Prewarm(u8),
    ShrinkTo(u8),
}

#[derive(Arbitrary, Debug)]
struct Input {
    /// Class sizes as steps from the previous class (so the list is ascending).
    class_steps: Vec<u16>,
    initial: u8,
    extra: u8,
    fail: bool,
    ops: Vec<Op>,
}

fuzz_target!(|input: Input| {
    let mut classes = Vec::new();
    let mut size = 0usize;
    for step in input.class_steps.iter().take(6) {
        size += 1 + usize::from(*step % 2048);
        classes.push(size);
    }
    if classes.is_empty() {
        classes.push(64);
    }
    let initial = usize::from(input.initial % 4);
    let max = initial + 1 + usize::from(input.extra % 8);
    let policy = if input.fail {
        OverflowPolicy::Fail
    } else {
        OverflowPolicy::Allocate
    };
    let per_class = PoolConfig::builder()
        .initial(initial)
        .max(max)
        .overflow(policy)
        .build()
        .unwrap();
    let config = BufferPoolConfig::new(classes.clone(), per_class).unwrap();
    let pool = BufferPool::with_config(config);
    let largest = *classes.last().unwrap();
    let class_of = |len: usize| classes.iter().copied().find(|&c| c >= len);

    let mut held: Vec<(PooledBuffer<'_>, Vec<u8>)> = Vec::new();
    let mut oversized = 0u64;
    for op in input.ops {
        match op {
            Op::Acquire(len) | Op::TryAcquire(len) | Op::AcquireWithCapacity(len) => {
                let len = usize::from(len) % (largest + 512);
                let (buffer, shadow_len) = match op {
                    Op::Acquire(_) => (Some(pool.acquire(len)), len),
                    Op::AcquireWithCapacity(_) => (Some(pool.acquire_with_capacity(len)), 0),
                    _ => (pool.try_acquire(len).ok(), len),
                };
                let Some(buffer) = buffer else {
                    assert!(input.fail, "only a `Fail` class refuses");
                    continue;
                };
                assert_eq!(pool.class_for(len), class_of(len));
                assert_eq!(buffer.class(), class_of(len));
                assert!(buffer.capacity() >= len);
                if buffer.class().is_none() {
                    oversized += 1;
                }
                assert!(buffer.iter().all(|&b| b == 0), "handed out dirty bytes");
                held.push((buffer, vec![0; shadow_len]));
            }
            Op::Release(i) if !held.is_empty() => {
                let at = usize::from(i) % held.len();
                drop(held.swap_remove(at));
            }
            Op::IntoVec(i) if !held.is_empty() => {
                let at = usize::from(i) % held.len();
                let (buffer, shadow) = held.swap_remove(at);
                assert_eq!(buffer.into_vec(), shadow);
            }
            Op::Write {
                buffer,
                at,
                len,
                byte,
            } if !held.is_empty() => {
                let n = held.len();
                let (buffer, shadow) = &mut held[usize::from(buffer) % n];
                let start = usize::from(at).min(shadow.len());
                let end = (start + usize::from(len)).min(shadow.len());
                buffer[start..end].fill(byte);
                shadow[start..end].fill(byte);
            }
            Op::Resize(i, new_len) if !held.is_empty() => {
                let n = held.len();
                let (buffer, shadow) = &mut held[usize::from(i) % n];
                let new_len = usize::from(new_len) % (buffer.capacity() + 64);
                match buffer.resize(new_len) {
                    Ok(()) => {
                        assert!(new_len <= buffer.capacity());
                        shadow.resize(new_len, 0);
                    }
                    Err(error) => {
                        assert!(new_len > buffer.capacity());
                        assert_eq!(
                            (error.requested, error.capacity),
                            (new_len, buffer.capacity())
                        );
                    }
                }
            }
            Op::Prewarm(n) => {
                pool.prewarm(usize::from(n % 8));
            }
            Op::ShrinkTo(n) => {
                pool.shrink_to(usize::from(n % 8));
            }
            _ => {}
        }
        for (buffer, shadow) in &held {
            assert_eq!(
                &buffer[..],
                &shadow[..],
                "buffer bytes differ from the model"
            );
        }
        let stats = pool.stats();
        let pooled_held = held.iter().filter(|(b, _)| b.class().is_some()).count() as u64;
        assert_eq!(stats.total().in_use, pooled_held);
        assert_eq!(stats.oversized, oversized);
        for class in &stats.classes {
            assert!(class.stats.available as usize <= max);
            assert_eq!(
                class.stats.in_use,
                held.iter()
                    .filter(|(b, _)| b.class() == Some(class.size))
                    .count() as u64
            );
        }
    }
});
