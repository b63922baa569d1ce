//! Exact allocation statistics: the per-thread counters the allocator bumps, and the
//! snapshots ([`AllocationStatistics`], [`RegionStats`]) they merge into on read.
//!
//! Each thread counts into its own cache's counters with plain relaxed loads and stores
//! (no read-modify-write, no shared cache line); a reader sums every thread's counters.
//! Counters of exited threads stay in their cache, which the next thread inherits, so
//! nothing is lost.

#[cfg(not(loom))]
use super::handoff::{CellArray, OwnedCounter};
#[cfg(not(loom))]
use super::size_class::{CLASS_OF_SIZE, MAX_POOLED_SIZE};
use super::size_class::{LARGE_CLASS, NUM_CLASSES, SIZE_CLASSES};
use crate::pool::ByteSize;
use std::fmt;
use std::time::{Duration, Instant};

/// Buckets of the statistics by class: every pooled class plus one for larger requests.
pub const CLASS_BUCKETS: usize = NUM_CLASSES + 1;

/// Buckets of the log2 histogram: bucket `k` counts sizes in `[2^k, 2^(k+1))`.
pub const LOG2_BUCKETS: usize = 64;

/// One thread's counters. Written only by the owning thread (a relaxed load and store,
/// never an atomic read-modify-write), read by anyone.
///
/// The pooled fast path keeps as few counters as exactness allows, and everything else
/// is derived when read ([`Counters::load`]):
///
/// - a hand-out from its size's natural class increments the counter of its exact
///   size (`sizes[size]`, one `inc` with the size as the index: no table load): the
///   allocation count, `bytes_allocated` (the sum of `size * sizes[size]`), per-class
///   hand-outs (via the size table), the log2 histogram, the size distribution and
///   pool hits all come from the size counters;
/// - a return to its size's natural class increments `freed[size]` (one `inc`, a
///   releasing store): the deallocation count, `bytes_freed` and per-class returns
///   come from those;
/// - hand-outs and returns bumped to another class by their alignment, the backing
///   tier, reallocations and pool misses (all off the fast path) count into
///   [`SlowCounters`] and the two byte counters, in the merged form.
///
/// No live-byte tally here: the peak tracking keeps its own in the owner state (see
/// `raw::Owner`), and readers compute live bytes as allocated minus freed. The two
/// size arrays take 64 KiB per thread cache.
#[cfg(not(loom))]
pub(crate) struct Counters {
    sizes: CellArray<OwnedCounter, { MAX_POOLED_SIZE + 1 }>,
    /// Pooled returns to the natural class, per exact size.
    freed: CellArray<OwnedCounter, { MAX_POOLED_SIZE + 1 }>,
    /// Bytes allocated off the size counters (backing tier, bumped hand-outs, growth by
    /// reallocation).
    bytes_allocated: OwnedCounter,
    /// Bytes freed off the size counters (backing tier, bumped returns, shrinkage by
    /// reallocation); stored with release like `freed`.
    bytes_freed: OwnedCounter,
    slow: SlowCounters,
}

/// Counters of the paths off the pooled fast path, kept in the merged form.
#[cfg(not(loom))]
struct SlowCounters {
    allocations: OwnedCounter,
    deallocations: OwnedCounter,
    pool_misses: OwnedCounter,
    /// Pooled hand-outs counted here rather than in `sizes` (bumped by alignment).
    pooled: OwnedCounter,
    class_out: [OwnedCounter; CLASS_BUCKETS],
    class_in: [OwnedCounter; CLASS_BUCKETS],
    /// Allocations off the size counters, per [`request_bucket`] of their size (the
    /// log2 histogram and the size distribution are derived from these).
    requests: [OwnedCounter; REQUEST_BUCKETS],
    /// Reallocations, per [`request_bucket`] of their new size: the reallocation count
    /// and their part of the histogram and the distribution, from one increment.
    resized: [OwnedCounter; REQUEST_BUCKETS],
}

/// Adds `n` to a counter only this thread writes (see [`OwnedCounter`]).
#[cfg(not(loom))]
#[inline(always)]
fn add(counter: &OwnedCounter, n: u64) {
    counter.add(n);
}

/// The smallest size of the middle range of the size distribution.
const FROM_256: usize = 256;

#[inline(always)]
fn distribution_bucket(size: usize) -> usize {
    (size >= FROM_256) as usize + (size > UP_TO_4K) as usize
}

#[inline(always)]
const fn log2_bucket(size: usize) -> usize {
    // Sizes are never 0 here; `| 1` keeps the arithmetic total anyway.
    (usize::BITS - 1 - (size | 1).leading_zeros()) as usize
}

/// Buckets of [`request_bucket`].
const REQUEST_BUCKETS: usize = LOG2_BUCKETS + 1;

/// The largest size of the middle range of the size distribution.
const UP_TO_4K: usize = 4096;

/// The counter bucket of a request of `size` bytes: its log2 bucket, with the bucket of
/// 4096 split in two (4096 itself, and 4097 up) so that the bucket also fixes the
/// size-distribution range: `log2(size)` for sizes up to 4096, `log2(size) + 1` above.
/// One increment then counts both the histogram and the distribution.
#[inline(always)]
fn request_bucket(size: usize) -> usize {
    log2_bucket(size) + usize::from(size > UP_TO_4K)
}

/// The log2 bucket of the sizes of request bucket `r` (see [`request_bucket`]).
#[cfg_attr(loom, allow(dead_code))]
const fn request_log2(r: usize) -> usize {
    if r > log2_bucket(UP_TO_4K) { r - 1 } else { r }
}

/// The size-distribution range of the sizes of request bucket `r`.
#[cfg_attr(loom, allow(dead_code))]
const fn request_range(r: usize) -> usize {
    // The log2 bucket of 256 starts the middle range; buckets above that of 4096 hold
    // sizes above 4096 (see `request_bucket`).
    (r >= log2_bucket(FROM_256)) as usize + (r > log2_bucket(UP_TO_4K)) as usize
}

#[cfg(not(loom))]
impl Counters {
    pub(crate) const fn new() -> Self {
        Counters {
            sizes: CellArray::new([const { OwnedCounter::new() }; MAX_POOLED_SIZE + 1]),
            freed: CellArray::new([const { OwnedCounter::new() }; MAX_POOLED_SIZE + 1]),
            bytes_allocated: OwnedCounter::new(),
            bytes_freed: OwnedCounter::new(),
            slow: SlowCounters {
                allocations: OwnedCounter::new(),
                deallocations: OwnedCounter::new(),
                pool_misses: OwnedCounter::new(),
                pooled: OwnedCounter::new(),
                class_out: [const { OwnedCounter::new() }; CLASS_BUCKETS],
                class_in: [const { OwnedCounter::new() }; CLASS_BUCKETS],
                requests: [const { OwnedCounter::new() }; REQUEST_BUCKETS],
                resized: [const { OwnedCounter::new() }; REQUEST_BUCKETS],
            },
        }
    }

    /// A pooled block of `size` bytes (at most [`MAX_POOLED_SIZE`]) was handed out from
    /// its natural class (`CLASS_OF_SIZE[size]`): one increment indexed by the size.
    #[inline(always)]
    pub(crate) fn record_pooled_alloc(&self, size: usize) {
        add(self.sizes.at(size), 1);
    }

    /// A pooled block of `size` bytes was handed out from `class`, which need not be
    /// its natural class (an alignment bumped it). Off the fast path.
    pub(crate) fn record_pooled_alloc_in(&self, size: usize, class: usize) {
        if class == usize::from(CLASS_OF_SIZE[size]) {
            return self.record_pooled_alloc(size);
        }
        add(&self.slow.allocations, 1);
        add(&self.slow.pooled, 1);
        add(&self.bytes_allocated, size as u64);
        add(&self.slow.class_out[class], 1);
        self.record_request(size);
    }

    /// A pooled block of `size` bytes (at most [`MAX_POOLED_SIZE`]) came back to its
    /// natural class: one increment indexed by the size, stored with release so a
    /// reader that sees it also sees the allocation counted before it.
    #[inline(always)]
    pub(crate) fn record_pooled_free(&self, size: usize) {
        self.freed.at(size).add_publishing(1);
    }

    /// A pooled block of `size` bytes came back to `class`, which need not be its
    /// natural class. Off the fast path.
    pub(crate) fn record_pooled_free_in(&self, size: usize, class: usize) {
        if class == usize::from(CLASS_OF_SIZE[size]) {
            return self.record_pooled_free(size);
        }
        self.record_free(size, class);
    }

    /// A block of `size` bytes (at most [`MAX_POOLED_SIZE`], an alignment its size's
    /// natural class has) was handed out by the backing tier (pooling off): counted in
    /// the size counters like a pooled hand-out, which gives the same count, bytes,
    /// class, histogram and distribution, with `pooled` corrected down by one so it
    /// is no pool hit (`pooled` is only ever read in sums, so it may wrap).
    #[inline(always)]
    pub(crate) fn record_passthrough_alloc(&self, size: usize) {
        add(self.sizes.at(size), 1);
        add(&self.slow.pooled, u64::MAX);
    }

    /// A block of `size` bytes (statistics bucket `class`) was handed out by the
    /// backing tier.
    #[inline(always)]
    pub(crate) fn record_alloc(&self, size: usize, class: usize) {
        add(&self.slow.allocations, 1);
        add(&self.bytes_allocated, size as u64);
        add(&self.slow.class_out[class], 1);
        self.record_request(size);
    }

    /// A block of `size` bytes (statistics bucket `class`) came back off the size
    /// counters (backing tier, or a pooled block of a class its size does not pick).
    #[inline(always)]
    pub(crate) fn record_free(&self, size: usize, class: usize) {
        add(&self.slow.deallocations, 1);
        add(&self.slow.class_in[class], 1);
        self.bytes_freed.add_publishing(size as u64);
    }

    #[inline(always)]
    fn record_request(&self, size: usize) {
        add(&self.slow.requests[request_bucket(size)], 1);
    }

    /// A block changed size from `old` to `new` bytes (and bucket, if it changed class).
    #[inline(always)]
    pub(crate) fn record_realloc(
        &self,
        old: usize,
        new: usize,
        old_class: usize,
        new_class: usize,
    ) {
        self.record_resize(
            new,
            (old_class != new_class).then_some((old_class, new_class)),
        );
        if new >= old {
            self.record_grown(new - old);
        } else {
            self.record_shrunk(old - new);
        }
    }

    /// A block was resized to `new` bytes, and moved from bucket `.0` to `.1` if
    /// `buckets` is not `None` (the caller knows whether the bucket changed). The bytes
    /// are counted by [`record_grown`](Self::record_grown) or
    /// [`record_shrunk`](Self::record_shrunk).
    #[inline(always)]
    pub(crate) fn record_resize(&self, new: usize, buckets: Option<(usize, usize)>) {
        add(&self.slow.resized[request_bucket(new)], 1);
        if let Some((old_class, new_class)) = buckets {
            add(&self.slow.class_in[old_class], 1);
            add(&self.slow.class_out[new_class], 1);
        }
    }

    /// A pooled block was moved from class `old_class` to another class, `new_class`,
    /// of `new` bytes (at most [`MAX_POOLED_SIZE`]); bytes as in
    /// [`record_resize`](Self::record_resize).
    #[inline(always)]
    pub(crate) fn record_resize_pooled(&self, new: usize, old_class: usize, new_class: usize) {
        debug_assert!(new <= MAX_POOLED_SIZE && old_class != new_class);
        // `request_bucket` without its test: the size is at most 4096.
        add(&self.slow.resized[log2_bucket(new)], 1);
        add(&self.slow.class_in[old_class], 1);
        add(&self.slow.class_out[new_class], 1);
    }

    /// A reallocation grew a block by `bytes`.
    #[inline(always)]
    pub(crate) fn record_grown(&self, bytes: usize) {
        add(&self.bytes_allocated, bytes as u64);
    }

    /// A reallocation shrank a block by `bytes` (stored with release, like the frees).
    #[inline(always)]
    pub(crate) fn record_shrunk(&self, bytes: usize) {
        self.bytes_freed.add_publishing(bytes as u64);
    }

    #[inline(always)]
    pub(crate) fn record_pool_miss(&self) {
        add(&self.slow.pool_misses, 1);
    }

    /// The counters in merged form, with everything derivable derived.
    pub(crate) fn load(&self) -> Counts {
        // Frees first, with acquire: every allocation counted before a free seen here is
        // seen below, so a thread's own memory never reads as freed but not allocated.
        let slow = &self.slow;
        let mut deallocations = slow.deallocations.get_acquire();
        let mut bytes_freed = self.bytes_freed.get_acquire();
        let mut class_in = [0u64; CLASS_BUCKETS];
        for (size, n) in self
            .freed
            .as_slice()
            .iter()
            .map(OwnedCounter::get_acquire)
            .enumerate()
        {
            if n != 0 {
                deallocations = deallocations.wrapping_add(n);
                bytes_freed = bytes_freed.wrapping_add(n.wrapping_mul(size as u64));
                let class = usize::from(CLASS_OF_SIZE[size]);
                class_in[class] = class_in[class].wrapping_add(n);
            }
        }
        let mut counts = Counts {
            allocations: slow.allocations.get(),
            deallocations,
            bytes_freed,
            bytes_allocated: self.bytes_allocated.get(),
            pool_misses: slow.pool_misses.get(),
            ..Counts::default()
        };
        // No `Vec` here: reading must not allocate through the allocator being read.
        let copy = |dst: &mut [u64], src: &[OwnedCounter]| {
            for (d, s) in dst.iter_mut().zip(src) {
                *d = s.get();
            }
        };
        copy(&mut counts.class_out, &slow.class_out);
        copy(&mut counts.class_in, &slow.class_in);
        for (r, (requests, resized)) in slow.requests.iter().zip(&slow.resized).enumerate() {
            let (requests, resized) = (requests.get(), resized.get());
            counts.reallocations = counts.reallocations.wrapping_add(resized);
            let n = requests.wrapping_add(resized);
            counts.log2[request_log2(r)] = counts.log2[request_log2(r)].wrapping_add(n);
            let range = request_range(r);
            counts.distribution[range] = counts.distribution[range].wrapping_add(n);
        }
        let mut pooled = slow.pooled.get();
        for (size, n) in self
            .sizes
            .as_slice()
            .iter()
            .map(OwnedCounter::get)
            .enumerate()
        {
            if n == 0 {
                continue;
            }
            pooled = pooled.wrapping_add(n);
            counts.bytes_allocated = counts
                .bytes_allocated
                .wrapping_add(n.wrapping_mul(size as u64));
            let class = usize::from(CLASS_OF_SIZE[size]);
            counts.class_out[class] = counts.class_out[class].wrapping_add(n);
            let bucket = log2_bucket(size);
            counts.log2[bucket] = counts.log2[bucket].wrapping_add(n);
            let range = distribution_bucket(size);
            counts.distribution[range] = counts.distribution[range].wrapping_add(n);
        }
        for (d, n) in counts.class_in.iter_mut().zip(class_in) {
            *d = d.wrapping_add(n);
        }
        counts.allocations = counts
            .allocations
            .wrapping_add(pooled.wrapping_sub(slow.pooled.get()));
        counts.pool_hits = pooled.wrapping_sub(counts.pool_misses);
        counts
    }
}
/// A plain copy of one or more threads' counters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Counts {
    pub(crate) allocations: u64,
    pub(crate) deallocations: u64,
    pub(crate) reallocations: u64,
    pub(crate) bytes_allocated: u64,
    pub(crate) bytes_freed: u64,
    pub(crate) pool_hits: u64,
    pub(crate) pool_misses: u64,
    pub(crate) class_out: [u64; CLASS_BUCKETS],
    pub(crate) class_in: [u64; CLASS_BUCKETS],
    pub(crate) distribution: [u64; 3],
    pub(crate) log2: [u64; LOG2_BUCKETS],
}

impl Default for Counts {
    fn default() -> Self {
        Counts {
            allocations: 0,
            deallocations: 0,
            reallocations: 0,
            bytes_allocated: 0,
            bytes_freed: 0,
            pool_hits: 0,
            pool_misses: 0,
            class_out: [0; CLASS_BUCKETS],
            class_in: [0; CLASS_BUCKETS],
            distribution: [0; 3],
            log2: [0; LOG2_BUCKETS],
        }
    }
}

impl Counts {
    /// Applies `op` to every counter pair.
    fn zip(mut self, other: &Counts, op: fn(u64, u64) -> u64) -> Counts {
        self.allocations = op(self.allocations, other.allocations);
        self.deallocations = op(self.deallocations, other.deallocations);
        self.reallocations = op(self.reallocations, other.reallocations);
        self.bytes_allocated = op(self.bytes_allocated, other.bytes_allocated);
        self.bytes_freed = op(self.bytes_freed, other.bytes_freed);
        self.pool_hits = op(self.pool_hits, other.pool_hits);
        self.pool_misses = op(self.pool_misses, other.pool_misses);
        let arrays = [
            (&mut self.class_out[..], &other.class_out[..]),
            (&mut self.class_in[..], &other.class_in[..]),
            (&mut self.distribution[..], &other.distribution[..]),
            (&mut self.log2[..], &other.log2[..]),
        ];
        for (mine, theirs) in arrays {
            for (a, b) in mine.iter_mut().zip(theirs) {
                *a = op(*a, *b);
            }
        }
        self
    }

    pub(crate) fn plus(self, other: &Counts) -> Counts {
        self.zip(other, u64::wrapping_add)
    }

    pub(crate) fn minus(self, earlier: &Counts) -> Counts {
        self.zip(earlier, u64::wrapping_sub)
    }

    fn by_class(&self) -> [ClassCounts; CLASS_BUCKETS] {
        std::array::from_fn(|i| ClassCounts {
            size: SIZE_CLASSES.get(i).copied(),
            allocated: self.class_out[i],
            freed: self.class_in[i],
        })
    }

    fn distribution(&self) -> SizeDistribution {
        SizeDistribution {
            below_256: self.distribution[0],
            up_to_4k: self.distribution[1],
            above_4k: self.distribution[2],
        }
    }
}

/// How many blocks of one size class were handed out and returned.
///
/// A reallocation that moves a block to another class counts as a return to the old
/// class and a hand-out from the new one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct ClassCounts {
    /// The class's block size; `None` for the bucket of requests above 4 KiB (or more
    /// aligned than any class).
    pub size: Option<usize>,
    /// Blocks of this class handed out.
    pub allocated: u64,
    /// Blocks of this class returned.
    pub freed: u64,
}

impl ClassCounts {
    /// Blocks of this class currently live (may be negative inside a region that frees
    /// blocks allocated before it).
    pub fn live(&self) -> i64 {
        self.allocated.wrapping_sub(self.freed) as i64
    }
}

/// Requests by size: below 256 bytes, 256 bytes up to 4 KiB, above 4 KiB.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct SizeDistribution {
    /// Requests of fewer than 256 bytes.
    pub below_256: u64,
    /// Requests of 256 to 4096 bytes.
    pub up_to_4k: u64,
    /// Requests of more than 4096 bytes.
    pub above_4k: u64,
}

/// Requests by power of two: `buckets[k]` counts sizes in `[2^k, 2^(k+1))`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Log2Histogram {
    /// The counts, indexed by `floor(log2(size))`.
    pub buckets: [u64; LOG2_BUCKETS],
}

impl Log2Histogram {
    /// The bucket a request of `size` bytes lands in.
    ///
    /// ```
    /// use evm_pool_runtime::Log2Histogram;
    /// assert_eq!(Log2Histogram::bucket_of(32), 5);
    /// assert_eq!(Log2Histogram::bucket_of(33), 5);
    /// assert_eq!(Log2Histogram::bucket_of(64), 6);
    /// ```
    pub fn bucket_of(size: usize) -> usize {
        log2_bucket(size)
    }

    /// Non-empty buckets as `(lowest size, count)`.
    pub fn non_empty(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.buckets
            .iter()
            .enumerate()
            .filter(|(_, count)| **count > 0)
            .map(|(k, count)| (1u64 << k, *count))
    }

    /// Total requests counted.
    pub fn total(&self) -> u64 {
        self.buckets.iter().sum()
    }
}

impl fmt::Display for Log2Histogram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for (low, count) in self.non_empty() {
            if !first {
                f.write_str(", ")?;
            }
            first = false;
            write!(f, "[{}, {}) {count}", ByteSize(low), ByteSize(low * 2))?;
        }
        if first {
            f.write_str("empty")?;
        }
        Ok(())
    }
}

/// A snapshot of everything an [`EvmAllocator`](super::EvmAllocator) counted, summed
/// over all threads (see [`EvmAllocator::stats`](super::EvmAllocator::stats)).
///
/// Counts and bytes are exact. `current_bytes` is exact whenever no other thread is
/// allocating while the snapshot is taken. `peak_bytes` is exact for a single thread,
/// and across threads when the allocator's
/// [`peak_granularity`](super::AllocatorConfig::peak_granularity) is 0; otherwise it is
/// within that many bytes per thread.
///
/// Reallocations are counted apart from allocations: a growth adds the difference to
/// `bytes_allocated`, a shrink adds it to `bytes_freed`, and the new size is counted in
/// the size distribution and histogram.
#[derive(Clone, Debug, PartialEq)]
pub struct AllocationStatistics {
    /// Blocks handed out by `alloc`/`allocate` (not counting reallocations).
    pub allocations: u64,
    /// Blocks returned.
    pub deallocations: u64,
    /// Blocks resized (in place or moved).
    pub reallocations: u64,
    /// Bytes handed out, including growth by reallocation.
    pub bytes_allocated: u64,
    /// Bytes returned, including shrinkage by reallocation.
    pub bytes_freed: u64,
    /// Bytes live now: `bytes_allocated - bytes_freed`.
    pub current_bytes: u64,
    /// Most bytes live at once since the allocator started.
    pub peak_bytes: u64,
    /// Requests by size band.
    pub distribution: SizeDistribution,
    /// Requests by power of two.
    pub histogram: Log2Histogram,
    /// Hand-outs and returns per size class; the last entry is for requests above 4 KiB.
    pub by_class: [ClassCounts; CLASS_BUCKETS],
    /// Pooled requests served from a free list.
    pub pool_hits: u64,
    /// Pooled requests that carved a fresh block.
    pub pool_misses: u64,
    /// Bytes the pooling tier holds from the backing allocator.
    pub pool_bytes_held: u64,
    /// Bytes of pooled blocks in use (block sizes, not request sizes).
    pub pool_bytes_in_use: u64,
    /// Bytes held by arenas folded in with [`with_arena`](Self::with_arena).
    pub arena_bytes_held: u64,
    /// Bytes used in arenas folded in with [`with_arena`](Self::with_arena).
    pub arena_bytes_used: u64,
    /// Threads that have used the allocator (caches created).
    pub thread_caches: usize,
    /// Time since the allocator's first allocation.
    pub elapsed: Duration,
    /// When the snapshot was taken.
    pub taken_at: Instant,
}

impl AllocationStatistics {
    pub(crate) fn from_counts(counts: &Counts, taken_at: Instant) -> Self {
        let pool_bytes_in_use = (0..NUM_CLASSES)
            .map(|c| {
                (counts.class_out[c].wrapping_sub(counts.class_in[c]))
                    .wrapping_mul(SIZE_CLASSES[c] as u64)
            })
            .fold(0u64, u64::wrapping_add);
        let current = counts.bytes_allocated.wrapping_sub(counts.bytes_freed);
        AllocationStatistics {
            allocations: counts.allocations,
            deallocations: counts.deallocations,
            reallocations: counts.reallocations,
            bytes_allocated: counts.bytes_allocated,
            bytes_freed: counts.bytes_freed,
            current_bytes: current,
            peak_bytes: current,
            distribution: counts.distribution(),
            histogram: Log2Histogram {
                buckets: counts.log2,
            },
            by_class: counts.by_class(),
            pool_hits: counts.pool_hits,
            pool_misses: counts.pool_misses,
            pool_bytes_held: 0,
            pool_bytes_in_use,
            arena_bytes_held: 0,
            arena_bytes_used: 0,
            thread_caches: 0,
            elapsed: Duration::ZERO,
            taken_at,
        }
    }

    /// Allocations per second since the allocator's first allocation.
    pub fn allocation_rate(&self) -> f64 {
        per_second(self.allocations, self.elapsed)
    }

    /// Allocations per second in the window between `earlier` and this snapshot.
    ///
    /// ```
    /// use evm_pool_runtime::EvmAllocator;
    /// use allocator_api2::vec::Vec;
    ///
    /// let alloc = EvmAllocator::new(std::alloc::System);
    /// let before = alloc.stats();
    /// for _ in 0..10 {
    ///     let _v: Vec<u8, _> = Vec::with_capacity_in(32, &alloc);
    /// }
    /// let after = alloc.stats();
    /// assert_eq!(after.allocations - before.allocations, 10);
    /// assert!(after.allocation_rate_since(&before) > 0.0);
    /// ```
    pub fn allocation_rate_since(&self, earlier: &AllocationStatistics) -> f64 {
        per_second(
            self.allocations.saturating_sub(earlier.allocations),
            self.taken_at.saturating_duration_since(earlier.taken_at),
        )
    }

    /// Share of requests served from a free list rather than carved fresh (`0..=1`; 0
    /// when nothing was pooled).
    pub fn pool_hit_rate(&self) -> f64 {
        ratio(self.pool_hits, self.pool_hits + self.pool_misses)
    }

    /// Share of the arenas' held bytes in use (`0..=1`), `None` when no arena was folded in.
    pub fn arena_utilization(&self) -> Option<f64> {
        (self.arena_bytes_held > 0).then(|| ratio(self.arena_bytes_used, self.arena_bytes_held))
    }

    /// Mean bytes per allocation (`bytes_allocated / allocations`, growth by realloc
    /// included).
    pub fn mean_allocation_size(&self) -> f64 {
        ratio(self.bytes_allocated, self.allocations)
    }

    /// Share of the bytes held by pools and arenas that is not in use (`0..=1`): 0 means
    /// every held byte is live.
    pub fn fragmentation(&self) -> f64 {
        let held = self.pool_bytes_held + self.arena_bytes_held;
        let used = self.pool_bytes_in_use.min(self.pool_bytes_held)
            + self.arena_bytes_used.min(self.arena_bytes_held);
        ratio(held - used, held)
    }

    /// Folds an arena's byte counts into the fragmentation and efficiency figures.
    ///
    /// ```
    /// use evm_pool_runtime::{EvmAllocator, TxArena};
    ///
    /// let alloc = EvmAllocator::new(std::alloc::System);
    /// let arena = TxArena::with_chunk_size(4096);
    /// arena.alloc_slice_copy(&[0u8; 1024]);
    /// let stats = alloc.stats().with_arena(&arena.stats());
    /// assert_eq!(stats.arena_bytes_used, 1024);
    /// assert_eq!(stats.arena_utilization(), Some(0.25));
    /// ```
    pub fn with_arena(mut self, arena: &crate::ArenaStats) -> Self {
        self.arena_bytes_held += arena.bytes_held;
        self.arena_bytes_used += arena.bytes_used;
        self
    }
}

fn per_second(count: u64, over: Duration) -> f64 {
    let secs = over.as_secs_f64();
    if secs > 0.0 { count as f64 / secs } else { 0.0 }
}

fn ratio(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

fn write_classes(f: &mut fmt::Formatter<'_>, by_class: &[ClassCounts]) -> fmt::Result {
    f.write_str("by class:")?;
    let mut any = false;
    for class in by_class.iter().filter(|c| c.allocated > 0 || c.freed > 0) {
        any = true;
        match class.size {
            Some(size) => write!(f, " {size}B")?,
            None => f.write_str(" >4KiB")?,
        }
        write!(f, " {}/{}", class.allocated, class.freed)?;
    }
    if !any {
        f.write_str(" none")?;
    }
    f.write_str(" (allocated/freed)")
}

impl fmt::Display for AllocationStatistics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "allocations {}, deallocations {}, reallocations {}; {} allocated, {} freed",
            self.allocations,
            self.deallocations,
            self.reallocations,
            ByteSize(self.bytes_allocated),
            ByteSize(self.bytes_freed)
        )?;
        writeln!(
            f,
            "live {}, peak {}; {:.0} allocations/s over {:.3} s; mean allocation {:.1} B",
            ByteSize(self.current_bytes),
            ByteSize(self.peak_bytes),
            self.allocation_rate(),
            self.elapsed.as_secs_f64(),
            self.mean_allocation_size()
        )?;
        writeln!(
            f,
            "sizes: <256 B {}, 256 B..=4 KiB {}, >4 KiB {}",
            self.distribution.below_256, self.distribution.up_to_4k, self.distribution.above_4k
        )?;
        writeln!(f, "log2 histogram: {}", self.histogram)?;
        writeln!(
            f,
            "pool: hit rate {:.1}% ({} hits, {} misses), {} held, {} in use; fragmentation {:.1}%; {} thread caches",
            self.pool_hit_rate() * 100.0,
            self.pool_hits,
            self.pool_misses,
            ByteSize(self.pool_bytes_held),
            ByteSize(self.pool_bytes_in_use),
            self.fragmentation() * 100.0,
            self.thread_caches
        )?;
        if let Some(utilization) = self.arena_utilization() {
            writeln!(
                f,
                "arena: {} used of {} held ({:.1}%)",
                ByteSize(self.arena_bytes_used),
                ByteSize(self.arena_bytes_held),
                utilization * 100.0
            )?;
        }
        write_classes(f, &self.by_class)
    }
}

/// What one thread allocated inside a [`Region`](super::Region): counts, bytes, the
/// peak reached inside it, and the same per-class numbers as [`AllocationStatistics`].
///
/// `net_bytes` is bytes allocated minus bytes freed in the region; it is negative when
/// the region frees more memory (allocated before it) than it allocates. `peak_bytes`
/// is the highest value `net_bytes` reached, counting from 0 at the start: memory
/// allocated before the region and freed inside it lowers the running total, it never
/// inflates the peak or wraps it.
#[derive(Clone, Debug, PartialEq)]
pub struct RegionStats {
    /// Blocks handed out in the region.
    pub allocations: u64,
    /// Blocks returned in the region.
    pub deallocations: u64,
    /// Blocks resized in the region.
    pub reallocations: u64,
    /// Bytes handed out in the region, including growth by reallocation.
    pub bytes_allocated: u64,
    /// Bytes returned in the region, including shrinkage by reallocation.
    pub bytes_freed: u64,
    /// `bytes_allocated - bytes_freed`.
    pub net_bytes: i64,
    /// Highest `net_bytes` reached inside the region (at least 0).
    pub peak_bytes: u64,
    /// Requests by size band.
    pub distribution: SizeDistribution,
    /// Requests by power of two.
    pub histogram: Log2Histogram,
    /// Hand-outs and returns per size class; the last entry is for requests above 4 KiB.
    pub by_class: [ClassCounts; CLASS_BUCKETS],
    /// Pooled requests served from a free list.
    pub pool_hits: u64,
    /// Pooled requests that carved a fresh block.
    pub pool_misses: u64,
    /// Time since the region began.
    pub elapsed: Duration,
}

impl RegionStats {
    pub(crate) fn from_counts(counts: &Counts, peak: u64, elapsed: Duration) -> Self {
        RegionStats {
            allocations: counts.allocations,
            deallocations: counts.deallocations,
            reallocations: counts.reallocations,
            bytes_allocated: counts.bytes_allocated,
            bytes_freed: counts.bytes_freed,
            net_bytes: counts.bytes_allocated.wrapping_sub(counts.bytes_freed) as i64,
            peak_bytes: peak,
            distribution: counts.distribution(),
            histogram: Log2Histogram {
                buckets: counts.log2,
            },
            by_class: counts.by_class(),
            pool_hits: counts.pool_hits,
            pool_misses: counts.pool_misses,
            elapsed,
        }
    }

    /// Allocations per second over the region so far.
    pub fn allocation_rate(&self) -> f64 {
        per_second(self.allocations, self.elapsed)
    }

    /// The counts of the class that serves `size`-byte requests (with alignment 1), or
    /// of the above-4-KiB bucket.
    ///
    /// ```
    /// use evm_pool_runtime::EvmAllocator;
    /// use allocator_api2::boxed::Box;
    ///
    /// let alloc = EvmAllocator::new(std::alloc::System);
    /// let region = alloc.region();
    /// let address = Box::new_in([0u8; 20], &alloc);
    /// let words = Box::new_in([[0u8; 32]; 2], &alloc);
    /// let stats = region.stats();
    /// assert_eq!(stats.class(20).allocated, 1);
    /// assert_eq!(stats.class(64).allocated, 1);
    /// assert_eq!(stats.peak_bytes, 84);
    /// # drop((address, words));
    /// ```
    pub fn class(&self, size: usize) -> ClassCounts {
        let layout = std::alloc::Layout::from_size_align(size.max(1), 1)
            .unwrap_or(std::alloc::Layout::new::<u8>());
        match super::size_class::class_for(layout) {
            Some(c) if size > 0 => self.by_class[c],
            Some(_) => self.by_class[0],
            None => self.by_class[LARGE_CLASS],
        }
    }
}

impl fmt::Display for RegionStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "region: allocations {}, deallocations {}, reallocations {}; {} allocated, {} freed, net {} B, peak {}",
            self.allocations,
            self.deallocations,
            self.reallocations,
            ByteSize(self.bytes_allocated),
            ByteSize(self.bytes_freed),
            self.net_bytes,
            ByteSize(self.peak_bytes)
        )?;
        writeln!(
            f,
            "sizes: <256 B {}, 256 B..=4 KiB {}, >4 KiB {}; pool hits {}, misses {}",
            self.distribution.below_256,
            self.distribution.up_to_4k,
            self.distribution.above_4k,
            self.pool_hits,
            self.pool_misses
        )?;
        write_classes(f, &self.by_class)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::alloc::size_class::first_class_fitting;

    #[test]
    fn counters_record_and_merge_exactly() {
        let a = Counters::new();
        a.record_pooled_alloc(20);
        a.record_pooled_alloc_in(20, 2); // 20's natural class: the size counter
        a.record_pool_miss();
        a.record_alloc(5000, LARGE_CLASS);
        a.record_pooled_free(20);
        a.record_realloc(5000, 100, LARGE_CLASS, 6);
        let c = a.load();
        assert_eq!(c.bytes_allocated - c.bytes_freed, 120);
        assert_eq!((c.allocations, c.deallocations, c.reallocations), (3, 1, 1));
        assert_eq!(c.bytes_allocated, 5040);
        assert_eq!(c.bytes_freed, 20 + 4900);
        assert_eq!(c.distribution, [3, 0, 1]);
        assert_eq!(c.log2[4], 2); // 20, 20
        assert_eq!(c.log2[12], 1); // 5000
        assert_eq!(c.log2[6], 1); // 100
        assert_eq!((c.pool_hits, c.pool_misses), (1, 1));
        assert_eq!((c.class_out[2], c.class_in[2]), (2, 1));
        assert_eq!((c.class_out[LARGE_CLASS], c.class_in[LARGE_CLASS]), (1, 1));
        assert_eq!(c.class_out[6], 1);
        let twice = c.plus(&c);
        assert_eq!(twice.allocations, 6);
        assert_eq!(twice.minus(&c), c);

        let stats = AllocationStatistics::from_counts(&c, Instant::now());
        assert_eq!(stats.current_bytes, 120);
        assert_eq!(stats.pool_bytes_in_use, 20 + 96); // live blocks of classes 20 and 96
        assert_eq!(stats.histogram.total(), 4);
        assert_eq!(stats.pool_hit_rate(), 0.5);
        assert_eq!(stats.mean_allocation_size(), 1680.0);
        let text = stats.to_string();
        assert!(
            text.contains("allocations 3, deallocations 1, reallocations 1"),
            "{text}"
        );
        assert!(text.contains("20B 2/1"), "{text}");
        assert!(text.contains(">4KiB 1/1"), "{text}");
    }

    /// Hand-outs and returns bumped to another class by alignment count in the merged
    /// form, under the class that served them.
    #[test]
    fn request_buckets_keep_histogram_and_distribution_exact_at_the_edges() {
        let sizes = [
            1,
            127,
            128,
            255,
            256,
            511,
            4095,
            4096,
            4097,
            8191,
            8192,
            1 << 40,
        ];
        let c = Counters::new();
        for &size in &sizes {
            c.record_alloc(size, LARGE_CLASS);
            c.record_realloc(size + 1, size, LARGE_CLASS, LARGE_CLASS);
        }
        let counts = c.load();
        assert_eq!(counts.reallocations, sizes.len() as u64);
        let mut log2 = [0u64; LOG2_BUCKETS];
        let mut distribution = [0u64; 3];
        for &size in &sizes {
            log2[log2_bucket(size)] += 2;
            distribution[distribution_bucket(size)] += 2;
        }
        assert_eq!(counts.log2, log2);
        assert_eq!(counts.distribution, distribution);
        assert_eq!(distribution, [8, 8, 8]);
        assert_eq!((log2[12], log2[13]), (6, 2)); // 4096, 4097 and 8191; 8192
    }

    #[test]
    fn bumped_hand_outs_count_under_their_class() {
        let a = Counters::new();
        assert_eq!(CLASS_OF_SIZE[20], 2);
        a.record_pooled_alloc_in(20, 3);
        a.record_pooled_free_in(20, 3);
        let c = a.load();
        assert_eq!((c.allocations, c.deallocations), (1, 1));
        assert_eq!((c.bytes_allocated, c.bytes_freed), (20, 20));
        assert_eq!((c.class_out[3], c.class_in[3]), (1, 1));
        assert_eq!((c.class_out[2], c.class_in[2]), (0, 0));
        assert_eq!((c.log2[4], c.distribution[0], c.pool_hits), (1, 1, 1));
    }

    /// The size counters' derived figures agree with direct counting for every pooled
    /// size: class, log2 bucket and the `< 256` / `256..=4096` split.
    #[test]
    fn sizes_derive_class_histogram_and_distribution_exactly() {
        // Each size builds and reads 8194 counters: under Miri a sample (plus the band
        // edges below) keeps this to seconds; the native run covers every size.
        let step = if cfg!(miri) { 397 } else { 1 };
        for size in (1..=MAX_POOLED_SIZE)
            .step_by(step)
            .chain([255, 256, 4095, 4096])
        {
            let a = Counters::new();
            a.record_pooled_alloc(size);
            a.record_pooled_free(size);
            let c = a.load();
            assert_eq!(c.class_in[first_class_fitting(size)], 1, "size {size}");
            assert_eq!((c.deallocations, c.bytes_freed), (1, size as u64));
            let class = first_class_fitting(size);
            assert_eq!(c.class_out[class], 1, "size {size}");
            assert_eq!(c.log2[log2_bucket(size)], 1, "size {size}");
            assert_eq!(c.distribution[distribution_bucket(size)], 1, "size {size}");
            assert_eq!((c.allocations, c.bytes_allocated), (1, size as u64));
        }
    }

    #[test]
    fn buckets() {
        assert_eq!(distribution_bucket(255), 0);
        assert_eq!(distribution_bucket(256), 1);
        assert_eq!(distribution_bucket(4096), 1);
        assert_eq!(distribution_bucket(4097), 2);
        assert_eq!(log2_bucket(1), 0);
        assert_eq!(log2_bucket(4095), 11);
        assert_eq!(log2_bucket(4096), 12);
        assert_eq!(log2_bucket(usize::MAX), 63);
    }

    #[test]
    fn fragmentation_counts_pools_and_arenas() {
        let mut stats = AllocationStatistics::from_counts(&Counts::default(), Instant::now());
        assert_eq!(stats.fragmentation(), 0.0);
        stats.pool_bytes_held = 1000;
        stats.pool_bytes_in_use = 250;
        assert_eq!(stats.fragmentation(), 0.75);
        stats.arena_bytes_held = 1000;
        stats.arena_bytes_used = 750;
        assert_eq!(stats.fragmentation(), 0.5);
        assert_eq!(stats.arena_utilization(), Some(0.75));
    }
}
