//! The operand stack of a pooled frame: a window of one shared, growable word buffer,
//! the runtime's [`StackWindow`].
//!
//! revm gives every frame its own `Vec<U256>` with room for 1024 words (32 KiB), so a
//! call tree 1024 deep holds 32 MiB of stacks, allocated once and kept. But an EVM call
//! tree is LIFO: only the innermost frame runs, and a parent resumes only after its
//! child is gone. So all frames of a transaction share one buffer: a frame's stack is
//! the window `[base, top)` of the buffer, where `base` is its parent's top when it
//! started. Whoever runs holds the buffer; a parent hands it to its child on a call
//! ([`StackWindow::enter_child`]) and takes it back on return ([`StackWindow::resume`],
//! which checks LIFO order). The buffer always extends at least 1024 words past the
//! running frame's base, so stack operations only compare indices, as revm's do, and
//! never reallocate; the unchecked accesses this needs live in the runtime (Miri-tested),
//! this crate stays `forbid(unsafe_code)`. The buffer grows to what the deepest path used
//! plus one frame's limit, not to 1024 words per frame.

use evm_pool::StackWindow;
use revm::interpreter::interpreter_types::StackTr;
use revm::primitives::U256;
// revm's own `Stack` marks its error paths cold with these same helpers.
use revm::primitives::hints_util::{cold_path, likely};

/// A frame's operand stack: revm's [`StackTr`] over the runtime's [`StackWindow`].
///
/// ```
/// use evm_pool_revm::pooled::PooledStack;
/// use revm::interpreter::interpreter_types::StackTr;
/// use revm::primitives::U256;
///
/// let mut parent = PooledStack::default();
/// parent.window_mut().attach(Vec::new()); // the transaction's first frame
/// assert!(parent.push(U256::from(7)));
///
/// // A call: the child takes the buffer; its stack starts empty above the parent's words.
/// let mut child = PooledStack::default();
/// *child.window_mut() = parent.window_mut().enter_child()?;
/// assert_eq!(child.len(), 0);
/// assert!(child.push(U256::from(8)));
///
/// // The child returns: the parent gets the buffer back and sees its own words only.
/// parent.window_mut().resume(child.window_mut())?;
/// assert_eq!(parent.data(), &[U256::from(7)]);
/// # Ok::<(), evm_pool::LinkError>(())
/// ```
#[derive(Debug, Default)]
pub struct PooledStack {
    window: StackWindow<U256>,
}

impl PooledStack {
    /// The runtime view this stack runs on.
    #[inline]
    pub fn window(&self) -> &StackWindow<U256> {
        &self.window
    }

    /// The runtime view, mutably: for the parent/child hand-off.
    #[inline]
    pub fn window_mut(&mut self) -> &mut StackWindow<U256> {
        &mut self.window
    }

    /// Words in use in the shared buffer (all frames' words up to this one's top).
    #[inline]
    pub fn buffer_len(&self) -> usize {
        self.window.global_len()
    }
}

/// A big-endian number of at most 32 bytes (a `PUSHn` immediate) as a word, built limb
/// by limb as revm's `push_slice` does (no 32-byte temporary).
#[inline(always)]
fn word_from_be(bytes: &[u8]) -> U256 {
    let mut limbs = [0u64; 4];
    for (limb, chunk) in limbs.iter_mut().zip(bytes.rchunks(8)) {
        let mut be = [0u8; 8];
        be[8 - chunk.len()..].copy_from_slice(chunk);
        *limb = u64::from_be_bytes(be);
    }
    U256::from_limbs(limbs)
}

impl StackTr for PooledStack {
    #[inline]
    fn len(&self) -> usize {
        self.window.len()
    }

    #[inline]
    fn data(&self) -> &[U256] {
        self.window.as_slice()
    }

    #[inline]
    fn clear(&mut self) {
        self.window.clear();
    }

    #[inline]
    fn push(&mut self, value: U256) -> bool {
        likely(self.window.push(value).is_ok())
    }

    #[inline]
    fn push_slice(&mut self, slice: &[u8]) -> bool {
        if slice.is_empty() {
            return true;
        }
        // Same as revm: consecutive 32-byte big-endian words, the last one possibly short
        // (read as a number, i.e. left-padded).
        let Ok(slots) = self.window.push_slots(slice.len().div_ceil(32)) else {
            return false;
        };
        for (slot, chunk) in slots.iter_mut().zip(slice.chunks(32)) {
            *slot = word_from_be(chunk);
        }
        true
    }

    #[inline]
    fn popn<const N: usize>(&mut self) -> Option<[U256; N]> {
        match self.window.popn::<N>() {
            Ok(words) => Some(words),
            Err(_) => {
                cold_path();
                None
            }
        }
    }

    #[inline]
    fn popn_top<const POPN: usize>(&mut self) -> Option<([U256; POPN], &mut U256)> {
        match self.window.popn_top::<POPN>() {
            Ok(words) => Some(words),
            Err(_) => {
                cold_path();
                None
            }
        }
    }

    #[inline]
    fn exchange(&mut self, n: usize, m: usize) -> bool {
        likely(self.window.exchange(n, m).is_ok())
    }

    #[inline]
    fn dup(&mut self, n: usize) -> bool {
        likely(self.window.dup(n).is_ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use revm::interpreter::Stack;

    #[derive(Clone, Copy, Debug)]
    enum Op {
        Push(u64),
        PushSlice(usize),
        Pop2,
        PopTop1,
        Dup(usize),
        Exchange(usize, usize),
    }

    fn apply<S: StackTr>(s: &mut S, op: Op) -> String {
        match op {
            Op::Push(v) => format!("{:?}", s.push(U256::from(v))),
            Op::PushSlice(n) => {
                let bytes: Vec<u8> = (1..=n as u8).collect();
                format!("{:?}", s.push_slice(&bytes))
            }
            Op::Pop2 => format!("{:?}", s.popn::<2>()),
            Op::PopTop1 => format!("{:?}", s.popn_top::<1>().map(|(a, t)| (a, *t))),
            Op::Dup(n) => format!("{:?}", s.dup(n)),
            Op::Exchange(n, m) => format!("{:?}", s.exchange(n, m)),
        }
    }

    /// Runs the same operations on revm's stack and ours and compares every step.
    fn same(ops: &[Op]) {
        let mut stock = Stack::new();
        let mut parent = PooledStack::default();
        parent.window_mut().attach(Vec::new());
        // A parent's word below the base must never be visible or touched.
        assert!(parent.push(U256::from(0xdead)));
        let mut ours = PooledStack::default();
        *ours.window_mut() = parent.window_mut().enter_child().unwrap();
        for &op in ops {
            assert_eq!(apply(&mut stock, op), apply(&mut ours, op), "{op:?}");
            assert_eq!(StackTr::data(&stock), ours.data(), "{op:?}");
            assert_eq!(StackTr::len(&stock), StackTr::len(&ours));
        }
        parent.window_mut().resume(ours.window_mut()).unwrap();
        assert_eq!(parent.data(), &[U256::from(0xdead)]);
    }

    #[test]
    fn matches_revm_stack_including_underflow() {
        use Op::*;
        same(&[
            Pop2,
            Dup(1),
            Exchange(0, 1),
            PopTop1,
            Push(1),
            Pop2,
            Push(2),
            Dup(1),
            Dup(2),
            PushSlice(45),
            PushSlice(3),
            PushSlice(0),
            Exchange(0, 1),
            Exchange(1, 2),
            Exchange(3, 4),
            PopTop1,
            Pop2,
            Pop2,
            Pop2,
        ]);
    }

    #[test]
    fn push_slice_of_every_length_matches_revm() {
        let ops: Vec<Op> = (0..=100).map(Op::PushSlice).chain([Op::Pop2; 3]).collect();
        same(&ops);
    }

    #[test]
    fn overflow_at_1024_words_above_base() {
        let mut ops = vec![Op::Push(1); 1023];
        ops.extend([Op::PushSlice(64), Op::Push(2), Op::Push(3), Op::Dup(1)]);
        ops.extend([Op::Pop2, Op::PushSlice(40), Op::Dup(5)]);
        same(&ops);
    }
}
