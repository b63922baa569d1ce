//! Allocation failure on demand: a test allocator (`Flaky`, wrapping `System`) that
//! refuses every request of the calling thread once armed, used
//!
//! - as the **backing allocator of an `EvmAllocator` instance**: a refused chunk or
//!   large block comes back as a null pointer (`GlobalAlloc`) or `AllocError`
//!   (`Allocator`), nothing is counted for it, every block handed out before stays
//!   intact, the allocator works again once the backing does, and dropping it returns
//!   every byte it took from the backing;
//! - as this test binary's **global allocator**, for `TxArena`: a refused chunk is
//!   `ArenaError::OutOfMemory`, and what the arena held stays valid.
//!
//! Only the arming thread is refused, so the test harness keeps working. Tests that arm
//! the global allocator or read the backing's byte count run one at a time.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use evm_pool::{AllocatorConfig, ArenaError, EvmAllocator, TxArena};

thread_local! {
    /// Requests this thread may still make of a backing `Flaky` (index 1) or of the
    /// global one (index 0) before it refuses; `u64::MAX`: never.
    static ALLOWED: [Cell<u64>; 2] = const { [Cell::new(u64::MAX), Cell::new(u64::MAX)] };
}

/// Bytes the `EvmAllocator` instances under test hold from their backing `Flaky`.
static BACKING_LIVE: AtomicI64 = AtomicI64::new(0);
/// Requests `Flaky` refused.
static REFUSED: AtomicU64 = AtomicU64::new(0);
static SERIAL: Mutex<()> = Mutex::new(());

/// Refuses the calling thread's requests once its allowance is spent. `TRACK` counts
/// the live bytes it hands out (for a backing allocator; not for the global one).
struct Flaky<const TRACK: bool>;

impl<const TRACK: bool> Flaky<TRACK> {
    fn permit() -> bool {
        ALLOWED
            .try_with(|allowed| match allowed[usize::from(TRACK)].get() {
                0 => false,
                u64::MAX => true,
                n => {
                    allowed[usize::from(TRACK)].set(n - 1);
                    true
                }
            })
            .unwrap_or(true)
    }
}

// SAFETY: forwards to `System`, or returns null (allowed by the `GlobalAlloc` contract).
unsafe impl<const TRACK: bool> GlobalAlloc for Flaky<TRACK> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if !Self::permit() {
            REFUSED.fetch_add(1, Ordering::Relaxed);
            return std::ptr::null_mut();
        }
        // SAFETY: the caller's contract, forwarded.
        let p = unsafe { System.alloc(layout) };
        if TRACK && !p.is_null() {
            BACKING_LIVE.fetch_add(layout.size() as i64, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if TRACK {
            BACKING_LIVE.fetch_sub(layout.size() as i64, Ordering::Relaxed);
        }
        // SAFETY: the caller's contract, forwarded.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if !Self::permit() {
            REFUSED.fetch_add(1, Ordering::Relaxed);
            return std::ptr::null_mut();
        }
        // SAFETY: the caller's contract, forwarded.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if TRACK && !p.is_null() {
            BACKING_LIVE.fetch_add(new_size as i64 - layout.size() as i64, Ordering::Relaxed);
        }
        p
    }
}

#[global_allocator]
static GLOBAL: Flaky<false> = Flaky;

/// Runs `f` with the calling thread's next `allowed` requests to a backing `Flaky`
/// granted and the rest refused, then lifts the limit (also if `f` panics).
fn refusing_after<R>(allowed: u64, f: impl FnOnce() -> R) -> R {
    limited(1, allowed, f)
}

/// The same for the global allocator.
fn global_refusing_after<R>(allowed: u64, f: impl FnOnce() -> R) -> R {
    limited(0, allowed, f)
}

fn limited<R>(which: usize, allowed: u64, f: impl FnOnce() -> R) -> R {
    struct Lift(usize);
    impl Drop for Lift {
        fn drop(&mut self) {
            ALLOWED.with(|a| a[self.0].set(u64::MAX));
        }
    }
    let _lift = Lift(which);
    ALLOWED.with(|a| a[which].set(allowed));
    f()
}

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

type Evm = EvmAllocator<Flaky<true>>;

fn fill(p: *mut u8, len: usize, byte: u8) {
    // SAFETY: callers pass a live block of at least `len` bytes.
    unsafe { std::ptr::write_bytes(p, byte, len) }
}

fn holds(p: *const u8, len: usize, byte: u8) -> bool {
    // SAFETY: callers pass a live block of at least `len` bytes.
    unsafe { std::slice::from_raw_parts(p, len) }
        .iter()
        .all(|&b| b == byte)
}

/// Blocks above the pooled sizes go straight to the backing allocator: refused there,
/// refused here, with nothing counted.
#[test]
fn large_block_refused_by_the_backing_is_null_and_uncounted() {
    let _serial = serial();
    let live_before = BACKING_LIVE.load(Ordering::Relaxed);
    {
        let alloc = Evm::new(Flaky);
        let big = Layout::from_size_align(64 * 1024, 8).unwrap();
        let kept = Layout::from_size_align(8 * 1024, 8).unwrap();
        // SAFETY: non-zero sizes; blocks freed below with their layouts.
        let before = unsafe { alloc.alloc(kept) };
        assert!(!before.is_null());
        fill(before, kept.size(), 0x11);
        let stats_before = alloc.stats();
        let refused_before = REFUSED.load(Ordering::Relaxed);
        // SAFETY: as above.
        let p = refusing_after(0, || unsafe { alloc.alloc(big) });
        assert!(p.is_null(), "a refused backing request is a null pointer");
        assert_eq!(REFUSED.load(Ordering::Relaxed), refused_before + 1);
        let stats = alloc.stats();
        assert_eq!(
            stats.allocations, stats_before.allocations,
            "nothing counted"
        );
        assert_eq!(stats.current_bytes, stats_before.current_bytes);
        assert!(
            holds(before, kept.size(), 0x11),
            "earlier blocks are intact"
        );
        // Through the `Allocator` API the same refusal is a typed error.
        let typed = refusing_after(0, || {
            allocator_api2::alloc::Allocator::allocate(&alloc, big)
        });
        assert!(typed.is_err());
        // The backing works again: so does the allocator.
        // SAFETY: as above.
        let q = unsafe { alloc.alloc(big) };
        assert!(!q.is_null());
        // SAFETY: both blocks are live with these layouts.
        unsafe {
            alloc.dealloc(q, big);
            alloc.dealloc(before, kept);
        }
        assert_eq!(alloc.stats().current_bytes, 0);
    }
    assert_eq!(
        BACKING_LIVE.load(Ordering::Relaxed),
        live_before,
        "backing bytes leaked"
    );
}

/// Small blocks come from chunks: when the backing refuses the next chunk the allocator
/// returns null for that request only; all blocks handed out before keep their contents
/// and are freed normally; the next request after the backing recovers succeeds.
#[test]
fn refused_chunk_is_null_and_earlier_blocks_stay_intact() {
    let _serial = serial();
    let live_before = BACKING_LIVE.load(Ordering::Relaxed);
    {
        let alloc = Evm::new(Flaky);
        let word = Layout::new::<[u8; 32]>();
        // Warm up: this thread's cache and first chunk come from the backing.
        // SAFETY: non-zero size; freed below.
        let first = unsafe { alloc.alloc(word) };
        assert!(!first.is_null());
        fill(first, 32, 0xEE);
        let mut blocks = vec![(first, 0xEEu8)];
        // With the backing refusing, allocate until the current chunk runs out.
        let refused_at = refusing_after(0, || {
            for i in 1..1_000_000usize {
                // SAFETY: as above.
                let p = unsafe { alloc.alloc(word) };
                if p.is_null() {
                    return Some(i);
                }
                fill(p, 32, i as u8);
                blocks.push((p, i as u8));
            }
            None
        });
        let refused_at = refused_at.expect("a chunk is finite: the backing was asked again");
        let stats = alloc.stats();
        assert_eq!(
            stats.allocations, refused_at as u64,
            "the refused request is not counted"
        );
        assert_eq!(stats.current_bytes, 32 * refused_at as u64);
        for &(p, byte) in &blocks {
            assert!(
                holds(p, 32, byte),
                "a block handed out before the refusal changed"
            );
        }
        // Recovered: allocation goes on (a new chunk).
        // SAFETY: as above.
        let after = unsafe { alloc.alloc(word) };
        assert!(!after.is_null());
        blocks.push((after, 0));
        for (p, _) in blocks {
            // SAFETY: every block is live with this layout.
            unsafe { alloc.dealloc(p, word) };
        }
        let stats = alloc.stats();
        assert_eq!(stats.current_bytes, 0);
        assert_eq!(stats.allocations, stats.deallocations);
    }
    assert_eq!(
        BACKING_LIVE.load(Ordering::Relaxed),
        live_before,
        "chunks leaked"
    );
}

/// A refused `realloc` leaves the original block allocated and unchanged (the
/// `GlobalAlloc` contract), so the caller can go on using or free it.
#[test]
fn refused_realloc_keeps_the_original_block() {
    let _serial = serial();
    let live_before = BACKING_LIVE.load(Ordering::Relaxed);
    {
        let alloc = Evm::new(Flaky);
        for (from, to) in [(100, 100 * 1024), (16 * 1024, 64 * 1024)] {
            let layout = Layout::from_size_align(from, 8).unwrap();
            // SAFETY: non-zero size; freed below.
            let p = unsafe { alloc.alloc(layout) };
            assert!(!p.is_null());
            fill(p, from, 0x5A);
            let stats_before = alloc.stats();
            // SAFETY: `p` is live with `layout`; `to` is a valid size.
            let q = refusing_after(0, || unsafe { alloc.realloc(p, layout, to) });
            assert!(q.is_null(), "{from} -> {to}: refused");
            assert!(holds(p, from, 0x5A), "{from} -> {to}: original changed");
            let stats = alloc.stats();
            assert_eq!(stats.reallocations, stats_before.reallocations);
            assert_eq!(stats.current_bytes, stats_before.current_bytes);
            // SAFETY: still live with `layout`.
            unsafe { alloc.dealloc(p, layout) };
        }
        assert_eq!(alloc.stats().current_bytes, 0);
    }
    assert_eq!(BACKING_LIVE.load(Ordering::Relaxed), live_before);
}

/// Collections over the allocator see refusals as `try_reserve` errors, not aborts.
#[test]
fn collections_get_a_typed_error() {
    let _serial = serial();
    let alloc = Evm::new(Flaky);
    let mut memory = allocator_api2::vec::Vec::<u8, _>::new_in(&alloc);
    memory.extend_from_slice(b"\x60\x80\x60\x40");
    let refused = refusing_after(0, || memory.try_reserve(1 << 20));
    assert!(refused.is_err());
    assert_eq!(&memory[..], b"\x60\x80\x60\x40");
    memory.try_reserve(1 << 20).unwrap();
}

/// A minimal (forwarding) allocator behaves the same: it adds no failure modes.
#[test]
fn forwarding_config_passes_refusals_through() {
    let _serial = serial();
    let alloc: Evm = EvmAllocator::with_config(Flaky, AllocatorConfig::minimal());
    let layout = Layout::new::<u64>();
    // SAFETY: non-zero size.
    let p = refusing_after(0, || unsafe { alloc.alloc(layout) });
    assert!(p.is_null());
    assert_eq!(alloc.stats().allocations, 0);
}

/// `TxArena` gets its chunks from the global allocator: a refused chunk is
/// `ArenaError::OutOfMemory`; what the arena handed out before is untouched and the arena
/// keeps working once memory is available again. A size that overflows is the same
/// error without asking the allocator.
#[test]
fn arena_refused_chunk_is_a_typed_error() {
    let _serial = serial();
    let mut arena = TxArena::with_chunk_size(4096);
    let kept: &mut [u8] = arena.alloc_slice_copy(&[7u8; 100]);
    let kept_ptr = kept.as_ptr();
    let big = Layout::from_size_align(1 << 20, 8).unwrap();
    let refused = global_refusing_after(0, || arena.try_alloc_layout(big));
    assert_eq!(refused, Err(ArenaError::OutOfMemory { size: 1 << 20 }));
    assert!(refused.unwrap_err().to_string().contains("1048576"));
    // SAFETY: `kept_ptr` points to 100 bytes the arena still holds (no reset since).
    assert!(holds(kept_ptr, 100, 7));
    let stats = arena.stats();
    assert_eq!(stats.chunks, 1);
    assert!(arena.try_alloc_layout(big).is_ok(), "recovered");
    let huge = Layout::from_size_align(isize::MAX as usize - 64, 8).unwrap();
    assert!(matches!(
        arena.try_alloc_layout(huge),
        Err(ArenaError::OutOfMemory { .. })
    ));
    arena.reset();
    assert_eq!(arena.stats().bytes_used, 0);
}
