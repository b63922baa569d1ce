//! The allocator's cross-thread protocols as small types on the crate's loom shim
//! ([`crate::sync`]), so that `--cfg loom` model-checks the code the allocator runs.
//!
//! - [`SlotTable`]: the table of thread slots. A slot is taken with an acquiring
//!   compare-exchange and released with a releasing store, so everything one holder did
//!   happens before the next holder (or a thread collecting an exited thread's free
//!   lists) starts. This is what hands an exited thread's cache, counters included, to
//!   the next thread.
//! - [`OwnedCounter`]: a counter only its cache's current holder writes, with a relaxed
//!   load and store (no read-modify-write); readers merge by summing.
//! - [`SpinLock`]: the lock of the shared exchange, where threads with too many free
//!   blocks of a class leave half of them and threads with none take a batch: the
//!   cross-thread free path.
//! - [`FreeList`]: an intrusive list of free blocks, and [`move_blocks`] between two.
//! - [`PeakPublisher`]: the published live-byte total and the global peak.
//!
//! The allocator itself cannot be built under loom (it is a `const` constructible
//! `static` with thread-locals), so under `--cfg loom` only this module of the allocator
//! is compiled; `runtime/tests/loom_alloc.rs` model-checks it.

use crate::sync::{AtomicBool, AtomicU64, Ordering};
use std::ptr;

/// Defines `fn` as a `const fn` in normal builds and as a plain `fn` under loom (whose
/// atomics have no `const` constructor).
macro_rules! const_unless_loom {
    ($(#[$m:meta])* $vis:vis fn $($rest:tt)*) => {
        #[cfg(not(loom))]
        $(#[$m])* $vis const fn $($rest)*
        #[cfg(loom)]
        $(#[$m])* $vis fn $($rest)*
    };
}

/// An array of `N` atomics built by `make`, `const` outside loom.
macro_rules! atomic_array {
    ($n:expr, $make:expr) => {{
        #[cfg(not(loom))]
        let array = [const { $make }; $n];
        #[cfg(loom)]
        let array = std::array::from_fn(|_| $make);
        array
    }};
}

/// A fixed array of `Sync` cells (atomics) behind one `UnsafeCell`, laid out and
/// compiled exactly like `[T; N]`.
///
/// It exists for Miri: every reference to a structure holding `N` separate atomics
/// makes the borrow tracker walk all `N` cells on each retag (on every call taking
/// `&self`), which made a single allocation take seconds under Miri with the 4097
/// per-size counters. One cell around the array is one range to it.
#[repr(transparent)]
pub struct CellArray<T, const N: usize>(core::cell::UnsafeCell<[T; N]>);

// SAFETY: the array is only reached through shared references to its elements (`at`,
// `get_unchecked`, `as_slice`) or through `&mut self` (`get_mut`), exactly as a plain
// `[T; N]` would be, and `T: Sync`.
unsafe impl<T: Sync, const N: usize> Sync for CellArray<T, N> {}

impl<T, const N: usize> CellArray<T, N> {
    /// Wraps `items`.
    pub const fn new(items: [T; N]) -> Self {
        CellArray(core::cell::UnsafeCell::new(items))
    }

    /// Element `i` (bounds-checked, as indexing an array is).
    #[inline(always)]
    pub fn at(&self, i: usize) -> &T {
        // SAFETY: no `&mut` to the array exists while `&self` lives (only `get_mut`
        // forms one, from `&mut self`), so a shared reference to an element is sound.
        unsafe { &(*self.0.get())[i] }
    }

    /// Element `i` without a bounds check.
    ///
    /// # Safety
    /// `i < N`.
    #[inline(always)]
    pub unsafe fn get_unchecked(&self, i: usize) -> &T {
        // SAFETY: as in `at`; `i < N` per the caller.
        unsafe { (*self.0.get()).get_unchecked(i) }
    }

    /// All elements (a reference to the whole array: for paths off the fast path).
    pub fn as_slice(&self) -> &[T] {
        // SAFETY: as in `at`.
        unsafe { &*self.0.get() }
    }

    /// All elements, exclusively.
    pub fn get_mut(&mut self) -> &mut [T; N] {
        self.0.get_mut()
    }
}

/// A counter written by one thread at a time (its cache's current holder) and read by
/// anyone.
///
/// Adding is a relaxed load and a relaxed store, which compile to plain moves: no
/// locked instruction, no shared cache line. That is correct only with one writer at a
/// time; the writer changes only through [`SlotTable`]'s release/acquire handover, so
/// the next writer starts from the last value the previous one stored. A reader may see
/// a value a few operations old, never a torn or lost one.
#[derive(Debug)]
pub struct OwnedCounter(AtomicU64);

impl OwnedCounter {
    const_unless_loom! {
        /// A counter at zero.
        pub fn new() -> Self {
            OwnedCounter(AtomicU64::new(0))
        }
    }

    /// Adds `n` (wrapping) and returns the new value. Only the current owner may call
    /// this.
    #[inline(always)]
    pub fn add(&self, n: u64) -> u64 {
        let value = self.0.load(Ordering::Relaxed).wrapping_add(n);
        self.0.store(value, Ordering::Relaxed);
        value
    }

    /// Like [`add`](Self::add), and a reader that sees the new value with
    /// [`get_acquire`](Self::get_acquire) also sees every counter update this thread
    /// made before (a plain store on x86). The allocator publishes its live-byte tally
    /// this way, so `bytes_freed = bytes_allocated - live` never goes below zero for a
    /// reader that loads the tally first.
    #[inline(always)]
    pub fn add_publishing(&self, n: u64) -> u64 {
        let value = self.0.load(Ordering::Relaxed).wrapping_add(n);
        self.0.store(value, Ordering::Release);
        value
    }

    /// The current value.
    #[inline(always)]
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }

    /// The current value, seeing everything its writer did before storing it with
    /// [`add_publishing`](Self::add_publishing).
    #[inline(always)]
    pub fn get_acquire(&self) -> u64 {
        self.0.load(Ordering::Acquire)
    }
}

/// `N` slots, each held by at most one thread at a time.
#[derive(Debug)]
pub struct SlotTable<const N: usize> {
    taken: [AtomicBool; N],
}

impl<const N: usize> SlotTable<N> {
    const_unless_loom! {
        /// A table with every slot free.
        pub fn new() -> Self {
            SlotTable {
                taken: atomic_array!(N, AtomicBool::new(false)),
            }
        }
    }

    /// Takes `slot` if it is free. On success, everything the slot's previous holder
    /// did before [`release`](Self::release) happens before the caller continues.
    #[inline]
    pub fn try_take(&self, slot: usize) -> bool {
        let flag = &self.taken[slot];
        !flag.load(Ordering::Relaxed)
            && flag
                .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
    }

    /// Takes the lowest free slot, if any.
    pub fn take_any(&self) -> Option<usize> {
        (0..N).find(|&slot| self.try_take(slot))
    }

    /// Gives `slot` back; the caller must hold it. Publishes the holder's writes to the
    /// slot's next holder.
    #[inline]
    pub fn release(&self, slot: usize) {
        self.taken[slot].store(false, Ordering::Release);
    }

    /// Whether `slot` is held right now (a hint: it may change at once).
    #[inline]
    pub fn is_taken(&self, slot: usize) -> bool {
        self.taken[slot].load(Ordering::Relaxed)
    }
}

/// The cell a [`SpinLock`] protects: `std`'s `UnsafeCell`, or loom's (which checks that
/// accesses never overlap) under loom.
#[derive(Debug)]
struct Guarded<T>(
    #[cfg(not(loom))] std::cell::UnsafeCell<T>,
    #[cfg(loom)] loom::cell::UnsafeCell<T>,
);

impl<T> Guarded<T> {
    const_unless_loom! {
        fn new(value: T) -> Self {
            #[cfg(not(loom))]
            let cell = std::cell::UnsafeCell::new(value);
            #[cfg(loom)]
            let cell = loom::cell::UnsafeCell::new(value);
            Guarded(cell)
        }
    }

    #[inline]
    fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        #[cfg(not(loom))]
        return f(self.0.get());
        #[cfg(loom)]
        return self.0.with_mut(f);
    }
}

/// A spin lock around a `T`, for short critical sections that must not allocate (a
/// `std::sync::Mutex` may allocate on some platforms, and the allocator must never
/// call itself).
#[derive(Debug)]
pub struct SpinLock<T> {
    locked: AtomicBool,
    value: Guarded<T>,
}

// SAFETY: the value is reached only by the thread holding the lock (`with`), and the
// acquire/release pair on `locked` orders one holder's accesses before the next one's.
unsafe impl<T: Send> Sync for SpinLock<T> {}
// SAFETY: moving the lock moves the value; `T: Send` allows that.
unsafe impl<T: Send> Send for SpinLock<T> {}

impl<T> SpinLock<T> {
    const_unless_loom! {
        /// An unlocked lock around `value`.
        pub fn new(value: T) -> Self {
            SpinLock {
                locked: AtomicBool::new(false),
                value: Guarded::new(value),
            }
        }
    }

    /// Runs `f` with the value, holding the lock. Not re-entrant: `f` must not lock
    /// this lock again. The lock is released even if `f` unwinds.
    pub fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        let mut spins = 0u32;
        while self
            .locked
            .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            spin_wait(&mut spins);
        }
        struct Unlock<'a>(&'a AtomicBool);
        impl Drop for Unlock<'_> {
            fn drop(&mut self) {
                self.0.store(false, Ordering::Release);
            }
        }
        let _unlock = Unlock(&self.locked);
        // SAFETY: we hold the lock, so no other reference to the value exists; the
        // reference does not outlive `f`.
        self.value.with_mut(|value| f(unsafe { &mut *value }))
    }
}

/// Backs off while another thread holds a lock: a few spin hints, then yields.
#[inline]
fn spin_wait(spins: &mut u32) {
    #[cfg(loom)]
    {
        let _ = spins;
        loom::thread::yield_now();
    }
    #[cfg(not(loom))]
    {
        *spins += 1;
        if *spins < 64 {
            std::hint::spin_loop();
        } else {
            std::thread::yield_now();
        }
    }
}

/// An intrusive list of free blocks of one size: each listed block's first 8 bytes
/// (possibly unaligned) hold the next block's address.
#[derive(Clone, Copy, Debug)]
pub struct FreeList {
    /// The first block, or null.
    pub head: *mut u8,
    /// Blocks on the list.
    pub len: usize,
}

// SAFETY: a list owns its blocks, which are plain memory; whoever holds the list (a
// slot holder, or the holder of a lock around it) may use them from any thread.
unsafe impl Send for FreeList {}

impl FreeList {
    /// An empty list.
    pub const EMPTY: FreeList = FreeList {
        head: ptr::null_mut(),
        len: 0,
    };

    /// Puts `block` at the front.
    ///
    /// # Safety
    /// `block` is valid for writes of 8 bytes, on no list, and the caller gives it up.
    #[inline(always)]
    pub unsafe fn push(&mut self, block: *mut u8) {
        // SAFETY: caller contract.
        unsafe { block.cast::<*mut u8>().write_unaligned(self.head) };
        self.head = block;
        self.len += 1;
    }

    /// Takes the front block, or returns null when the list is empty.
    ///
    /// # Safety
    /// Every listed block was pushed under [`push`](Self::push)'s contract and is still
    /// owned by the list.
    #[inline(always)]
    pub unsafe fn pop(&mut self) -> *mut u8 {
        let block = self.head;
        if !block.is_null() {
            // SAFETY: a listed block holds the next pointer in its first 8 bytes.
            self.head = unsafe { block.cast::<*mut u8>().read_unaligned() };
            self.len -= 1;
        }
        block
    }
}

/// Moves up to `n` blocks from the front of `from` onto `to`; returns how many moved.
///
/// # Safety
/// Both lists satisfy [`FreeList::pop`]'s contract and hold blocks of the same size.
pub unsafe fn move_blocks(from: &mut FreeList, to: &mut FreeList, n: usize) -> usize {
    let mut moved = 0;
    while moved < n {
        // SAFETY: caller contract.
        let block = unsafe { from.pop() };
        if block.is_null() {
            break;
        }
        // SAFETY: `block` just left `from`, so it is on no list, and is at least 8 bytes.
        unsafe { to.push(block) };
        moved += 1;
    }
    moved
}

/// The published live-byte total across threads and the highest it reached.
///
/// Each thread keeps its own live-byte tally and adds the unpublished part here from
/// time to time (every operation when exact peaks are asked for). The peak is taken at
/// publication: the total before the thread's addition plus the highest the thread's
/// unpublished part reached since its previous publication. Publications are ordered
/// by the read-modify-write on the total, so with publication on every operation the
/// peak is exactly the highest prefix of that order.
#[derive(Debug)]
pub struct PeakPublisher {
    /// Two's complement `i64`: a thread's part is negative when it frees memory others
    /// allocated.
    total: AtomicU64,
    peak: AtomicU64,
}

impl PeakPublisher {
    const_unless_loom! {
        /// Nothing published, peak zero.
        pub fn new() -> Self {
            PeakPublisher {
                total: AtomicU64::new(0),
                peak: AtomicU64::new(0),
            }
        }
    }

    /// Adds `pending` (the thread's change of live bytes since its last publication) to
    /// the total, and raises the peak to the total before it plus `window_max` (the
    /// highest the thread's unpublished part reached meanwhile, at least `pending`).
    pub fn publish(&self, pending: i64, window_max: i64) {
        let before = self.total.fetch_add(pending as u64, Ordering::Relaxed) as i64;
        let candidate = before.saturating_add(window_max);
        if candidate > 0 {
            self.peak.fetch_max(candidate as u64, Ordering::Relaxed);
        }
    }

    /// The published total.
    #[cfg_attr(not(any(test, loom)), allow(dead_code))]
    pub fn total(&self) -> i64 {
        self.total.load(Ordering::Relaxed) as i64
    }

    /// The highest published total (never below zero).
    pub fn peak(&self) -> u64 {
        self.peak.load(Ordering::Relaxed)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn slots_are_exclusive_and_reusable() {
        let table = SlotTable::<2>::new();
        assert_eq!(table.take_any(), Some(0));
        assert_eq!(table.take_any(), Some(1));
        assert_eq!(table.take_any(), None);
        assert!(!table.try_take(0));
        table.release(0);
        assert!(!table.is_taken(0));
        assert!(table.try_take(0));
    }

    #[test]
    fn lists_move_blocks_in_order() {
        let mut blocks = [[0u64; 2]; 4];
        let mut a = FreeList::EMPTY;
        let mut b = FreeList::EMPTY;
        for block in &mut blocks {
            // SAFETY: 16 writable bytes each, on no list.
            unsafe { a.push(block.as_mut_ptr().cast()) };
        }
        // SAFETY: both lists hold only blocks pushed above.
        assert_eq!(unsafe { move_blocks(&mut a, &mut b, 3) }, 3);
        assert_eq!((a.len, b.len), (1, 3));
        // SAFETY: as above.
        assert_eq!(unsafe { move_blocks(&mut a, &mut b, 9) }, 1);
        let mut seen = Vec::new();
        loop {
            // SAFETY: as above.
            let p = unsafe { b.pop() };
            if p.is_null() {
                break;
            }
            seen.push(p);
        }
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), 4);
        assert_eq!((a.len, b.len), (0, 0));
    }

    #[test]
    fn spin_lock_and_peak() {
        let lock = SpinLock::new(1);
        assert_eq!(lock.with(|v| std::mem::replace(v, 2)), 1);
        assert_eq!(lock.with(|v| *v), 2);
        let peak = PeakPublisher::new();
        peak.publish(100, 100);
        peak.publish(-60, 0);
        peak.publish(30, 50); // rose to +50 then fell back to +30 before publishing
        assert_eq!((peak.total(), peak.peak()), (70, 100));
        peak.publish(10, 200);
        assert_eq!(peak.peak(), 270);
        let counter = OwnedCounter::new();
        assert_eq!(counter.add(5), 5);
        assert_eq!(counter.add(u64::MAX), 4);
        assert_eq!(counter.get(), 4);
    }
}
