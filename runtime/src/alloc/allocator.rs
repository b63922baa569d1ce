//! [`EvmAllocator`] and [`Region`]: the public face of the allocator over its raw core.

use super::raw::RawState;
use super::stats::Counts;
use super::{AllocationStatistics, AllocatorConfig, RegionStats};
use crate::pool::ConfigError;
use allocator_api2::alloc::{AllocError, Allocator};
use std::alloc::{GlobalAlloc, Layout, System};
use std::fmt;
use std::marker::PhantomData;
use std::ptr::{self, NonNull};
use std::time::Instant;

/// The EVM allocator: size-class pooling and exact statistics over a backing allocator
/// `A`.
///
/// `STATS` (default `true`) compiles statistics in; with `false` nothing is counted and
/// [`stats`](Self::stats)/[`region`](Self::region) do not exist. With `true`,
/// [`AllocatorConfig::statistics`] still switches counting off at run time.
///
/// ```
/// use evm_pool_runtime::{AllocatorConfig, EvmAllocator};
/// use allocator_api2::{boxed::Box, vec::Vec};
/// use std::alloc::System;
///
/// let alloc = EvmAllocator::new(System);
/// let word = Box::new_in([0u8; 32], &alloc);
/// let mut stack: Vec<[u8; 32], _> = Vec::with_capacity_in(16, &alloc);
/// stack.push(*word);
/// drop(word);
/// let stats = alloc.stats();
/// assert_eq!((stats.allocations, stats.deallocations), (2, 1));
/// assert_eq!(stats.current_bytes, 16 * 32);
/// assert_eq!(stats.peak_bytes, 32 + 16 * 32);
///
/// // Statistics compiled out: same allocator, no counting code.
/// let lean: EvmAllocator<System, false> = EvmAllocator::new(System);
/// let v: Vec<u8, _> = Vec::with_capacity_in(100, &lean);
/// # drop(v);
/// ```
pub struct EvmAllocator<A: GlobalAlloc = System, const STATS: bool = true> {
    backing: A,
    config: AllocatorConfig,
    raw: RawState,
}

impl<A: GlobalAlloc, const STATS: bool> EvmAllocator<A, STATS> {
    /// An allocator over `backing` with [`AllocatorConfig::optimized`]. `const`, for a
    /// `static`:
    ///
    /// ```
    /// use evm_pool_runtime::EvmAllocator;
    /// use std::alloc::System;
    ///
    /// static ALLOC: EvmAllocator = EvmAllocator::new(System);
    /// let v = allocator_api2::vec::Vec::<u64, _>::with_capacity_in(4, &ALLOC);
    /// assert_eq!(ALLOC.stats().current_bytes, 32);
    /// # drop(v);
    /// ```
    pub const fn new(backing: A) -> Self {
        Self::with_config(backing, AllocatorConfig::optimized())
    }

    /// An allocator over `backing` with `config`. `const`, for a `static`.
    ///
    /// # Panics
    ///
    /// If `config` does not [`validate`](AllocatorConfig::validate). In a `static` that
    /// is a compile error; for configurations built at run time use
    /// [`try_with_config`](Self::try_with_config).
    ///
    /// ```
    /// use evm_pool_runtime::{AllocatorConfig, EvmAllocator};
    /// use std::alloc::System;
    ///
    /// static PLAIN: EvmAllocator = EvmAllocator::with_config(System, AllocatorConfig::minimal());
    /// assert!(!PLAIN.config().size_class_pooling);
    /// ```
    pub const fn with_config(backing: A, config: AllocatorConfig) -> Self {
        if config.problem().is_some() {
            panic!("invalid AllocatorConfig: see AllocatorConfig::validate");
        }
        EvmAllocator {
            backing,
            config,
            raw: RawState::new(config.peak_granularity),
        }
    }

    /// An allocator over `backing` with `config`, or the reason `config` is invalid.
    ///
    /// ```
    /// use evm_pool_runtime::{AllocatorConfig, ConfigError, EvmAllocator};
    /// use std::alloc::System;
    ///
    /// let mut config = AllocatorConfig::optimized();
    /// config.pool_chunk_bytes = 100;
    /// let result = EvmAllocator::<System>::try_with_config(System, config);
    /// assert!(matches!(result, Err(ConfigError::Invalid { name: "pool_chunk_bytes", .. })));
    /// ```
    pub fn try_with_config(backing: A, config: AllocatorConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        Ok(Self::with_config(backing, config))
    }

    /// The configuration.
    ///
    /// ```
    /// use evm_pool_runtime::{AllocatorConfig, EvmAllocator};
    ///
    /// let alloc: EvmAllocator = EvmAllocator::new(std::alloc::System);
    /// assert_eq!(alloc.config(), &AllocatorConfig::optimized());
    /// ```
    pub const fn config(&self) -> &AllocatorConfig {
        &self.config
    }

    /// The backing allocator.
    ///
    /// ```
    /// use std::alloc::System;
    ///
    /// let alloc: evm_pool_runtime::EvmAllocator = evm_pool_runtime::EvmAllocator::new(System);
    /// let _system: &System = alloc.backing();
    /// ```
    pub const fn backing(&self) -> &A {
        &self.backing
    }
}

impl<A: GlobalAlloc> EvmAllocator<A, true> {
    /// Everything counted so far, summed over all threads.
    ///
    /// Counts and bytes are exact; see [`AllocationStatistics`] for the peak.
    ///
    /// ```
    /// use evm_pool_runtime::EvmAllocator;
    /// use allocator_api2::vec::Vec;
    ///
    /// let alloc = EvmAllocator::new(std::alloc::System);
    /// let mut v: Vec<u8, _> = Vec::new_in(&alloc);
    /// v.reserve_exact(100);
    /// v.reserve_exact(200); // a reallocation
    /// let stats = alloc.stats();
    /// assert_eq!((stats.allocations, stats.reallocations), (1, 1));
    /// assert_eq!(stats.current_bytes, 200);
    /// println!("{stats}");
    /// ```
    pub fn stats(&self) -> AllocationStatistics {
        let now = Instant::now();
        let (counts, peak, chunk_bytes, caches) = self.raw.snapshot(&self.backing);
        let mut stats = AllocationStatistics::from_counts(&counts, now);
        stats.peak_bytes = peak;
        stats.pool_bytes_held = chunk_bytes;
        stats.thread_caches = caches;
        stats.elapsed = self
            .raw
            .started()
            .map(|t| now.saturating_duration_since(t))
            .unwrap_or_default();
        stats
    }

    /// Starts measuring what the **calling thread** allocates until the region is
    /// dropped: counts, bytes, the peak reached inside, per size class.
    ///
    /// Regions nest (drop them in reverse order of creation, as scopes do). A region
    /// measures one thread, so concurrent transactions on other threads do not leak into
    /// it; memory allocated before the region (or on another thread) and freed inside it
    /// lowers its net bytes without distorting its peak.
    ///
    /// ```
    /// use evm_pool_runtime::EvmAllocator;
    /// use allocator_api2::vec::Vec;
    ///
    /// let alloc = EvmAllocator::new(std::alloc::System);
    /// let older: Vec<u8, _> = Vec::with_capacity_in(1000, &alloc);
    ///
    /// let region = alloc.region();
    /// drop(older); // allocated before the region, freed inside it
    /// let a: Vec<u8, _> = Vec::with_capacity_in(300, &alloc);
    /// let b: Vec<u8, _> = Vec::with_capacity_in(1200, &alloc);
    /// drop(a);
    /// let stats = region.finish();
    /// assert_eq!((stats.allocations, stats.deallocations), (2, 2));
    /// assert_eq!(stats.net_bytes, 1200 - 1000);
    /// assert_eq!(stats.peak_bytes, 500); // -1000 + 300 + 1200 at its highest
    /// # drop(b);
    /// ```
    pub fn region(&self) -> Region<'_, A> {
        let saved_mark = self.raw.begin_region(&self.backing);
        let (start, base, _) = self.raw.thread_view(&self.backing);
        Region {
            alloc: self,
            start,
            base,
            saved_mark,
            started: Instant::now(),
            _not_send: PhantomData,
        }
    }
}

/// A measurement of one thread's allocations, from [`EvmAllocator::region`] until it is
/// dropped or [`finish`](Self::finish)ed. Not `Send`: it measures the thread that made
/// it.
///
/// ```
/// use evm_pool_runtime::EvmAllocator;
/// use allocator_api2::vec::Vec;
///
/// let alloc = EvmAllocator::new(std::alloc::System);
/// let region = alloc.region();
/// let words: Vec<[u8; 32], _> = Vec::with_capacity_in(4, &alloc);
/// drop(words);
/// let stats = region.finish();
/// assert_eq!((stats.allocations, stats.deallocations, stats.net_bytes), (1, 1, 0));
/// assert_eq!(stats.peak_bytes, 128);
/// ```
#[must_use = "a region measures until it is dropped; read it with `stats` or `finish`"]
pub struct Region<'a, A: GlobalAlloc = System> {
    alloc: &'a EvmAllocator<A, true>,
    start: Counts,
    base: i64,
    saved_mark: i64,
    started: Instant,
    _not_send: PhantomData<*const ()>,
}

impl<A: GlobalAlloc> Region<'_, A> {
    /// What the thread allocated since the region began.
    ///
    /// ```
    /// use evm_pool_runtime::EvmAllocator;
    /// use allocator_api2::boxed::Box;
    ///
    /// let alloc = EvmAllocator::new(std::alloc::System);
    /// let region = alloc.region();
    /// let address = Box::new_in([0u8; 20], &alloc);
    /// assert_eq!(region.stats().class(20).allocated, 1); // read while the region goes on
    /// drop(address);
    /// assert_eq!(region.finish().net_bytes, 0);
    /// ```
    pub fn stats(&self) -> RegionStats {
        let (now, net, mark) = self.alloc.raw.thread_view(&self.alloc.backing);
        let peak = (mark.max(net) - self.base).max(0) as u64;
        RegionStats::from_counts(&now.minus(&self.start), peak, self.started.elapsed())
    }

    /// Ends the region and returns its statistics.
    ///
    /// ```
    /// let alloc = evm_pool_runtime::EvmAllocator::new(std::alloc::System);
    /// let region = alloc.region();
    /// let stats = region.finish();
    /// assert_eq!(stats.allocations, 0);
    /// ```
    pub fn finish(self) -> RegionStats {
        self.stats()
    }
}

impl<A: GlobalAlloc> Drop for Region<'_, A> {
    fn drop(&mut self) {
        self.alloc
            .raw
            .end_region(&self.alloc.backing, self.saved_mark);
    }
}

impl<A: GlobalAlloc> fmt::Debug for Region<'_, A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Region")
            .field("started", &self.started)
            .finish_non_exhaustive()
    }
}

impl<A: GlobalAlloc, const STATS: bool> fmt::Debug for EvmAllocator<A, STATS> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EvmAllocator")
            .field("config", &self.config)
            .field("statistics_compiled_in", &STATS)
            .finish_non_exhaustive()
    }
}

impl Default for EvmAllocator<System, true> {
    /// [`EvmAllocator::new`] over [`System`].
    fn default() -> Self {
        Self::new(System)
    }
}

impl<A: GlobalAlloc, const STATS: bool> Drop for EvmAllocator<A, STATS> {
    fn drop(&mut self) {
        // SAFETY: `&mut self`: no collection borrows the allocator any more, and memory
        // obtained through `GlobalAlloc` from a non-static allocator is valid only while
        // it lives (documented on the `GlobalAlloc` impl).
        unsafe { self.raw.release(&self.backing) };
    }
}

/// As `#[global_allocator]`, or called directly. Memory obtained from an allocator value
/// that is later dropped must not be used or freed after the drop: its chunks go back to
/// the backing allocator.
impl<A: GlobalAlloc, const STATS: bool> EvmAllocator<A, STATS> {
    /// Allocates through the raw core. Its pooled slow path is a cold call taking only
    /// `self`, so the fast path computes no field addresses for it.
    ///
    /// # Safety
    /// `GlobalAlloc::alloc`'s contract.
    #[inline(always)]
    unsafe fn raw_alloc(&self, layout: Layout, zeroed: bool) -> *mut u8 {
        // SAFETY: forwarded caller contract.
        unsafe {
            self.raw
                .alloc::<A, STATS>(&self.backing, &self.config, layout, zeroed, || {
                    self.alloc_slow(layout, zeroed)
                })
        }
    }

    /// # Safety
    /// As [`raw_alloc`](Self::raw_alloc), for a layout no larger than the largest class.
    #[cold]
    #[inline(never)]
    unsafe fn alloc_slow(&self, layout: Layout, zeroed: bool) -> *mut u8 {
        // SAFETY: forwarded caller contract.
        unsafe {
            self.raw
                .alloc_pooled_slow::<A, STATS>(&self.backing, &self.config, layout, zeroed)
        }
    }

    /// Frees through the raw core, with the pooled slow path out of line as in
    /// [`raw_alloc`](Self::raw_alloc).
    ///
    /// # Safety
    /// `GlobalAlloc::dealloc`'s contract.
    #[inline(always)]
    unsafe fn raw_dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded caller contract.
        unsafe {
            self.raw
                .dealloc::<A, STATS>(&self.backing, &self.config, ptr, layout, || {
                    self.dealloc_slow(ptr, layout)
                })
        }
    }

    /// # Safety
    /// As [`raw_dealloc`](Self::raw_dealloc), for a layout no larger than the largest
    /// class.
    #[cold]
    #[inline(never)]
    unsafe fn dealloc_slow(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded caller contract.
        unsafe {
            self.raw
                .dealloc_pooled_slow::<A, STATS>(&self.backing, &self.config, ptr, layout)
        }
    }
}

// SAFETY: `RawState` upholds the `GlobalAlloc` contract given the caller's (its
// invariants I1-I5): blocks are aligned and sized for their layout and owned by one
// holder at a time; other layouts are forwarded to `A` unchanged.
unsafe impl<A: GlobalAlloc, const STATS: bool> GlobalAlloc for EvmAllocator<A, STATS> {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded caller contract.
        unsafe { self.raw_alloc(layout, false) }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded caller contract.
        unsafe { self.raw_alloc(layout, true) }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded caller contract.
        unsafe { self.raw_dealloc(ptr, layout) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded caller contract.
        unsafe {
            self.raw
                .realloc::<A, STATS>(&self.backing, &self.config, ptr, layout, new_size)
        }
    }
}

fn dangling(layout: Layout) -> NonNull<u8> {
    // An address equal to the alignment is non-null and aligned; zero-sized blocks are
    // never dereferenced.
    NonNull::new(ptr::without_provenance_mut(layout.align())).unwrap_or(NonNull::dangling())
}

impl<A: GlobalAlloc, const STATS: bool> EvmAllocator<A, STATS> {
    fn allocate_with(&self, layout: Layout, zeroed: bool) -> Result<NonNull<[u8]>, AllocError> {
        if layout.size() == 0 {
            return Ok(NonNull::slice_from_raw_parts(dangling(layout), 0));
        }
        // SAFETY: `layout` has non-zero size.
        let p = unsafe { self.raw_alloc(layout, zeroed) };
        NonNull::new(p)
            .map(|p| NonNull::slice_from_raw_parts(p, layout.size()))
            .ok_or(AllocError)
    }

    /// Grows or shrinks through `realloc` when the alignment stays, else moves.
    ///
    /// # Safety
    /// `Allocator::grow`/`shrink`'s contract.
    unsafe fn resize(
        &self,
        ptr: NonNull<u8>,
        old: Layout,
        new: Layout,
    ) -> Result<NonNull<[u8]>, AllocError> {
        if old.size() == 0 || new.size() == 0 || old.align() != new.align() {
            let fresh = self.allocate_with(new, false)?;
            // SAFETY: both blocks are valid for the copied length and distinct; `ptr`
            // was allocated with `old` (caller contract).
            unsafe {
                ptr::copy_nonoverlapping(
                    ptr.as_ptr(),
                    fresh.cast::<u8>().as_ptr(),
                    old.size().min(new.size()),
                );
                Allocator::deallocate(self, ptr, old);
            }
            return Ok(fresh);
        }
        // SAFETY: `ptr` was allocated with `old`, `new.size()` is non-zero and a valid
        // layout size for this alignment (caller contract).
        let p = unsafe {
            self.raw
                .realloc::<A, STATS>(&self.backing, &self.config, ptr.as_ptr(), old, new.size())
        };
        NonNull::new(p)
            .map(|p| NonNull::slice_from_raw_parts(p, new.size()))
            .ok_or(AllocError)
    }
}

/// For single collections: `allocator_api2::vec::Vec<u8, &EvmAllocator>` and friends.
/// Zero-sized requests get a dangling pointer and are never counted.
// SAFETY: blocks come from `GlobalAlloc` paths that uphold the contract; zero-sized
// blocks are dangling and never freed; `resize` preserves contents up to the smaller
// size.
unsafe impl<A: GlobalAlloc, const STATS: bool> Allocator for EvmAllocator<A, STATS> {
    #[inline]
    fn allocate(&self, layout: Layout) -> Result<NonNull<[u8]>, AllocError> {
        self.allocate_with(layout, false)
    }

    #[inline]
    fn allocate_zeroed(&self, layout: Layout) -> Result<NonNull<[u8]>, AllocError> {
        self.allocate_with(layout, true)
    }

    #[inline]
    unsafe fn deallocate(&self, ptr: NonNull<u8>, layout: Layout) {
        if layout.size() != 0 {
            // SAFETY: forwarded caller contract; non-zero sizes came from `alloc`.
            unsafe { self.raw_dealloc(ptr.as_ptr(), layout) }
        }
    }

    unsafe fn grow(
        &self,
        ptr: NonNull<u8>,
        old: Layout,
        new: Layout,
    ) -> Result<NonNull<[u8]>, AllocError> {
        // SAFETY: forwarded caller contract.
        unsafe { self.resize(ptr, old, new) }
    }

    unsafe fn grow_zeroed(
        &self,
        ptr: NonNull<u8>,
        old: Layout,
        new: Layout,
    ) -> Result<NonNull<[u8]>, AllocError> {
        // SAFETY: forwarded caller contract.
        let block = unsafe { self.resize(ptr, old, new) }?;
        // SAFETY: the block has `new.size()` bytes; the tail past `old.size()` is ours.
        unsafe {
            block
                .cast::<u8>()
                .as_ptr()
                .add(old.size())
                .write_bytes(0, new.size() - old.size())
        };
        Ok(block)
    }

    unsafe fn shrink(
        &self,
        ptr: NonNull<u8>,
        old: Layout,
        new: Layout,
    ) -> Result<NonNull<[u8]>, AllocError> {
        // SAFETY: forwarded caller contract.
        unsafe { self.resize(ptr, old, new) }
    }
}
