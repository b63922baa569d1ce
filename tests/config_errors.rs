//! Every configuration error path of every configuration type, as one table per type:
//! each bad value gives the typed error named in the table (never a panic), its message
//! names the setting and says how to fix it, and a constructor refuses the configuration
//! with the same error.

use std::time::Duration;

use evm_pool::alloc::{MAX_POOL_CHUNK, MIN_POOL_CHUNK};

use evm_pool::{
    AllocatorConfig, BufferPool, BufferPoolConfig, ClassLayout, ConfigError, EvmAllocator,
    FramePoolConfig, FramePoolManager, OverflowPolicy, Pool, PoolConfig, SyncPool, TxArena,
};

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

/// `SyncPool` takes every `PoolConfig` error (through the same `validate`) plus its
/// shard count.
#[test]
fn sync_pool_every_error_path() {
    for case in pool_cases() {
        assert_eq!(
            SyncPool::<Vec<u8>>::with_config(case.config).err(),
            Some(case.error),
            "{} (SyncPool::with_config)",
            case.what
        );
    }
    let shards = |n| SyncPool::<Vec<u8>>::with_config_and_shards(PoolConfig::minimal(), n).err();
    for (n, reason) in [
        (0, "a pool needs at least one shard"),
        ((1 << 16) + 1, "more than 65536 shards"),
        (usize::MAX, "more than 65536 shards"),
    ] {
        let error = shards(n).expect("refused");
        assert_eq!(
            error,
            ConfigError::Invalid {
                name: "shards",
                reason
            },
            "{n} shards"
        );
        assert!(error.to_string().contains("shards"), "{error}");
    }
    assert!(
        shards(1 << 16).is_none(),
        "65536 shards is the documented maximum"
    );
}

#[test]
fn buffer_pool_config_every_error_path() {
    let size_classes = |reason| ConfigError::InvalidSizeClasses { reason };
    let table: Vec<(&str, Vec<usize>, PoolConfig, ConfigError)> = vec![
        (
            "empty",
            vec![],
            PoolConfig::minimal(),
            size_classes("no size classes"),
        ),
        (
            "zero class",
            vec![0, 256],
            PoolConfig::minimal(),
            size_classes("a size class of 0 bytes"),
        ),
        (
            "class above 1 GiB",
            vec![256, (1 << 30) + 1],
            PoolConfig::minimal(),
            size_classes("a size class above 1 GiB"),
        ),
        (
            "descending",
            vec![1024, 256],
            PoolConfig::minimal(),
            size_classes("size classes must be strictly ascending"),
        ),
        (
            "duplicate",
            vec![256, 256],
            PoolConfig::minimal(),
            size_classes("size classes must be strictly ascending"),
        ),
    ];
    let mut table = table;
    // Every per-class pool error comes through unchanged.
    for case in pool_cases() {
        table.push((case.what, vec![256], case.config, case.error));
    }
    for (what, classes, per_class, error) in table {
        let got = BufferPoolConfig::new(classes, per_class);
        assert_eq!(got, Err(error.clone()), "{what}");
        assert!(!error.to_string().is_empty());
    }
    let message = BufferPoolConfig::new([0], PoolConfig::minimal())
        .unwrap_err()
        .to_string();
    assert!(message.contains("invalid size classes"), "{message}");
    // The edges are accepted and build a working pool.
    let edges = BufferPoolConfig::new([1, 1 << 30], PoolConfig::minimal()).unwrap();
    let pool = BufferPool::with_config(edges);
    assert_eq!(pool.class_for(2), Some(1 << 30));
}

#[test]
fn frame_pool_config_every_error_path() {
    let base = FramePoolConfig::balanced;
    let with = |f: &dyn Fn(&mut FramePoolConfig)| {
        let mut config = base();
        f(&mut config);
        config
    };
    let mut table: Vec<(String, FramePoolConfig, ConfigError, &str)> = vec![
        (
            "size class bound 0".into(),
            with(&|c| c.size_classes = vec![0, 1024]),
            ConfigError::InvalidSizeClasses {
                reason: "a size class bound is 0",
            },
            "invalid size classes",
        ),
        (
            "size classes not increasing".into(),
            with(&|c| c.size_classes = vec![4096, 4096]),
            ConfigError::InvalidSizeClasses {
                reason: "size class bounds must be strictly increasing",
            },
            "strictly increasing",
        ),
        (
            "pressure threshold above 1".into(),
            with(&|c| c.pressure_threshold = 1.01),
            ConfigError::ThresholdOutOfRange {
                name: "pressure_threshold",
                value: 1.01,
            },
            "`pressure_threshold` is 1.01",
        ),
        (
            "pressure threshold negative".into(),
            with(&|c| c.pressure_threshold = -1.0),
            ConfigError::ThresholdOutOfRange {
                name: "pressure_threshold",
                value: -1.0,
            },
            "outside 0..=1",
        ),
        (
            "zero budget with pressure handling".into(),
            with(&|c| (c.pressure_handling, c.memory_budget) = (true, 0)),
            ConfigError::Invalid {
                name: "memory_budget",
                reason: "is 0 while pressure handling is on",
            },
            "memory_budget",
        ),
        (
            "zero cleanup interval".into(),
            with(&|c| c.cleanup_interval = Duration::ZERO),
            ConfigError::Invalid {
                name: "cleanup_interval",
                reason: "must be longer than zero",
            },
            "cleanup_interval",
        ),
        (
            "zero max pooled bytes".into(),
            with(&|c| c.max_pooled_bytes = 0),
            ConfigError::Invalid {
                name: "max_pooled_bytes",
                reason: "must be at least 1 byte",
            },
            "max_pooled_bytes",
        ),
        (
            "no tree per clock reading".into(),
            with(&|c| c.trees_per_clock_reading = 0),
            ConfigError::Invalid {
                name: "trees_per_clock_reading",
                reason: "must be at least 1 (1 reads the clock for every call tree)",
            },
            "trees_per_clock_reading",
        ),
    ];
    // Every pool error, in each per-kind class and in a shared class, is wrapped with
    // the class's name.
    for case in pool_cases() {
        for (index, class) in [
            "Regular",
            "Call",
            "DelegateCall",
            "StaticCall",
            "Create",
            "Create2",
            "Precompile",
            "System",
        ]
        .into_iter()
        .enumerate()
        {
            let mut config = base();
            let ClassLayout::PerKind(classes) = &mut config.classes else {
                unreachable!("balanced is per kind")
            };
            classes[index] = case.config.clone();
            let error = ConfigError::Class {
                class,
                error: Box::new(case.error.clone()),
            };
            table.push((format!("{} in {class}", case.what), config, error, class));
        }
        let mut shared = FramePoolConfig::minimal();
        shared.classes = ClassLayout::Shared(case.config.clone());
        let error = ConfigError::Class {
            class: "Shared",
            error: Box::new(case.error.clone()),
        };
        table.push((
            format!("{} in Shared", case.what),
            shared,
            error,
            "frame class Shared",
        ));
    }
    for (what, config, error, message) in table {
        assert_eq!(config.validate(), Err(error.clone()), "{what}");
        assert_eq!(
            FramePoolManager::<[u8; 32]>::new(config).err(),
            Some(error.clone()),
            "{what} (FramePoolManager::new)"
        );
        let shown = error.to_string();
        assert!(
            shown.contains(message),
            "{what}: {shown:?} lacks {message:?}"
        );
    }
    // Pressure handling off: a zero budget is fine.
    let quiet = with(&|c| (c.pressure_handling, c.memory_budget) = (false, 0));
    assert_eq!(quiet.validate(), Ok(()));
    let nan = with(&|c| c.pressure_threshold = f64::NAN);
    assert!(matches!(
        nan.validate(),
        Err(ConfigError::ThresholdOutOfRange { name: "pressure_threshold", value }) if value.is_nan()
    ));
    for preset in [
        FramePoolConfig::high_performance(),
        FramePoolConfig::balanced(),
        FramePoolConfig::minimal(),
        FramePoolConfig::disabled(),
    ] {
        assert_eq!(preset.validate(), Ok(()));
    }
}

#[test]
fn allocator_config_every_error_path() {
    let with = |f: &dyn Fn(&mut AllocatorConfig)| {
        let mut config = AllocatorConfig::optimized();
        f(&mut config);
        config
    };
    let invalid = |name, reason| ConfigError::Invalid { name, reason };
    let small_chunk = "must be at least 8 KiB to hold a 4 KiB block next to its header";
    let table = [
        (
            "chunk 0",
            with(&|c| c.pool_chunk_bytes = 0),
            invalid("pool_chunk_bytes", small_chunk),
        ),
        (
            "chunk just below 8 KiB",
            with(&|c| c.pool_chunk_bytes = MIN_POOL_CHUNK - 1),
            invalid("pool_chunk_bytes", small_chunk),
        ),
        (
            "chunk above 1 GiB",
            with(&|c| c.pool_chunk_bytes = MAX_POOL_CHUNK + 1),
            invalid("pool_chunk_bytes", "must be at most 1 GiB"),
        ),
        (
            "arena on with 0 bytes",
            with(&|c| c.arena_bytes = 0),
            invalid("arena_bytes", "must be non-zero when the arena is on"),
        ),
        (
            "frame pooling on with 0 frames",
            with(&|c| c.frame_pool_size = 0),
            invalid(
                "frame_pool_size",
                "must be non-zero when frame pooling is on",
            ),
        ),
    ];
    for (what, config, error) in table {
        assert_eq!(config.validate(), Err(error.clone()), "{what}");
        assert_eq!(
            EvmAllocator::<_, true>::try_with_config(std::alloc::System, config).err(),
            Some(error.clone()),
            "{what} (EvmAllocator::try_with_config)"
        );
        let shown = error.to_string();
        let ConfigError::Invalid { name, .. } = &error else {
            unreachable!()
        };
        assert!(shown.contains(name), "{what}: {shown}");
    }
    // The arena refuses the same configurations it cannot use.
    assert_eq!(
        TxArena::from_config(&with(&|c| c.arena_bytes = 0)).err(),
        Some(invalid(
            "arena_bytes",
            "must be non-zero when the arena is on"
        ))
    );
    assert_eq!(
        TxArena::from_config(&AllocatorConfig::minimal()).err(),
        Some(invalid("arena", "the arena is off in this configuration"))
    );
    // A first chunk no allocator can give is an error, not an abort.
    assert_eq!(
        TxArena::from_config(&with(&|c| c.arena_bytes = 1 << 62)).err(),
        Some(invalid(
            "arena_bytes",
            "the global allocator refused a chunk of this size"
        ))
    );
    // A setting whose feature is off is not checked; the edges are valid.
    for config in [
        with(&|c| (c.size_class_pooling, c.pool_chunk_bytes) = (false, 0)),
        with(&|c| (c.arena, c.arena_bytes) = (false, 0)),
        with(&|c| (c.frame_pooling, c.frame_pool_size) = (false, 0)),
        with(&|c| c.pool_chunk_bytes = MIN_POOL_CHUNK),
        with(&|c| c.pool_chunk_bytes = MAX_POOL_CHUNK),
        AllocatorConfig::minimal(),
    ] {
        assert_eq!(config.validate(), Ok(()), "{config:?}");
    }
}
