//! Time for the frame manager: a [`Clock`] trait, the real [`SystemClock`] and a
//! [`ManualClock`] that tests move by hand, so idle timeouts and cleanup intervals are
//! tested without sleeping.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A monotonic clock: time elapsed since some fixed origin.
///
/// The manager reads it once per transaction (when a guard-API root frame is acquired),
/// once per `trees_per_clock_reading` nested call trees (32 in every preset), at the release of a frame to a larger size class and at
/// `cleanup`, never per frame, so even a slow clock costs little.
pub trait Clock: Send {
    /// Time since the clock's origin. Must never go backwards.
    fn now(&self) -> Duration;
}

/// Real time, from [`Instant`]; its origin is its creation.
///
/// ```
/// use evm_pool_runtime::{Clock, SystemClock};
///
/// let clock = SystemClock::new();
/// let a = clock.now();
/// assert!(clock.now() >= a);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct SystemClock {
    origin: Instant,
}

impl SystemClock {
    /// A clock whose origin is now.
    pub fn new() -> Self {
        SystemClock {
            origin: Instant::now(),
        }
    }
}

impl Default for SystemClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for SystemClock {
    fn now(&self) -> Duration {
        self.origin.elapsed()
    }
}

/// A clock that only moves when told to. Clones share the same time, so a test keeps
/// one handle and gives another to the manager.
///
/// ```
/// use std::time::Duration;
/// use evm_pool_runtime::{Clock, ManualClock};
///
/// let clock = ManualClock::new();
/// let handle = clock.clone();
/// handle.advance(Duration::from_secs(31));
/// assert_eq!(clock.now(), Duration::from_secs(31));
/// ```
#[derive(Clone, Default)]
pub struct ManualClock {
    nanos: Arc<AtomicU64>,
}

impl ManualClock {
    /// A clock at time zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// Moves the clock forward (saturating at `u64::MAX` nanoseconds).
    pub fn advance(&self, by: Duration) {
        let by = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        let _ = self
            .nanos
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |now| {
                Some(now.saturating_add(by))
            });
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Duration {
        Duration::from_nanos(self.nanos.load(Ordering::Relaxed))
    }
}

impl fmt::Debug for ManualClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ManualClock")
            .field("now", &self.now())
            .finish()
    }
}
