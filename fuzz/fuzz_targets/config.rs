//! Configuration values: any numbers through the builder (from any preset) or straight
//! into `validate`: never a panic, `Ok` exactly when the model says the configuration is
//! valid, the error naming the first rule broken, and a pool built from an accepted small
//! configuration starting with exactly `initial` idle objects.
#![no_main]

use arbitrary::Arbitrary;
use evm_pool::{ConfigError, OverflowPolicy, Pool, PoolConfig, PoolConfigBuilder};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    preset: u8,
    initial: usize,
    max: usize,
    growth: f64,
    shrink_threshold: f64,
    fail: bool,
    enabled: bool,
    /// Which settings the builder overrides (bit per setting); the rest keep the preset's.
    set: u8,
}

/// The documented rules, in the documented order.
fn model(c: &PoolConfig) -> Result<(), &'static str> {
    if !c.enabled {
        return Ok(());
    }
    if c.max < c.initial {
        return Err("MaxBelowInitial");
    }
    if c.max == 0 {
        return Err("ZeroMax");
    }
    if !(c.growth.is_finite() && c.growth > 1.0) {
        return Err("GrowthNotAboveOne");
    }
    if !(c.shrink_threshold >= 0.0 && c.shrink_threshold <= 1.0) {
        return Err("ThresholdOutOfRange");
    }
    Ok(())
}

fn kind(error: &ConfigError) -> &'static str {
    match error {
        ConfigError::MaxBelowInitial { .. } => "MaxBelowInitial",
        ConfigError::ZeroMax => "ZeroMax",
        ConfigError::GrowthNotAboveOne { .. } => "GrowthNotAboveOne",
        ConfigError::ThresholdOutOfRange { .. } => "ThresholdOutOfRange",
        ConfigError::InvalidSizeClasses { .. } => "InvalidSizeClasses",
        ConfigError::Invalid { .. } => "Invalid",
        _ => "other",
    }
}

fuzz_target!(|input: Input| {
    let preset = match input.preset % 4 {
        0 => PoolConfig::high_performance(),
        1 => PoolConfig::balanced(),
        2 => PoolConfig::minimal(),
        _ => PoolConfig::disabled(),
    };
    let mut builder = PoolConfigBuilder::from_preset(preset);
    let mut expected = preset_clone(input.preset);
    if input.set & 1 != 0 {
        builder = builder.initial(input.initial);
        expected.initial = input.initial;
    }
    if input.set & 2 != 0 {
        builder = builder.max(input.max);
        expected.max = input.max;
    }
    if input.set & 4 != 0 {
        builder = builder.growth(input.growth);
        expected.growth = input.growth;
    }
    if input.set & 8 != 0 {
        builder = builder.shrink_threshold(input.shrink_threshold);
        expected.shrink_threshold = input.shrink_threshold;
    }
    if input.set & 16 != 0 {
        let policy = if input.fail {
            OverflowPolicy::Fail
        } else {
            OverflowPolicy::Allocate
        };
        builder = builder.overflow(policy);
        expected.overflow = policy;
    }
    if input.set & 32 != 0 {
        builder = builder.enabled(input.enabled);
        expected.enabled = input.enabled;
    }

    let built = builder.build();
    let verdict = model(&expected);
    match (&built, verdict) {
        (Ok(config), Ok(())) => {
            assert_eq!(config.initial, expected.initial);
            assert_eq!(config.max, expected.max);
            assert_eq!(config.overflow, expected.overflow);
            assert_eq!(config.enabled, expected.enabled);
            assert_eq!(config.validate(), Ok(()));
            if config.initial <= 256 {
                let pool = Pool::<Vec<u8>>::with_config(config.clone()).expect("accepted config");
                let want = if config.enabled { config.initial } else { 0 };
                assert_eq!(pool.stats().available as usize, want);
                let guard = pool.acquire();
                assert_eq!(pool.stats().in_use, 1);
                drop(guard);
            }
        }
        (Err(error), Err(rule)) => {
            assert_eq!(
                kind(error),
                rule,
                "reported {error:?}, first broken rule is {rule}"
            );
            assert!(!error.to_string().is_empty());
            // `with_config` refuses it with the same error.
            let direct = Pool::<Vec<u8>>::with_config(expected.clone()).err();
            assert_eq!(direct.as_ref().map(kind), Some(rule));
        }
        (got, want) => panic!("builder said {got:?}, model said {want:?} for {expected:?}"),
    }
});

fn preset_clone(preset: u8) -> PoolConfig {
    match preset % 4 {
        0 => PoolConfig::high_performance(),
        1 => PoolConfig::balanced(),
        2 => PoolConfig::minimal(),
        _ => PoolConfig::disabled(),
    }
}
