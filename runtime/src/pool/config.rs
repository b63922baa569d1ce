//! Pool configuration: sizes, growth and shrink policy, and what happens when a pool
//! runs dry. Presets follow the project spec; the builder validates.

use std::fmt;

/// What a pool does when every object it may hold is in use.
///
/// ```
/// use evm_pool_runtime::{OverflowPolicy, Pool, PoolConfig, PoolError};
///
/// let config = PoolConfig::builder().initial(1).max(1).overflow(OverflowPolicy::Fail).build()?;
/// let pool = Pool::<Vec<u8>>::with_config(config)?;
/// let first = pool.try_acquire()?;
/// assert!(matches!(pool.try_acquire(), Err(PoolError::Exhausted { max: 1 })));
/// drop(first);
/// assert!(pool.try_acquire().is_ok());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum OverflowPolicy {
    /// Always succeed: create an object beyond `max` (counted as an overflow). When such
    /// an object comes back and the pool already holds `max`, it is dropped (counted as
    /// a discard), so the pool never holds more than `max`.
    #[default]
    Allocate,
    /// Refuse: [`Pool::try_acquire`](crate::Pool::try_acquire) returns
    /// [`PoolError::Exhausted`](crate::PoolError::Exhausted) and nothing is created.
    Fail,
}

/// How a pool sizes itself.
///
/// | preset | initial | max | growth | shrink threshold |
/// |---|---|---|---|---|
/// | [`high_performance`](Self::high_performance) | 128 | 1024 | 1.5 | 0.25 |
/// | [`balanced`](Self::balanced) | 64 | 512 | 1.3 | 0.3 |
/// | [`minimal`](Self::minimal) | 32 | 128 | 1.2 | 0.2 |
/// | [`disabled`](Self::disabled) | no pooling: every acquire creates, every release drops | | | |
///
/// - `initial`: objects created up front by [`Pool::with_config`](crate::Pool::with_config).
/// - `max`: the most objects the pool owns (idle plus in use). Beyond it the
///   [`OverflowPolicy`] decides.
/// - `growth`: on a miss, the pool grows its stock to `ceil(owned * growth)` objects in one
///   batch (an *expansion*), capped at `max`, so a burst pays for creation once.
/// - `shrink_threshold`: [`Pool::auto_shrink`](crate::Pool::auto_shrink) trims idle
///   objects when the peak in use since the last call, divided by owned objects, falls
///   below it (never below `initial`).
///
/// ```
/// use evm_pool_runtime::{ConfigError, PoolConfig};
///
/// let config = PoolConfig::builder().initial(16).max(256).growth(2.0).build()?;
/// assert_eq!(config.max, 256);
/// assert_eq!(
///     PoolConfig::builder().initial(10).max(5).build(),
///     Err(ConfigError::MaxBelowInitial { initial: 10, max: 5 })
/// );
/// # Ok::<(), ConfigError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct PoolConfig {
    /// Objects created when the pool is built.
    pub initial: usize,
    /// Most objects the pool owns, idle plus in use.
    pub max: usize,
    /// Factor by which the pool's stock grows on a miss; must be greater than 1.
    pub growth: f64,
    /// Utilization below which [`Pool::auto_shrink`](crate::Pool::auto_shrink) trims; in `0..=1`.
    pub shrink_threshold: f64,
    /// What happens when all `max` objects are in use.
    pub overflow: OverflowPolicy,
    /// `false` turns pooling off: the honest baseline of plain allocation.
    pub enabled: bool,
}

impl PoolConfig {
    /// For hot paths: 128 objects up front, up to 1024, growth 1.5, shrink below 25%.
    ///
    /// ```
    /// let c = evm_pool_runtime::PoolConfig::high_performance();
    /// assert_eq!((c.initial, c.max), (128, 1024));
    /// ```
    pub const fn high_performance() -> Self {
        Self::preset(128, 1024, 1.5, 0.25)
    }

    /// The default: 64 up front, up to 512, growth 1.3, shrink below 30%.
    ///
    /// ```
    /// let c = evm_pool_runtime::PoolConfig::balanced();
    /// assert_eq!((c.initial, c.max), (64, 512));
    /// ```
    pub const fn balanced() -> Self {
        Self::preset(64, 512, 1.3, 0.3)
    }

    /// Small footprint: 32 up front, up to 128, growth 1.2, shrink below 20%.
    ///
    /// ```
    /// let c = evm_pool_runtime::PoolConfig::minimal();
    /// assert_eq!((c.initial, c.max), (32, 128));
    /// ```
    pub const fn minimal() -> Self {
        Self::preset(32, 128, 1.2, 0.2)
    }

    /// No pooling: every acquire creates a fresh object and every release drops it. The
    /// baseline against which pooling is measured.
    ///
    /// ```
    /// use evm_pool_runtime::{Pool, PoolConfig};
    ///
    /// let pool = Pool::<Vec<u8>>::with_config(PoolConfig::disabled())?;
    /// drop(pool.acquire());
    /// assert_eq!(pool.stats().available, 0);
    /// # Ok::<(), evm_pool_runtime::ConfigError>(())
    /// ```
    pub const fn disabled() -> Self {
        PoolConfig {
            initial: 0,
            max: 0,
            growth: 1.5,
            shrink_threshold: 0.0,
            overflow: OverflowPolicy::Allocate,
            enabled: false,
        }
    }

    const fn preset(initial: usize, max: usize, growth: f64, shrink_threshold: f64) -> Self {
        PoolConfig {
            initial,
            max,
            growth,
            shrink_threshold,
            overflow: OverflowPolicy::Allocate,
            enabled: true,
        }
    }

    /// A builder starting from [`balanced`](Self::balanced).
    ///
    /// ```
    /// let config = evm_pool_runtime::PoolConfig::builder().max(64).initial(8).build()?;
    /// assert_eq!((config.initial, config.max), (8, 64));
    /// # Ok::<(), evm_pool_runtime::ConfigError>(())
    /// ```
    pub fn builder() -> PoolConfigBuilder {
        PoolConfigBuilder {
            config: Self::balanced(),
        }
    }

    /// Checks the configuration, returning the first problem found.
    ///
    /// ```
    /// use evm_pool_runtime::{ConfigError, PoolConfig};
    ///
    /// let mut config = PoolConfig::balanced();
    /// config.growth = 1.0;
    /// assert_eq!(config.validate(), Err(ConfigError::GrowthNotAboveOne { growth: 1.0 }));
    /// ```
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !self.enabled {
            return Ok(());
        }
        if self.max < self.initial {
            return Err(ConfigError::MaxBelowInitial {
                initial: self.initial,
                max: self.max,
            });
        }
        if self.max == 0 {
            return Err(ConfigError::ZeroMax);
        }
        if !self.growth.is_finite() || self.growth <= 1.0 {
            return Err(ConfigError::GrowthNotAboveOne {
                growth: self.growth,
            });
        }
        if !(0.0..=1.0).contains(&self.shrink_threshold) || self.shrink_threshold.is_nan() {
            return Err(ConfigError::ThresholdOutOfRange {
                name: "shrink_threshold",
                value: self.shrink_threshold,
            });
        }
        Ok(())
    }
}

impl Default for PoolConfig {
    /// [`PoolConfig::balanced`].
    fn default() -> Self {
        Self::balanced()
    }
}

/// Builds a [`PoolConfig`], validating it in [`build`](Self::build).
///
/// ```
/// use evm_pool_runtime::{OverflowPolicy, PoolConfig};
///
/// let config = PoolConfig::builder()
///     .initial(4)
///     .max(16)
///     .growth(2.0)
///     .shrink_threshold(0.5)
///     .overflow(OverflowPolicy::Fail)
///     .build()?;
/// assert_eq!(config.overflow, OverflowPolicy::Fail);
/// # Ok::<(), evm_pool_runtime::ConfigError>(())
/// ```
#[derive(Clone, Debug)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct PoolConfigBuilder {
    config: PoolConfig,
}

impl PoolConfigBuilder {
    /// Starts from another preset instead of `balanced`.
    pub fn from_preset(config: PoolConfig) -> Self {
        PoolConfigBuilder { config }
    }
    /// Sets the objects created up front.
    pub fn initial(mut self, initial: usize) -> Self {
        self.config.initial = initial;
        self
    }
    /// Sets the most objects the pool owns.
    pub fn max(mut self, max: usize) -> Self {
        self.config.max = max;
        self
    }
    /// Sets the growth factor (must be > 1).
    pub fn growth(mut self, growth: f64) -> Self {
        self.config.growth = growth;
        self
    }
    /// Sets the shrink threshold (in `0..=1`).
    pub fn shrink_threshold(mut self, threshold: f64) -> Self {
        self.config.shrink_threshold = threshold;
        self
    }
    /// Sets the overflow policy.
    pub fn overflow(mut self, policy: OverflowPolicy) -> Self {
        self.config.overflow = policy;
        self
    }
    /// Turns pooling on or off.
    pub fn enabled(mut self, enabled: bool) -> Self {
        self.config.enabled = enabled;
        self
    }
    /// Validates and returns the configuration.
    pub fn build(self) -> Result<PoolConfig, ConfigError> {
        self.config.validate()?;
        Ok(self.config)
    }
}

/// A configuration that makes no sense, found by [`PoolConfig::validate`] or a builder.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum ConfigError {
    /// `max` is smaller than `initial`.
    MaxBelowInitial {
        /// The requested initial size.
        initial: usize,
        /// The requested maximum.
        max: usize,
    },
    /// `max` is zero for an enabled pool (use [`PoolConfig::disabled`] to turn pooling off).
    ZeroMax,
    /// The growth factor is not a finite number greater than 1.
    GrowthNotAboveOne {
        /// The rejected factor.
        growth: f64,
    },
    /// A threshold or fraction lies outside `0..=1`.
    ThresholdOutOfRange {
        /// Which setting.
        name: &'static str,
        /// The rejected value.
        value: f64,
    },
    /// A size-class list is empty, unsorted, or holds a zero.
    InvalidSizeClasses {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A frame pool class's configuration is invalid.
    Class {
        /// The class (`Call`, ..., or `Shared`).
        class: &'static str,
        /// What is wrong with it.
        error: Box<ConfigError>,
    },
    /// Any other out-of-range setting, named.
    Invalid {
        /// Which setting.
        name: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::MaxBelowInitial { initial, max } => write!(
                f,
                "pool max ({max}) is below its initial size ({initial}): raise `max` or lower `initial`"
            ),
            ConfigError::ZeroMax => {
                f.write_str("pool max is 0: use `PoolConfig::disabled()` to turn pooling off")
            }
            ConfigError::GrowthNotAboveOne { growth } => {
                write!(
                    f,
                    "growth factor {growth} must be a finite number greater than 1"
                )
            }
            ConfigError::ThresholdOutOfRange { name, value } => {
                write!(f, "`{name}` is {value}, outside 0..=1")
            }
            ConfigError::InvalidSizeClasses { reason } => {
                write!(f, "invalid size classes: {reason}")
            }
            ConfigError::Class { class, error } => write!(f, "frame class {class}: {error}"),
            ConfigError::Invalid { name, reason } => write!(f, "invalid `{name}`: {reason}"),
        }
    }
}

impl std::error::Error for ConfigError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_match_spec_and_validate() {
        for (config, numbers) in [
            (PoolConfig::high_performance(), (128, 1024, 1.5, 0.25)),
            (PoolConfig::balanced(), (64, 512, 1.3, 0.3)),
            (PoolConfig::minimal(), (32, 128, 1.2, 0.2)),
        ] {
            assert_eq!(
                (
                    config.initial,
                    config.max,
                    config.growth,
                    config.shrink_threshold
                ),
                numbers
            );
            assert!(config.enabled);
            config.validate().unwrap();
        }
        assert!(!PoolConfig::disabled().enabled);
        PoolConfig::disabled().validate().unwrap();
    }

    #[test]
    fn nonsense_is_a_typed_error() {
        let b = PoolConfig::builder;
        assert_eq!(b().max(0).initial(0).build(), Err(ConfigError::ZeroMax));
        assert_eq!(
            b().initial(9).max(3).build(),
            Err(ConfigError::MaxBelowInitial { initial: 9, max: 3 })
        );
        assert!(matches!(
            b().growth(0.5).build(),
            Err(ConfigError::GrowthNotAboveOne { .. })
        ));
        assert!(matches!(
            b().growth(f64::NAN).build(),
            Err(ConfigError::GrowthNotAboveOne { .. })
        ));
        assert!(matches!(
            b().growth(f64::INFINITY).build(),
            Err(ConfigError::GrowthNotAboveOne { .. })
        ));
        assert!(matches!(
            b().shrink_threshold(1.5).build(),
            Err(ConfigError::ThresholdOutOfRange {
                name: "shrink_threshold",
                ..
            })
        ));
        assert!(matches!(
            b().shrink_threshold(-0.1).build(),
            Err(ConfigError::ThresholdOutOfRange { .. })
        ));
        let msg = b().initial(9).max(3).build().unwrap_err().to_string();
        assert!(msg.contains("raise `max`"), "{msg}");
    }
}
