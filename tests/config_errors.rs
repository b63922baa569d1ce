//! Every configuration error path of every configuration type, as one table per type:
//! each bad value gives the typed error named in the table (never a panic), its message
//! names the setting and says how to fix it, and a constructor refuses the configuration
//! with the same error.

use evm_pool::{ConfigError, OverflowPolicy, Pool, PoolConfig};

/// One bad configuration: how to build it, and the error it must give.
struct Case<C> {
    what: &'static str,
    config: C,
    error: ConfigError,
    /// A fragment the error's message must contain.
    message: &'static str,
}

fn pool_cases() -> Vec<Case<PoolConfig>> {
    let with = |f: fn(&mut PoolConfig)| {
        let mut config = PoolConfig::balanced();
        f(&mut config);
        config
    };
    let growth = |growth| ConfigError::GrowthNotAboveOne { growth };
    let threshold = |value| ConfigError::ThresholdOutOfRange {
        name: "shrink_threshold",
        value,
    };
    vec![
        Case {
            what: "max below initial",
            config: with(|c| (c.initial, c.max) = (9, 3)),
            error: ConfigError::MaxBelowInitial { initial: 9, max: 3 },
            message: "raise `max`",
        },
        Case {
            what: "max zero",
            config: with(|c| (c.initial, c.max) = (0, 0)),
            error: ConfigError::ZeroMax,
            message: "PoolConfig::disabled()",
        },
        Case {
            what: "growth exactly one",
            config: with(|c| c.growth = 1.0),
            error: growth(1.0),
            message: "greater than 1",
        },
        Case {
            what: "growth below one",
            config: with(|c| c.growth = 0.5),
            error: growth(0.5),
            message: "greater than 1",
        },
        Case {
            what: "growth negative",
            config: with(|c| c.growth = -2.0),
            error: growth(-2.0),
            message: "greater than 1",
        },
        Case {
            what: "growth infinite",
            config: with(|c| c.growth = f64::INFINITY),
            error: growth(f64::INFINITY),
            message: "finite",
        },
        Case {
            what: "shrink threshold above one",
            config: with(|c| c.shrink_threshold = 1.5),
            error: threshold(1.5),
            message: "`shrink_threshold` is 1.5, outside 0..=1",
        },
        Case {
            what: "shrink threshold negative",
            config: with(|c| c.shrink_threshold = -0.1),
            error: threshold(-0.1),
            message: "outside 0..=1",
        },
        Case {
            what: "shrink threshold infinite",
            config: with(|c| c.shrink_threshold = f64::NEG_INFINITY),
            error: threshold(f64::NEG_INFINITY),
            message: "outside 0..=1",
        },
    ]
}

#[test]
fn pool_config_every_error_path() {
    for case in pool_cases() {
        let Case {
            what,
            config,
            error,
            message,
        } = case;
        assert_eq!(config.validate(), Err(error.clone()), "{what}");
        // The builder reaches the same check from any preset.
        let built = PoolConfig::builder()
            .initial(config.initial)
            .max(config.max)
            .growth(config.growth)
            .shrink_threshold(config.shrink_threshold)
            .build();
        assert_eq!(built, Err(error.clone()), "{what} (builder)");
        // A pool refuses it with the same error rather than panicking later.
        assert_eq!(
            Pool::<Vec<u8>>::with_config(config).err(),
            Some(error.clone()),
            "{what} (Pool::with_config)"
        );
        let shown = error.to_string();
        assert!(
            shown.contains(message),
            "{what}: {shown:?} lacks {message:?}"
        );
        // It is a real error type: boxes into `dyn Error`.
        let _: Box<dyn std::error::Error> = Box::new(error);
    }
}

/// NaN compares false with everything, so it gets its own row: the error carries NaN
/// (which `assert_eq!` cannot compare), checked by shape.
#[test]
fn pool_config_nan_is_refused() {
    let nan_growth = PoolConfig::builder().growth(f64::NAN).build();
    assert!(
        matches!(nan_growth, Err(ConfigError::GrowthNotAboveOne { growth }) if growth.is_nan())
    );
    let nan_threshold = PoolConfig::builder().shrink_threshold(f64::NAN).build();
    assert!(matches!(
        nan_threshold,
        Err(ConfigError::ThresholdOutOfRange { name: "shrink_threshold", value }) if value.is_nan()
    ));
}

/// The first problem found is reported, in a documented order, so a config with several
/// problems gives a stable error.
#[test]
fn pool_config_reports_the_first_problem() {
    let mut config = PoolConfig::balanced();
    (
        config.initial,
        config.max,
        config.growth,
        config.shrink_threshold,
    ) = (5, 0, 0.0, 7.0);
    assert_eq!(
        config.validate(),
        Err(ConfigError::MaxBelowInitial { initial: 5, max: 0 })
    );
}

/// A disabled configuration is never refused, whatever its numbers: it does not pool.
#[test]
fn disabled_pool_config_ignores_sizing() {
    let mut config = PoolConfig::disabled();
    (config.initial, config.max, config.growth) = (10, 0, f64::NAN);
    assert_eq!(config.validate(), Ok(()));
    let pool = Pool::<Vec<u8>>::with_config(config).unwrap();
    assert_eq!(pool.stats().available, 0);
}

/// The edges of the valid range are accepted.
#[test]
fn pool_config_edges_are_valid() {
    for (initial, max, growth, threshold, overflow) in [
        (0, 1, f64::EPSILON + 1.0, 0.0, OverflowPolicy::Fail),
        (1, 1, 1.000_001, 1.0, OverflowPolicy::Allocate),
        (0, usize::MAX, f64::MAX, 0.5, OverflowPolicy::Allocate),
    ] {
        let config = PoolConfig::builder()
            .initial(initial)
            .max(max)
            .growth(growth)
            .shrink_threshold(threshold)
            .overflow(overflow)
            .build();
        assert!(
            config.is_ok(),
            "{initial} {max} {growth} {threshold}: {config:?}"
        );
    }
}
