//! A per-transaction bump arena: memory for data that lives exactly as long as a
//! transaction or a call, handed out by bumping a pointer and reclaimed all at once.
//!
//! # The model
//!
//! [`TxArena`] owns a list of chunks. Allocating bumps an offset in the current chunk
//! and moves to the next chunk (growing the list when needed) when it is full.
//! [`TxArena::reset`] rewinds to the first chunk **keeping every chunk it grew** — unlike
//! `bumpalo`, which keeps only the last one — so a steady stream of similar transactions
//! allocates nothing after the first. [`TxArena::checkpoint`] and [`TxArena::rewind`]
//! reclaim what a reverted call allocated. The borrow checker makes this safe: values
//! borrow the arena, and `reset`/`rewind` take `&mut self`.
//!
//! **Drop semantics:** the arena never runs destructors. `reset`, `rewind` and dropping
//! the arena reclaim memory without dropping the values in it, so a value that owns heap
//! memory (a `Vec`, a `String`) leaks that memory. Put plain data in the arena: words,
//! addresses, byte slices, `Copy` structs, or references to other arena data.
//!
//! ```
//! use evm_pool_runtime::TxArena;
//!
//! let mut arena = TxArena::with_chunk_size(4096);
//! for tx in 0..1000u64 {
//!     let calldata = arena.alloc_slice_copy(&tx.to_be_bytes());
//!     let word = arena.alloc([0u8; 32]);
//!     word[..8].copy_from_slice(calldata);
//!
//!     let before_call = arena.checkpoint();
//!     arena.alloc_slice_fill_with(64, |i| i as u8); // a call that reverts
//!     arena.rewind(before_call)?;
//!
//!     arena.reset();
//! }
//! let stats = arena.stats();
//! assert_eq!(stats.chunk_allocations, 1); // one chunk, reused 1000 times
//! assert_eq!(stats.resets, 1000);
//! # Ok::<(), evm_pool_runtime::ArenaError>(())
//! ```
//!
//! # Invariants (for the `unsafe` below)
//!
//! - **A1** `chunks[i].ptr` is a live allocation of `chunks[i].size` bytes with alignment
//!   [`CHUNK_ALIGN`] from the global allocator, freed only in `Drop`.
//! - **A2** `base..end` is chunk `current` and `next` lies in it (or all three are
//!   null and there is no chunk). Every reference handed out points into a chunk before
//!   `current`, or into `base..next`, and no two overlap. Bytes at and after the position
//!   are referenced by nobody. Only `reset` and `rewind` move the position back, and
//!   they take `&mut self`, so no reference handed out is alive then.

use crate::AllocatorConfig;
use crate::pool::{ByteSize, ConfigError};
use std::alloc::{self, Layout};
use std::cell::{Cell, RefCell};
use std::fmt;
use std::ptr::{self, NonNull};

/// Alignment of every chunk; requests with larger alignment are padded inside a chunk.
pub const CHUNK_ALIGN: usize = 16;

/// Default size of the first chunk.
pub const DEFAULT_CHUNK_SIZE: usize = 64 * 1024;

/// Chunks stop doubling at this size (a larger single request still gets a chunk of
/// its own size).
const MAX_GROWTH_CHUNK: usize = 16 * 1024 * 1024;

struct Chunk {
    ptr: NonNull<u8>,
    size: usize,
    /// Bytes consumed when the arena moved on to the next chunk.
    filled: usize,
}

/// A bump arena for one transaction at a time; see the [module docs](self).
///
/// ```
/// use evm_pool_runtime::TxArena;
///
/// let mut arena = TxArena::new();
/// let word = arena.alloc([0u8; 32]);
/// word[31] = 1;
/// arena.reset(); // `word` can no longer be used: `reset` takes `&mut self`
/// assert_eq!(arena.stats().bytes_used, 0);
/// ```
pub struct TxArena {
    chunks: RefCell<Vec<Chunk>>,
    current: Cell<usize>,
    /// Start, next free byte and end of chunk `current` (all null before the first
    /// chunk): the bump fast path touches only these.
    base: Cell<*mut u8>,
    next: Cell<*mut u8>,
    end: Cell<*mut u8>,
    /// Bytes consumed in chunks before `current`.
    used_before: Cell<usize>,
    peak_used: Cell<usize>,
    generation: Cell<u64>,
    resets: Cell<u64>,
    chunk_allocations: Cell<u64>,
    first_chunk_size: usize,
}

/// A position in a [`TxArena`] to [`rewind`](TxArena::rewind) to.
///
/// ```
/// use evm_pool_runtime::TxArena;
///
/// let mut arena = TxArena::new();
/// let before_call: evm_pool_runtime::Checkpoint = arena.checkpoint();
/// arena.alloc_slice_copy(&[0u8; 100]);
/// arena.rewind(before_call)?;
/// assert_eq!(arena.stats().bytes_used, 0);
/// # Ok::<(), evm_pool_runtime::ArenaError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    generation: u64,
    chunk: usize,
    offset: usize,
}

/// Why a [`TxArena`] operation failed.
///
/// ```
/// use evm_pool_runtime::{ArenaError, TxArena};
///
/// let mut arena = TxArena::new();
/// let stale = arena.checkpoint();
/// arena.reset();
/// assert_eq!(arena.rewind(stale), Err(ArenaError::StaleCheckpoint));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ArenaError {
    /// The checkpoint was taken before the last [`reset`](TxArena::reset), or lies past
    /// the current position (it was taken after a position already rewound past).
    StaleCheckpoint,
    /// The request's size overflows or the global allocator refused a chunk.
    OutOfMemory {
        /// Bytes requested.
        size: usize,
    },
}

impl fmt::Display for ArenaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ArenaError::StaleCheckpoint => f.write_str(
                "checkpoint is stale: taken before the last reset, or past the current position",
            ),
            ArenaError::OutOfMemory { size } => {
                write!(f, "arena could not get memory for {size} bytes")
            }
        }
    }
}

impl std::error::Error for ArenaError {}

/// A [`TxArena`]'s counters.
///
/// ```
/// use evm_pool_runtime::TxArena;
///
/// let mut arena = TxArena::with_chunk_size(1024);
/// for _tx in 0..3 {
///     arena.alloc_slice_copy(&[7u8; 600]);
///     arena.alloc_slice_copy(&[7u8; 600]); // does not fit: a second chunk
///     arena.reset();
/// }
/// let stats = arena.stats();
/// assert_eq!((stats.chunks, stats.chunk_allocations, stats.resets), (2, 2, 3));
/// assert_eq!(stats.bytes_used, 0);
/// assert!(stats.peak_bytes_used >= 1200);
/// println!("{stats}");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct ArenaStats {
    /// Bytes consumed since the last reset (alignment padding included).
    pub bytes_used: u64,
    /// Bytes of all chunks held.
    pub bytes_held: u64,
    /// Most bytes used between two resets.
    pub peak_bytes_used: u64,
    /// Times [`TxArena::reset`] ran.
    pub resets: u64,
    /// Chunks held.
    pub chunks: usize,
    /// Chunks ever requested from the global allocator (equal to `chunks`: chunks are
    /// kept until the arena is dropped). Flat in steady state.
    pub chunk_allocations: u64,
}

impl fmt::Display for ArenaStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "arena: {} used (peak {}) of {} held in {} chunks; {} resets",
            ByteSize(self.bytes_used),
            ByteSize(self.peak_bytes_used),
            ByteSize(self.bytes_held),
            self.chunks,
            self.resets
        )
    }
}

// SAFETY: the arena owns its chunks; every value in them is reachable only through a
// borrow of the arena (A2), so moving the arena to another thread moves no live
// reference, and values are never dropped or handed out again (no `T: Send` needed, as
// for `bumpalo::Bump`).
unsafe impl Send for TxArena {}

impl Default for TxArena {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for TxArena {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TxArena")
            .field("stats", &self.stats())
            .finish()
    }
}

impl TxArena {
    /// An empty arena whose first chunk (allocated on first use) is 64 KiB.
    ///
    /// ```
    /// let arena = evm_pool_runtime::TxArena::new();
    /// assert_eq!(arena.stats().chunks, 0); // nothing allocated yet
    /// arena.alloc(1u64);
    /// assert_eq!(arena.stats().bytes_held, 64 * 1024);
    /// ```
    pub fn new() -> Self {
        Self::with_chunk_size(DEFAULT_CHUNK_SIZE)
    }

    /// An empty arena whose first chunk (allocated on first use) has `size` bytes (at
    /// least [`CHUNK_ALIGN`]). Later chunks double.
    ///
    /// ```
    /// let arena = evm_pool_runtime::TxArena::with_chunk_size(1024);
    /// assert_eq!(arena.stats().bytes_held, 0);
    /// arena.alloc(1u8);
    /// assert_eq!(arena.stats().bytes_held, 1024);
    /// ```
    pub fn with_chunk_size(size: usize) -> Self {
        TxArena {
            chunks: RefCell::new(Vec::new()),
            current: Cell::new(0),
            base: Cell::new(ptr::null_mut()),
            next: Cell::new(ptr::null_mut()),
            end: Cell::new(ptr::null_mut()),
            used_before: Cell::new(0),
            peak_used: Cell::new(0),
            generation: Cell::new(0),
            resets: Cell::new(0),
            chunk_allocations: Cell::new(0),
            first_chunk_size: size.max(CHUNK_ALIGN),
        }
    }

    /// An arena sized by `config.arena_bytes` (1 MiB for
    /// [`AllocatorConfig::optimized`]), its first chunk allocated now; an error when the
    /// configuration turns the arena off or is invalid.
    ///
    /// ```
    /// use evm_pool_runtime::{AllocatorConfig, TxArena};
    ///
    /// let arena = TxArena::from_config(&AllocatorConfig::optimized())?;
    /// assert_eq!(arena.stats().bytes_held, 1024 * 1024);
    /// assert!(TxArena::from_config(&AllocatorConfig::minimal()).is_err());
    /// # Ok::<(), evm_pool_runtime::ConfigError>(())
    /// ```
    pub fn from_config(config: &AllocatorConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        if !config.arena {
            return Err(ConfigError::Invalid {
                name: "arena",
                reason: "the arena is off in this configuration",
            });
        }
        let arena = Self::with_chunk_size(config.arena_bytes);
        arena
            .add_chunk(config.arena_bytes)
            .map_err(|_| ConfigError::Invalid {
                name: "arena_bytes",
                reason: "the global allocator refused a chunk of this size",
            })?;
        arena.enter(0, 0);
        Ok(arena)
    }

    /// Allocates memory for `layout`, uninitialized; aborts via
    /// [`handle_alloc_error`](std::alloc::handle_alloc_error) if no chunk can be had.
    /// Zero-sized requests take no space.
    ///
    /// ```
    /// use std::alloc::Layout;
    ///
    /// let arena = evm_pool_runtime::TxArena::new();
    /// let ptr = arena.alloc_layout(Layout::from_size_align(64, 32).unwrap());
    /// assert_eq!(ptr.as_ptr() as usize % 32, 0);
    /// ```
    #[inline]
    pub fn alloc_layout(&self, layout: Layout) -> NonNull<u8> {
        match self.try_alloc_layout(layout) {
            Ok(p) => p,
            Err(_) => alloc::handle_alloc_error(layout),
        }
    }

    /// Allocates memory for `layout`, uninitialized, or reports why it could not.
    ///
    /// ```
    /// use evm_pool_runtime::{ArenaError, TxArena};
    /// use std::alloc::Layout;
    ///
    /// let arena = TxArena::new();
    /// assert!(arena.try_alloc_layout(Layout::new::<[u8; 32]>()).is_ok());
    /// let huge = Layout::from_size_align(isize::MAX as usize - 64, 1).unwrap();
    /// assert!(matches!(arena.try_alloc_layout(huge), Err(ArenaError::OutOfMemory { .. })));
    /// ```
    #[inline]
    pub fn try_alloc_layout(&self, layout: Layout) -> Result<NonNull<u8>, ArenaError> {
        if let Some(p) = self.bump(layout) {
            return Ok(p);
        }
        self.alloc_slow(layout)
    }

    #[cold]
    #[inline(never)]
    fn alloc_slow(&self, layout: Layout) -> Result<NonNull<u8>, ArenaError> {
        if layout.size() == 0 {
            let dangling = ptr::without_provenance_mut(layout.align());
            return Ok(NonNull::new(dangling).unwrap_or(NonNull::dangling()));
        }
        loop {
            self.advance(layout)?;
            if let Some(p) = self.bump(layout) {
                return Ok(p);
            }
        }
    }

    /// Bumps within the current chunk, or `None` when it has no room (or there is no
    /// chunk yet, or the request is zero-sized and there is no chunk).
    #[inline(always)]
    fn bump(&self, layout: Layout) -> Option<NonNull<u8>> {
        let next = self.next.get();
        // Alignments are powers of two: round up with a mask, not a division.
        let mask = layout.align() - 1;
        let start = next.addr().checked_add(mask)? & !mask;
        let end = start.checked_add(layout.size())?;
        if end > self.end.get().addr() || next.is_null() {
            return None;
        }
        self.next.set(next.with_addr(end));
        // SAFETY: A2: `start..end` lies within the current chunk, past every reference
        // handed out, and `next` now covers it; `start` is non-zero because `next` is a
        // non-null pointer into the chunk.
        Some(unsafe { NonNull::new_unchecked(next.with_addr(start)) })
    }

    /// Bytes consumed in chunk `current`.
    fn offset(&self) -> usize {
        self.next.get().addr() - self.base.get().addr()
    }

    /// Makes chunk `index` current at `offset`.
    fn enter(&self, index: usize, offset: usize) {
        let chunks = self.chunks.borrow();
        match chunks.get(index) {
            Some(chunk) => {
                let base = chunk.ptr.as_ptr();
                self.base.set(base);
                // SAFETY: A1: `offset` and `size` lie within the chunk's allocation.
                unsafe {
                    self.next.set(base.add(offset));
                    self.end.set(base.add(chunk.size));
                }
            }
            None => {
                self.base.set(ptr::null_mut());
                self.next.set(ptr::null_mut());
                self.end.set(ptr::null_mut());
            }
        }
        self.current.set(index);
    }

    /// Records the current use in the peak (use only grows between rewinds and resets,
    /// so the peak is taken when the position moves back, and on reading).
    fn note_peak(&self) {
        let used = self.used_before.get() + self.offset();
        if used > self.peak_used.get() {
            self.peak_used.set(used);
        }
    }

    /// Moves to the next chunk, allocating one when no held chunk remains. On failure
    /// the position is unchanged.
    #[cold]
    fn advance(&self, layout: Layout) -> Result<(), ArenaError> {
        let len = self.chunks.borrow().len();
        let current = self.current.get();
        if current + 1 >= len {
            // No chunk left: grow. The first chunk has the configured size; then each
            // doubles the last, and a request always fits the chunk made for it.
            let needed =
                layout
                    .size()
                    .checked_add(layout.align())
                    .ok_or(ArenaError::OutOfMemory {
                        size: layout.size(),
                    })?;
            let base = match self.chunks.borrow().last() {
                None => self.first_chunk_size,
                Some(last) => last.size.saturating_mul(2).min(MAX_GROWTH_CHUNK),
            };
            self.add_chunk(base.max(needed))
                .map_err(|_| ArenaError::OutOfMemory {
                    size: layout.size(),
                })?;
            if len == 0 {
                self.enter(0, 0);
                return Ok(());
            }
        }
        // Leave the current chunk, remembering how much of it was consumed.
        let offset = self.offset();
        self.chunks.borrow_mut()[current].filled = offset;
        self.used_before.set(self.used_before.get() + offset);
        self.enter(current + 1, 0);
        Ok(())
    }

    fn add_chunk(&self, size: usize) -> Result<(), ArenaError> {
        let layout = Layout::from_size_align(size, CHUNK_ALIGN)
            .map_err(|_| ArenaError::OutOfMemory { size })?;
        // SAFETY: `size` is at least `CHUNK_ALIGN`, so non-zero.
        let ptr = NonNull::new(unsafe { alloc::alloc(layout) })
            .ok_or(ArenaError::OutOfMemory { size })?;
        self.chunks.borrow_mut().push(Chunk {
            ptr,
            size,
            filled: 0,
        });
        self.chunk_allocations.set(self.chunk_allocations.get() + 1);
        Ok(())
    }

    /// Moves `value` into the arena. Its destructor will never run (see the module docs).
    ///
    /// ```
    /// let arena = evm_pool_runtime::TxArena::new();
    /// let word = arena.alloc([7u8; 32]);
    /// word[0] = 1;
    /// assert_eq!(word[..2], [1, 7]);
    /// ```
    #[allow(
        clippy::mut_from_ref,
        reason = "each call returns fresh, disjoint memory (A2)"
    )]
    pub fn alloc<T>(&self, value: T) -> &mut T {
        let p = self.alloc_layout(Layout::new::<T>()).cast::<T>();
        // SAFETY: A2: fresh, aligned, unaliased memory for a `T`, borrowed from `self`.
        unsafe {
            p.as_ptr().write(value);
            &mut *p.as_ptr()
        }
    }

    /// Copies `src` into the arena.
    ///
    /// ```
    /// let arena = evm_pool_runtime::TxArena::new();
    /// let code = arena.alloc_slice_copy(&[0x60, 0x80, 0x60, 0x40]);
    /// assert_eq!(code.len(), 4);
    /// ```
    #[allow(
        clippy::mut_from_ref,
        reason = "each call returns fresh, disjoint memory (A2)"
    )]
    pub fn alloc_slice_copy<T: Copy>(&self, src: &[T]) -> &mut [T] {
        // A slice that exists has a valid array layout.
        let layout = Layout::for_value(src);
        let p = self.alloc_layout(layout).cast::<T>();
        // SAFETY: A2: fresh memory for `src.len()` values of `T`, distinct from `src`.
        unsafe {
            ptr::copy_nonoverlapping(src.as_ptr(), p.as_ptr(), src.len());
            std::slice::from_raw_parts_mut(p.as_ptr(), src.len())
        }
    }

    /// A slice of `len` values made by `fill(index)`. Destructors never run (see the
    /// module docs); if `fill` panics, the values made so far are leaked, not dropped.
    ///
    /// # Panics
    ///
    /// When `len` values of `T` exceed `isize::MAX` bytes, like `Vec::with_capacity`.
    ///
    /// ```
    /// let arena = evm_pool_runtime::TxArena::new();
    /// let stack = arena.alloc_slice_fill_with(4, |i| [i as u8; 32]);
    /// assert_eq!(stack[3][0], 3);
    /// ```
    #[allow(
        clippy::mut_from_ref,
        reason = "each call returns fresh, disjoint memory (A2)"
    )]
    pub fn alloc_slice_fill_with<T>(
        &self,
        len: usize,
        mut fill: impl FnMut(usize) -> T,
    ) -> &mut [T] {
        let layout = match Layout::array::<T>(len) {
            Ok(layout) => layout,
            Err(_) => panic!("TxArena::alloc_slice_fill_with: {len} values overflow isize"),
        };
        let p = self.alloc_layout(layout).cast::<T>();
        for i in 0..len {
            // SAFETY: A2: fresh memory for `len` values; `i < len`.
            unsafe { p.as_ptr().add(i).write(fill(i)) };
        }
        // SAFETY: all `len` values were initialized above.
        unsafe { std::slice::from_raw_parts_mut(p.as_ptr(), len) }
    }

    /// Copies `s` into the arena.
    ///
    /// ```
    /// let arena = evm_pool_runtime::TxArena::new();
    /// let name = arena.alloc_str("transfer(address,uint256)");
    /// assert_eq!(name.len(), 25);
    /// ```
    #[allow(
        clippy::mut_from_ref,
        reason = "each call returns fresh, disjoint memory (A2)"
    )]
    pub fn alloc_str(&self, s: &str) -> &mut str {
        let bytes = self.alloc_slice_copy(s.as_bytes());
        // SAFETY: the bytes were copied from a `str`.
        unsafe { std::str::from_utf8_unchecked_mut(bytes) }
    }

    /// The current position, to [`rewind`](Self::rewind) to later.
    ///
    /// ```
    /// let mut arena = evm_pool_runtime::TxArena::new();
    /// arena.alloc([1u8; 32]);
    /// let mark = arena.checkpoint();
    /// arena.alloc([2u8; 32]);
    /// arena.rewind(mark)?;
    /// assert_eq!(arena.stats().bytes_used, 32);
    /// # Ok::<(), evm_pool_runtime::ArenaError>(())
    /// ```
    pub fn checkpoint(&self) -> Checkpoint {
        Checkpoint {
            generation: self.generation.get(),
            chunk: self.current.get(),
            offset: self.offset(),
        }
    }

    /// Reclaims everything allocated since `checkpoint` (for a reverted call), without
    /// running destructors. Checkpoints taken after `checkpoint` that lie past the new
    /// position become stale.
    ///
    /// ```
    /// use evm_pool_runtime::{ArenaError, TxArena};
    ///
    /// let mut arena = TxArena::new();
    /// arena.alloc(1u64);
    /// let call = arena.checkpoint();
    /// arena.alloc([0u8; 100]);
    /// let inner = arena.checkpoint();
    /// arena.rewind(call)?;
    /// assert_eq!(arena.stats().bytes_used, 8);
    /// assert_eq!(arena.rewind(inner), Err(ArenaError::StaleCheckpoint));
    /// # Ok::<(), ArenaError>(())
    /// ```
    pub fn rewind(&mut self, checkpoint: Checkpoint) -> Result<(), ArenaError> {
        let here = (self.current.get(), self.offset());
        if checkpoint.generation != self.generation.get()
            || (checkpoint.chunk, checkpoint.offset) > here
        {
            return Err(ArenaError::StaleCheckpoint);
        }
        let chunks = self.chunks.get_mut();
        let used_before = chunks[..checkpoint.chunk.min(chunks.len())]
            .iter()
            .map(|c| c.filled)
            .sum();
        self.note_peak();
        self.used_before.set(used_before);
        self.enter(checkpoint.chunk, checkpoint.offset);
        Ok(())
    }

    /// Reclaims everything, keeping **every** chunk for the next transaction, without
    /// running destructors. Invalidates all checkpoints.
    ///
    /// ```
    /// let mut arena = evm_pool_runtime::TxArena::with_chunk_size(256);
    /// arena.alloc_slice_copy(&[0u8; 1000]); // grows a larger chunk
    /// let held = arena.stats().bytes_held;
    /// arena.reset();
    /// assert_eq!(arena.stats().bytes_held, held); // every chunk kept
    /// assert_eq!(arena.stats().bytes_used, 0);
    /// ```
    pub fn reset(&mut self) {
        self.note_peak();
        self.enter(0, 0);
        self.used_before.set(0);
        self.generation.set(self.generation.get() + 1);
        self.resets.set(self.resets.get() + 1);
    }

    /// The arena's counters.
    ///
    /// ```
    /// let arena = evm_pool_runtime::TxArena::with_chunk_size(4096);
    /// arena.alloc_slice_copy(&[0u8; 100]);
    /// let stats = arena.stats();
    /// assert_eq!((stats.bytes_used, stats.bytes_held, stats.chunks), (100, 4096, 1));
    /// ```
    pub fn stats(&self) -> ArenaStats {
        self.note_peak();
        let chunks = self.chunks.borrow();
        ArenaStats {
            bytes_used: (self.used_before.get() + self.offset()) as u64,
            bytes_held: chunks.iter().map(|c| c.size as u64).sum(),
            peak_bytes_used: self.peak_used.get() as u64,
            resets: self.resets.get(),
            chunks: chunks.len(),
            chunk_allocations: self.chunk_allocations.get(),
        }
    }
}

impl Drop for TxArena {
    fn drop(&mut self) {
        for chunk in self.chunks.get_mut().drain(..) {
            // SAFETY: A1: allocated with this layout; no reference outlives `&mut self`.
            unsafe {
                alloc::dealloc(
                    chunk.ptr.as_ptr(),
                    Layout::from_size_align_unchecked(chunk.size, CHUNK_ALIGN),
                )
            };
        }
    }
}

#[cfg(test)]
mod tests;
