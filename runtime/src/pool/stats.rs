//! Exact pool statistics: a snapshot type shared by every pool flavour, and the
//! single-threaded counters behind [`Pool`](crate::Pool).

use std::cell::Cell;
use std::fmt;

/// A snapshot of a pool's counters. Every count is exact: each operation updates it.
///
/// ```
/// use evm_pool_runtime::{Pool, PoolConfig};
///
/// let pool = Pool::<Vec<u8>>::with_config(PoolConfig::builder().initial(2).max(4).build()?)?;
/// let a = pool.acquire();
/// let b = pool.acquire();
/// let c = pool.acquire(); // the two prewarmed ones are in use: a miss
/// drop((a, b, c));
/// let stats = pool.stats();
/// assert_eq!((stats.hits, stats.misses, stats.returns), (2, 1, 3));
/// assert_eq!(stats.peak_in_use, 3);
/// assert!((stats.hit_rate() - 2.0 / 3.0).abs() < 1e-9);
/// println!("{stats}");
/// # Ok::<(), evm_pool_runtime::ConfigError>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PoolStats {
    /// Acquires served from an idle object.
    pub hits: u64,
    /// Acquires that found no idle object and had to create one (or fail).
    pub misses: u64,
    /// Acquires served by creating an object beyond `max` (policy `Allocate`), or
    /// refused (policy `Fail`).
    pub overflows: u64,
    /// Objects given back to the pool (by a guard's drop), whether kept or discarded.
    pub returns: u64,
    /// Returned objects dropped instead of kept, because the pool was full or disabled.
    pub discards: u64,
    /// Objects taken out of the pool for good with `into_inner`.
    pub detached: u64,
    /// Batches of new objects created on a miss (growth by the growth factor).
    pub expansions: u64,
    /// Calls that dropped idle objects (`shrink_to`, `auto_shrink`, memory pressure).
    pub shrinkages: u64,
    /// Objects ever created by the pool.
    pub created: u64,
    /// Objects handed out and not yet returned.
    pub in_use: u64,
    /// Highest `in_use` seen.
    pub peak_in_use: u64,
    /// Idle objects ready to hand out.
    pub available: u64,
    /// Bytes the idle objects keep alive: their inline size plus the heap capacity they
    /// report through `retained_heap_bytes` (0 where a type does not report it).
    pub bytes_held: u64,
}

impl PoolStats {
    /// Fraction of acquires served without creating an object; `1.0` before any acquire.
    pub fn hit_rate(&self) -> f64 {
        let total = self.hits + self.misses;
        if total == 0 {
            1.0
        } else {
            self.hits as f64 / total as f64
        }
    }

    /// Fraction of owned objects currently in use; `0.0` for an empty pool.
    pub fn utilization(&self) -> f64 {
        let owned = self.in_use + self.available;
        if owned == 0 {
            0.0
        } else {
            self.in_use as f64 / owned as f64
        }
    }

    /// Total acquires (hits plus misses).
    pub fn acquires(&self) -> u64 {
        self.hits + self.misses
    }

    /// Adds another snapshot's counters to this one (for totals across pools or
    /// threads). Peaks are summed too, which bounds the true joint peak from above.
    pub fn merge(&mut self, other: &PoolStats) {
        self.hits += other.hits;
        self.misses += other.misses;
        self.overflows += other.overflows;
        self.returns += other.returns;
        self.discards += other.discards;
        self.detached += other.detached;
        self.expansions += other.expansions;
        self.shrinkages += other.shrinkages;
        self.created += other.created;
        self.in_use += other.in_use;
        self.peak_in_use += other.peak_in_use;
        self.available += other.available;
        self.bytes_held += other.bytes_held;
    }
}

impl fmt::Display for PoolStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "acquires {:>10}  hits {:>10}  misses {:>8}  hit rate {:>6.2}%",
            self.acquires(),
            self.hits,
            self.misses,
            self.hit_rate() * 100.0
        )?;
        writeln!(
            f,
            "returns  {:>10}  discards {:>6}  overflows {:>5}  detached {:>6}",
            self.returns, self.discards, self.overflows, self.detached
        )?;
        writeln!(
            f,
            "created  {:>10}  expansions {:>4}  shrinkages {:>4}",
            self.created, self.expansions, self.shrinkages
        )?;
        write!(
            f,
            "in use   {:>10}  peak {:>10}  available {:>5}  utilization {:>6.2}%  held {}",
            self.in_use,
            self.peak_in_use,
            self.available,
            self.utilization() * 100.0,
            ByteSize(self.bytes_held)
        )
    }
}

/// Formats a byte count with a binary unit (`512 B`, `4.0 KiB`, `1.5 MiB`).
///
/// ```
/// use evm_pool_runtime::ByteSize;
///
/// assert_eq!(ByteSize(512).to_string(), "512 B");
/// assert_eq!(ByteSize(4096).to_string(), "4.0 KiB");
/// assert_eq!(ByteSize(3 * 1024 * 1024 / 2).to_string(), "1.5 MiB");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ByteSize(pub u64);

impl fmt::Display for ByteSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
        if self.0 < 1024 {
            return write!(f, "{} B", self.0);
        }
        let mut value = self.0 as f64 / 1024.0;
        let mut unit = 0;
        while value >= 1024.0 && unit < UNITS.len() - 1 {
            value /= 1024.0;
            unit += 1;
        }
        write!(f, "{value:.1} {}", UNITS[unit])
    }
}

/// The live counters of a single-threaded pool; `Cell`s so `&Pool` can update them.
#[derive(Default, Debug)]
pub(crate) struct Counters {
    pub(crate) hits: Cell<u64>,
    pub(crate) misses: Cell<u64>,
    pub(crate) overflows: Cell<u64>,
    pub(crate) returns: Cell<u64>,
    pub(crate) discards: Cell<u64>,
    pub(crate) detached: Cell<u64>,
    pub(crate) expansions: Cell<u64>,
    pub(crate) shrinkages: Cell<u64>,
    pub(crate) created: Cell<u64>,
    pub(crate) in_use: Cell<u64>,
    /// Highest `in_use` of the windows before the current one (see `window_peak`).
    pub(crate) peak_in_use: Cell<u64>,
    /// Peak in use since the last `auto_shrink`, the window it judges.
    pub(crate) window_peak: Cell<u64>,
}

pub(crate) fn bump(cell: &Cell<u64>, by: u64) {
    cell.set(cell.get() + by);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_of_an_empty_pool() {
        let stats = PoolStats::default();
        assert_eq!(stats.hit_rate(), 1.0);
        assert_eq!(stats.utilization(), 0.0);
    }

    #[test]
    fn merge_adds_everything() {
        let one = PoolStats {
            hits: 1,
            misses: 2,
            in_use: 3,
            available: 1,
            ..Default::default()
        };
        let mut total = one;
        total.merge(&one);
        assert_eq!(
            (total.hits, total.misses, total.in_use, total.available),
            (2, 4, 6, 2)
        );
        assert_eq!(total.utilization(), 0.75);
    }

    #[test]
    fn display_is_readable() {
        let text = PoolStats {
            hits: 3,
            misses: 1,
            bytes_held: 2048,
            ..Default::default()
        }
        .to_string();
        assert!(text.contains("hit rate  75.00%"), "{text}");
        assert!(text.contains("held 2.0 KiB"), "{text}");
    }
}
