//! The synchronization primitives the thread-safe pools are built on: `std`'s in normal
//! builds, `loom`'s under `--cfg loom`, so the same code is model-checked.
//!
//! Everything concurrent in this crate imports its `Mutex` and atomics from here, never
//! from `std::sync` directly; otherwise loom would not see those operations.

#[cfg(loom)]
pub(crate) use loom::sync::atomic::AtomicBool;
#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
#[cfg(loom)]
pub(crate) use loom::sync::{Mutex, MutexGuard};

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::AtomicBool;
#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
#[cfg(not(loom))]
pub(crate) use std::sync::{Mutex, MutexGuard};

/// Locks `mutex`, ignoring poisoning: the pools only push and pop under their locks, so
/// a panic elsewhere on the holding thread cannot leave the protected data half-changed.
#[inline]
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    match mutex.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}

/// A small number that stays the same for the calling thread and differs between
/// threads, used to pick a thread's home shard. Threads are numbered in the order they
/// first ask, so the first `n` threads get `n` different shards.
#[cfg(not(loom))]
#[inline]
pub(crate) fn thread_hint() -> usize {
    use std::cell::Cell;

    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    thread_local! {
        static HINT: Cell<usize> = const { Cell::new(usize::MAX) };
    }
    HINT.try_with(|hint| {
        let mut value = hint.get();
        if value == usize::MAX {
            value = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed) & (usize::MAX >> 1);
            hint.set(value);
        }
        value
    })
    // During thread-local destruction (a guard dropped by another thread-local's
    // destructor) any shard is correct, just possibly not the thread's usual one.
    .unwrap_or(0)
}

/// Under loom: loom's per-execution thread number (0 for the model's main thread, then
/// 1, 2, ... in spawn order), so shard choice is deterministic across loom's executions
/// (a process-wide counter would differ between them and break loom's replay). Loom
/// exposes that number only through `Debug` (`ThreadId(3)`).
#[cfg(loom)]
pub(crate) fn thread_hint() -> usize {
    let id = format!("{:?}", loom::thread::current().id());
    id.bytes()
        .filter(u8::is_ascii_digit)
        .fold(0, |n, digit| n * 10 + usize::from(digit - b'0'))
}

/// Aligns a value to its own cache-line pair, so neighbouring shards or counters that
/// different threads write do not share a line (128 bytes covers adjacent-line
/// prefetching on x86 and the 128-byte lines of Apple's cores).
#[derive(Debug, Default)]
#[repr(align(128))]
pub(crate) struct CachePadded<T>(pub(crate) T);

impl<T> std::ops::Deref for CachePadded<T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        &self.0
    }
}
