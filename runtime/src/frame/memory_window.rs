//! The memory of a running interpreter frame as an **unchecked window**: a
//! [`SharedMemory`] view (same LIFO hand-off, same limit) plus a cached pointer to and
//! length of the running frame's own bytes, so that the interpreter's hot reads and
//! writes (`MLOAD`, `MSTORE`, ...) are one bounds compare and a raw copy, as cheap as
//! revm's own memory, with no state check, no `RefCell` borrow flag and no re-derived
//! slice bounds per access.
//!
//! The view sits in a [`RefCell`] only so that [`MemoryWindow::view`] can hand out
//! [`Ref`]s, which revm-style memory traits return (`core::cell::Ref<[u8]>`); the cell is
//! never borrowed mutably through `&self` (all mutation goes through `&mut self` and
//! [`RefCell::get_mut`]), which is what lets `&self` reads skip its flag.

use super::shared::{LinkError, MemoryError, SharedMemory, fill_padded};
use core::cell::{Ref, RefCell};
use core::ops::Range;
use core::ptr::NonNull;
use std::fmt;

/// One frame's memory: a [`SharedMemory`] view with an unchecked fast path for the
/// running frame's own bytes.
///
/// # Invariant (what makes the fast path sound)
///
/// - **Running**: `base_ptr` points at byte [`local_offset`](Self::local_offset) of the
///   tree's buffer, derived from the `Vec` the view owns (whole-allocation provenance),
///   and `len` is the view's own length, so `base_ptr .. base_ptr + len` is initialized
///   bytes inside the buffer.
/// - **Suspended or detached**: `len == 0` and `base_ptr` is dangling: every non-empty
///   access fails its one bounds compare and touches nothing.
/// - The cache is re-derived from the view after every operation that may
///   move, grow, shrink or hand off the buffer (`resize`, `attach`, `detach`,
///   `enter_child_into`, `resume`, `clear`); operations that only write bytes in place
///   go through the cache itself.
/// - The inner `RefCell` is **never borrowed mutably through `&self`**: no method calls
///   `borrow_mut`; mutation uses `get_mut` behind `&mut self`. So while a `&self`
///   borrow (and any slice or [`Ref`] it handed out) lives, nothing writes the buffer,
///   and `&self` reads through the cache alias only other reads.
///
/// Soundness depends only on this struct's own fields, never on the caller.
///
/// ```
/// use evm_pool_runtime::MemoryWindow;
///
/// let mut caller = MemoryWindow::detached();
/// caller.attach(Vec::new(), usize::MAX);  // a transaction's root frame
/// caller.resize(64)?;
/// caller.set(0, b"call data")?;
/// let mut callee = MemoryWindow::detached();
/// caller.enter_child_into(&mut callee)?;  // CALL: the buffer moves to the callee
/// assert!(caller.slice(0, 1).is_err());   // a suspended view reads nothing
/// assert_eq!((callee.local_offset(), callee.len()), (64, 0));
/// assert_eq!(callee.view().global_slice(0..9)?, b"call data"); // the caller's bytes
/// callee.resize(32)?;
/// callee.set(0, &[7; 32])?;
/// caller.resume(&mut callee)?;            // the callee's memory is dropped
/// assert_eq!((caller.len(), caller.global_len()), (64, 64));
/// assert_eq!(caller.slice(0, 9)?, b"call data");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct MemoryWindow {
    /// This frame's first byte while running; dangling (never dereferenced) otherwise.
    base_ptr: NonNull<u8>,
    /// This frame's memory size in bytes (0 unless running).
    len: usize,
    view: RefCell<SharedMemory>,
}

// SAFETY: `base_ptr` only ever points into the buffer owned by `view` (the `Vec` inside
// the `SharedMemory`), which moves with the window; so the window is exactly as `Send` as
// the `RefCell<SharedMemory>` it owns. (It is not `Sync`, as that `RefCell` is not.)
unsafe impl Send for MemoryWindow {}

impl MemoryWindow {
    /// A window that owns nothing until [`attach`](Self::attach)ed (or entered by a
    /// parent): what a pooled frame holds between uses. Never allocates.
    ///
    /// ```
    /// # use evm_pool_runtime::MemoryWindow;
    /// let mut memory = MemoryWindow::detached();
    /// assert!(memory.is_empty() && memory.set(0, &[1]).is_err());
    /// ```
    pub const fn detached() -> Self {
        MemoryWindow {
            base_ptr: NonNull::dangling(),
            len: 0,
            view: RefCell::new(SharedMemory::detached()),
        }
    }

    /// Re-derives the cache from the view (see the type's invariant): the only place
    /// `base_ptr` and `len` are set to anything but the detached values.
    #[inline]
    fn refresh(&mut self) {
        let view = self.view.get_mut();
        if view.is_running() {
            self.len = view.len();
            self.base_ptr = Self::base_of(view);
        } else {
            self.len = 0;
            self.base_ptr = NonNull::dangling();
        }
    }

    /// The running `view`'s first byte, from the `Vec`'s own pointer.
    #[inline(always)]
    fn base_of(view: &mut SharedMemory) -> NonNull<u8> {
        let ptr = view.local_base_ptr();
        // SAFETY: a `Vec`'s pointer is never null (dangling when unallocated), and
        // `local_base_ptr` adds the view's base, at most the buffer's length, to it: still
        // inside (or one past) the allocation, so not null either.
        unsafe { NonNull::new_unchecked(ptr) }
    }

    /// Makes this window the root of a transaction's memory over `buffer` (cleared,
    /// capacity kept) that may not grow beyond `limit` bytes.
    ///
    /// ```
    /// # use evm_pool_runtime::MemoryWindow;
    /// let mut memory = MemoryWindow::detached();
    /// memory.attach(Vec::with_capacity(256), 1024);
    /// assert!(memory.resize(1024).is_ok() && memory.resize(1056).is_err());
    /// ```
    pub fn attach(&mut self, buffer: Vec<u8>, limit: usize) {
        self.view.get_mut().attach(buffer, limit);
        self.refresh();
    }

    /// Takes the buffer (cleared, capacity kept) out of the running root window,
    /// leaving it detached.
    ///
    /// # Errors
    /// [`LinkError`] unless this is the running root view; nothing changes then.
    ///
    /// ```
    /// # use evm_pool_runtime::MemoryWindow;
    /// let mut memory = MemoryWindow::detached();
    /// memory.attach(Vec::new(), usize::MAX);
    /// memory.resize(64)?;
    /// let buffer = memory.detach()?;
    /// assert!(buffer.is_empty() && buffer.capacity() >= 64 && memory.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn detach(&mut self) -> Result<Vec<u8>, LinkError> {
        let buffer = self.view.get_mut().detach();
        self.refresh();
        buffer
    }

    /// A call: hands the buffer to `child` (whatever it held is dropped), whose memory
    /// starts after this frame's; this window is suspended until
    /// [`resume`](Self::resume).
    ///
    /// # Errors
    /// [`LinkError`] unless this window is running; nothing changes then.
    ///
    /// ```
    /// # use evm_pool_runtime::MemoryWindow;
    /// let mut parent = MemoryWindow::detached();
    /// parent.attach(Vec::new(), usize::MAX);
    /// parent.resize(32)?;
    /// let mut child = MemoryWindow::detached();
    /// parent.enter_child_into(&mut child)?;
    /// assert_eq!((child.local_offset(), parent.len()), (32, 0));
    /// parent.resume(&mut child)?;
    /// assert_eq!(parent.len(), 32);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn enter_child_into(&mut self, child: &mut Self) -> Result<(), LinkError> {
        *child.view.get_mut() = self.view.get_mut().enter_child()?;
        self.len = 0;
        self.base_ptr = NonNull::dangling();
        child.refresh();
        Ok(())
    }

    /// The child returned: takes the buffer back from `child` (the running direct child
    /// this window suspended for), truncated to this frame's memory. `child` is left
    /// detached.
    ///
    /// # Errors
    /// [`LinkError`] unless `child` is this window's running direct child; nothing
    /// changes then.
    ///
    /// ```
    /// # use evm_pool_runtime::MemoryWindow;
    /// let mut parent = MemoryWindow::detached();
    /// parent.attach(Vec::new(), usize::MAX);
    /// let mut child = MemoryWindow::detached();
    /// parent.enter_child_into(&mut child)?;
    /// let mut stranger = MemoryWindow::detached();
    /// assert!(parent.resume(&mut stranger).is_err());
    /// parent.resume(&mut child)?;
    /// assert!(child.set(0, &[1]).is_err()); // detached
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn resume(&mut self, child: &mut Self) -> Result<(), LinkError> {
        self.view.get_mut().resume(child.view.get_mut())?;
        child.len = 0;
        child.base_ptr = NonNull::dangling();
        self.refresh();
        Ok(())
    }

    /// This frame's memory size in bytes (0 unless running).
    ///
    /// ```
    /// # use evm_pool_runtime::MemoryWindow;
    /// let mut memory = MemoryWindow::detached();
    /// memory.attach(Vec::new(), usize::MAX);
    /// memory.resize(96)?;
    /// assert_eq!(memory.len(), 96);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// `true` when [`len`](Self::len) is 0.
    ///
    /// ```
    /// # use evm_pool_runtime::MemoryWindow;
    /// assert!(MemoryWindow::detached().is_empty());
    /// ```
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Where this frame's memory starts in the tree's buffer.
    ///
    /// ```
    /// # use evm_pool_runtime::MemoryWindow;
    /// let mut memory = MemoryWindow::detached();
    /// memory.attach(Vec::new(), usize::MAX);
    /// assert_eq!(memory.local_offset(), 0);
    /// ```
    #[inline]
    pub fn local_offset(&self) -> usize {
        self.view.borrow().local_offset()
    }

    /// Bytes of the tree's buffer in use (all frames' memory up to this one's end); 0
    /// unless running.
    ///
    /// ```
    /// # use evm_pool_runtime::MemoryWindow;
    /// let mut memory = MemoryWindow::detached();
    /// memory.attach(Vec::new(), usize::MAX);
    /// memory.resize(64)?;
    /// let mut child = MemoryWindow::detached();
    /// memory.enter_child_into(&mut child)?;
    /// child.resize(32)?;
    /// assert_eq!(child.global_len(), 96);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn global_len(&self) -> usize {
        self.view.borrow().global_len()
    }

    /// The underlying view, read-only, as a [`Ref`] (what revm-style `MemoryTr::slice`
    /// and `global_slice` return; map it with [`Ref::map`]).
    ///
    /// ```
    /// # use evm_pool_runtime::MemoryWindow;
    /// use core::cell::Ref;
    /// let mut memory = MemoryWindow::detached();
    /// memory.attach(Vec::new(), 4096);
    /// assert_eq!(memory.view().limit(), 4096);
    /// memory.resize(32)?;
    /// memory.set(0, &[5])?;
    /// let byte = Ref::map(memory.view(), |v| &v.as_slice()[..1]);
    /// assert_eq!(*byte, [5]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn view(&self) -> Ref<'_, SharedMemory> {
        self.view.borrow()
    }

    /// Sets this frame's memory size to `new_len` bytes; new bytes are zero.
    ///
    /// # Errors
    /// [`MemoryError::Suspended`] unless running; [`MemoryError::LimitExceeded`] beyond
    /// the tree's limit. Nothing changes then.
    ///
    /// ```
    /// # use evm_pool_runtime::MemoryWindow;
    /// let mut memory = MemoryWindow::detached();
    /// memory.attach(Vec::new(), usize::MAX);
    /// memory.resize(64)?;
    /// assert_eq!(memory.as_slice(), [0; 64]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn resize(&mut self, new_len: usize) -> Result<(), MemoryError> {
        let view = self.view.get_mut();
        view.resize(new_len)?;
        // Resized, so running, with exactly `new_len` bytes (the buffer may have moved).
        self.len = new_len;
        self.base_ptr = Self::base_of(view);
        Ok(())
    }

    /// Drops this frame's memory (not its ancestors').
    ///
    /// ```
    /// # use evm_pool_runtime::MemoryWindow;
    /// let mut memory = MemoryWindow::detached();
    /// memory.attach(Vec::new(), usize::MAX);
    /// memory.resize(64)?;
    /// memory.clear();
    /// assert!(memory.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn clear(&mut self) {
        self.view.get_mut().clear();
        self.refresh();
    }

    /// The range `offset..offset + len` of this frame's memory, if inside it.
    ///
    /// One compare: a saturated end (`usize::MAX`) is past any frame's memory, whose
    /// length fits a `Vec` (at most `isize::MAX`). The interpreter has just computed the
    /// same saturating sum for its memory-expansion check, so the optimizer shares it.
    #[inline(always)]
    fn checked(&self, offset: usize, len: usize) -> Result<(), MemoryError> {
        if offset.saturating_add(len) <= self.len {
            Ok(())
        } else {
            Err(self.out_of_bounds(offset, len))
        }
    }

    #[cold]
    #[inline(never)]
    fn out_of_bounds(&self, offset: usize, len: usize) -> MemoryError {
        if self.view.borrow().is_running() {
            MemoryError::OutOfBounds {
                offset,
                len,
                size: self.len,
            }
        } else {
            MemoryError::Suspended
        }
    }

    /// `len` bytes at frame-relative `offset`: one bounds compare, no state check.
    ///
    /// # Errors
    /// [`MemoryError::OutOfBounds`] past this frame's memory, [`MemoryError::Suspended`]
    /// unless running.
    ///
    /// ```
    /// # use evm_pool_runtime::MemoryWindow;
    /// let mut memory = MemoryWindow::detached();
    /// memory.attach(Vec::new(), usize::MAX);
    /// memory.resize(32)?;
    /// memory.set(0, &[1, 2])?;
    /// assert_eq!(memory.slice(0, 3)?, [1, 2, 0]);
    /// assert!(memory.slice(16, 32).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn slice(&self, offset: usize, len: usize) -> Result<&[u8], MemoryError> {
        self.checked(offset, len)?;
        // SAFETY: `offset + len <= self.len` (just checked; a saturated sum fails), and the
        // running window's `len` bytes from `base_ptr` are initialized bytes of the
        // buffer it owns (invariant; a window that is not running has `len == 0`, so
        // only an empty range at offset 0 gets here, valid at a dangling pointer). The
        // buffer is not written while `&self` lives (nothing mutates through `&self`).
        Ok(unsafe { core::slice::from_raw_parts(self.base_ptr.as_ptr().add(offset), len) })
    }

    /// `len` bytes at frame-relative `offset`, mutably.
    ///
    /// # Errors
    /// As [`slice`](Self::slice).
    ///
    /// ```
    /// # use evm_pool_runtime::MemoryWindow;
    /// let mut memory = MemoryWindow::detached();
    /// memory.attach(Vec::new(), usize::MAX);
    /// memory.resize(32)?;
    /// memory.slice_mut(31, 1)?[0] = 0xff;
    /// assert_eq!(memory.as_slice()[31], 0xff);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn slice_mut(&mut self, offset: usize, len: usize) -> Result<&mut [u8], MemoryError> {
        self.checked(offset, len)?;
        // SAFETY: as in `slice`; `&mut self` is exclusive, and no `Ref` from `view`
        // can outlive it.
        Ok(unsafe { core::slice::from_raw_parts_mut(self.base_ptr.as_ptr().add(offset), len) })
    }

    /// This frame's memory; empty unless running.
    ///
    /// ```
    /// # use evm_pool_runtime::MemoryWindow;
    /// let mut memory = MemoryWindow::detached();
    /// memory.attach(Vec::new(), usize::MAX);
    /// memory.resize(2)?;
    /// assert_eq!(memory.as_slice(), [0, 0]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn as_slice(&self) -> &[u8] {
        // SAFETY: as in `slice`, for the whole `len` bytes (an empty slice at a
        // dangling pointer unless running).
        unsafe { core::slice::from_raw_parts(self.base_ptr.as_ptr(), self.len) }
    }

    /// Writes `data` at frame-relative `offset`.
    ///
    /// # Errors
    /// As [`slice`](Self::slice); nothing is written then.
    ///
    /// ```
    /// # use evm_pool_runtime::MemoryWindow;
    /// let mut memory = MemoryWindow::detached();
    /// memory.attach(Vec::new(), usize::MAX);
    /// memory.resize(32)?;
    /// memory.set(30, &[0xaa, 0xbb])?;
    /// assert_eq!(memory.slice(30, 2)?, [0xaa, 0xbb]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn set(&mut self, offset: usize, data: &[u8]) -> Result<(), MemoryError> {
        self.slice_mut(offset, data.len())?.copy_from_slice(data);
        Ok(())
    }

    /// Writes `len` bytes at `memory_offset` from `data` starting at `data_offset`,
    /// zero-filling past `data`'s end (`CALLDATACOPY`, `CODECOPY`, ...).
    ///
    /// # Errors
    /// As [`slice`](Self::slice); nothing is written then.
    ///
    /// ```
    /// # use evm_pool_runtime::MemoryWindow;
    /// let mut memory = MemoryWindow::detached();
    /// memory.attach(Vec::new(), usize::MAX);
    /// memory.resize(32)?;
    /// memory.set(0, &[0xff; 4])?;
    /// memory.set_data(0, 2, 4, &[1, 2, 3])?;
    /// assert_eq!(memory.slice(0, 4)?, [3, 0, 0, 0]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn set_data(
        &mut self,
        memory_offset: usize,
        data_offset: usize,
        len: usize,
        data: &[u8],
    ) -> Result<(), MemoryError> {
        fill_padded(self.slice_mut(memory_offset, len)?, data, data_offset);
        Ok(())
    }

    /// Like [`set_data`](Self::set_data), from the tree's buffer at the absolute
    /// `data_range` (call data in a caller's memory); see
    /// [`SharedMemory::set_data_from_global`].
    ///
    /// # Errors
    /// As [`SharedMemory::set_data_from_global`]; nothing is written then.
    ///
    /// ```
    /// # use evm_pool_runtime::MemoryWindow;
    /// let mut caller = MemoryWindow::detached();
    /// caller.attach(Vec::new(), usize::MAX);
    /// caller.resize(32)?;
    /// caller.set(0, &[1, 2, 3, 4])?;
    /// let mut callee = MemoryWindow::detached();
    /// caller.enter_child_into(&mut callee)?;
    /// callee.resize(32)?;
    /// callee.set_data_from_global(0, 2, 4, 0..4)?;
    /// assert_eq!(callee.slice(0, 4)?, [3, 4, 0, 0]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_data_from_global(
        &mut self,
        memory_offset: usize,
        data_offset: usize,
        len: usize,
        data_range: Range<usize>,
    ) -> Result<(), MemoryError> {
        let done =
            self.view
                .get_mut()
                .set_data_from_global(memory_offset, data_offset, len, data_range);
        // The view wrote through its `Vec`: re-derive the pointer from it (the buffer
        // did not move, so this is only for the record).
        self.refresh();
        done
    }

    /// `MCOPY`: copies `len` bytes from `source` to `destination` (frame-relative;
    /// ranges may overlap).
    ///
    /// # Errors
    /// As [`slice`](Self::slice) for either range; nothing is written then.
    ///
    /// ```
    /// # use evm_pool_runtime::MemoryWindow;
    /// let mut memory = MemoryWindow::detached();
    /// memory.attach(Vec::new(), usize::MAX);
    /// memory.resize(32)?;
    /// memory.set(0, &[1, 2, 3])?;
    /// memory.copy(1, 0, 3)?;
    /// assert_eq!(memory.slice(0, 4)?, [1, 1, 2, 3]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn copy(
        &mut self,
        destination: usize,
        source: usize,
        len: usize,
    ) -> Result<(), MemoryError> {
        self.checked(source, len)?;
        self.checked(destination, len)?;
        self.as_mut_slice()
            .copy_within(source..source + len, destination);
        Ok(())
    }

    /// This frame's memory, mutably; empty unless running.
    #[inline]
    fn as_mut_slice(&mut self) -> &mut [u8] {
        // SAFETY: as in `as_slice`; `&mut self` is exclusive.
        unsafe { core::slice::from_raw_parts_mut(self.base_ptr.as_ptr(), self.len) }
    }
}

impl Default for MemoryWindow {
    /// [`MemoryWindow::detached`].
    fn default() -> Self {
        Self::detached()
    }
}

impl fmt::Debug for MemoryWindow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("MemoryWindow")
            .field(&*self.view.borrow())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn root(limit: usize) -> MemoryWindow {
        let mut m = MemoryWindow::detached();
        m.attach(Vec::new(), limit);
        m
    }

    #[test]
    fn not_running_touches_nothing() {
        let mut m = MemoryWindow::detached();
        assert_eq!(m.slice(0, 1), Err(MemoryError::Suspended));
        assert_eq!(m.set(0, &[1]), Err(MemoryError::Suspended));
        assert_eq!(m.slice(0, 0), Ok(&[][..]));
        assert!(m.resize(32).is_err());
        let mut parent = root(usize::MAX);
        parent.resize(64).unwrap();
        parent.enter_child_into(&mut m).unwrap();
        assert_eq!(parent.slice(0, 1), Err(MemoryError::Suspended));
        assert_eq!(parent.copy(0, 1, 1), Err(MemoryError::Suspended));
        assert_eq!(parent.as_slice(), &[] as &[u8]);
        assert!(parent.resize(32).is_err());
        parent.resume(&mut m).unwrap();
        assert_eq!(m.set_data(0, 0, 1, &[1]), Err(MemoryError::Suspended));
        assert_eq!(parent.len(), 64);
    }

    #[test]
    fn bounds_are_checked_with_overflow() {
        let mut m = root(usize::MAX);
        m.resize(32).unwrap();
        assert!(matches!(
            m.slice(usize::MAX, 2),
            Err(MemoryError::OutOfBounds { .. })
        ));
        assert!(m.slice(1, 32).is_err());
        assert!(m.set(31, &[1, 2]).is_err());
        assert!(m.copy(0, 16, 17).is_err());
        assert!(m.copy(16, 0, 17).is_err());
        assert_eq!(m.as_slice(), [0; 32]); // nothing was written
        assert_eq!(m.slice(32, 0), Ok(&[][..]));
    }

    #[test]
    fn limit_is_kept_by_every_frame() {
        let mut m = root(96);
        m.resize(64).unwrap();
        let mut child = MemoryWindow::detached();
        m.enter_child_into(&mut child).unwrap();
        assert!(child.resize(32).is_ok());
        assert!(matches!(
            child.resize(64),
            Err(MemoryError::LimitExceeded { .. })
        ));
        assert_eq!(child.len(), 32);
    }

    #[test]
    fn growth_reallocates_and_the_window_follows() {
        // Small steps past the capacity: every reallocation must move the cached
        // pointer with the buffer, and the bytes with it (Miri checks the pointers).
        let mut m = root(usize::MAX);
        let mut child = MemoryWindow::detached();
        m.resize(32).unwrap();
        m.set(0, &[9; 32]).unwrap();
        m.enter_child_into(&mut child).unwrap();
        for step in 1..=40usize {
            child.resize(step * 32).unwrap();
            child.set((step - 1) * 32, &[step as u8; 32]).unwrap();
            assert_eq!(child.view().global_slice(0..32).unwrap(), [9; 32]);
        }
        for step in 1..=40usize {
            assert_eq!(child.slice((step - 1) * 32, 32).unwrap(), [step as u8; 32]);
        }
        m.resume(&mut child).unwrap();
        assert_eq!(m.as_slice(), [9; 32]);
        // The recycled buffer keeps its capacity across transactions.
        let buffer = m.detach().unwrap();
        let capacity = buffer.capacity();
        m.attach(buffer, usize::MAX);
        m.resize(1024).unwrap();
        assert_eq!(m.view().capacity(), capacity);
        assert_eq!(m.as_slice(), [0; 1024]); // zeroed, not stale
    }

    /// A model: one `Vec<u8>` per frame (its own memory); the window tree must agree
    /// after every step.
    #[derive(Clone, Debug)]
    enum Op {
        Resize(usize),
        Set(usize, Vec<u8>),
        SetData(usize, usize, usize, Vec<u8>),
        FromGlobal(usize, usize, usize, usize, usize),
        Copy(usize, usize, usize),
        Read(usize, usize),
        Enter,
        Return,
        Clear,
    }

    fn op() -> impl Strategy<Value = Op> {
        let bytes = || proptest::collection::vec(any::<u8>(), 0..40);
        prop_oneof![
            (0usize..8).prop_map(|w| Op::Resize(32 * w)),
            (0usize..260, bytes()).prop_map(|(o, d)| Op::Set(o, d)),
            (0usize..260, 0usize..50, 0usize..40, bytes())
                .prop_map(|(o, d, l, b)| Op::SetData(o, d, l, b)),
            (
                0usize..260,
                0usize..50,
                0usize..40,
                0usize..300,
                0usize..300
            )
                .prop_map(|(o, d, l, a, b)| Op::FromGlobal(o, d, l, a, b)),
            (0usize..260, 0usize..260, 0usize..40).prop_map(|(d, s, l)| Op::Copy(d, s, l)),
            (0usize..260, 0usize..40).prop_map(|(o, l)| Op::Read(o, l)),
            Just(Op::Enter),
            Just(Op::Return),
            Just(Op::Clear),
        ]
    }

    fn model_range(frame: &[u8], offset: usize, len: usize) -> Option<Range<usize>> {
        let end = offset.checked_add(len)?;
        (end <= frame.len()).then_some(offset..end)
    }

    fn step(views: &mut Vec<MemoryWindow>, model: &mut Vec<Vec<u8>>, op: &Op) {
        let view = views.last_mut().unwrap();
        let frame = model.last_mut().unwrap();
        match op.clone() {
            Op::Resize(n) => {
                view.resize(n).unwrap();
                frame.resize(n, 0);
            }
            Op::Set(o, d) => {
                let r = model_range(frame, o, d.len());
                assert_eq!(view.set(o, &d).is_ok(), r.is_some());
                if let Some(r) = r {
                    frame[r].copy_from_slice(&d);
                }
            }
            Op::SetData(o, d, l, data) => {
                let r = model_range(frame, o, l);
                assert_eq!(view.set_data(o, d, l, &data).is_ok(), r.is_some());
                if let Some(r) = r {
                    for (i, b) in frame[r].iter_mut().enumerate() {
                        *b = data.get(d + i).copied().unwrap_or(0);
                    }
                }
            }
            Op::FromGlobal(o, d, l, a, b) => {
                let global: Vec<u8> = model.concat();
                let frame = model.last_mut().unwrap();
                let (start, end) = (a.min(b), a.max(b));
                let r = model_range(frame, o, l);
                let ok = view.set_data_from_global(o, d, l, start..end).is_ok();
                assert_eq!(ok, r.is_some() && end <= global.len());
                if let (true, Some(r)) = (ok, r) {
                    for (i, byte) in frame[r].iter_mut().enumerate() {
                        let at = start.saturating_add(d).saturating_add(i);
                        *byte = if at < end { global[at] } else { 0 };
                    }
                }
            }
            Op::Copy(d, s, l) => {
                let ok = model_range(frame, s, l).is_some() && model_range(frame, d, l).is_some();
                assert_eq!(view.copy(d, s, l).is_ok(), ok);
                if ok {
                    frame.copy_within(s..s + l, d);
                }
            }
            Op::Read(o, l) => match model_range(frame, o, l) {
                Some(r) => assert_eq!(view.slice(o, l).unwrap(), &frame[r]),
                None => assert!(view.slice(o, l).is_err()),
            },
            Op::Enter => {
                let mut child = MemoryWindow::detached();
                view.enter_child_into(&mut child).unwrap();
                views.push(child);
                model.push(Vec::new());
            }
            Op::Return => {
                if views.len() > 1 {
                    let mut child = views.pop().unwrap();
                    model.pop();
                    views.last_mut().unwrap().resume(&mut child).unwrap();
                    assert!(child.is_empty());
                }
            }
            Op::Clear => {
                view.clear();
                frame.clear();
            }
        }
        let view = views.last().unwrap();
        let frame = model.last().unwrap();
        assert_eq!(view.as_slice(), frame.as_slice());
        assert_eq!(view.len(), frame.len());
        let below: usize = model[..model.len() - 1].iter().map(Vec::len).sum();
        assert_eq!(view.local_offset(), below);
        assert_eq!(view.global_len(), below + frame.len());
        for suspended in &views[..views.len() - 1] {
            assert!(suspended.is_empty() && suspended.slice(0, 1).is_err());
        }
    }

    const MODEL_OPS: usize = if cfg!(miri) { 16 } else { 120 };

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: if cfg!(miri) { 2 } else { ProptestConfig::default().cases },
            failure_persistence: if cfg!(miri) { None } else { ProptestConfig::default().failure_persistence },
            ..ProptestConfig::default()
        })]
        #[test]
        fn matches_a_vec_per_frame(ops in proptest::collection::vec(op(), 0..MODEL_OPS)) {
            let mut views = vec![root(usize::MAX)];
            let mut model = vec![Vec::new()];
            for op in &ops {
                step(&mut views, &mut model, op);
            }
            while views.len() > 1 {
                let mut child = views.pop().unwrap();
                model.pop();
                let parent = views.last_mut().unwrap();
                parent.resume(&mut child).unwrap();
                prop_assert_eq!(parent.as_slice(), model.last().unwrap().as_slice());
            }
        }
    }

    /// Deterministic walk through every unsafe path for Miri: nested frames, writes
    /// through the cache interleaved with `Ref` reads of the view and in-place writes
    /// through the view, growth past the capacity at depth, and the hand-back.
    #[test]
    fn every_path_in_one_walk() {
        let ops = [
            Op::Resize(64),
            Op::Set(0, vec![1; 40]),
            Op::Enter,
            Op::Resize(32),
            Op::FromGlobal(0, 3, 20, 0, 40),
            Op::Read(0, 32),
            Op::Copy(1, 0, 31),
            Op::SetData(4, 1, 20, vec![5; 8]),
            Op::Enter,
            Op::Resize(224),
            Op::Set(200, vec![3; 24]),
            Op::FromGlobal(0, 0, 32, 60, 90),
            Op::Read(190, 34),
            Op::Return,
            Op::Read(0, 32),
            Op::Clear,
            Op::Resize(96),
            Op::Return,
            Op::Read(0, 64),
        ];
        let mut views = vec![root(usize::MAX)];
        let mut model = vec![Vec::new()];
        for op in &ops {
            step(&mut views, &mut model, op);
        }
        let held = views[0].slice(0, 8).unwrap();
        let also = Ref::map(views[0].view(), |v| &v.as_slice()[..8]);
        assert_eq!(held, &*also);
    }
}
