//! `Pool<T>` operation sequences checked against a model after every step: no object
//! lost (created = idle + in use + discarded + detached + shrunk, and exactly that many
//! alive), none handed out twice, every handed-out object fresh, statistics exact,
//! `Fail` refusing exactly when the pool is full, never more than `max` kept idle
//! (the loop is `evm_pool_fuzz::pool_model::run_and_drop`, shared with `sync_pool_ops`).
#![no_main]

use arbitrary::Arbitrary;
use evm_pool::{Pool, PoolConfig};
use evm_pool_fuzz::Tagged;
use evm_pool_fuzz::pool_model::{Op, run_and_drop, sizes};
use libfuzzer_sys::fuzz_target;

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
    let (initial, max, policy) = sizes(input.initial, input.extra, input.fail);
    let growth = 1.1 + f64::from(input.growth_tenths % 30) / 10.0;
    let config = PoolConfig::builder()
        .initial(initial)
        .max(max)
        .growth(growth)
        .shrink_threshold(f64::from(input.shrink_percent % 101) / 100.0)
        .overflow(policy)
        .enabled(input.enabled)
        .build()
        .expect("the model only builds valid configurations");
    run_and_drop((max, input.enabled, input.fail), input.ops, || {
        Pool::<Tagged>::with_config(config).unwrap()
    });
});
