//! The test model shared by the pools' unit tests (`Pool`, `SyncPool`, `BufferPool`): a
//! pooled object with an identity, the random operations the property tests apply, and
//! the configuration helper the suites build their pools with.

use super::{OverflowPolicy, PoolConfig};
use crate::EvmPooled;
use proptest::prelude::*;
use std::sync::atomic::{AtomicU64, Ordering};

/// A validated configuration with the given sizes and overflow policy.
pub(crate) fn config(initial: usize, max: usize, overflow: OverflowPolicy) -> PoolConfig {
    PoolConfig::builder()
        .initial(initial)
        .max(max)
        .overflow(overflow)
        .build()
        .unwrap()
}

/// Tests whose bodies hold word for word for `Pool` and `SyncPool`: each suite defines
/// `fn pool<T>(initial, max, overflow)` building its pool type and invokes this once.
macro_rules! same_for_every_pool {
    () => {
        #[test]
        fn guard_resets_and_keeps_capacity() {
            let pool = pool::<Vec<u8>>(1, 4, OverflowPolicy::Allocate);
            {
                let mut g = pool.acquire();
                g.extend_from_slice(&[1; 1000]);
            }
            let g = pool.acquire();
            assert!(g.is_empty());
            assert!(g.capacity() >= 1000);
            assert_eq!(pool.stats().hits, 2);
        }

        #[test]
        fn allocate_policy_overflows_and_discards_on_return() {
            let pool = pool::<Vec<u8>>(2, 2, OverflowPolicy::Allocate);
            let held: Vec<_> = (0..3).map(|_| pool.acquire()).collect();
            assert_eq!(pool.stats().overflows, 1);
            drop(held);
            let s = pool.stats();
            assert_eq!((s.returns, s.discards, s.available, s.in_use), (3, 1, 2, 0));
        }
    };
}
pub(crate) use same_for_every_pool;

/// A pooled object with an identity, to prove no object is handed out twice.
pub(crate) struct Tagged {
    /// Unique for the life of the process.
    pub(crate) id: u64,
    /// Written while held; must be empty whenever the object is idle.
    pub(crate) data: Vec<u8>,
}

impl EvmPooled for Tagged {
    fn new_pooled() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        Tagged {
            id: NEXT.fetch_add(1, Ordering::Relaxed),
            data: Vec::new(),
        }
    }
    fn reset(&mut self) {
        self.data.clear();
    }
}

/// One step of a random operation sequence; indexes pick a held object modulo the count.
#[derive(Clone, Debug)]
pub(crate) enum Op {
    Acquire,
    TryAcquire,
    Release(usize),
    Detach(usize),
    Write(usize, u8),
    Prewarm(usize),
    Shrink(usize),
    AutoShrink,
}

/// Operations weighted toward acquiring and releasing.
pub(crate) fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => Just(Op::Acquire),
        2 => Just(Op::TryAcquire),
        3 => any::<usize>().prop_map(Op::Release),
        1 => any::<usize>().prop_map(Op::Detach),
        2 => (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Op::Write(i, b)),
        1 => (0usize..20).prop_map(Op::Prewarm),
        1 => (0usize..20).prop_map(Op::Shrink),
        1 => Just(Op::AutoShrink),
    ]
}

/// Whether `ids` holds no duplicate (no object is out twice, nor both out and idle).
pub(crate) fn distinct(mut ids: Vec<u64>) -> bool {
    let total = ids.len();
    ids.sort_unstable();
    ids.dedup();
    ids.len() == total
}
