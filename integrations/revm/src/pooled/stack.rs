//! The operand stack of a pooled frame: a window of one shared, growable word buffer.
//!
//! revm gives every frame its own `Vec<U256>` with room for 1024 words (32 KiB), so a
//! call tree 1024 deep holds 32 MiB of stacks, allocated once and kept. But an EVM call
//! tree is LIFO: only the innermost frame runs, and a parent resumes only after its
//! child is gone. So all frames of a transaction share one buffer: a frame's stack is
//! the window `[base, top)` of the buffer, where `base` is its parent's top when it
//! started. Whoever runs holds the buffer; a parent hands it to its child on a call and
//! takes it back on return (a move of three words; the child's words are simply left
//! above the parent's top, to be overwritten). The buffer always extends at least 1024
//! words past the running frame's base, so stack operations only compare indices, as
//! revm's do, and never reallocate. It grows to what the deepest path used plus one
//! frame's limit, not to 1024 words per frame.

use revm::interpreter::STACK_LIMIT;
use revm::interpreter::interpreter_types::StackTr;
use revm::primitives::U256;

/// A frame's operand stack: the words `[base, top)` of the shared buffer.
///
/// ```
/// use evm_pool_revm::pooled::PooledStack;
/// use revm::interpreter::interpreter_types::StackTr;
/// use revm::primitives::U256;
///
/// let mut parent = PooledStack::default();
/// parent.attach(Vec::new(), 0);
/// assert!(parent.push(U256::from(7)));
///
/// // A call: the child takes the buffer; its stack starts empty above the parent's words.
/// let mut child = PooledStack::default();
/// let (buffer, top) = parent.lend();
/// child.attach(buffer, top);
/// assert_eq!(child.len(), 0);
/// assert!(child.push(U256::from(8)));
///
/// // The child returns: the parent gets the buffer back and sees its own words only.
/// parent.restore(child.detach());
/// assert_eq!(parent.data(), &[U256::from(7)]);
/// ```
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PooledStack {
    /// Invariant while the frame holds it: `buffer.len() >= base + STACK_LIMIT`.
    buffer: Vec<U256>,
    base: usize,
    top: usize,
}

impl PooledStack {
    /// Starts this frame's stack at `top` of `buffer` (the parent's top, or 0), growing
    /// the buffer so that a full stack fits above it.
    #[inline]
    pub fn attach(&mut self, mut buffer: Vec<U256>, top: usize) {
        let needed = top + STACK_LIMIT;
        if buffer.len() < needed {
            buffer.resize(needed, U256::ZERO);
        }
        self.buffer = buffer;
        self.base = top;
        self.top = top;
    }

    /// Hands the buffer and this frame's top to a child frame; this frame gets the
    /// buffer back with [`restore`](Self::restore).
    #[inline]
    pub fn lend(&mut self) -> (Vec<U256>, usize) {
        (core::mem::take(&mut self.buffer), self.top)
    }

    /// Takes back the buffer a child returned.
    #[inline]
    pub fn restore(&mut self, buffer: Vec<U256>) {
        debug_assert!(buffer.len() >= self.base + STACK_LIMIT);
        self.buffer = buffer;
    }

    /// Ends this frame: returns the buffer (to the parent or the pool); its words are
    /// dropped by leaving them above the parent's top.
    #[inline]
    pub fn detach(&mut self) -> Vec<U256> {
        self.top = self.base;
        core::mem::take(&mut self.buffer)
    }

    /// Whether this stack currently holds the shared buffer.
    pub fn holds_buffer(&self) -> bool {
        !self.buffer.is_empty()
    }

    /// Words in use in the shared buffer (all frames' words up to this one's top).
    #[inline]
    pub fn buffer_len(&self) -> usize {
        self.top
    }

    /// Offset of this frame's first word in the shared buffer.
    pub fn base(&self) -> usize {
        self.base
    }
}

impl StackTr for PooledStack {
    #[inline]
    fn len(&self) -> usize {
        self.top - self.base
    }

    #[inline]
    fn data(&self) -> &[U256] {
        &self.buffer[self.base..self.top]
    }

    #[inline]
    fn clear(&mut self) {
        self.top = self.base;
    }

    #[inline]
    fn push(&mut self, value: U256) -> bool {
        let top = self.top;
        if top - self.base == STACK_LIMIT {
            return false;
        }
        // In bounds by the invariant; `get_mut` keeps it safe if it were ever broken.
        match self.buffer.get_mut(top) {
            Some(slot) => {
                *slot = value;
                self.top = top + 1;
                true
            }
            None => false,
        }
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
        for chunk in slice.chunks(32) {
            let mut word = [0u8; 32];
            word[32 - chunk.len()..].copy_from_slice(chunk);
            let Some(slot) = self.buffer.get_mut(self.top) else {
                return false;
            };
            *slot = U256::from_be_bytes(word);
            self.top += 1;
        }
        true
    }

    #[inline]
    fn popn<const N: usize>(&mut self) -> Option<[U256; N]> {
        let top = self.top;
        if top - self.base < N {
            return None;
        }
        let new_top = top - N;
        // One length check for the whole window.
        let window: &[U256; N] = self.buffer.get(new_top..)?.first_chunk::<N>()?;
        let popped = core::array::from_fn(|i| window[N - 1 - i]);
        self.top = new_top;
        Some(popped)
    }

    #[inline]
    fn popn_top<const POPN: usize>(&mut self) -> Option<([U256; POPN], &mut U256)> {
        let top = self.top;
        if top - self.base < POPN + 1 {
            return None;
        }
        let new_top = top - POPN;
        let (below, popped) = self.buffer.split_at_mut(new_top);
        let popped: &[U256; POPN] = popped.first_chunk::<POPN>()?;
        let values = core::array::from_fn(|i| popped[POPN - 1 - i]);
        let top_word = below.last_mut()?;
        self.top = new_top;
        Some((values, top_word))
    }

    #[inline]
    fn exchange(&mut self, n: usize, m: usize) -> bool {
        if n + m >= self.len() {
            return false;
        }
        let top = self.top - 1;
        self.buffer.swap(top - n, top - n - m);
        true
    }

    #[inline]
    fn dup(&mut self, n: usize) -> bool {
        let top = self.top;
        let len = top - self.base;
        if len < n || len == STACK_LIMIT || n == 0 {
            return false;
        }
        let Some(&value) = self.buffer.get(top - n) else {
            return false;
        };
        match self.buffer.get_mut(top) {
            Some(slot) => {
                *slot = value;
                self.top = top + 1;
                true
            }
            None => false,
        }
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
        ours.attach(vec![U256::from(0xdead)], 1);
        for &op in ops {
            assert_eq!(apply(&mut stock, op), apply(&mut ours, op), "{op:?}");
            assert_eq!(StackTr::data(&stock), ours.data(), "{op:?}");
            assert_eq!(StackTr::len(&stock), StackTr::len(&ours));
        }
        assert_eq!(ours.detach()[0], U256::from(0xdead));
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
