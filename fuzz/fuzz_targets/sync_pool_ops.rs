//! `SyncPool<T>` operation sequences (borrowed and owned guards, detaching, prewarm,
//! shrink, several shards) checked after every step against the same model as
//! `pool_ops` (`evm_pool_fuzz::pool_model::run`): conservation of objects, exactly that
//! many alive, none handed out twice, each handed out fresh, statistics exact, `Fail`
//! refusing exactly when full. The threaded interleavings are loom's job
//! (`runtime/tests/loom_sync_pool.rs`); this target explores long single-threaded
//! histories across shards.
#![no_main]

use std::sync::Arc;

use arbitrary::Arbitrary;
use evm_pool::{OverflowPolicy, PoolConfig, SyncPool};
use evm_pool_fuzz::pool_model::{Model, Op, run};
use evm_pool_fuzz::{Tagged, live};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    initial: u8,
    extra: u8,
    shards: u8,
    fail: bool,
    enabled: bool,
    ops: Vec<Op>,
}

fuzz_target!(|input: Input| {
    let initial = usize::from(input.initial % 16);
    let max = initial + 1 + usize::from(input.extra % 32);
    let policy = if input.fail {
        OverflowPolicy::Fail
    } else {
        OverflowPolicy::Allocate
    };
    let config = PoolConfig::builder()
        .initial(initial)
        .max(max)
        .overflow(policy)
        .enabled(input.enabled)
        .build()
        .unwrap();
    let shards = 1 + usize::from(input.shards % 8);
    let live_before = live();
    let model = Model {
        max,
        enabled: input.enabled,
        fail: input.fail,
        live_before,
    };
    let pool = Arc::new(SyncPool::<Tagged>::with_config_and_shards(config, shards).unwrap());
    assert_eq!(pool.shards(), shards.next_power_of_two());
    let detached = run(&pool, input.ops, model);
    drop(pool);
    drop(detached);
    assert_eq!(
        live(),
        live_before,
        "the pool's drop dropped everything it held"
    );
});
