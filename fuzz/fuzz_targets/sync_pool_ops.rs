//! `SyncPool<T>` operation sequences (borrowed and owned guards, detaching, prewarm,
//! shrink, several shards) checked after every step against the same model as
//! `pool_ops` (`evm_pool_fuzz::pool_model::run_and_drop`): conservation of objects, exactly that
//! many alive, none handed out twice, each handed out fresh, statistics exact, `Fail`
//! refusing exactly when full. The threaded interleavings are loom's job
//! (`runtime/tests/loom_sync_pool.rs`); this target explores long single-threaded
//! histories across shards.
#![no_main]

use std::sync::Arc;

use arbitrary::Arbitrary;
use evm_pool::{PoolConfig, SyncPool};
use evm_pool_fuzz::Tagged;
use evm_pool_fuzz::pool_model::{Op, run_and_drop, sizes};
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
    let (initial, max, policy) = sizes(input.initial, input.extra, input.fail);
    let config = PoolConfig::builder()
        .initial(initial)
        .max(max)
        .overflow(policy)
        .enabled(input.enabled)
        .build()
        .unwrap();
    let shards = 1 + usize::from(input.shards % 8);
    run_and_drop((max, input.enabled, input.fail), input.ops, || {
        let pool = Arc::new(SyncPool::<Tagged>::with_config_and_shards(config, shards).unwrap());
        assert_eq!(pool.shards(), shards.next_power_of_two());
        pool
    });
});
