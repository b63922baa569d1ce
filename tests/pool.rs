//! The pool API as a user of the facade sees it.

use evm_pool::{EvmPooled, OverflowPolicy, Pool, PoolConfig, PoolError, Reset};

/// A frame-shaped object: memory, a stack of words, gas.
#[derive(Default)]
struct Frame {
    memory: Vec<u8>,
    stack: Vec<[u64; 4]>,
    gas_used: u64,
}

impl Reset for Frame {
    fn reset(&mut self) {
        // Both `Reset` and `EvmPooled` (blanket impl) name a `reset`: qualify the call.
        Reset::reset(&mut self.memory);
        Reset::reset(&mut self.stack);
        Reset::reset(&mut self.gas_used);
    }
    fn retained_heap_bytes(&self) -> usize {
        Reset::retained_heap_bytes(&self.memory) + Reset::retained_heap_bytes(&self.stack)
    }
}

#[test]
fn frames_round_trip_fresh_with_capacity() {
    let pool = Pool::<Frame>::with_config(PoolConfig::minimal()).unwrap();
    {
        let mut frame = pool.acquire();
        frame.memory.resize(4096, 0xff);
        frame.stack.extend([[1, 2, 3, 4]; 10]);
        frame.gas_used = 21_000;
    }
    let stats = pool.stats();
    assert_eq!(stats.returns, 1);
    let expected_bytes = 32 * size_of::<Frame>() + 4096 + 10 * 32;
    assert!(stats.bytes_held as usize >= expected_bytes, "{stats}");

    // LIFO: the frame just returned is handed out next.
    let frame = pool.acquire();
    assert!(frame.memory.is_empty() && frame.stack.is_empty());
    assert_eq!(frame.gas_used, 0);
    assert_eq!(frame.memory.capacity(), 4096);
}

#[test]
fn exhaustion_follows_policy() {
    let fail = PoolConfig::builder()
        .initial(2)
        .max(2)
        .overflow(OverflowPolicy::Fail)
        .build()
        .unwrap();
    let pool = Pool::<Frame>::with_config(fail).unwrap();
    let held = [pool.try_acquire().unwrap(), pool.try_acquire().unwrap()];
    assert_eq!(
        pool.try_acquire().err(),
        Some(PoolError::Exhausted { max: 2 })
    );
    drop(held);
    assert_eq!(pool.stats().available, 2);

    let allocate = PoolConfig::builder().initial(2).max(2).build().unwrap();
    let pool = Pool::<Frame>::with_config(allocate).unwrap();
    let held: Vec<_> = (0..5).map(|_| pool.try_acquire().unwrap()).collect();
    assert_eq!(pool.stats().overflows, 3);
    drop(held);
    let stats = pool.stats();
    assert_eq!((stats.available, stats.discards), (2, 3));
}

#[test]
fn the_type_chooses_its_default_config() {
    struct Word([u64; 4]);
    impl EvmPooled for Word {
        fn new_pooled() -> Self {
            Word([0; 4])
        }
        fn reset(&mut self) {
            self.0 = [0; 4];
        }
        fn pool_config() -> PoolConfig {
            PoolConfig::high_performance()
        }
    }
    let pool = Pool::<Word>::new();
    assert_eq!(pool.stats().available, 128);
    let mut w = pool.acquire();
    w.0[0] = 1;
    drop(w);
    assert_eq!(pool.acquire().0, [0; 4]);
}
