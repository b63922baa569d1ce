//! Frame pool configuration: per-class pool sizes, size classes, self-tuning, cleanup
//! and memory-pressure settings, with the spec's presets.

use std::time::Duration;

use crate::pool::{ConfigError, PoolConfig};

use super::kind::FrameClass;

const KIB: usize = 1024;
const MIB: usize = 1024 * 1024;

/// How frame kinds map to pools.
// A configuration is built once per manager: its size does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub enum ClassLayout {
    /// One pool per [`FrameClass`], configured in [`FrameClass::ALL`] order.
    PerKind([PoolConfig; 8]),
    /// One pool shared by every kind.
    Shared(PoolConfig),
}

impl ClassLayout {
    /// The pools' configurations: eight, or one for a shared layout.
    pub fn configs(&self) -> &[PoolConfig] {
        match self {
            ClassLayout::PerKind(configs) => configs,
            ClassLayout::Shared(config) => std::slice::from_ref(config),
        }
    }
}

/// Configuration of a [`FramePoolManager`](crate::FramePoolManager).
///
/// | preset | initial per class | max per class | growth | shrink | pressure | cleanup |
/// |---|---|---|---|---|---|---|
/// | [`high_performance`](Self::high_performance) | 128,128,64,64,32,32,16,16 | 1024,1024,512,512,256,256,128,128 | 1.5 | 0.25 | 0.8, on | 10 s |
/// | [`balanced`](Self::balanced) | 64,64,32,32,16,16,8,8 | 512,512,256,256,128,128,64,64 | 1.3 | 0.3 | 0.7, off | 30 s |
/// | [`minimal`](Self::minimal) | one shared class: 32 | 128 | 1.2 | 0.2 | 0.9, on | 60 s |
/// | [`disabled`](Self::disabled) | every frame allocated and dropped, own 1024-word stack | | | | | |
///
/// Classes are in [`FrameClass::ALL`] order: Regular, Call (with CallCode),
/// DelegateCall, StaticCall, Create, Create2, Precompile, System. `growth` and
/// `shrink_threshold` live in each class's [`PoolConfig`]; the presets use one value
/// for all. Fields are public; [`validate`](Self::validate) (also run by
/// `FramePoolManager::new`) returns a typed error for nonsense.
///
/// ```
/// use evm_pool_runtime::{ConfigError, FramePoolConfig};
///
/// let mut config = FramePoolConfig::balanced();
/// config.pressure_threshold = 1.5;
/// assert!(matches!(
///     config.validate(),
///     Err(ConfigError::ThresholdOutOfRange { name: "pressure_threshold", .. })
/// ));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct FramePoolConfig {
    /// Pools per kind, or one shared pool.
    pub classes: ClassLayout,
    /// Upper bounds (bytes, strictly increasing) of the size classes inside each pool,
    /// by the capacity a frame's own buffers (call input and return data) grew to. A
    /// frame larger than the last bound goes into one more, open-ended class. Empty: no
    /// size classes.
    pub size_classes: Vec<usize>,
    /// Run [`auto_tune`](crate::FramePoolManager::auto_tune) at each maintenance tick
    /// (and let explicit calls tune). `false`: pools keep their sizes.
    pub auto_tune: bool,
    /// React to memory pressure at each maintenance tick.
    pub pressure_handling: bool,
    /// Fraction of `memory_budget` above which pools are trimmed toward their initial
    /// sizes; in `0..=1`. At 95% the trim is forced down to the initial sizes.
    pub pressure_threshold: f64,
    /// Bytes the manager may keep in idle frames and spare call-tree buffers.
    pub memory_budget: u64,
    /// Time between maintenance ticks (cleanup, pressure, tuning), checked when a
    /// transaction's root frame is acquired.
    pub cleanup_interval: Duration,
    /// `cleanup` drops frames idle longer than this ...
    pub idle_timeout: Duration,
    /// ... that were handed out fewer than this many times.
    pub min_uses: u64,
    /// Frames (and call-tree buffers) whose buffers grew past this many bytes are dropped
    /// on release instead of being pooled.
    pub max_pooled_bytes: usize,
    /// Frames of one call tree share one stack buffer and one memory buffer. `false`
    /// gives every frame its own 1024-word stack and memory, allocated per frame (the
    /// revm-style baseline).
    pub shared_buffers: bool,
    /// Most bytes of EVM memory one call tree may use (all frames together).
    pub memory_limit: usize,
    /// Record every acquire and release in the [`AllocationTracker`](crate::AllocationTracker)
    /// timeline (per-kind counters are always kept).
    pub track_timeline: bool,
    /// The nested API ([`call_tree`](crate::FramePoolManager::call_tree)) reads the
    /// clock once per this many call trees (at least 1; 32 in every preset), and stamps
    /// the frames released in between with the next reading. Larger: cheaper trees, but
    /// idle frames may be dropped and maintenance may run up to that many trees late
    /// (never early; see [`cleanup`](crate::FramePoolManager::cleanup)). 1: a reading
    /// per tree. Ignored with `shared_buffers` off or `track_timeline` on, which read
    /// the clock for every tree.
    pub trees_per_clock_reading: u32,
}

impl FramePoolConfig {
    /// Hot paths: large per-kind pools, growth 1.5, shrink below 25%, pressure at 80%
    /// of a 256 MiB budget, cleanup every 10 s.
    ///
    /// ```
    /// let config = evm_pool_runtime::FramePoolConfig::high_performance();
    /// assert_eq!(config.classes.configs()[0].initial, 128);
    /// ```
    pub fn high_performance() -> Self {
        Self::per_kind(
            [128, 128, 64, 64, 32, 32, 16, 16],
            [1024, 1024, 512, 512, 256, 256, 128, 128],
            1.5,
            0.25,
            0.8,
            true,
            Duration::from_secs(10),
            256 * MIB as u64,
        )
    }

    /// The default: per-kind pools, growth 1.3, shrink below 30%, cleanup every 30 s,
    /// no pressure handling (threshold 0.7 of a 64 MiB budget, used by explicit checks).
    ///
    /// ```
    /// let config = evm_pool_runtime::FramePoolConfig::balanced();
    /// assert!(!config.pressure_handling);
    /// ```
    pub fn balanced() -> Self {
        Self::per_kind(
            [64, 64, 32, 32, 16, 16, 8, 8],
            [512, 512, 256, 256, 128, 128, 64, 64],
            1.3,
            0.3,
            0.7,
            false,
            Duration::from_secs(30),
            64 * MIB as u64,
        )
    }

    /// Small footprint: one pool shared by every kind (32 up front, up to 128), growth
    /// 1.2, shrink 0.2, pressure at 90% of 16 MiB, cleanup every 60 s, no size classes,
    /// no auto-tuning.
    ///
    /// ```
    /// let config = evm_pool_runtime::FramePoolConfig::minimal();
    /// assert_eq!(config.classes.configs().len(), 1);
    /// assert!(config.size_classes.is_empty() && !config.auto_tune);
    /// ```
    pub fn minimal() -> Self {
        FramePoolConfig {
            classes: ClassLayout::Shared(class(32, 128, 1.2, 0.2)),
            size_classes: Vec::new(),
            auto_tune: false,
            pressure_handling: true,
            pressure_threshold: 0.9,
            memory_budget: 16 * MIB as u64,
            cleanup_interval: Duration::from_secs(60),
            ..Self::common()
        }
    }

    /// No pooling and no sharing: every frame is allocated with its own 1024-word stack
    /// and memory, and dropped on release. The baseline for benchmarks.
    ///
    /// ```
    /// let config = evm_pool_runtime::FramePoolConfig::disabled();
    /// assert!(!config.shared_buffers && !config.classes.configs()[0].enabled);
    /// ```
    pub fn disabled() -> Self {
        FramePoolConfig {
            classes: ClassLayout::PerKind([const { PoolConfig::disabled() }; 8]),
            size_classes: Vec::new(),
            auto_tune: false,
            pressure_handling: false,
            pressure_threshold: 1.0,
            memory_budget: 0,
            cleanup_interval: Duration::from_secs(60),
            shared_buffers: false,
            ..Self::common()
        }
    }

    fn common() -> Self {
        FramePoolConfig {
            classes: ClassLayout::Shared(PoolConfig::disabled()),
            size_classes: vec![KIB, 4 * KIB, 16 * KIB, 64 * KIB, 256 * KIB],
            auto_tune: true,
            pressure_handling: true,
            pressure_threshold: 0.8,
            memory_budget: 64 * MIB as u64,
            cleanup_interval: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(30),
            min_uses: 5,
            max_pooled_bytes: MIB,
            shared_buffers: true,
            memory_limit: usize::MAX,
            track_timeline: false,
            trees_per_clock_reading: 32,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn per_kind(
        initial: [usize; 8],
        max: [usize; 8],
        growth: f64,
        shrink: f64,
        pressure_threshold: f64,
        pressure_handling: bool,
        cleanup_interval: Duration,
        memory_budget: u64,
    ) -> Self {
        FramePoolConfig {
            classes: ClassLayout::PerKind(std::array::from_fn(|i| {
                class(initial[i], max[i], growth, shrink)
            })),
            pressure_threshold,
            pressure_handling,
            cleanup_interval,
            memory_budget,
            ..Self::common()
        }
    }

    /// The configuration of the pool serving `class`.
    ///
    /// ```
    /// use evm_pool_runtime::{FrameClass, FramePoolConfig};
    ///
    /// let config = FramePoolConfig::high_performance();
    /// assert_eq!(config.class_config(FrameClass::Create2).max, 256);
    /// assert_eq!(FramePoolConfig::minimal().class_config(FrameClass::Create2).max, 128);
    /// ```
    pub fn class_config(&self, class: FrameClass) -> &PoolConfig {
        match &self.classes {
            ClassLayout::PerKind(configs) => &configs[class.index()],
            ClassLayout::Shared(config) => config,
        }
    }

    /// `false` when no class pools (as in [`disabled`](Self::disabled)).
    pub fn pooling_enabled(&self) -> bool {
        self.classes.configs().iter().any(|c| c.enabled)
    }

    /// Checks the configuration, returning the first problem found.
    ///
    /// ```
    /// use evm_pool_runtime::{ConfigError, FramePoolConfig};
    ///
    /// let mut config = FramePoolConfig::high_performance();
    /// config.size_classes = vec![4096, 1024];
    /// assert!(matches!(config.validate(), Err(ConfigError::InvalidSizeClasses { .. })));
    /// ```
    pub fn validate(&self) -> Result<(), ConfigError> {
        for (i, config) in self.classes.configs().iter().enumerate() {
            config.validate().map_err(|error| ConfigError::Class {
                class: match self.classes {
                    ClassLayout::PerKind(_) => FrameClass::ALL[i].name(),
                    ClassLayout::Shared(_) => "Shared",
                },
                error: Box::new(error),
            })?;
        }
        if self.size_classes.contains(&0) {
            return Err(ConfigError::InvalidSizeClasses {
                reason: "a size class bound is 0",
            });
        }
        if self.size_classes.windows(2).any(|w| w[0] >= w[1]) {
            return Err(ConfigError::InvalidSizeClasses {
                reason: "size class bounds must be strictly increasing",
            });
        }
        if !(0.0..=1.0).contains(&self.pressure_threshold) || self.pressure_threshold.is_nan() {
            return Err(ConfigError::ThresholdOutOfRange {
                name: "pressure_threshold",
                value: self.pressure_threshold,
            });
        }
        if self.pressure_handling && self.memory_budget == 0 {
            return Err(ConfigError::Invalid {
                name: "memory_budget",
                reason: "is 0 while pressure handling is on",
            });
        }
        if self.cleanup_interval.is_zero() {
            return Err(ConfigError::Invalid {
                name: "cleanup_interval",
                reason: "must be longer than zero",
            });
        }
        if self.max_pooled_bytes == 0 {
            return Err(ConfigError::Invalid {
                name: "max_pooled_bytes",
                reason: "must be at least 1 byte",
            });
        }
        if self.trees_per_clock_reading == 0 {
            return Err(ConfigError::Invalid {
                name: "trees_per_clock_reading",
                reason: "must be at least 1 (1 reads the clock for every call tree)",
            });
        }
        Ok(())
    }
}

impl Default for FramePoolConfig {
    /// [`FramePoolConfig::balanced`].
    fn default() -> Self {
        Self::balanced()
    }
}

fn class(initial: usize, max: usize, growth: f64, shrink_threshold: f64) -> PoolConfig {
    let mut config = PoolConfig::balanced();
    config.initial = initial;
    config.max = max;
    config.growth = growth;
    config.shrink_threshold = shrink_threshold;
    config
}
