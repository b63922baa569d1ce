//! The raw core of [`EvmAllocator`](super::EvmAllocator): thread slots, thread caches
//! with size-class free lists, chunks carved into blocks, and the shared cache. All of
//! the allocator's unsafe code lives in this module and in [`handoff`](super::handoff),
//! the small cross-thread types it is built from (which are model-checked with loom).
//!
//! # Model
//!
//! A process-wide table hands every thread a *slot* (an index below [`MAX_THREADS`]) on
//! its first allocation and takes it back when the thread exits. Each allocator
//! instance keeps one [`Cache`] per slot: free lists per size class, the chunk it carves
//! fresh blocks from, its statistics counters and its live-byte tally. A thread uses
//! its slot's cache without locks. A slot's cache outlives the thread, so the counts of
//! exited threads are never lost (a reader sums every slot's counters; the next thread
//! to take the slot keeps counting on top). Its free lists are not lost either: the next
//! holder of the slot inherits them, and before any thread takes a new chunk it collects
//! the free lists of every cache whose slot is free into the shared cache.
//!
//! Threads without a slot (more than [`MAX_THREADS`] alive at once, or a thread whose
//! exit hook has already run and that still frees memory from later thread-local
//! destructors) use the instance's *shared cache* under a spin lock.
//!
//! **Cross-thread frees: the freeing thread adopts the block.** A block carries no
//! owner: a thread that frees a block puts it on its own free list, whichever thread
//! allocated it (chunks are never returned while the instance lives, so any thread may
//! reuse any block). When a list grows past its limit (about 32 KiB of blocks, at least
//! 32), half of it moves to the shared cache under its spin lock; a thread whose list is
//! empty takes a batch from there before carving fresh blocks. So producer/consumer
//! patterns neither leak nor grow one thread's lists without bound: memory held idle
//! is at most one list limit per class per thread, plus what the shared cache holds,
//! which is reused before any new chunk is taken. The owner's fast path has no atomic
//! read-modify-write and no lock; only spilling and refilling take the lock.
//!
//! **No recursion.** Caches and chunks come from the backing allocator, never from the
//! allocator itself. The only call that may allocate through the global allocator is
//! the registration of the thread-exit hook, done once per thread *before* the cache is
//! touched: a nested allocation it causes finds the slot already assigned and simply
//! uses the cache.
//!
//! # Invariants
//!
//! - **I1 (slots)** A slot index below [`MAX_THREADS`] is held by at most one live
//!   thread at a time: taken with an acquiring compare-exchange, released with a
//!   releasing store when the thread exits. A thread collecting orphaned free lists
//!   holds a free slot the same way for the duration. Everything one holder wrote
//!   happens before the next holder runs.
//! - **I2 (caches)** `caches[i]`, once non-null, points to a `Cache` allocated from the
//!   backing allocator that lives until the instance is dropped. Its `owner` cell is
//!   accessed only by the thread holding slot `i` (I1), and never re-entrantly. The
//!   shared cache's owner state is accessed only inside its [`SpinLock`]. Counters are
//!   atomics that anyone may read.
//! - **I3 (blocks)** A block on a free list of class `c`, or carved for class `c`, lies
//!   inside a chunk of this instance, is aligned to `CLASS_ALIGN[c]`, spans
//!   `SIZE_CLASSES[c]` bytes that overlap no other block, and is owned by the list or by
//!   the caller it was handed to, never both. A listed block's first 8 bytes (possibly
//!   unaligned) hold the next pointer.
//! - **I4 (chunks)** A chunk was allocated from the backing allocator with alignment
//!   [`CACHE_LINE`] and its recorded size, starts with a `ChunkHeader`, is on the
//!   instance's chunk list, and is freed only when the instance is dropped. An owner's
//!   bump range `bump_offset..bump_len` of `bump_base` is unused space of one chunk.
//! - **I5 (tiers)** With pooling on, a block whose layout has a size class was served by
//!   the pooling tier; every other block by the backing allocator with the same layout.
//!   Deallocation and reallocation recompute the tier from the layout the caller passes
//!   (the `GlobalAlloc`/`Allocator` contract makes it the allocation's layout), so no
//!   per-block header is needed.
//! - **I6 (slot values)** The thread-local `SLOT` only ever holds a slot index below
//!   [`MAX_THREADS`] or one of the sentinels `UNREGISTERED` and `NO_SLOT`, all below
//!   `SLOT_STATES`, the length of every `caches` array; the sentinels' entries stay
//!   null. So the fast path indexes `caches` with `SLOT` unchecked.

use super::config::AllocatorConfig;
use super::handoff::{CellArray, FreeList, PeakPublisher, SlotTable, SpinLock, move_blocks};
use super::size_class::{
    CACHE_LINE, CLASS_ALIGN_U8, CLASS_OF_SIZE, LARGE_CLASS, MAX_POOLED_SIZE, NUM_CLASSES,
    SIZE_CLASSES, class_for, place_block, stats_class,
};
use super::stats::{Counters, Counts};
use std::alloc::{GlobalAlloc, Layout};
use std::cell::{Cell, UnsafeCell};
use std::ptr::{self, NonNull};
use std::sync::OnceLock;
use std::sync::atomic::{
    AtomicPtr, AtomicU64, AtomicUsize,
    Ordering::{Acquire, Relaxed, Release},
};
use std::time::Instant;

/// Threads that can hold a private cache at once; more use the shared cache.
pub(crate) const MAX_THREADS: usize = 256;

/// Bytes reserved at the start of every chunk for its header (one cache line, so the
/// blocks after it start on a line).
const CHUNK_HEADER: usize = CACHE_LINE;

// ---------------------------------------------------------------------------------------
// Thread slots (process-wide)

/// Which slots live threads hold (I1); shared by every allocator instance.
static SLOTS: SlotTable<MAX_THREADS> = SlotTable::new();

/// `SLOT` of a thread that has not allocated yet.
const UNREGISTERED: usize = MAX_THREADS;
/// `SLOT` of a thread without a slot (table full, or exit hook already run).
const NO_SLOT: usize = MAX_THREADS + 1;
/// Values `SLOT` can hold: a slot index or one of the two sentinels. Every instance's
/// `caches` has this many entries, the sentinels' always null, so the fast path indexes
/// it with `SLOT` directly (I6).
const SLOT_STATES: usize = MAX_THREADS + 2;

thread_local! {
    /// This thread's slot, `UNREGISTERED` before its first allocation, `NO_SLOT` when it
    /// has none (table full, or exit hook already run). No destructor, so it stays
    /// readable during thread teardown.
    static SLOT: Cell<usize> = const { Cell::new(UNREGISTERED) };
    /// Dropped at thread exit; releases the slot.
    static SLOT_GUARD: SlotGuard = const { SlotGuard };
}

struct SlotGuard;

impl Drop for SlotGuard {
    fn drop(&mut self) {
        let slot = SLOT.get();
        SLOT.set(NO_SLOT);
        if slot < MAX_THREADS {
            // I1: publishes this thread's cache writes to the slot's next holder.
            SLOTS.release(slot);
        }
    }
}

/// The calling thread's slot, registering it on first use.
#[inline(always)]
fn current_slot() -> Option<usize> {
    let slot = SLOT.get();
    if slot < MAX_THREADS {
        Some(slot)
    } else if slot == UNREGISTERED {
        register_thread()
    } else {
        None
    }
}

#[cold]
#[inline(never)]
fn register_thread() -> Option<usize> {
    SLOT.set(NO_SLOT);
    let slot = SLOTS.take_any()?;
    SLOT.set(slot);
    // Registering the exit hook may allocate through the global allocator; such a
    // nested call sees the slot set above and uses the cache normally, since this call
    // has not touched it yet. If the hook cannot be registered (the thread is already
    // tearing down), give the slot back at once rather than leaking it.
    if SLOT_GUARD.try_with(|_| ()).is_err() {
        SLOT.set(NO_SLOT);
        SLOTS.release(slot);
        return None;
    }
    Some(slot)
}

// ---------------------------------------------------------------------------------------
// Caches

/// State only the cache's owner touches (I2). `repr(C)` with the lists first: the
/// fast path reaches them (and the tally distances) at small offsets from the cache.
#[repr(C)]
struct Owner {
    free: [FreeList; NUM_CLASSES],
    bump_base: *mut u8,
    bump_offset: usize,
    bump_len: usize,
    /// Highest `net` (the live-byte tally, see `above_low`) since the innermost
    /// open region began.
    mark: i64,
    /// The part of `net` already added to the instance's published total.
    published: i64,
    /// Highest `net - published` since the last publication.
    window_max: i64,
    /// The live-byte tally `net` (bytes allocated minus bytes freed through this cache;
    /// negative when its users free others' memory) is kept as two one-sided distances
    /// and a base, `net = base + above_low - to_high`, so a counted operation moves one
    /// of them with one `sub` to memory whose sign flag is the test (no threshold
    /// load). `high` is the lowest level at which `mark` or `window_max` would change,
    /// `low` the level below which a drop must be published. An allocation only raises
    /// `net`, so it only has to detect `net > high`: it subtracts its size from
    /// `to_high` (armed at `high - net`); a free only lowers `net` and subtracts its size
    /// from `above_low` (armed at `net - low`). Each distance ignores the other side's
    /// moves, so it is never larger than the true distance (`high - net` resp. `net -
    /// low`): a crossing is never missed, at worst
    /// [`RawState::track_slow`] runs early, finds nothing crossed, and re-arms both
    /// distances from the exact `net`.
    low: i64,
    above_low: i64,
    to_high: i64,
    /// `low + to_high` at the last re-arm (see `above_low`).
    base: i64,
    /// `high` as of the last change of `mark`, `published` or `window_max`, capped at
    /// [`HIGH_CAP`] so `high - net` cannot overflow for any `net` above `low`: the
    /// quick re-arm of [`RawState::track_slow`] compares with it.
    high: i64,
}

/// The largest [`Owner::high`] kept (4 EiB: no real tally gets there; a tally above it
/// only takes the full tracking path).
const HIGH_CAP: i64 = 1 << 62;

/// `to_high` of a disarmed cache: the next counted allocation takes the slow path (no
/// run of frees adds 2^62 bytes).
const DISARMED: i64 = -(1 << 62);

/// The lowest `low`: keeps `above_low = net - low` from overflowing.
const LOW_FLOOR: i64 = -(1 << 62);

/// One slot's cache: counters anyone may read, and the owner's state.
#[repr(C, align(64))]
pub(crate) struct Cache {
    owner: UnsafeCell<Owner>,
    pub(crate) counters: Counters,
}

impl Owner {
    /// Fresh owner state for an instance publishing in steps of `granularity` bytes.
    const fn new(granularity: u64) -> Self {
        Owner {
            free: [FreeList::EMPTY; NUM_CLASSES],
            bump_base: ptr::null_mut(),
            bump_offset: 0,
            bump_len: 0,
            mark: 0,
            published: 0,
            window_max: 0,
            // The first allocation takes the slow path, which arms `to_high`. `low` is
            // where a drop from the published level (0) must be published.
            to_high: DISARMED,
            low: Self::low_for(0, granularity),
            above_low: 0i64.wrapping_sub(Self::low_for(0, granularity)),
            base: Self::low_for(0, granularity).wrapping_add(DISARMED),
            high: 0,
        }
    }

    /// `low` for a published level `net`: `granularity` below it, at least
    /// [`LOW_FLOOR`].
    const fn low_for(net: i64, granularity: u64) -> i64 {
        let g = if granularity > i64::MAX as u64 {
            i64::MAX
        } else {
            granularity as i64
        };
        let low = net.saturating_sub(g);
        if low < LOW_FLOOR { LOW_FLOOR } else { low }
    }

    /// The live-byte tally.
    #[inline(always)]
    fn net(&self) -> i64 {
        self.base
            .wrapping_add(self.above_low)
            .wrapping_sub(self.to_high)
    }

    /// Moves the tally by `delta`; true when it may have crossed `high` or `low`.
    #[inline(always)]
    fn shift(&mut self, delta: i64) -> bool {
        if delta >= 0 {
            self.rise(delta)
        } else {
            self.drop(delta.wrapping_neg())
        }
    }

    /// Raises the tally by `n` bytes; true when it may have crossed `high`.
    #[inline(always)]
    fn rise(&mut self, n: i64) -> bool {
        self.to_high = self.to_high.wrapping_sub(n);
        self.to_high < 0
    }

    /// Lowers the tally by `n` bytes; true when it may have crossed `low`.
    #[inline(always)]
    fn drop(&mut self, n: i64) -> bool {
        self.above_low = self.above_low.wrapping_sub(n);
        self.above_low < 0
    }

    /// The level above which `mark` or `window_max` would change, capped at
    /// [`HIGH_CAP`]; stored in `high` by whoever changes them.
    #[inline(always)]
    fn compute_high(&self) -> i64 {
        self.mark
            .min(self.published.saturating_add(self.window_max))
            .min(HIGH_CAP)
    }

    /// Re-arms the distances for the tally `net` (exact, from [`net`](Self::net) or a
    /// new level) and the given `to_high`, against the current `low`.
    #[inline(always)]
    fn rearm(&mut self, net: i64, to_high: i64) {
        self.to_high = to_high;
        self.above_low = net.wrapping_sub(self.low);
        self.base = self.low.wrapping_add(to_high);
    }
}

// SAFETY: the owner state is plain data and pointers to blocks and chunks the instance
// owns (I3, I4); whoever holds it (the slot holder, or the shared lock) may use it from
// any thread.
unsafe impl Send for Owner {}

impl Cache {
    const fn new(granularity: u64) -> Self {
        Cache {
            counters: Counters::new(),
            owner: UnsafeCell::new(Owner::new(granularity)),
        }
    }
}

/// A cache being used by the current thread: exclusive access to its owner state.
struct Ctx<'a> {
    counters: &'a Counters,
    owner: &'a mut Owner,
    is_shared: bool,
}

/// Something to count, off the pooled fast path.
#[derive(Clone, Copy)]
enum Event {
    Alloc {
        size: usize,
        class: usize,
    },
    Free {
        size: usize,
        class: usize,
    },
    Realloc {
        old: usize,
        new: usize,
        old_class: usize,
        new_class: usize,
    },
}

/// The path of an allocation or free, from [`RawState::tier`].
#[derive(Clone, Copy)]
enum Tier {
    /// The pooled fast path, counting.
    PooledCounted,
    /// The pooled fast path, not counting.
    Pooled,
    /// The backing allocator (counted if statistics are on).
    Backing,
}

#[repr(C)]
struct ChunkHeader {
    next: *mut ChunkHeader,
    size: usize,
}

/// An allocator instance's raw state.
pub(crate) struct RawState {
    caches: CellArray<AtomicPtr<Cache>, SLOT_STATES>,
    /// The cache of threads without a slot, and the exchange for spilled blocks: its
    /// owner state under a spin lock, its counters beside it.
    shared: SpinLock<Owner>,
    shared_counters: Counters,
    /// Blocks on the shared cache's lists, per class; written under the lock, read
    /// without it to skip locking when there is nothing to take.
    shared_available: [AtomicUsize; NUM_CLASSES],
    chunks: AtomicPtr<ChunkHeader>,
    chunk_bytes: AtomicU64,
    /// Sum of the caches' published live bytes and its peak; only touched when a cache
    /// publishes.
    peak: PeakPublisher,
    /// `AllocatorConfig::peak_granularity`, here so the tracking paths need no config.
    granularity: u64,
    /// [`MODE_POOL`] if pooling is on, plus [`MODE_STATS`] if statistics are: the
    /// counting fast path tests this one byte.
    mode: u8,
    /// Pooling is on: what the plain fast path tests (a byte of its own, so the
    /// counting path's compare stays a compare with memory).
    pooling: bool,
    started: OnceLock<Instant>,
}

// SAFETY: all shared mutable state is atomics; caches' owner state is reached only by
// the slot holder or under the shared lock (I2); raw pointers point into memory owned by
// the instance (I3, I4).
unsafe impl Send for RawState {}
// SAFETY: as for `Send`.
unsafe impl Sync for RawState {}

/// Blocks a thread's list of each class may hold before half of it moves to the shared
/// cache: about 32 KiB worth, at least 32 blocks.
const LIST_LIMIT: [usize; NUM_CLASSES] = {
    let mut out = [0; NUM_CLASSES];
    let mut c = 0;
    while c < NUM_CLASSES {
        let n = 32 * 1024 / SIZE_CLASSES[c];
        out[c] = if n < 32 { 32 } else { n };
        c += 1;
    }
    out
};

/// [`LIST_LIMIT`] indexed by a `u8` class, for the fast path (no bounds check).
const LIST_LIMIT_U8: &[usize; 256] = &{
    let mut out = [0; 256];
    let mut c = 0;
    while c < NUM_CLASSES {
        out[c] = LIST_LIMIT[c];
        c += 1;
    }
    out
};

/// [`RawState::mode`] bit: size-class pooling is on.
const MODE_POOL: u8 = 1;
/// [`RawState::mode`] bit: statistics are on (at run time).
const MODE_STATS: u8 = 2;
/// Pooling and statistics both on: the counting fast path.
const MODE_POOL_STATS: u8 = MODE_POOL | MODE_STATS;

/// Whether `layout` has a size class and fits its size's natural class (so the
/// per-size counters describe it exactly). The test of [`natural_class`], written out:
/// going through it costs the counting pass-through 1.5 instructions a call (callgrind,
/// `scripts/callgrind-alloc-overhead.sh`, `evm-minimal-stats`).
#[inline(always)]
fn has_natural_class(layout: Layout) -> bool {
    layout.size() <= MAX_POOLED_SIZE
        && layout.align() <= CLASS_ALIGN_U8[usize::from(CLASS_OF_SIZE[layout.size()])]
}

/// The natural class of `size` (the class [`CLASS_OF_SIZE`] gives it), if `align` fits
/// that class's alignment. `size` is at most [`MAX_POOLED_SIZE`] (else this panics on the
/// table index).
#[inline(always)]
fn natural_class(size: usize, align: usize) -> Option<u8> {
    let class = CLASS_OF_SIZE[size];
    (align <= CLASS_ALIGN_U8[usize::from(class)]).then_some(class)
}

/// Blocks taken from the shared cache at once.
#[inline(always)]
fn refill_batch(class: usize) -> usize {
    (16 * 1024 / SIZE_CLASSES[class]).clamp(4, 256)
}

impl RawState {
    /// A fresh state publishing live bytes to the global peak in steps of
    /// `granularity` bytes (`AllocatorConfig::peak_granularity`).
    pub(crate) const fn new(granularity: u64, pooling: bool, statistics: bool) -> Self {
        RawState {
            granularity,
            mode: if pooling { MODE_POOL } else { 0 } | if statistics { MODE_STATS } else { 0 },
            pooling,
            caches: CellArray::new([const { AtomicPtr::new(ptr::null_mut()) }; SLOT_STATES]),
            shared: SpinLock::new(Owner::new(granularity)),
            shared_counters: Counters::new(),
            shared_available: [const { AtomicUsize::new(0) }; NUM_CLASSES],
            chunks: AtomicPtr::new(ptr::null_mut()),
            chunk_bytes: AtomicU64::new(0),
            peak: PeakPublisher::new(),
            started: OnceLock::new(),
        }
    }

    #[cold]
    #[inline(never)]
    fn new_cache<A: GlobalAlloc>(&self, backing: &A) -> *mut Cache {
        self.started.get_or_init(Instant::now);
        // SAFETY: `Cache` has non-zero size.
        let p = unsafe { backing.alloc(Layout::new::<Cache>()) }.cast::<Cache>();
        if !p.is_null() {
            // SAFETY: freshly allocated with `Cache`'s layout.
            unsafe { p.write(Cache::new(self.granularity)) };
        }
        p
    }

    /// The calling thread's cache, created on first use; `None` when the thread has no
    /// slot or the backing allocator cannot provide a cache.
    #[inline(always)]
    fn local_cache<A: GlobalAlloc>(&self, backing: &A) -> Option<NonNull<Cache>> {
        let slot = current_slot()?;
        match NonNull::new(self.caches.at(slot).load(Acquire)) {
            Some(cache) => Some(cache),
            None => self.install_cache(slot, backing),
        }
    }

    #[cold]
    #[inline(never)]
    fn install_cache<A: GlobalAlloc>(&self, slot: usize, backing: &A) -> Option<NonNull<Cache>> {
        let p = self.new_cache(backing);
        // Only this slot's holder writes `caches[slot]` (I1); readers acquire.
        self.caches.at(slot).store(p, Release);
        NonNull::new(p)
    }

    /// Exclusive access to the calling thread's cache.
    ///
    /// # Safety
    /// `cache` came from [`local_cache`](Self::local_cache) on this thread and no other
    /// `Ctx` for it is alive (the allocator is not re-entered while one is).
    #[inline(always)]
    unsafe fn local_ctx<'a>(cache: NonNull<Cache>) -> Ctx<'a> {
        // SAFETY: I2: the cache lives as long as the instance, and this thread holds its
        // slot, so nobody else touches its owner state; exclusivity per the contract.
        unsafe {
            Ctx {
                counters: &(*cache.as_ptr()).counters,
                owner: &mut *(*cache.as_ptr()).owner.get(),
                is_shared: false,
            }
        }
    }

    /// Runs `f` with the calling thread's cache, or with the shared cache under its lock
    /// when the thread has none. For paths off the allocation fast path.
    #[inline]
    fn with_cache<A: GlobalAlloc, R>(&self, backing: &A, f: impl FnOnce(Ctx<'_>) -> R) -> R {
        match self.local_cache(backing) {
            // SAFETY: from `local_cache` on this thread; `f` does not re-enter.
            Some(cache) => f(unsafe { Self::local_ctx(cache) }),
            None => self.with_shared(f),
        }
    }

    #[cold]
    #[inline(never)]
    fn with_shared<R>(&self, f: impl FnOnce(Ctx<'_>) -> R) -> R {
        self.started.get_or_init(Instant::now);
        // The lock is not re-entrant: `f` neither re-enters this allocator nor takes it
        // again (I2).
        self.shared.with(|owner| {
            f(Ctx {
                counters: &self.shared_counters,
                owner,
                is_shared: true,
            })
        })
    }

    // -----------------------------------------------------------------------------------
    // Allocation
    //
    // The fast paths below are inlined into the `GlobalAlloc` methods: a pooling flag
    // test, one size-table load, an alignment compare, one thread-local load, one array
    // load, and the list pop or push. Everything else (no cache yet, empty list, list
    // over its limit, an unusual alignment, a statistics threshold) is a call to a cold
    // function.

    /// The calling thread's cache if it has one: one thread-local load and one array
    /// load (`caches` has null entries at the two sentinel slot values, so no range
    /// check either).
    #[inline(always)]
    fn fast_cache(&self) -> Option<&Cache> {
        let slot = SLOT.get();
        debug_assert!(slot < SLOT_STATES);
        // SAFETY: I6: `SLOT` only ever holds values below `SLOT_STATES`, the length of
        // `caches`.
        let p = unsafe { self.caches.get_unchecked(slot) }.load(Acquire);
        // SAFETY: I2: a non-null cache lives as long as `self`.
        unsafe { p.as_ref() }
    }

    /// What both pooled fast paths start with: the natural class of `layout`'s size,
    /// if its alignment fits, and the calling thread's cache with exclusive access to
    /// its owner state, if it has one.
    ///
    /// # Safety
    /// `layout.size() <= MAX_POOLED_SIZE`, and the caller does not re-enter the
    /// allocator (or make another reference to this owner state) while the returned
    /// references live.
    #[inline(always)]
    #[allow(clippy::mut_from_ref)] // exclusivity per I2 and the caller contract
    unsafe fn fast_owner(&self, layout: Layout) -> Option<(&Cache, &mut Owner, u8)> {
        if let Some(class) = natural_class(layout.size(), layout.align())
            && let Some(cache) = self.fast_cache()
        {
            // SAFETY: I2: this thread holds the cache's slot; exclusive per the
            // caller contract.
            let owner = unsafe { &mut *cache.owner.get() };
            return Some((cache, owner, class));
        }
        None
    }

    /// Which path serves a request of `size` bytes: the one dispatch of
    /// [`alloc`](Self::alloc) and [`dealloc`](Self::dealloc). One byte compare picks
    /// the counting copy of the pooled fast path.
    #[inline(always)]
    fn tier<const S: bool>(&self, size: usize) -> Tier {
        if size <= MAX_POOLED_SIZE {
            if S && self.mode == MODE_POOL_STATS {
                return Tier::PooledCounted;
            }
            if self.pooling {
                return Tier::Pooled;
            }
        }
        Tier::Backing
    }

    /// # Safety
    /// `GlobalAlloc::alloc`'s contract: `layout` has non-zero size. `slow` calls
    /// [`alloc_pooled_slow`](Self::alloc_pooled_slow) with the same arguments (a cold
    /// function of the caller's, so the fast path passes it nothing).
    #[inline(always)]
    pub(crate) unsafe fn alloc<A: GlobalAlloc, const S: bool>(
        &self,
        backing: &A,
        config: &AllocatorConfig,
        layout: Layout,
        zeroed: bool,
        slow: impl FnOnce() -> *mut u8,
    ) -> *mut u8 {
        // SAFETY: forwarded caller contract (all arms); `tier` picks a pooled path only
        // for a pooled size.
        unsafe {
            match self.tier::<S>(layout.size()) {
                Tier::PooledCounted => self.alloc_pooled::<true>(layout, zeroed, slow),
                Tier::Pooled => self.alloc_pooled::<false>(layout, zeroed, slow),
                Tier::Backing => self.alloc_backing::<A, S>(backing, config, layout, zeroed),
            }
        }
    }

    /// The pooled fast path, counting when `C`.
    ///
    /// # Safety
    /// As [`alloc`](Self::alloc), and `layout.size() <= MAX_POOLED_SIZE`.
    #[inline(always)]
    unsafe fn alloc_pooled<const C: bool>(
        &self,
        layout: Layout,
        zeroed: bool,
        slow: impl FnOnce() -> *mut u8,
    ) -> *mut u8 {
        let size = layout.size();
        // SAFETY: forwarded contract (a pooled size); nothing below re-enters the
        // allocator while the references live.
        if let Some((cache, owner, class)) = unsafe { self.fast_owner(layout) } {
            // SAFETY: `CLASS_OF_SIZE` holds class indices below `NUM_CLASSES`.
            let list = unsafe { owner.free.get_unchecked_mut(usize::from(class)) };
            // SAFETY: I3: the thread's lists hold only blocks pushed under `push`'s
            // contract.
            let block = unsafe { list.pop() };
            if !block.is_null() {
                if zeroed {
                    // SAFETY: a block of the class, at least `size` bytes (I3).
                    unsafe { block.write_bytes(0, size) };
                }
                if C {
                    cache.counters.record_pooled_alloc(size);
                    owner.to_high = owner.to_high.wrapping_sub(size as i64);
                    if owner.to_high < 0 {
                        return self.track_slow_returning(block, cache);
                    }
                }
                return block;
            }
        }
        // `slow` is `alloc_pooled_slow` on the same arguments (caller contract).
        slow()
    }

    /// The backing tier, counted when statistics are on.
    ///
    /// # Safety
    /// As [`alloc`](Self::alloc).
    #[inline(always)]
    unsafe fn alloc_backing<A: GlobalAlloc, const S: bool>(
        &self,
        backing: &A,
        config: &AllocatorConfig,
        layout: Layout,
        zeroed: bool,
    ) -> *mut u8 {
        if S && config.statistics {
            // SAFETY: forwarded caller contract.
            return unsafe { self.alloc_backing_counted(layout, zeroed, backing) };
        }
        // SAFETY: forwarded caller contract.
        unsafe {
            if zeroed {
                backing.alloc_zeroed(layout)
            } else {
                backing.alloc(layout)
            }
        }
    }

    /// The backing tier with counting, out of line so the dispatch stays inlinable.
    ///
    /// # Safety
    /// As [`alloc`](Self::alloc).
    #[inline(never)]
    ///
    /// `backing` comes last so `layout` stays in the registers it arrives in at the
    /// `GlobalAlloc` entry (no register moves on the fast path for this tail call).
    unsafe fn alloc_backing_counted<A: GlobalAlloc>(
        &self,
        layout: Layout,
        zeroed: bool,
        backing: &A,
    ) -> *mut u8 {
        // SAFETY: forwarded caller contract.
        let p = unsafe {
            if zeroed {
                backing.alloc_zeroed(layout)
            } else {
                backing.alloc(layout)
            }
        };
        if !p.is_null() {
            let size = layout.size();
            match self.fast_cache() {
                // The common pass-through case: one size counter, as on the pooled
                // fast path.
                Some(cache) if has_natural_class(layout) => {
                    // SAFETY: I2: this thread holds the cache's slot, and nothing
                    // below re-enters the allocator while the reference lives.
                    let owner = unsafe { &mut *cache.owner.get() };
                    cache.counters.record_passthrough_alloc(size);
                    self.track(owner, size as i64);
                }
                _ => self.count(
                    backing,
                    Event::Alloc {
                        size,
                        class: stats_class(layout),
                    },
                ),
            }
        }
        p
    }

    /// Everything of a pooled-size request that the fast path does not handle: an
    /// alignment that moves it up a class (or to the backing tier), a thread without a
    /// cache yet or without a slot, an empty list.
    ///
    /// # Safety
    /// As [`alloc`](Self::alloc), and `layout.size() <= MAX_POOLED_SIZE`.
    #[inline]
    pub(crate) unsafe fn alloc_pooled_slow<A: GlobalAlloc, const S: bool>(
        &self,
        backing: &A,
        config: &AllocatorConfig,
        layout: Layout,
        zeroed: bool,
    ) -> *mut u8 {
        let Some(class) = class_for(layout) else {
            // SAFETY: forwarded caller contract.
            return unsafe { self.alloc_backing::<A, S>(backing, config, layout, zeroed) };
        };
        let p = match self.local_cache(backing) {
            // SAFETY: from `local_cache` on this thread; `alloc_in` does not re-enter.
            Some(cache) => self.alloc_in::<A, S>(
                backing,
                config,
                unsafe { Self::local_ctx(cache) },
                layout,
                class,
            ),
            None => {
                self.with_shared(|ctx| self.alloc_in::<A, S>(backing, config, ctx, layout, class))
            }
        };
        if zeroed && !p.is_null() {
            // SAFETY: a pooled block of at least `layout.size()` bytes (I3).
            unsafe { p.write_bytes(0, layout.size()) };
        }
        p
    }

    #[inline(always)]
    fn alloc_in<A: GlobalAlloc, const S: bool>(
        &self,
        backing: &A,
        config: &AllocatorConfig,
        mut ctx: Ctx<'_>,
        layout: Layout,
        class: usize,
    ) -> *mut u8 {
        let counting = S && config.statistics;
        let p = self.pop_block(backing, config, &mut ctx, class, counting);
        if !p.is_null() && counting {
            let size = layout.size();
            ctx.counters.record_pooled_alloc_in(size, class);
            self.track(ctx.owner, size as i64);
        }
        p
    }

    /// # Safety
    /// `GlobalAlloc::dealloc`'s contract: `p` was allocated by this instance with
    /// `layout`. `slow` calls [`dealloc_pooled_slow`](Self::dealloc_pooled_slow) with the
    /// same arguments.
    #[inline(always)]
    pub(crate) unsafe fn dealloc<A: GlobalAlloc, const S: bool>(
        &self,
        backing: &A,
        config: &AllocatorConfig,
        p: *mut u8,
        layout: Layout,
        slow: impl FnOnce(),
    ) {
        // SAFETY: forwarded caller contract (all arms); `tier` picks a pooled path only
        // for a pooled size.
        unsafe {
            match self.tier::<S>(layout.size()) {
                Tier::PooledCounted => self.dealloc_pooled::<true>(p, layout, slow),
                Tier::Pooled => self.dealloc_pooled::<false>(p, layout, slow),
                Tier::Backing => self.dealloc_backing::<A, S>(backing, config, p, layout),
            }
        }
    }

    /// The pooled free fast path, counting when `C`.
    ///
    /// # Safety
    /// As [`dealloc`](Self::dealloc), and `layout.size() <= MAX_POOLED_SIZE`.
    #[inline(always)]
    unsafe fn dealloc_pooled<const C: bool>(
        &self,
        p: *mut u8,
        layout: Layout,
        slow: impl FnOnce(),
    ) {
        let size = layout.size();
        // SAFETY: forwarded contract (a pooled size); nothing below re-enters the
        // allocator while the references live.
        if let Some((cache, owner, class)) = unsafe { self.fast_owner(layout) } {
            // SAFETY: `CLASS_OF_SIZE` holds class indices below `NUM_CLASSES`.
            let list = unsafe { owner.free.get_unchecked_mut(usize::from(class)) };
            // SAFETY: I5: a pooled block of `class` the caller gives up; it has at
            // least 8 bytes (I3).
            unsafe { list.push(p) };
            if C {
                cache.counters.record_pooled_free(size);
                owner.above_low = owner.above_low.wrapping_sub(size as i64);
                if owner.above_low < 0 {
                    // Tail calls, so the common case saves no registers. The list limit
                    // is tested there, so it is not loaded before the counting.
                    return self.dealloc_finish(class, true);
                }
            }
            if list.len > LIST_LIMIT_U8[usize::from(class)] {
                return self.dealloc_finish(class, false);
            }
            return;
        }
        // `slow` is `dealloc_pooled_slow` on the same arguments (caller contract).
        slow()
    }

    /// # Safety
    /// As [`dealloc`](Self::dealloc), for a block of the backing tier (I5).
    #[inline(always)]
    unsafe fn dealloc_backing<A: GlobalAlloc, const S: bool>(
        &self,
        backing: &A,
        config: &AllocatorConfig,
        p: *mut u8,
        layout: Layout,
    ) {
        if S && config.statistics {
            // SAFETY: forwarded caller contract.
            return unsafe { self.dealloc_backing_counted(p, layout, backing) };
        }
        // SAFETY: I5: served by the backing allocator with this layout.
        unsafe { backing.dealloc(p, layout) }
    }

    /// The backing tier's free with counting, out of line.
    ///
    /// # Safety
    /// As [`dealloc_backing`](Self::dealloc_backing).
    #[inline(never)]
    ///
    /// `backing` comes last, as in [`alloc_backing_counted`](Self::alloc_backing_counted).
    unsafe fn dealloc_backing_counted<A: GlobalAlloc>(
        &self,
        p: *mut u8,
        layout: Layout,
        backing: &A,
    ) {
        // SAFETY: I5: served by the backing allocator with this layout.
        unsafe { backing.dealloc(p, layout) };
        let size = layout.size();
        match self.fast_cache() {
            // As in `alloc_backing_counted`: the size counter of the pooled fast path.
            Some(cache) if has_natural_class(layout) => {
                // SAFETY: I2: this thread holds the cache's slot, and nothing below
                // re-enters the allocator while the reference lives.
                let owner = unsafe { &mut *cache.owner.get() };
                cache.counters.record_pooled_free(size);
                self.track(owner, -(size as i64));
            }
            _ => self.count(
                backing,
                Event::Free {
                    size,
                    class: stats_class(layout),
                },
            ),
        }
    }

    /// The owner state of the cache the fast path has just used, for its cold tails.
    /// Found again from the thread's slot rather than passed in: a pointer argument
    /// would pin the cache to an argument register that the fast path's own arguments
    /// occupy, and cost register moves on every operation.
    ///
    /// # Safety
    /// The calling thread's fast path found its cache (so it exists).
    #[inline(always)]
    unsafe fn fast_path_owner(&self) -> *mut Owner {
        let cache = self.fast_cache();
        debug_assert!(cache.is_some());
        // SAFETY: the fast path found the cache (caller contract), so it is there.
        unsafe { cache.unwrap_unchecked() }.owner.get()
    }

    /// The rare tail of the pooled free fast path: the peak tracking when `needs_track`,
    /// then the spill of a list over its limit.
    #[cold]
    #[inline(never)]
    fn dealloc_finish(&self, class: u8, needs_track: bool) {
        // SAFETY: called only from the fast path, which has just used this thread's
        // cache (so it exists) and holds no reference to it any more; I2: this thread
        // holds the cache's slot, so the owner state is ours alone.
        let owner = unsafe { &mut *self.fast_path_owner() };
        if needs_track {
            self.track_slow(owner);
        }
        if owner.free[usize::from(class)].len > LIST_LIMIT_U8[usize::from(class)] {
            self.spill(owner, usize::from(class));
        }
    }

    /// Everything of a pooled-size free that the fast path does not handle.
    ///
    /// # Safety
    /// As [`dealloc`](Self::dealloc), and `layout.size() <= MAX_POOLED_SIZE`.
    #[inline]
    pub(crate) unsafe fn dealloc_pooled_slow<A: GlobalAlloc, const S: bool>(
        &self,
        backing: &A,
        config: &AllocatorConfig,
        p: *mut u8,
        layout: Layout,
    ) {
        let Some(class) = class_for(layout) else {
            // SAFETY: I5: no class, so the backing tier served it.
            return unsafe { self.dealloc_backing::<A, S>(backing, config, p, layout) };
        };
        match self.local_cache(backing) {
            // SAFETY: from `local_cache` on this thread; `dealloc_in` does not re-enter;
            // `p` is a pooled block of `class` (I5) the caller gives up.
            Some(cache) => unsafe {
                self.dealloc_in::<S>(config, Self::local_ctx(cache), p, layout, class)
            },
            // SAFETY: as above, on the shared cache under its lock.
            None => self
                .with_shared(|ctx| unsafe { self.dealloc_in::<S>(config, ctx, p, layout, class) }),
        }
    }

    /// # Safety
    /// `p` is a pooled block of `class` of this instance that the caller gives up.
    #[inline(always)]
    unsafe fn dealloc_in<const S: bool>(
        &self,
        config: &AllocatorConfig,
        mut ctx: Ctx<'_>,
        p: *mut u8,
        layout: Layout,
        class: usize,
    ) {
        // SAFETY: forwarded contract.
        unsafe { self.push_block(&mut ctx, class, p) };
        if S && config.statistics {
            ctx.counters.record_pooled_free_in(layout.size(), class);
            self.track(ctx.owner, -(layout.size() as i64));
        }
    }

    /// Counts one event in the calling thread's cache (off the pooled fast path).
    #[inline(never)]
    fn count<A: GlobalAlloc>(&self, backing: &A, event: Event) {
        self.with_cache(backing, |ctx| {
            let delta = Self::record(ctx.counters, event);
            self.track(ctx.owner, delta);
        });
    }

    /// Counts `event` in `counters`; returns how it moves the live-byte tally.
    #[inline(always)]
    fn record(counters: &Counters, event: Event) -> i64 {
        match event {
            Event::Alloc { size, class } => {
                counters.record_alloc(size, class);
                size as i64
            }
            Event::Free { size, class } => {
                counters.record_free(size, class);
                -(size as i64)
            }
            Event::Realloc {
                old,
                new,
                old_class,
                new_class,
            } => {
                counters.record_realloc(old, new, old_class, new_class);
                (new as i64).wrapping_sub(old as i64)
            }
        }
    }

    /// # Safety
    /// `GlobalAlloc::realloc`'s contract: `p` was allocated by this instance with
    /// `layout`, `new_size` is non-zero and does not overflow `isize` when rounded up to
    /// `layout.align()`.
    #[inline(always)]
    pub(crate) unsafe fn realloc<A: GlobalAlloc, const S: bool>(
        &self,
        backing: &A,
        config: &AllocatorConfig,
        p: *mut u8,
        layout: Layout,
        new_size: usize,
    ) -> *mut u8 {
        if !config.size_class_pooling {
            // SAFETY: I5: without pooling every block belongs to the backing tier;
            // caller contract.
            return unsafe { self.realloc_backing::<A, S>(backing, config, p, layout, new_size) };
        }
        // The common case first, as on the allocation fast path: both sizes pooled in
        // their natural classes (the alignment fits both), so `class_for` would pick
        // exactly these classes.
        let old_size = layout.size();
        if old_size.max(new_size) <= MAX_POOLED_SIZE
            && let Some(a) = natural_class(old_size, layout.align())
            && let Some(b) = natural_class(new_size, layout.align())
        {
            let (a, b) = (usize::from(a), usize::from(b));
            if a == b {
                // The block already has room: stay in place.
                if S && config.statistics {
                    self.count_realloc(backing, old_size, new_size, None);
                }
                return p;
            }
            if let Some(cache) = self.fast_cache() {
                // SAFETY: caller contract; `a` is the class `p` was served from (I5:
                // `class_for(layout)`), `b` the one the new layout picks, and `cache`
                // this thread's cache.
                return unsafe {
                    self.move_pooled::<A, S>(backing, config, cache, p, layout, new_size, a, b)
                };
            }
        }
        // SAFETY: caller contract.
        unsafe { self.realloc_slow::<A, S>(backing, config, p, layout, new_size) }
    }

    /// A reallocation by the backing tier.
    ///
    /// # Safety
    /// As [`realloc`](Self::realloc), and both layouts belong to the backing tier (I5).
    #[inline(always)]
    unsafe fn realloc_backing<A: GlobalAlloc, const S: bool>(
        &self,
        backing: &A,
        config: &AllocatorConfig,
        p: *mut u8,
        layout: Layout,
        new_size: usize,
    ) -> *mut u8 {
        // SAFETY: caller contract.
        let q = unsafe { backing.realloc(p, layout, new_size) };
        if S && config.statistics && !q.is_null() {
            // Pooling on: both are larger than any class, so both buckets are
            // `LARGE_CLASS`. Off: the buckets as if pooling were on.
            let buckets = if config.size_class_pooling {
                None
            } else {
                // SAFETY: caller contract (`new_size` is valid with this alignment).
                let new_layout =
                    unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
                let (a, b) = (stats_class(layout), stats_class(new_layout));
                (a != b).then_some((a, b))
            };
            self.count_realloc(backing, layout.size(), new_size, buckets);
        }
        q
    }

    /// Every reallocation with pooling on that [`realloc`](Self::realloc) does not
    /// finish itself.
    ///
    /// # Safety
    /// As [`realloc`](Self::realloc).
    #[inline(never)]
    unsafe fn realloc_slow<A: GlobalAlloc, const S: bool>(
        &self,
        backing: &A,
        config: &AllocatorConfig,
        p: *mut u8,
        layout: Layout,
        new_size: usize,
    ) -> *mut u8 {
        let counting = S && config.statistics;
        // SAFETY: caller contract.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        let (old_class, new_class) = if config.size_class_pooling {
            (class_for(layout), class_for(new_layout))
        } else {
            (None, None)
        };
        // Each arm counts with what it knows about the statistics buckets: `None` when
        // they are the same, else (old, new).
        match (old_class, new_class) {
            // Same class: the block already has room, stay in place.
            (Some(a), Some(b)) if a == b => {
                if counting {
                    self.count_realloc(backing, layout.size(), new_size, None);
                }
                p
            }
            // SAFETY: I5: both layouts belong to the backing tier; caller contract.
            (None, None) => unsafe {
                self.realloc_backing::<A, S>(backing, config, p, layout, new_size)
            },
            // Between two classes: one cache lookup for the pop, the counting and the
            // push.
            (Some(a), Some(b)) => match self.fast_cache() {
                // SAFETY: caller contract; `a` is the class `p` was served from (I5),
                // `b` the one `new_layout` picks, and `cache` this thread's cache.
                Some(cache) => unsafe {
                    self.move_pooled::<A, S>(backing, config, cache, p, layout, new_size, a, b)
                },
                // SAFETY: caller contract; the classes differ.
                None => unsafe {
                    self.move_block::<A, S>(
                        backing, config, p, layout, new_layout, old_class, new_class,
                    )
                },
            },
            // SAFETY: caller contract; the tiers differ.
            _ => unsafe {
                self.move_block::<A, S>(
                    backing, config, p, layout, new_layout, old_class, new_class,
                )
            },
        }
    }

    /// The reallocation of a pooled block of class `old_class` to another class,
    /// `new_class`, on the calling thread's cache: pops a block of the new class,
    /// counts, copies, pushes the old block.
    ///
    /// # Safety
    /// As [`realloc`](Self::realloc); `p` is a block of class `old_class` (I5),
    /// `new_class` is `class_for` of the new layout and differs from it (both below
    /// `NUM_CLASSES`), and `cache` is the
    /// calling thread's cache (from [`fast_cache`](Self::fast_cache)).
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    unsafe fn move_pooled<A: GlobalAlloc, const S: bool>(
        &self,
        backing: &A,
        config: &AllocatorConfig,
        cache: &Cache,
        p: *mut u8,
        layout: Layout,
        new_size: usize,
        old_class: usize,
        new_class: usize,
    ) -> *mut u8 {
        // SAFETY: both are classes (caller contract), so the indexing below needs no
        // bounds checks.
        unsafe { std::hint::assert_unchecked(old_class < NUM_CLASSES && new_class < NUM_CLASSES) };
        // The list pop here, as on the allocation fast path (no `Ctx` on the stack);
        // an empty list takes the cold path. Not counted as a hand-out (nor as a pool
        // miss): it is part of a reallocation.
        let q = {
            // SAFETY: I2: `cache` is this thread's cache (caller contract), so its owner
            // state is ours alone; the reference ends before the cold path makes its own.
            let list = unsafe { &mut (*cache.owner.get()).free[new_class] };
            // SAFETY: I3: the thread's lists hold only blocks pushed under `push`'s
            // contract.
            let block = unsafe { list.pop() };
            if block.is_null() {
                self.pop_block_cold(backing, config, cache, new_class)
            } else {
                block
            }
        };
        if q.is_null() {
            return q;
        }
        // SAFETY: as above; nothing below re-enters the allocator while it lives.
        let owner = unsafe { &mut *cache.owner.get() };
        // Counted first (the move cannot fail any more), so the counting's values are not
        // kept across the copy.
        if S && config.statistics {
            let (old, new) = (layout.size(), new_size);
            cache
                .counters
                .record_resize_pooled(new, old_class, new_class);
            self.count_resized_bytes(&cache.counters, owner, old, new);
        }
        // SAFETY: both blocks hold at least the copied bytes (I3: the classes fit the
        // layouts) and are distinct (`q` came off a list or a chunk, `p` is the
        // caller's).
        unsafe { ptr::copy_nonoverlapping(p, q, layout.size().min(new_size)) };
        // The push here too (a thread cache: no shared count to update).
        let list = &mut owner.free[old_class];
        // SAFETY: `p` is a block of `old_class` the caller gives up (I5); it has at
        // least 8 bytes (I3).
        unsafe { list.push(p) };
        if list.len > LIST_LIMIT[old_class] {
            self.spill(owner, old_class);
        }
        q
    }

    /// [`pop_block_slow`](Self::pop_block_slow) for [`move_pooled`](Self::move_pooled),
    /// on the calling thread's `cache`, not counting.
    #[cold]
    #[inline(never)]
    fn pop_block_cold<A: GlobalAlloc>(
        &self,
        backing: &A,
        config: &AllocatorConfig,
        cache: &Cache,
        class: usize,
    ) -> *mut u8 {
        // SAFETY: `cache` is this thread's cache (the caller's contract), and the
        // caller holds no reference into its owner state during this call.
        let mut ctx = unsafe { Self::local_ctx(NonNull::from(cache)) };
        self.pop_block_slow(backing, config, &mut ctx, class, false)
    }

    /// A reallocation that moves the block across tiers or classes through the
    /// allocation and free paths.
    ///
    /// # Safety
    /// As [`realloc`](Self::realloc) for `p`, `layout` and `new_layout` (the new size
    /// with the old alignment); the two layouts differ in tier or class, which are
    /// `old_class` and `new_class` (`class_for`, `None` without pooling).
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    unsafe fn move_block<A: GlobalAlloc, const S: bool>(
        &self,
        backing: &A,
        config: &AllocatorConfig,
        p: *mut u8,
        layout: Layout,
        new_layout: Layout,
        old_class: Option<usize>,
        new_class: Option<usize>,
    ) -> *mut u8 {
        // Without counting the parts.
        // SAFETY: `new_layout` has non-zero size (caller contract).
        let q = unsafe {
            self.alloc::<A, false>(backing, config, new_layout, false, || {
                self.alloc_pooled_slow::<A, false>(backing, config, new_layout, false)
            })
        };
        if !q.is_null() {
            // Counted first (the move cannot fail any more), so the counting's values
            // are not kept across the copy.
            if S && config.statistics {
                // Different classes, or one of them none (`LARGE_CLASS`).
                let buckets = (
                    old_class.unwrap_or(LARGE_CLASS),
                    new_class.unwrap_or(LARGE_CLASS),
                );
                self.count_realloc(backing, layout.size(), new_layout.size(), Some(buckets));
            }
            // SAFETY: both blocks hold at least the copied bytes and are distinct.
            unsafe { ptr::copy_nonoverlapping(p, q, layout.size().min(new_layout.size())) };
            // SAFETY: `p` was allocated with `layout` (caller contract).
            unsafe {
                self.dealloc::<A, false>(backing, config, p, layout, || {
                    self.dealloc_pooled_slow::<A, false>(backing, config, p, layout)
                })
            };
        }
        q
    }

    /// Counts a reallocation from `old` to `new` bytes that moved the block from
    /// statistics bucket `.0` to `.1` (`None`: same bucket): inline on the thread's
    /// cache, through [`count`](Self::count) for a thread without one.
    #[inline(always)]
    fn count_realloc<A: GlobalAlloc>(
        &self,
        backing: &A,
        old: usize,
        new: usize,
        buckets: Option<(usize, usize)>,
    ) {
        let Some(cache) = self.fast_cache() else {
            // Equal buckets count nothing by class, whichever they are.
            let (old_class, new_class) = buckets.unwrap_or((LARGE_CLASS, LARGE_CLASS));
            return self.count_realloc_cold(backing, old, new, old_class, new_class);
        };
        // SAFETY: I2: this thread holds the cache's slot, and nothing below re-enters
        // the allocator while the reference lives.
        let owner = unsafe { &mut *cache.owner.get() };
        cache.counters.record_resize(new, buckets);
        self.count_resized_bytes(&cache.counters, owner, old, new);
    }

    /// The byte side of counting a reallocation from `old` to `new` bytes on the
    /// thread's cache: the grown or shrunk bytes in `counters` and the tally in `owner`,
    /// with one test of the direction for both, then the slow tracking when the tally
    /// may have crossed a mark.
    #[inline(always)]
    fn count_resized_bytes(&self, counters: &Counters, owner: &mut Owner, old: usize, new: usize) {
        let crossed = if new >= old {
            counters.record_grown(new - old);
            owner.rise((new - old) as i64)
        } else {
            counters.record_shrunk(old - new);
            owner.drop((old - new) as i64)
        };
        if crossed {
            self.track_slow_outlined(owner);
        }
    }

    #[cold]
    #[inline(never)]
    fn count_realloc_cold<A: GlobalAlloc>(
        &self,
        backing: &A,
        old: usize,
        new: usize,
        old_class: usize,
        new_class: usize,
    ) {
        self.count(
            backing,
            Event::Realloc {
                old,
                new,
                old_class,
                new_class,
            },
        );
    }

    /// Pops a block of `class`: from the thread's list, else a batch from the shared
    /// cache, else carved from the current chunk, else from a new chunk.
    #[inline(always)]
    fn pop_block<A: GlobalAlloc>(
        &self,
        backing: &A,
        config: &AllocatorConfig,
        ctx: &mut Ctx<'_>,
        class: usize,
        counting: bool,
    ) -> *mut u8 {
        // SAFETY: I3: the thread's lists hold only blocks pushed under `push`'s
        // contract.
        let block = unsafe { ctx.owner.free[class].pop() };
        if !block.is_null() {
            return block;
        }
        self.pop_block_slow(backing, config, ctx, class, counting)
    }

    #[cold]
    #[inline(never)]
    fn pop_block_slow<A: GlobalAlloc>(
        &self,
        backing: &A,
        config: &AllocatorConfig,
        ctx: &mut Ctx<'_>,
        class: usize,
        counting: bool,
    ) -> *mut u8 {
        if !ctx.is_shared && self.shared_available[class].load(Relaxed) > 0 {
            let got = self.with_shared(|shared| {
                // SAFETY: two lists of `class`, ours (I2) and the shared one (locked).
                let n = unsafe {
                    move_blocks(
                        &mut shared.owner.free[class],
                        &mut ctx.owner.free[class],
                        refill_batch(class),
                    )
                };
                self.shared_available[class].store(shared.owner.free[class].len, Relaxed);
                n
            });
            if got > 0 {
                return self.pop_block(backing, config, ctx, class, counting);
            }
        }
        if counting {
            ctx.counters.record_pool_miss();
        }
        let size = SIZE_CLASSES[class];
        let line_aware = config.alignment_optimization;
        let owner = &mut *ctx.owner;
        if !owner.bump_base.is_null() {
            let at = place_block(owner.bump_offset, class, line_aware);
            if at + size <= owner.bump_len {
                owner.bump_offset = at + size;
                // SAFETY: I4: `at + size` lies within the current chunk.
                return unsafe { owner.bump_base.add(at) };
            }
        }
        // Before taking a new chunk, collect the free lists of caches whose threads have
        // exited, then try the shared cache again.
        if !ctx.is_shared
            && self.reclaim_orphans()
            && self.shared_available[class].load(Relaxed) > 0
        {
            return self.pop_block(backing, config, ctx, class, counting);
        }
        let Some(chunk) = self.new_chunk(backing, config.pool_chunk_bytes) else {
            return ptr::null_mut();
        };
        owner.bump_base = chunk;
        owner.bump_len = config.pool_chunk_bytes;
        let at = place_block(CHUNK_HEADER, class, line_aware);
        // Validation keeps chunks at 8 KiB or more, so the first block always fits.
        debug_assert!(at + size <= owner.bump_len && size <= MAX_POOLED_SIZE);
        owner.bump_offset = at + size;
        // SAFETY: I4: within the new chunk.
        unsafe { chunk.add(at) }
    }

    /// Pushes a returned block onto the thread's list, moving half of it to the shared
    /// cache when it grows past its limit.
    ///
    /// # Safety
    /// `block` is a block of `class` of this instance that the caller gives up (I3).
    #[inline(always)]
    unsafe fn push_block(&self, ctx: &mut Ctx<'_>, class: usize, block: *mut u8) {
        let list = &mut ctx.owner.free[class];
        // SAFETY: caller gives up `block`, which has at least 8 bytes (I3).
        unsafe { list.push(block) };
        if ctx.is_shared {
            self.shared_available[class].store(list.len, Relaxed);
        } else if list.len > LIST_LIMIT[class] {
            self.spill(ctx.owner, class);
        }
    }

    #[cold]
    #[inline(never)]
    fn spill(&self, owner: &mut Owner, class: usize) {
        let half = owner.free[class].len / 2;
        // The shared lock is not re-entrant; spilling happens only from thread caches.
        self.with_shared(|shared| {
            // SAFETY: two lists of `class`, ours (I2) and the shared one (locked).
            unsafe { move_blocks(&mut owner.free[class], &mut shared.owner.free[class], half) };
            self.shared_available[class].store(shared.owner.free[class].len, Relaxed);
        });
    }

    /// Moves the free lists of every cache whose slot no thread holds to the shared
    /// cache. Each such slot is taken for the duration (I1), so its owner state is ours.
    /// Returns whether anything moved. Must not be called with the shared lock held.
    #[cold]
    #[inline(never)]
    fn reclaim_orphans(&self) -> bool {
        let mut moved = 0;
        for (slot, cache) in self.caches.as_slice()[..MAX_THREADS].iter().enumerate() {
            let p = cache.load(Acquire);
            if p.is_null() || SLOTS.is_taken(slot) || !SLOTS.try_take(slot) {
                continue;
            }
            // SAFETY: I1/I2: we hold the slot, so nobody else touches this cache's owner
            // state; the cache lives as long as `self`.
            let orphan = unsafe { &mut *(*p).owner.get() };
            if orphan.free.iter().any(|l| l.len > 0) {
                self.with_shared(|shared| {
                    for class in 0..NUM_CLASSES {
                        // SAFETY: two lists of `class`: the orphan's (slot held) and the
                        // shared one (locked).
                        moved += unsafe {
                            move_blocks(
                                &mut orphan.free[class],
                                &mut shared.owner.free[class],
                                usize::MAX,
                            )
                        };
                        self.shared_available[class].store(shared.owner.free[class].len, Relaxed);
                    }
                });
            }
            SLOTS.release(slot);
        }
        moved > 0
    }

    fn new_chunk<A: GlobalAlloc>(&self, backing: &A, size: usize) -> Option<*mut u8> {
        let layout = Layout::from_size_align(size, CACHE_LINE).ok()?;
        // SAFETY: validation keeps `size` non-zero.
        let chunk = unsafe { backing.alloc(layout) };
        if chunk.is_null() {
            return None;
        }
        let header = chunk.cast::<ChunkHeader>();
        let mut head = self.chunks.load(Relaxed);
        loop {
            // SAFETY: the chunk starts with room for an aligned header (I4).
            unsafe { header.write(ChunkHeader { next: head, size }) };
            match self
                .chunks
                .compare_exchange_weak(head, header, Release, Relaxed)
            {
                Ok(_) => break,
                Err(now) => head = now,
            }
        }
        self.chunk_bytes.fetch_add(size as u64, Relaxed);
        Some(chunk)
    }

    /// Moves the live-byte tally by `delta` and runs [`track_slow`](Self::track_slow)
    /// when it crossed a threshold (for paths that may move it either way).
    #[inline(always)]
    fn track(&self, owner: &mut Owner, delta: i64) {
        if owner.shift(delta) {
            self.track_slow_outlined(owner);
        }
    }

    /// [`track_slow`](Self::track_slow) out of line, for the paths that inline
    /// [`track`](Self::track).
    #[cold]
    #[inline(never)]
    fn track_slow_outlined(&self, owner: &mut Owner) {
        self.track_slow(owner);
    }

    /// Maintains the region mark and the publication window after the live-byte tally
    /// may have crossed `high` or `low` (a one-sided distance went negative), publishing
    /// to the global peak when the unpublished part reaches the granularity, and re-arms
    /// both distances from the exact tally.
    #[inline(always)]
    fn track_slow(&self, owner: &mut Owner) {
        let net = owner.net();
        // Usually nothing crossed: a one-sided distance ran out early because it
        // ignores the other side's moves. Then nothing below would change (`mark` and
        // `window_max` are at least `net`, the pending drop is under the granularity):
        // only re-arm. `low < net <= high <= HIGH_CAP` keeps the differences in range.
        if net <= owner.high && net > owner.low {
            owner.rearm(net, owner.high.wrapping_sub(net));
            return;
        }
        self.track_crossed(owner, net);
    }

    /// [`track_slow`](Self::track_slow) when the tally `net` may have crossed `high` or
    /// `low`.
    #[inline(never)]
    fn track_crossed(&self, owner: &mut Owner, net: i64) {
        owner.mark = owner.mark.max(net);
        let pending = net.wrapping_sub(owner.published);
        owner.window_max = owner.window_max.max(pending);
        if pending.unsigned_abs() >= self.granularity {
            self.publish(net, owner);
        }
        // Re-arm: `window_max < granularity` here, so a rise to the publication
        // threshold also crosses `high`.
        owner.high = owner.compute_high();
        owner.rearm(net, owner.high.saturating_sub(net));
    }

    /// [`track_slow`](Self::track_slow) for the allocation fast path, then returns
    /// `block` (keeps the caller a tail call).
    ///
    /// Called when an allocation ran `to_high` out, so only `high` can have been
    /// crossed: when it was not (the usual case: frees since the last re-arm, which
    /// `to_high` ignores, kept `net` below it), only `to_high` is re-armed, without a
    /// register saved. `above_low` stays as it is: allocations do not change `net - low`
    /// downwards, so it is still no larger than that distance.
    ///
    /// `cache` is the calling thread's cache, which the fast path has just used and
    /// holds no reference into any more. It comes last, so the fast path moves it into
    /// its argument register only in its cold branch to here. (Found again from the
    /// thread's slot, as [`dealloc_finish`](Self::dealloc_finish) does, the thread-local
    /// access made this function save and restore two registers.)
    #[cold]
    #[inline(never)]
    fn track_slow_returning(&self, block: *mut u8, cache: &Cache) -> *mut u8 {
        // SAFETY: I2: `cache` is this thread's cache (caller contract), so its owner
        // state is ours alone; the fast path no longer uses its reference to it.
        let owner = unsafe { &mut *cache.owner.get() };
        let net = owner.net();
        if net <= owner.high {
            // `net <= high <= HIGH_CAP`: in range. `base` keeps `net = base +
            // above_low - to_high`.
            owner.to_high = owner.high.wrapping_sub(net);
            owner.base = owner.high.wrapping_sub(owner.above_low);
            return block;
        }
        // A tail call, so the common case above saves no registers.
        self.track_crossed_returning(block, cache)
    }

    /// [`track_slow_returning`](Self::track_slow_returning) when `high` was crossed.
    #[cold]
    #[inline(never)]
    fn track_crossed_returning(&self, block: *mut u8, cache: &Cache) -> *mut u8 {
        // SAFETY: as in `track_slow_returning`.
        let owner = unsafe { &mut *cache.owner.get() };
        self.track_crossed(owner, owner.net());
        // Opaque, so the caller cannot infer that this returns its argument and keep
        // `block` in a saved register instead of tail-calling.
        std::hint::black_box(block)
    }

    /// Adds the cache's unpublished bytes (`net` is its live-byte tally) to the
    /// published total and the global peak, and sets `low` for the new published level.
    /// Leaves the distances to the caller: it must re-arm or disarm them (the tally
    /// itself does not depend on `low`).
    fn publish(&self, net: i64, owner: &mut Owner) {
        let pending = net.wrapping_sub(owner.published);
        self.peak.publish(pending, owner.window_max);
        owner.published = net;
        owner.window_max = 0;
        owner.low = Owner::low_for(net, self.granularity);
    }

    /// Sends the cache's next allocation through the slow path (after `mark` or the
    /// publication state changed outside it), and re-arms the free side against the
    /// current `low`.
    fn disarm(owner: &mut Owner) {
        owner.high = owner.compute_high();
        owner.rearm(owner.net(), DISARMED);
    }

    // -----------------------------------------------------------------------------------
    // Reading

    /// Sums every cache's counters; publishes the caller's pending bytes first so a
    /// single thread's peak is exact. Returns (counts, peak, chunk bytes, caches).
    pub(crate) fn snapshot<A: GlobalAlloc>(&self, backing: &A) -> (Counts, u64, u64, usize) {
        self.with_cache(backing, |ctx| {
            self.publish(ctx.owner.net(), ctx.owner);
            Self::disarm(ctx.owner);
        });
        let mut total = Counts::default();
        let mut caches = 0;
        for p in self.caches.as_slice()[..MAX_THREADS]
            .iter()
            .map(|c| c.load(Acquire))
        {
            if !p.is_null() {
                // SAFETY: I2: the cache lives as long as `self`; only its atomic
                // counters are read.
                total = total.plus(&unsafe { &*p }.counters.load());
                caches += 1;
            }
        }
        total = total.plus(&self.shared_counters.load());
        // Saturating: reads racing other threads' frees of memory allocated elsewhere
        // must not produce a huge "current" (and peak).
        let current = total.bytes_allocated.saturating_sub(total.bytes_freed);
        let peak = self.peak.peak().max(current);
        (total, peak, self.chunk_bytes.load(Relaxed), caches)
    }

    pub(crate) fn started(&self) -> Option<Instant> {
        self.started.get().copied()
    }

    /// The calling thread's counters, live bytes and region mark.
    pub(crate) fn thread_view<A: GlobalAlloc>(&self, backing: &A) -> (Counts, i64, i64) {
        self.with_cache(backing, |ctx| {
            (ctx.counters.load(), ctx.owner.net(), ctx.owner.mark)
        })
    }

    /// Starts a region on the calling thread: resets the mark to the current live bytes
    /// and returns the mark it replaces.
    pub(crate) fn begin_region<A: GlobalAlloc>(&self, backing: &A) -> i64 {
        self.with_cache(backing, |ctx| {
            let saved = ctx.owner.mark;
            ctx.owner.mark = ctx.owner.net();
            Self::disarm(ctx.owner);
            saved
        })
    }

    /// Ends a region: the enclosing region's mark becomes the higher of its own and the
    /// one reached inside.
    pub(crate) fn end_region<A: GlobalAlloc>(&self, backing: &A, saved_mark: i64) {
        self.with_cache(backing, |ctx| {
            ctx.owner.mark = ctx.owner.mark.max(saved_mark);
            Self::disarm(ctx.owner);
        });
    }

    /// Frees every cache and chunk.
    ///
    /// # Safety
    /// No block of this instance is used afterwards and no thread uses the instance any
    /// more (the caller has it exclusively: it is being dropped).
    pub(crate) unsafe fn release<A: GlobalAlloc>(&mut self, backing: &A) {
        for p in self.caches.get_mut().iter_mut().map(|c| *c.get_mut()) {
            if !p.is_null() {
                // SAFETY: I2: allocated from `backing` with `Cache`'s layout, unused now.
                unsafe {
                    ptr::drop_in_place(p);
                    backing.dealloc(p.cast(), Layout::new::<Cache>());
                }
            }
        }
        let mut chunk = *self.chunks.get_mut();
        while !chunk.is_null() {
            // SAFETY: I4: a chunk header written by `new_chunk`.
            let ChunkHeader { next, size } = unsafe { chunk.read() };
            // SAFETY: I4: allocated from `backing` with this layout.
            unsafe {
                backing.dealloc(
                    chunk.cast(),
                    Layout::from_size_align_unchecked(size, CACHE_LINE),
                )
            };
            chunk = next;
        }
    }
}
