//! Every struct and field setting together, and the pool they configure.
use evm_pool::{EvmPooled, OverflowPolicy, PoolConfig, Pooled};

fn clear_logs(logs: &mut Vec<Vec<u8>>) {
    logs.clear();
}

#[derive(Pooled)]
#[pool(preset = "minimal", initial = 4, max = 16, growth = 2, shrink = 0.5)]
#[pool(overflow = "fail", name = ScratchPool, init = "Scratch::fresh")]
struct Scratch {
    memory: Vec<u8>,
    #[pool(skip)]
    chain_id: u64,
    #[pool(reset = "clear_logs")]
    logs: Vec<Vec<u8>>,
    // A nested pooled struct resets through its own `EvmPooled` impl.
    #[pool(reset = "evm_pool::EvmPooled::reset")]
    inner: Inner,
}

#[derive(Pooled, Default)]
#[pool(name = "InnerPool")]
struct Inner {
    stack: Vec<u64>,
}

impl Scratch {
    fn fresh() -> Self {
        Scratch {
            memory: Vec::with_capacity(64),
            chain_id: 1,
            logs: Vec::new(),
            inner: Inner::new_pooled(),
        }
    }
}

fn main() {
    let config = Scratch::pool_config();
    assert_eq!(
        config,
        PoolConfig {
            initial: 4,
            max: 16,
            growth: 2.0,
            shrink_threshold: 0.5,
            overflow: OverflowPolicy::Fail,
            enabled: true,
        }
    );
    let pool = ScratchPool::new();
    {
        let mut scratch = pool.acquire();
        scratch.inner.stack.push(1);
    }
    assert!(pool.acquire().inner.stack.is_empty());
    let _inner = InnerPool::new();
}
