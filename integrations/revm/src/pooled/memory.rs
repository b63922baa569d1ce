//! The memory of a pooled frame: a view of one shared byte buffer, the runtime's
//! [`SharedMemory`](evm_pool::SharedMemory), behind revm's [`MemoryTr`].
//!
//! revm keeps one memory buffer per context (`Rc<RefCell<Vec<u8>>>`) and gives every
//! frame a checkpoint into it. The pooled EVM uses the runtime's LIFO views instead: the
//! running frame's view owns the transaction's buffer, a parent hands it to its child on
//! `CALL`/`CREATE` ([`PooledMemory::enter_child_into`]) and takes it back, truncated to
//! its own memory, when the child ends ([`PooledMemory::resume`], which checks LIFO order).
//! Between transactions the buffer sits in the pools, where the retention policy bounds
//! its capacity.
//!
//! The view is the runtime's [`MemoryWindow`]: the interpreter's hot accesses (`MLOAD`
//! through `slice_len`, `MSTORE` through `set`, `set_data`, `copy`) are one bounds
//! compare on a cached pointer and length, no state check and no `RefCell` flag. revm's
//! `MemoryTr::slice`/`global_slice` return `core::cell::Ref<[u8]>`; those (call inputs,
//! cold paths) borrow the window's view as a [`Ref`]. No unsafe code here: the runtime
//! window checks every range (revm's own checks are `debug_assert`s) and carries the
//! unsafe, with its invariant, under Miri.
//!
//! # Call data of precompiles
//!
//! A callee reads its call data (`CallInput::SharedBuffer`, a range of the caller's
//! memory) through its own view ([`MemoryTr::global_slice`]), so calls never copy it.
//! revm's precompiles read it through the context instead
//! (`LocalContextTr::shared_memory_buffer`), which holds revm's buffer, not ours: before
//! a precompile runs, [`stage_precompile_input`] copies the call data into the context's
//! buffer (the only extra work against stock revm, and only for precompile calls with
//! call data).

use core::cell::Ref;
use core::ops::Range;
use evm_pool::{LinkError, MemoryWindow};
use revm::context_interface::{ContextTr, LocalContextTr};
use revm::interpreter::CallInput;
use revm::interpreter::interpreter_types::MemoryTr;

/// A frame's memory: revm's [`MemoryTr`] over the runtime's [`MemoryWindow`] (a
/// `SharedMemory` view with a cached window on the running frame's bytes).
///
/// ```
/// use evm_pool_revm::pooled::PooledMemory;
/// use revm::interpreter::interpreter_types::MemoryTr;
///
/// let mut caller = PooledMemory::default();
/// caller.attach(Vec::new(), usize::MAX); // the transaction's first frame
/// assert!(caller.resize(64));
/// caller.set(0, b"call data");
///
/// // A call: the callee's memory starts empty after the caller's 64 bytes...
/// let mut callee = PooledMemory::default();
/// caller.enter_child_into(&mut callee)?;
/// assert_eq!((callee.local_memory_offset(), callee.size()), (64, 0));
/// // ... and it reads its call data in the caller's memory, in place.
/// assert_eq!(&*callee.global_slice(0..9), b"call data");
/// assert!(callee.resize(32));
///
/// // The callee returns: the caller gets the buffer back, with its own 64 bytes only.
/// caller.resume(&mut callee)?;
/// assert_eq!(caller.size(), 64);
/// assert_eq!(caller.global_len(), 64);
/// # Ok::<(), evm_pool::LinkError>(())
/// ```
#[derive(Debug, Default)]
pub struct PooledMemory {
    window: MemoryWindow,
}

impl PooledMemory {
    /// The runtime window, mutably.
    #[inline]
    pub fn window_mut(&mut self) -> &mut MemoryWindow {
        &mut self.window
    }

    /// Makes this view the root of a transaction's memory over `buffer` (cleared,
    /// capacity kept) that may not grow beyond `limit` bytes.
    #[inline]
    pub fn attach(&mut self, buffer: Vec<u8>, limit: usize) {
        self.window.attach(buffer, limit);
    }

    /// Takes the buffer (cleared, capacity kept) out of the running root view.
    ///
    /// # Errors
    /// [`LinkError`] unless this is the running root view.
    #[inline]
    pub fn detach(&mut self) -> Result<Vec<u8>, LinkError> {
        self.window.detach()
    }

    /// A call: hands the buffer to `child`, whose memory starts after this frame's;
    /// this view is suspended until [`resume`](Self::resume).
    ///
    /// # Errors
    /// [`LinkError`] unless this view is running.
    #[inline]
    pub fn enter_child_into(&mut self, child: &mut Self) -> Result<(), LinkError> {
        self.window.enter_child_into(&mut child.window)
    }

    /// The child returned: takes the buffer back from it, truncated to this frame's
    /// memory (revm's `free_child_context`). `child` is left detached.
    ///
    /// # Errors
    /// [`LinkError`] unless `child` is this view's running direct child.
    #[inline]
    pub fn resume(&mut self, child: &mut Self) -> Result<(), LinkError> {
        self.window.resume(&mut child.window)
    }

    /// This frame's memory size in bytes.
    #[inline]
    pub fn len(&self) -> usize {
        self.window.len()
    }

    /// `true` when this frame's memory is empty.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.window.is_empty()
    }

    /// Bytes in use in the shared buffer (all frames' memory up to this one's end).
    #[inline]
    pub fn global_len(&self) -> usize {
        self.window.global_len()
    }
}

/// A range revm asked for is outside memory: revm's `MemoryTr` contract says this panics
/// (its own memory does so in debug builds; callers resize memory first).
#[cold]
#[inline(never)]
#[track_caller]
fn out_of_bounds(error: evm_pool::MemoryError) -> ! {
    panic!("pooled memory: {error}")
}

/// `range` as (offset, len); a reversed range is out of bounds.
#[inline(always)]
#[track_caller]
fn offset_len(range: &Range<usize>) -> (usize, usize) {
    match range.end.checked_sub(range.start) {
        Some(len) => (range.start, len),
        None => out_of_bounds(evm_pool::MemoryError::OutOfBounds {
            offset: range.start,
            len: 0,
            size: 0,
        }),
    }
}

impl MemoryTr for PooledMemory {
    #[inline]
    fn set_data(&mut self, memory_offset: usize, data_offset: usize, len: usize, data: &[u8]) {
        if len == 0 {
            return;
        }
        if let Err(e) = self.window.set_data(memory_offset, data_offset, len, data) {
            out_of_bounds(e)
        }
    }

    #[inline]
    fn set_data_from_global(
        &mut self,
        memory_offset: usize,
        data_offset: usize,
        len: usize,
        data_range: Range<usize>,
    ) {
        if len == 0 {
            return;
        }
        // revm reads an empty range as no data (its position is never looked at).
        let done = if data_range.is_empty() {
            self.window.set_data(memory_offset, 0, len, &[])
        } else {
            self.window
                .set_data_from_global(memory_offset, data_offset, len, data_range)
        };
        if let Err(e) = done {
            out_of_bounds(e)
        }
    }

    #[inline]
    fn global_slice(&self, range: Range<usize>) -> Ref<'_, [u8]> {
        Ref::map(self.window.view(), |view| {
            if range.is_empty() {
                return &[][..];
            }
            match view.global_slice(range) {
                Ok(slice) => slice,
                Err(e) => out_of_bounds(e),
            }
        })
    }

    #[inline]
    fn local_memory_offset(&self) -> usize {
        self.window.local_offset()
    }

    #[inline]
    fn set(&mut self, memory_offset: usize, data: &[u8]) {
        if data.is_empty() {
            return;
        }
        if let Err(e) = self.window.set(memory_offset, data) {
            out_of_bounds(e)
        }
    }

    #[inline]
    fn size(&self) -> usize {
        self.window.len()
    }

    #[inline]
    fn copy(&mut self, destination: usize, source: usize, len: usize) {
        if len == 0 {
            return;
        }
        if let Err(e) = self.window.copy(destination, source, len) {
            out_of_bounds(e)
        }
    }

    #[inline]
    fn slice(&self, range: Range<usize>) -> Ref<'_, [u8]> {
        let (offset, len) = offset_len(&range);
        Ref::map(self.window.view(), |view| {
            if len == 0 {
                return &[][..];
            }
            match view.slice(offset, len) {
                Ok(slice) => slice,
                Err(e) => out_of_bounds(e),
            }
        })
    }

    /// The interpreter's hot read (`MLOAD`, `KECCAK256`, `RETURN`, `LOG`): a plain slice
    /// of the window, no `RefCell` borrow.
    #[inline]
    fn slice_len(&self, offset: usize, len: usize) -> impl core::ops::Deref<Target = [u8]> + '_ {
        if len == 0 {
            return &[][..];
        }
        match self.window.slice(offset, len) {
            Ok(slice) => slice,
            Err(e) => out_of_bounds(e),
        }
    }

    /// Grows this frame's memory to `new_size` bytes (new bytes are zero); `false` only
    /// beyond the view's limit, which `limit_reached` (with
    /// the `memory_limit` feature) reports first, as revm's does.
    #[inline]
    fn resize(&mut self, new_size: usize) -> bool {
        self.window.resize(new_size).is_ok()
    }

    /// revm's rule: the new words, counted from this frame's start in the buffer,
    /// exceed the configured limit.
    #[cfg(feature = "memory_limit")]
    #[inline]
    fn limit_reached(&self, new_words: usize) -> bool {
        let view = self.window.view();
        view.local_offset()
            .saturating_add(new_words.saturating_mul(32)) as u64
            > view.limit() as u64
    }
}

/// The memory limit the transaction's root view gets: the configuration's with revm's
/// `memory_limit` feature (as revm's handler sets it), none without it (as revm).
#[inline]
pub(crate) fn memory_limit<CTX: ContextTr>(ctx: &CTX) -> usize {
    #[cfg(feature = "memory_limit")]
    {
        use revm::context_interface::Cfg;
        usize::try_from(ctx.cfg().memory_limit()).unwrap_or(usize::MAX)
    }
    #[cfg(not(feature = "memory_limit"))]
    {
        let _ = ctx;
        usize::MAX
    }
}

/// Before a precompile runs: revm's precompiles read call data in the context's memory
/// buffer (`CallInput::as_bytes`), not in the caller's view. Copies the call data
/// (`input`'s range of the caller's memory) to the start of the context's buffer and
/// points `input` there; returns the original range, to put back with
/// [`unstage_precompile_input`] if no precompile ran after all. `None` (nothing done)
/// for call data given as bytes or empty.
#[inline]
pub(crate) fn stage_precompile_input<CTX: ContextTr>(
    ctx: &CTX,
    caller: &PooledMemory,
    input: &mut CallInput,
) -> Option<Range<usize>> {
    let CallInput::SharedBuffer(range) = input else {
        return None;
    };
    if Range::is_empty(range) {
        return None;
    }
    let mut staged = ctx.local().shared_memory_buffer().borrow_mut();
    staged.clear();
    staged.extend_from_slice(&caller.global_slice(range.clone()));
    let original = core::mem::replace(range, 0..staged.len());
    Some(original)
}

/// Undoes [`stage_precompile_input`] on the call's inputs (the call runs a frame).
#[inline]
pub(crate) fn unstage_precompile_input(input: &mut CallInput, original: Option<Range<usize>>) {
    if let Some(original) = original {
        *input = CallInput::SharedBuffer(original);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use revm::interpreter::SharedMemory as RevmMemory;

    /// One step applied to revm's memory and ours (in a child frame, so offsets are
    /// frame-relative over a non-zero base in both).
    #[derive(Clone, Debug)]
    enum Op {
        Resize(usize),
        Set(usize, Vec<u8>),
        SetData(usize, usize, usize, Vec<u8>),
        FromGlobal(usize, usize, usize, Range<usize>),
        Copy(usize, usize, usize),
    }

    fn apply<M: MemoryTr>(m: &mut M, op: &Op) {
        match op.clone() {
            Op::Resize(n) => assert!(m.resize(n)),
            Op::Set(o, d) => m.set(o, &d),
            Op::SetData(o, d, l, data) => m.set_data(o, d, l, &data),
            Op::FromGlobal(o, d, l, r) => m.set_data_from_global(o, d, l, r),
            Op::Copy(dst, src, l) => m.copy(dst, src, l),
        }
    }

    /// Runs `ops` in a callee of a caller with 64 bytes of memory, on revm's memory and
    /// ours, comparing after each step; then returns to the caller on both.
    fn same(ops: &[Op]) {
        let mut stock_parent = RevmMemory::new();
        stock_parent.resize(64);
        let mut ours_parent = PooledMemory::default();
        ours_parent.attach(Vec::new(), usize::MAX);
        assert!(ours_parent.resize(64));
        let caller_bytes: Vec<u8> = (1..=64).collect();
        stock_parent.set(0, &caller_bytes);
        MemoryTr::set(&mut ours_parent, 0, &caller_bytes);

        let mut stock = stock_parent.new_child_context();
        let mut ours = PooledMemory::default();
        ours_parent.enter_child_into(&mut ours).unwrap();
        for op in ops {
            apply(&mut stock, op);
            apply(&mut ours, op);
            assert_eq!(MemoryTr::size(&stock), ours.size(), "{op:?}");
            assert_eq!(stock.local_memory_offset(), ours.local_memory_offset());
            let n = ours.size();
            assert_eq!(
                &*MemoryTr::slice(&stock, 0..n),
                &*ours.slice(0..n),
                "{op:?}"
            );
            let g = ours.local_memory_offset() + n;
            assert_eq!(&*stock.global_slice(0..g), &*ours.global_slice(0..g));
        }
        stock_parent.free_child_context();
        ours_parent.resume(&mut ours).unwrap();
        assert_eq!(MemoryTr::size(&stock_parent), ours_parent.size());
        assert_eq!(
            &*MemoryTr::slice(&stock_parent, 0..64),
            &*ours_parent.slice(0..64)
        );
    }

    #[test]
    fn matches_revm_memory_op_by_op() {
        use Op::*;
        same(&[
            Resize(32),
            Set(0, vec![0xaa; 5]),
            Set(40, vec![]), // empty write past the end: a no-op in both
            Resize(96),
            SetData(10, 2, 8, vec![1, 2, 3, 4]), // partly past the data: zero-padded
            SetData(20, 9, 4, vec![1, 2, 3]),    // wholly past the data: zeros
            SetData(200, 0, 0, vec![1]),         // len 0 anywhere: a no-op
            FromGlobal(0, 3, 10, 8..16),         // call data in the caller's memory
            FromGlobal(30, 20, 4, 0..16),        // offset past the range: zeros
            FromGlobal(50, 0, 6, 70..70),        // empty range: zeros
            FromGlobal(300, 0, 0, 0..4),         // len 0: a no-op
            Copy(1, 0, 40),                      // overlapping MCOPY
            Resize(128),
        ]);
    }

    #[test]
    fn random_ops_match_revm_memory() {
        use proptest::prelude::*;
        let op = prop_oneof![
            // Memory only grows (as in the EVM), from the 256 bytes set below.
            (8usize..12).prop_map(|w| Op::Resize(32 * w)),
            (0usize..64, proptest::collection::vec(any::<u8>(), 0..40))
                .prop_map(|(o, d)| Op::Set(o, d)),
            (
                0usize..64,
                0usize..50,
                0usize..40,
                proptest::collection::vec(any::<u8>(), 0..40)
            )
                .prop_map(|(o, d, l, data)| Op::SetData(o, d, l, data)),
            (0usize..64, 0usize..80, 0usize..40, 0usize..64, 0usize..64)
                .prop_map(|(o, d, l, a, b)| Op::FromGlobal(o, d, l, a.min(b)..a.max(b))),
            (0usize..64, 0usize..64, 0usize..40).prop_map(|(d, s, l)| Op::Copy(d, s, l)),
        ];
        proptest!(|(ops in proptest::collection::vec(op, 0..40))| {
            // Keep every op in bounds as revm's callers do: memory is first resized to
            // the largest extent the ops touch.
            let mut all = vec![Op::Resize(256)];
            all.extend(ops);
            same(&all);
        });
    }

    #[test]
    fn out_of_order_hand_off_is_a_typed_error() {
        let mut root = PooledMemory::default();
        root.attach(Vec::new(), usize::MAX);
        let mut child = PooledMemory::default();
        root.enter_child_into(&mut child).unwrap();
        let mut stranger = PooledMemory::default();
        assert!(root.resume(&mut stranger).is_err());
        assert!(child.detach().is_err()); // not the root
        root.resume(&mut child).unwrap();
        let buffer = root.detach().unwrap();
        assert!(buffer.is_empty());
    }

    #[test]
    #[should_panic(expected = "pooled memory")]
    fn reading_past_the_end_panics_as_the_trait_says() {
        let mut m = PooledMemory::default();
        m.attach(Vec::new(), usize::MAX);
        assert!(m.resize(32));
        let _ = m.slice(16..48);
    }

    #[test]
    fn resize_beyond_the_limit_fails() {
        let mut m = PooledMemory::default();
        m.attach(Vec::new(), 64);
        assert!(m.resize(64));
        assert!(!m.resize(96));
    }
}
