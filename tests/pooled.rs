//! `#[derive(Pooled)]` as a user sees it: the generated `EvmPooled` impl and pool type.

use std::collections::HashMap;

use evm_pool::{EvmPooled, OverflowPolicy, Pool, PoolConfig, PoolError, Pooled, Reset};

#[derive(Debug, Default, Clone, PartialEq)]
struct Log {
    topics: Vec<[u8; 32]>,
    data: Vec<u8>,
}

/// Counts calls, so tests can see that a custom reset ran.
fn reset_logs(logs: &mut Vec<Log>) {
    logs.clear();
    RESETS.with(|count| count.set(count.get() + 1));
}

thread_local! {
    static RESETS: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

#[derive(Pooled, Default, Debug)]
#[pool(preset = "high_performance", max = 2048)]
struct CallScratch {
    input: Vec<u8>,
    output: Vec<u8>,
    gas: u64,
    storage: HashMap<u64, u64>,
    word: [u64; 4],
    #[pool(skip)]
    chain_id: u64,
    #[pool(reset = "reset_logs")]
    logs: Vec<Log>,
}

#[test]
fn round_trip_resets_every_field_and_keeps_capacity() {
    let pool = CallScratchPool::new();
    {
        let mut s = pool.acquire();
        s.input.extend_from_slice(&[0xa9, 0x05, 0x9c, 0xbb]);
        s.input.reserve(4096);
        s.output.resize(256, 1);
        s.gas = 21_000;
        s.storage.insert(1, 2);
        s.word = [1, 2, 3, 4];
        s.chain_id = 1;
        s.logs.push(Log::default());
    }
    // LIFO: the object just returned comes back first.
    let s = pool.acquire();
    assert!(s.input.is_empty() && s.input.capacity() >= 4100);
    assert!(s.output.is_empty() && s.output.capacity() >= 256);
    assert_eq!(s.gas, 0);
    assert!(s.storage.is_empty() && s.storage.capacity() >= 1);
    assert_eq!(s.word, [0; 4]);
    assert_eq!(s.chain_id, 1, "skip keeps the value");
    assert!(s.logs.is_empty() && s.logs.capacity() >= 1);
    assert_eq!(RESETS.with(|c| c.get()), 1, "custom reset ran once");
}

#[test]
fn config_comes_from_the_attributes() {
    let expected = PoolConfig {
        max: 2048,
        ..PoolConfig::high_performance()
    };
    assert_eq!(CallScratch::pool_config(), expected);
    let pool = CallScratchPool::new();
    assert_eq!(pool.config(), &expected);
    assert_eq!(pool.stats().available, 128);
    assert_eq!(CallScratchPool::default().config(), &expected);
    assert_eq!(Pool::<CallScratch>::new().config(), &expected);
}

#[test]
fn statistics_are_exact() {
    #[derive(Pooled, Default)]
    #[pool(initial = 2, max = 3, growth = 2.0, overflow = "fail")]
    struct Small {
        bytes: Vec<u8>,
    }

    let pool = SmallPool::new();
    assert_eq!(pool.stats().created, 2);
    let a = pool.try_acquire().unwrap();
    let b = pool.try_acquire().unwrap();
    let c = pool.try_acquire().unwrap(); // miss: grows 2 -> 3 (capped at max)
    assert!(matches!(
        pool.try_acquire(),
        Err(PoolError::Exhausted { max: 3 })
    ));
    let stats = pool.stats();
    assert_eq!(
        (
            stats.hits,
            stats.misses,
            stats.overflows,
            stats.expansions,
            stats.created,
            stats.in_use,
            stats.peak_in_use
        ),
        (2, 2, 1, 1, 3, 3, 3),
        "{stats}"
    );
    drop((a, b, c));
    let stats = pool.stats();
    assert_eq!((stats.returns, stats.in_use, stats.available), (3, 0, 3));
    assert_eq!(pool.config().overflow, OverflowPolicy::Fail);
}

#[test]
fn retained_heap_bytes_sums_reset_fields() {
    let mut s = CallScratch::new_pooled();
    s.input.reserve_exact(100);
    s.output.reserve_exact(50);
    s.logs.reserve_exact(10); // custom reset: not counted
    let expected = Reset::retained_heap_bytes(&s.input)
        + Reset::retained_heap_bytes(&s.output)
        + Reset::retained_heap_bytes(&s.storage);
    assert!(expected >= 150);
    assert_eq!(EvmPooled::retained_heap_bytes(&s), expected);

    let pool = CallScratchPool::new();
    let before = pool.stats().bytes_held;
    {
        let mut s = pool.acquire();
        s.input.reserve_exact(1000);
    }
    assert!(pool.stats().bytes_held >= before + 1000);
}

#[test]
fn init_builds_fresh_values_and_reset_keeps_them_sized() {
    #[derive(Pooled)]
    #[pool(preset = "minimal", init = "Stack::with_limit")]
    struct Stack {
        words: Vec<[u64; 4]>,
        #[pool(skip)]
        limit: usize,
    }

    impl Stack {
        fn with_limit() -> Self {
            Stack {
                words: Vec::with_capacity(1024),
                limit: 1024,
            }
        }
    }

    let pool = StackPool::new();
    let mut stack = pool.acquire();
    assert_eq!((stack.words.capacity(), stack.limit), (1024, 1024));
    stack.words.push([1; 4]);
    drop(stack);
    let stack = pool.acquire();
    assert!(stack.words.is_empty() && stack.words.capacity() >= 1024);
}

#[test]
fn name_override_and_tuple_structs() {
    #[derive(Pooled, Default)]
    #[pool(name = Buffers, preset = "minimal")]
    struct Pair(Vec<u8>, #[pool(skip)] u32);

    let pool = Buffers::new();
    {
        let mut pair = pool.acquire();
        pair.0.extend_from_slice(b"abc");
        pair.1 = 7;
    }
    let pair = pool.acquire();
    assert!(pair.0.is_empty() && pair.0.capacity() >= 3);
    assert_eq!(pair.1, 7);
    assert!(format!("{pool:?}").starts_with("Buffers(Pool {"));
}

#[test]
fn generic_structs_pool_per_instantiation() {
    #[derive(Pooled)]
    #[pool(preset = "minimal", init = "Self::empty")]
    struct Slots<T, const N: usize> {
        items: Vec<T>,
        fixed: [u8; N],
    }

    impl<T, const N: usize> Slots<T, N> {
        fn empty() -> Self {
            Slots {
                items: Vec::new(),
                fixed: [0; N],
            }
        }
    }

    let pool = SlotsPool::<String, 4>::new();
    {
        let mut slots = pool.acquire();
        slots.items.push("x".to_owned());
        slots.fixed = [9; 4];
    }
    let slots = pool.acquire();
    assert!(slots.items.is_empty() && slots.items.capacity() >= 1);
    assert_eq!(slots.fixed, [0; 4]);
}

#[test]
fn borrowing_structs_pool_within_their_lifetime() {
    struct Spec {
        chain_id: u64,
    }

    #[derive(Pooled)]
    #[pool(init = "Frame::detached")]
    struct Frame<'a> {
        memory: Vec<u8>,
        #[pool(skip)]
        spec: Option<&'a Spec>,
    }

    impl Frame<'_> {
        fn detached() -> Self {
            Frame {
                memory: Vec::new(),
                spec: None,
            }
        }
    }

    let spec = Spec { chain_id: 1 };
    let pool = FramePool::new();
    {
        let mut frame = pool.acquire();
        frame.spec = Some(&spec);
        frame.memory.push(1);
    }
    let frame = pool.acquire();
    assert!(frame.memory.is_empty());
    assert_eq!(frame.spec.map(|spec| spec.chain_id), Some(1));
}

#[test]
fn with_config_and_into_inner() {
    let pool = CallScratchPool::with_config(PoolConfig::disabled()).unwrap();
    drop(pool.acquire());
    assert_eq!(pool.stats().available, 0);
    let inner: Pool<CallScratch> = pool.into_inner();
    assert!(!inner.config().enabled);
    assert!(
        CallScratchPool::with_config(PoolConfig {
            max: 0,
            ..PoolConfig::minimal()
        })
        .is_err()
    );
}

#[test]
fn generated_pool_type_is_the_pool() {
    assert_eq!(size_of::<CallScratchPool>(), size_of::<Pool<CallScratch>>());
}

#[derive(Pooled, Default)]
#[pool(sync, preset = "minimal", max = 64)]
struct SharedScratch {
    memory: Vec<u8>,
    gas: u64,
    #[pool(skip)]
    uses: u64,
}

#[test]
fn sync_pool_serves_threads_with_exact_stats() {
    let pool = SharedScratchPool::new();
    assert_eq!(pool.config().max, 64);
    assert_eq!(pool.stats().created, 32);
    std::thread::scope(|s| {
        for t in 0..4u8 {
            let pool = &pool;
            s.spawn(move || {
                for i in 0..250u64 {
                    let mut scratch = pool.acquire();
                    assert!(scratch.memory.is_empty() && scratch.gas == 0, "fresh");
                    scratch.memory.resize(64, t);
                    scratch.gas = i;
                    scratch.uses += 1;
                }
            });
        }
    });
    let stats = pool.stats();
    assert_eq!((stats.returns, stats.in_use), (1000, 0), "{stats}");
    assert_eq!(stats.hits + stats.misses, 1000, "{stats}");
    assert!(stats.created <= 64, "{stats}");

    // Every idle object is fresh and kept its buffer; `skip` counted its uses.
    let held: Vec<_> = (0..stats.available).map(|_| pool.acquire()).collect();
    assert!(held.iter().all(|s| s.memory.is_empty() && s.gas == 0));
    assert_eq!(held.iter().map(|s| s.uses).sum::<u64>(), 1000);
    assert!(held.iter().any(|s| s.memory.capacity() >= 64));
}

#[test]
fn sync_pool_unwraps_for_owned_guards() {
    let pool = std::sync::Arc::new(SharedScratchPool::new().into_inner());
    let handle = {
        let pool = std::sync::Arc::clone(&pool);
        std::thread::spawn(move || {
            let mut scratch = pool.acquire_owned();
            scratch.gas = 7;
            scratch // sent back to the spawning thread
        })
    };
    let scratch = handle.join().unwrap();
    assert_eq!(scratch.gas, 7);
    drop(scratch);
    assert_eq!(pool.stats().returns, 1);
}
