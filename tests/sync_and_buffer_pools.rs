//! `SyncPool` and `BufferPool` as a user of the facade sees them.

use std::sync::Arc;

use evm_pool::{
    BufferPool, BufferPoolConfig, ConfigError, EvmPooled, OverflowPolicy, PoolConfig, PoolError,
    SyncPool,
};

/// A frame-shaped object shared by worker threads.
struct Frame {
    memory: Vec<u8>,
    stack: Vec<[u64; 4]>,
}

impl EvmPooled for Frame {
    fn new_pooled() -> Self {
        Frame {
            memory: Vec::with_capacity(1024),
            stack: Vec::with_capacity(64),
        }
    }
    fn reset(&mut self) {
        self.memory.clear();
        self.stack.clear();
    }
    fn retained_heap_bytes(&self) -> usize {
        self.memory.capacity() + self.stack.capacity() * 32
    }
}

#[test]
fn worker_threads_share_a_sync_pool_and_stats_balance() {
    let pool = SyncPool::<Frame>::with_config(PoolConfig::minimal()).unwrap();
    std::thread::scope(|s| {
        for t in 0..4u64 {
            let pool = &pool;
            s.spawn(move || {
                for i in 0..500u64 {
                    let mut frame = pool.acquire();
                    assert!(frame.memory.is_empty() && frame.stack.is_empty());
                    frame.stack.push([t, i, 0, 0]);
                    frame.memory.extend_from_slice(&i.to_be_bytes());
                }
            });
        }
    });
    let stats = pool.stats();
    assert_eq!(
        (stats.acquires(), stats.returns, stats.in_use),
        (2000, 2000, 0)
    );
    assert!(stats.bytes_held >= stats.available * (1024 + 64 * 32));
}

#[test]
fn guards_travel_between_threads() {
    let pool = Arc::new(SyncPool::<Frame>::new());
    let (tx, rx) = std::sync::mpsc::channel();
    let producer = {
        let pool = Arc::clone(&pool);
        std::thread::spawn(move || {
            for i in 0..10u8 {
                let mut frame = pool.acquire_owned();
                frame.memory.push(i);
                tx.send(frame).unwrap();
            }
        })
    };
    let consumer = std::thread::spawn(move || {
        rx.iter()
            .map(|frame| u32::from(frame.memory[0]))
            .sum::<u32>()
    });
    producer.join().unwrap();
    assert_eq!(consumer.join().unwrap(), 45);
    let stats = pool.stats();
    assert_eq!((stats.returns, stats.in_use), (10, 0));
}

#[test]
fn sync_pool_fail_policy_is_typed() {
    let config = PoolConfig::builder()
        .initial(1)
        .max(1)
        .overflow(OverflowPolicy::Fail)
        .build()
        .unwrap();
    let pool = SyncPool::<Vec<u8>>::with_config(config).unwrap();
    let held = pool.try_acquire().unwrap();
    assert_eq!(
        pool.try_acquire().unwrap_err(),
        PoolError::Exhausted { max: 1 }
    );
    drop(held);
    assert!(pool.try_acquire().is_ok());
}

#[test]
fn buffer_pool_serves_evm_memory() {
    let pool = BufferPool::new();
    {
        let mut memory = pool.acquire(64);
        memory[..32].copy_from_slice(&[0xff; 32]);
        // MSTORE at 96 expands memory to 128 bytes: the new bytes read zero.
        memory.resize(128).unwrap();
        assert_eq!(memory[64..], [0; 64]);
    }
    let again = pool.acquire(256);
    assert!(again.iter().all(|&b| b == 0), "recycled buffer reads zero");
    let stats = pool.stats();
    assert_eq!(stats.class(256).unwrap().hits, 2);
    assert_eq!(stats.oversized, 0);
    assert_eq!(
        BufferPoolConfig::new([512, 256], PoolConfig::minimal()),
        Err(ConfigError::InvalidSizeClasses {
            reason: "size classes must be strictly ascending"
        })
    );
}
