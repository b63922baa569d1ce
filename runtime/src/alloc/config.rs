//! Configuration of [`EvmAllocator`](super::EvmAllocator): which tiers are on and how big
//! they start. Presets follow the project spec; [`AllocatorConfig::validate`] checks.

use crate::pool::{ByteSize, ConfigError};
use std::fmt;

/// How an [`EvmAllocator`](super::EvmAllocator) serves memory, and the defaults it hands
/// to the arena and frame pools built from it.
///
/// | preset | size-class pooling | arena | frame pooling | statistics | pool chunk | arena | frames | alignment optimization |
/// |---|---|---|---|---|---|---|---|---|
/// | [`optimized`](Self::optimized) | on | on | on | on | 64 KiB | 1 MiB | 256 | on |
/// | [`minimal`](Self::minimal) | off | off | off | off | | | | off |
///
/// `minimal()` is the honest baseline: every request goes straight to the backing
/// allocator.
///
/// ```
/// use evm_pool_runtime::{AllocatorConfig, ConfigError};
///
/// let config = AllocatorConfig::optimized();
/// assert_eq!(config.pool_chunk_bytes, 64 * 1024);
/// assert_eq!(config.arena_bytes, 1024 * 1024);
/// config.validate()?;
///
/// let mut broken = AllocatorConfig::optimized();
/// broken.pool_chunk_bytes = 1024; // smaller than the 4 KiB class it must hold
/// assert!(matches!(broken.validate(), Err(ConfigError::Invalid { name: "pool_chunk_bytes", .. })));
/// # Ok::<(), ConfigError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AllocatorConfig {
    /// Serve requests up to 4 KiB from thread-local size-class free lists.
    pub size_class_pooling: bool,
    /// Build per-transaction arenas ([`TxArena::from_config`](crate::TxArena::from_config)).
    pub arena: bool,
    /// Pool call frames (a default for the frame manager built from this config).
    pub frame_pooling: bool,
    /// Count allocations at run time (when compiled in; see
    /// [`EvmAllocator`](super::EvmAllocator)'s `STATS` parameter).
    pub statistics: bool,
    /// Bytes a thread takes from the backing allocator at a time to carve pooled blocks
    /// from: its first chunk is the pool's preallocation.
    pub pool_chunk_bytes: usize,
    /// First chunk of a [`TxArena`](crate::TxArena) built from this config.
    pub arena_bytes: usize,
    /// Call frames a frame pool built from this config keeps.
    pub frame_pool_size: usize,
    /// Place pooled blocks so none touches more cache lines than its size needs.
    pub alignment_optimization: bool,
    /// How far (in bytes) a thread's live-byte total may drift before it publishes it to
    /// the allocator-wide peak. `0` makes the global peak exact across threads at the
    /// price of one shared atomic add per allocation and free; the default keeps the
    /// fast path free of shared atomics and bounds the global peak's error by this many
    /// bytes per thread. Per-thread [`region`](super::EvmAllocator::region) peaks are
    /// always exact.
    pub peak_granularity: u64,
}

impl AllocatorConfig {
    /// Everything on: pooling with 64 KiB chunks, a 1 MiB arena, 256 pooled frames,
    /// statistics, alignment optimization.
    ///
    /// ```
    /// let c = evm_pool_runtime::AllocatorConfig::optimized();
    /// assert!(c.size_class_pooling && c.arena && c.frame_pooling && c.statistics);
    /// assert_eq!((c.pool_chunk_bytes, c.arena_bytes, c.frame_pool_size), (65536, 1 << 20, 256));
    /// ```
    pub const fn optimized() -> Self {
        AllocatorConfig {
            size_class_pooling: true,
            arena: true,
            frame_pooling: true,
            statistics: true,
            pool_chunk_bytes: 64 * 1024,
            arena_bytes: 1024 * 1024,
            frame_pool_size: 256,
            alignment_optimization: true,
            peak_granularity: 64 * 1024,
        }
    }

    /// Everything off but the backing allocator.
    ///
    /// ```
    /// let c = evm_pool_runtime::AllocatorConfig::minimal();
    /// assert!(!c.size_class_pooling && !c.arena && !c.frame_pooling && !c.statistics);
    /// ```
    pub const fn minimal() -> Self {
        AllocatorConfig {
            size_class_pooling: false,
            arena: false,
            frame_pooling: false,
            statistics: false,
            pool_chunk_bytes: 0,
            arena_bytes: 0,
            frame_pool_size: 0,
            alignment_optimization: false,
            peak_granularity: 64 * 1024,
        }
    }

    /// Checks the configuration, returning the first problem found. `const`, so a
    /// `static` allocator's configuration is checked at compile time.
    ///
    /// ```
    /// let mut c = evm_pool_runtime::AllocatorConfig::optimized();
    /// c.arena_bytes = 0;
    /// assert!(c.validate().is_err());
    /// ```
    pub const fn validate(&self) -> Result<(), ConfigError> {
        match self.problem() {
            None => Ok(()),
            Some((name, reason)) => Err(ConfigError::Invalid { name, reason }),
        }
    }

    /// The first problem as `(setting, reason)`: what `validate` reports, in a form a
    /// `const fn` can test without dropping an error value.
    pub(crate) const fn problem(&self) -> Option<(&'static str, &'static str)> {
        if self.size_class_pooling {
            if self.pool_chunk_bytes < MIN_POOL_CHUNK {
                return Some((
                    "pool_chunk_bytes",
                    "must be at least 8 KiB to hold a 4 KiB block next to its header",
                ));
            }
            if self.pool_chunk_bytes > MAX_POOL_CHUNK {
                return Some(("pool_chunk_bytes", "must be at most 1 GiB"));
            }
        }
        if self.arena && self.arena_bytes == 0 {
            return Some(("arena_bytes", "must be non-zero when the arena is on"));
        }
        if self.frame_pooling && self.frame_pool_size == 0 {
            return Some((
                "frame_pool_size",
                "must be non-zero when frame pooling is on",
            ));
        }
        None
    }
}

/// Smallest accepted [`AllocatorConfig::pool_chunk_bytes`].
pub const MIN_POOL_CHUNK: usize = 8 * 1024;
/// Largest accepted [`AllocatorConfig::pool_chunk_bytes`].
pub const MAX_POOL_CHUNK: usize = 1 << 30;

impl Default for AllocatorConfig {
    /// [`AllocatorConfig::optimized`].
    fn default() -> Self {
        Self::optimized()
    }
}

impl fmt::Display for AllocatorConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let on = |b: bool| if b { "on" } else { "off" };
        write!(
            f,
            "pooling {} (chunks of {}), arena {} ({}), frame pooling {} ({} frames), statistics {}, alignment optimization {}",
            on(self.size_class_pooling),
            ByteSize(self.pool_chunk_bytes as u64),
            on(self.arena),
            ByteSize(self.arena_bytes as u64),
            on(self.frame_pooling),
            self.frame_pool_size,
            on(self.statistics),
            on(self.alignment_optimization),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_match_spec_and_validate() {
        let o = AllocatorConfig::optimized();
        assert!(o.size_class_pooling && o.arena && o.frame_pooling && o.statistics);
        assert!(o.alignment_optimization);
        assert_eq!(o.pool_chunk_bytes, 64 * 1024);
        assert_eq!(o.arena_bytes, 1024 * 1024);
        assert_eq!(o.frame_pool_size, 256);
        o.validate().unwrap();
        let m = AllocatorConfig::minimal();
        assert!(!m.size_class_pooling && !m.arena && !m.frame_pooling && !m.statistics);
        assert!(!m.alignment_optimization);
        m.validate().unwrap();
        assert_eq!(AllocatorConfig::default(), o);
        assert!(o.to_string().contains("pooling on (chunks of 64.0 KiB)"));
    }

    #[test]
    fn nonsense_is_a_typed_error() {
        let with = |f: fn(&mut AllocatorConfig)| {
            let mut c = AllocatorConfig::optimized();
            f(&mut c);
            c.validate()
        };
        let name_of = |r: Result<(), ConfigError>| match r {
            Err(ConfigError::Invalid { name, .. }) => name,
            other => panic!("expected Invalid, got {other:?}"),
        };
        assert_eq!(
            name_of(with(|c| c.pool_chunk_bytes = 4096)),
            "pool_chunk_bytes"
        );
        assert_eq!(
            name_of(with(|c| c.pool_chunk_bytes = usize::MAX)),
            "pool_chunk_bytes"
        );
        assert_eq!(name_of(with(|c| c.arena_bytes = 0)), "arena_bytes");
        assert_eq!(name_of(with(|c| c.frame_pool_size = 0)), "frame_pool_size");
        // Sizes of tiers that are off are not checked.
        with(|c| {
            c.size_class_pooling = false;
            c.pool_chunk_bytes = 0;
        })
        .unwrap();
    }
}
