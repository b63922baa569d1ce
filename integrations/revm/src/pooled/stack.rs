//! The operand stack of a pooled frame: a window of one shared, growable word buffer.
//!
//! revm gives every frame its own `Vec<U256>` with room for 1024 words (32 KiB), so a
//! call tree 1024 deep holds 32 MiB of stacks, allocated once and kept. But an EVM call
//! tree is LIFO: only the innermost frame runs, and a parent resumes only after its
//! child is gone. So all frames of a transaction can share one buffer: each frame's
//! stack is the part of the buffer above its *base* (the buffer's length when the frame
//! started). Whoever runs holds the buffer; a parent hands it to its child on a call and
//! takes it back, truncated to the child's base, on return. Handing it over is a move of
//! three words, and the frame's stack operations are plain `Vec` operations, as fast as
//! revm's own stack. The buffer grows to what the deepest path actually used, not to
//! 1024 words per frame.

use revm::interpreter::STACK_LIMIT;
use revm::interpreter::interpreter_types::StackTr;
use revm::primitives::U256;

/// A frame's operand stack: the words of the shared buffer above `base`.
///
/// ```
/// use evm_pool_revm::pooled::PooledStack;
/// use revm::interpreter::interpreter_types::StackTr;
/// use revm::primitives::U256;
///
/// let mut parent = PooledStack::default();
/// parent.attach(Vec::new());
/// assert!(parent.push(U256::from(7)));
///
/// // A call: the child takes the buffer; its stack starts empty above the parent's words.
/// let mut child = PooledStack::default();
/// child.attach(parent.lend());
/// assert_eq!(child.len(), 0);
/// assert!(child.push(U256::from(8)));
///
/// // The child returns: the parent gets the buffer back with its own words only.
/// parent.restore(child.detach());
/// assert_eq!(parent.data(), &[U256::from(7)]);
/// ```
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PooledStack {
    buffer: Vec<U256>,
    base: usize,
}

impl PooledStack {
    /// Starts this frame's stack on top of `buffer` (base = its current length).
    #[inline]
    pub fn attach(&mut self, buffer: Vec<U256>) {
        self.base = buffer.len();
        self.buffer = buffer;
    }

    /// Hands the buffer to a child frame; this frame keeps its base and gets the buffer
    /// back with [`restore`](Self::restore).
    #[inline]
    pub fn lend(&mut self) -> Vec<U256> {
        core::mem::take(&mut self.buffer)
    }

    /// Takes back the buffer a child returned (already truncated to the child's base,
    /// which is this frame's top).
    #[inline]
    pub fn restore(&mut self, buffer: Vec<U256>) {
        debug_assert!(buffer.len() >= self.base);
        self.buffer = buffer;
    }

    /// Ends this frame: drops its words and returns the buffer (to the parent or the
    /// pool).
    #[inline]
    pub fn detach(&mut self) -> Vec<U256> {
        self.buffer.truncate(self.base);
        core::mem::take(&mut self.buffer)
    }

    /// Whether this stack currently holds the shared buffer.
    pub fn holds_buffer(&self) -> bool {
        self.buffer.capacity() != 0
    }

    /// Words in the shared buffer (all frames' words up to this one's top).
    #[inline]
    pub fn buffer_len(&self) -> usize {
        self.buffer.len()
    }

    /// Offset of this frame's first word in the shared buffer.
    pub fn base(&self) -> usize {
        self.base
    }
}

impl StackTr for PooledStack {
    #[inline]
    fn len(&self) -> usize {
        self.buffer.len() - self.base
    }

    #[inline]
    fn data(&self) -> &[U256] {
        &self.buffer[self.base..]
    }

    #[inline]
    fn clear(&mut self) {
        self.buffer.truncate(self.base);
    }

    #[inline]
    fn push(&mut self, value: U256) -> bool {
        if self.len() == STACK_LIMIT {
            return false;
        }
        self.buffer.push(value);
        true
    }

    #[inline]
    fn push_slice(&mut self, slice: &[u8]) -> bool {
        if slice.is_empty() {
            return true;
        }
        let words = slice.len().div_ceil(32);
        if self.len() + words > STACK_LIMIT {
            return false;
        }
        // Same as revm: consecutive 32-byte big-endian words, the last one possibly short
        // (read as a number, i.e. left-padded).
        self.buffer
            .extend(slice.chunks(32).map(U256::from_be_slice));
        true
    }

    #[inline]
    fn popn<const N: usize>(&mut self) -> Option<[U256; N]> {
        if self.len() < N {
            return None;
        }
        let top = self.buffer.len();
        let popped = core::array::from_fn(|i| self.buffer[top - 1 - i]);
        self.buffer.truncate(top - N);
        Some(popped)
    }

    #[inline]
    fn popn_top<const POPN: usize>(&mut self) -> Option<([U256; POPN], &mut U256)> {
        if self.len() < POPN + 1 {
            return None;
        }
        let top = self.buffer.len();
        let popped = core::array::from_fn(|i| self.buffer[top - 1 - i]);
        self.buffer.truncate(top - POPN);
        let last = self.buffer.last_mut()?;
        Some((popped, last))
    }

    #[inline]
    fn exchange(&mut self, n: usize, m: usize) -> bool {
        let len = self.len();
        if n + m >= len {
            return false;
        }
        let top = self.buffer.len() - 1;
        self.buffer.swap(top - n, top - n - m);
        true
    }

    #[inline]
    fn dup(&mut self, n: usize) -> bool {
        let len = self.len();
        if len < n || len + 1 > STACK_LIMIT || n == 0 {
            return false;
        }
        let value = self.buffer[self.buffer.len() - n];
        self.buffer.push(value);
        true
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
        let mut ours = PooledStack::default();
        // A parent's word below the base must never be visible or touched.
        ours.attach(vec![U256::from(0xdead)]);
        for &op in ops {
            assert_eq!(apply(&mut stock, op), apply(&mut ours, op), "{op:?}");
            assert_eq!(StackTr::data(&stock), ours.data(), "{op:?}");
            assert_eq!(StackTr::len(&stock), StackTr::len(&ours));
        }
        assert_eq!(ours.detach(), vec![U256::from(0xdead)]);
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
    fn overflow_at_1024_words_above_base() {
        let mut ops = vec![Op::Push(1); 1023];
        ops.extend([Op::PushSlice(64), Op::Push(2), Op::Push(3), Op::Dup(1)]);
        ops.extend([Op::Pop2, Op::PushSlice(40), Op::Dup(5)]);
        same(&ops);
    }
}
