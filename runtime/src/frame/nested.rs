//! Borrow-checked nested frames: a [`CallTree`] whose [`CallFrame`]s open their children
//! by `&mut` borrow, so the borrow checker proves LIFO order at compile time and every
//! frame's stack and memory are windows of the tree's two buffers.
//!
//! # How it differs from the guard API
//!
//! [`FramePoolManager::acquire`] hands out [`FrameGuard`](crate::FrameGuard)s whose
//! [`SharedStack`](crate::SharedStack) / [`SharedMemory`](crate::SharedMemory) views are
//! plain values: a view can be swapped out of its frame, so the buffers move from view to
//! view and every hand-back checks the order at run time. Here:
//!
//! - [`CallFrame::call`] borrows the parent mutably for as long as the child lives, so
//!   the parent cannot run, open a second child or be released meanwhile. That is a
//!   compile error, not a run-time check, and there is no view to swap.
//! - The tree owns one stack buffer and one memory buffer. A child's stack and memory
//!   start at its parent's top (its two *bases*); it reaches only indices at or above
//!   them, through [`FrameStack`] and [`FrameMemory`]. When it is released, both buffers
//!   are truncated back to its bases, so the parent finds its words and bytes exactly as
//!   it left them. Nothing moves between frames.
//! - Per frame the manager does: the rules (one combined test), a pool pop, the call
//!   context, EIP-150 gas, the two bases, the exact counters, and on release the gas
//!   hand-back, two truncations and a pool push.
//!
//! The EVM rules and the statistics are the guard API's: depth limit
//! [`CALL_DEPTH_LIMIT`](crate::CALL_DEPTH_LIMIT), all but one 64th of the gas, static
//! inheritance and refusals, no children for precompiles; hits, misses, returns,
//! current and peak frames and the tracker are counted the same way, and pool
//! exhaustion follows the overflow policy. With [`FramePoolConfig::disabled`]
//! (`shared_buffers` off) every frame gets a freshly allocated 1024-word stack and its
//! own memory buffer, as revm does, through the same API: the benchmark baseline.
//!
//! ```
//! use evm_pool_runtime::{FrameKind, FramePoolConfig, FramePoolManager, FrameRequest};
//!
//! let manager = FramePoolManager::<[u8; 32]>::new(FramePoolConfig::high_performance())?;
//! let mut tree = manager.call_tree(); // one transaction
//! let mut root = tree.root(&FrameRequest::new(FrameKind::Call).gas(64_000))?;
//! root.stack_mut().push([1; 32])?;
//! root.memory_mut().resize(32)?;
//! {
//!     let mut child = root.call(&FrameRequest::new(FrameKind::StaticCall))?;
//!     assert_eq!(child.gas().limit, 63_000); // all but one 64th
//!     assert!(child.is_static());
//!     child.stack_mut().push([2; 32])?;
//!     assert_eq!(child.stack(), &[[2; 32]]); // its own words only
//!     assert_eq!(child.memory_mut().local_offset(), 32); // above the caller's memory
//!     child.gas_mut().spend(1_000);
//! } // released: 62_000 gas back, its words gone
//! assert_eq!(root.gas().remaining, 63_000);
//! assert_eq!(root.stack(), &[[1; 32]]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The borrow checker refuses a parent that runs while its child lives:
//!
//! ```compile_fail
//! use evm_pool_runtime::{FrameKind, FramePoolConfig, FramePoolManager, FrameRequest};
//!
//! let manager = FramePoolManager::<[u8; 32]>::new(FramePoolConfig::high_performance()).unwrap();
//! let mut tree = manager.call_tree();
//! let mut root = tree.root(&FrameRequest::new(FrameKind::Call)).unwrap();
//! let child = root.call(&FrameRequest::new(FrameKind::Call)).unwrap();
//! root.stack_mut().push([0; 32]).unwrap(); // error: `root` is borrowed by `child`
//! drop(child);
//! ```

use std::fmt;
use std::ops::Range;

use super::FrameError;
use super::kind::FrameKind;
use super::manager::{FramePoolManager, give_back_gas};
use super::pooled::{Address, FrameRequest, Gas, PooledFrame};
use super::shared::{MemoryError, STACK_LIMIT, StackError, Word};

/// The two buffers every frame of a call tree takes its stack and memory from.
struct TreeBuffers<W> {
    stack: Vec<W>,
    memory: Vec<u8>,
    /// The memory limit of the whole tree (`FramePoolConfig::memory_limit`).
    memory_limit: usize,
}

/// One transaction's call tree: owns the stack and memory buffers its frames share, and
/// opens its root frames. Made by [`FramePoolManager::call_tree`]; dropping it gives the
/// buffers (capacity kept) back to the manager for the next tree.
///
/// ```
/// use evm_pool_runtime::{FrameKind, FramePoolConfig, FramePoolManager, FrameRequest};
///
/// let manager = FramePoolManager::<[u8; 32]>::new(FramePoolConfig::balanced())?;
/// for _tx in 0..3 {
///     let mut tree = manager.call_tree();
///     let mut root = tree.root(&FrameRequest::new(FrameKind::Call).gas(50_000))?;
///     root.memory_mut().resize(4096)?;
///     root.gas_mut().spend(21_000);
///     root.release();
///     assert_eq!(tree.returned_gas().remaining, 29_000);
/// }
/// let stats = manager.statistics();
/// assert_eq!((stats.buffers.trees, stats.buffers.reused), (3, 2)); // trees 2 and 3 reused tree 1's buffers
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct CallTree<'m, W: Copy = Word> {
    manager: &'m FramePoolManager<W>,
    buffers: TreeBuffers<W>,
    /// Where released root frames leave their unused gas and refunds.
    returned: Gas,
}

impl<W: Copy> FramePoolManager<W> {
    /// Starts a call tree (one transaction) for the nested API: reads the clock, runs
    /// maintenance when due, and hands the tree the spare buffers of an earlier one. See
    /// the [`nested`](super::nested) module docs.
    ///
    /// ```
    /// use evm_pool_runtime::{FrameKind, FramePoolConfig, FramePoolManager, FrameRequest};
    ///
    /// let manager = FramePoolManager::<[u8; 32]>::new(FramePoolConfig::minimal())?;
    /// let mut tree = manager.call_tree();
    /// let root = tree.root(&FrameRequest::new(FrameKind::Call))?;
    /// assert_eq!(root.depth(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn call_tree(&self) -> CallTree<'_, W> {
        let (stack, memory) = self.begin_tree();
        CallTree {
            manager: self,
            buffers: TreeBuffers {
                stack,
                memory,
                memory_limit: self.config.memory_limit,
            },
            returned: Gas::default(),
        }
    }
}

impl<'m, W: Copy> CallTree<'m, W> {
    /// Opens a root frame (depth 0) for `request`: exactly the gas asked for, the
    /// request's `origin` as caller. A tree can open several roots one after the other
    /// (the borrow checker allows one at a time).
    ///
    /// ```
    /// use evm_pool_runtime::{FrameKind, FramePoolConfig, FramePoolManager, FrameRequest};
    ///
    /// let manager = FramePoolManager::<[u8; 32]>::new(FramePoolConfig::high_performance())?;
    /// let mut tree = manager.call_tree();
    /// let root = tree.root(&FrameRequest::new(FrameKind::Call).origin([0xaa; 20]).gas(100))?;
    /// assert_eq!((root.caller(), root.gas().limit), ([0xaa; 20], 100));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn root(&mut self, request: &FrameRequest<'_>) -> Result<CallFrame<'_, W>, FrameError> {
        let manager = self.manager;
        let mut frame = manager.open_root(&mut manager.state.borrow_mut(), request)?;
        let (stack_base, memory_base) = bases(manager, &mut frame, &mut self.buffers);
        Ok(CallFrame {
            manager,
            buffers: &mut self.buffers,
            parent_gas: &mut self.returned,
            frame: Some(frame),
            stack_base,
            memory_base,
        })
    }

    /// What the released root frames left: unused gas (`remaining`) and their refund
    /// counters, summed (`limit` stays 0).
    ///
    /// ```
    /// use evm_pool_runtime::{FrameKind, FramePoolConfig, FramePoolManager, FrameRequest};
    ///
    /// let manager = FramePoolManager::<[u8; 32]>::new(FramePoolConfig::high_performance())?;
    /// let mut tree = manager.call_tree();
    /// let mut root = tree.root(&FrameRequest::new(FrameKind::Call).gas(100))?;
    /// root.gas_mut().refunded = 7;
    /// drop(root);
    /// assert_eq!((tree.returned_gas().remaining, tree.returned_gas().refunded), (100, 7));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn returned_gas(&self) -> Gas {
        self.returned
    }
}

impl<W: Copy> Drop for CallTree<'_, W> {
    fn drop(&mut self) {
        let manager = self.manager;
        if manager.config.shared_buffers {
            let mut stack = std::mem::take(&mut self.buffers.stack);
            let mut memory = std::mem::take(&mut self.buffers.memory);
            stack.clear();
            memory.clear();
            manager.keep_spare_buffers(&mut manager.state.borrow_mut(), stack, memory);
        }
    }
}

impl<W: Copy> fmt::Debug for CallTree<'_, W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallTree")
            .field("stack_capacity", &self.buffers.stack.capacity())
            .field("memory_capacity", &self.buffers.memory.capacity())
            .field("returned", &self.returned)
            .finish_non_exhaustive()
    }
}

/// A new frame's two bases: the tree's current tops with shared buffers; with
/// `shared_buffers` off, 0 on a freshly allocated stack and memory (the parent's are
/// parked in the frame until it is released).
#[inline]
fn bases<W: Copy>(
    manager: &FramePoolManager<W>,
    frame: &mut PooledFrame<W>,
    buffers: &mut TreeBuffers<W>,
) -> (usize, usize) {
    if manager.config.shared_buffers {
        (buffers.stack.len(), buffers.memory.len())
    } else {
        fresh_buffers(frame, buffers);
        (0, 0)
    }
}

/// `shared_buffers` off (the `disabled()` baseline): the frame runs on a fresh 1024-word
/// stack and an empty memory, as revm allocates them; the parent's buffers wait in the
/// frame's (detached) views.
#[inline(never)]
fn fresh_buffers<W: Copy>(frame: &mut PooledFrame<W>, buffers: &mut TreeBuffers<W>) {
    frame.stack.park(&mut buffers.stack);
    frame.memory.park(&mut buffers.memory);
    buffers.stack = Vec::with_capacity(STACK_LIMIT);
}

/// Undoes [`fresh_buffers`]: the parent's buffers go back to the tree, the frame's own
/// are dropped.
#[inline(never)]
fn restore_buffers<W: Copy>(frame: &mut PooledFrame<W>, buffers: &mut TreeBuffers<W>) {
    frame.stack.park(&mut buffers.stack);
    frame.memory.park(&mut buffers.memory);
    frame.stack.park(&mut Vec::new());
    frame.memory.park(&mut Vec::new());
}

/// A running frame of a [`CallTree`]: its call context and gas, and windows on the tree's
/// stack and memory starting at its bases. [`call`](Self::call) opens a child that
/// borrows this frame until it is released (dropped, or [`release`](Self::release)):
/// unused gas and the refund counter go back to this frame, the buffers are truncated
/// back to the child's bases, the pooled frame goes back to its pool.
///
/// ```
/// use evm_pool_runtime::{CallFrame, FrameKind, FramePoolConfig, FramePoolManager, FrameRequest};
///
/// // A call chain `n` deep: each frame pushes a word and calls the next.
/// fn nest(frame: &mut CallFrame<'_>, n: usize) -> Result<(), Box<dyn std::error::Error>> {
///     frame.stack_mut().push([n as u8; 32])?;
///     if n > 0 {
///         let mut child = frame.call(&FrameRequest::new(FrameKind::Call))?;
///         nest(&mut child, n - 1)?;
///     }
///     assert_eq!(frame.stack(), &[[n as u8; 32]]); // the child's word is gone
///     Ok(())
/// }
///
/// let manager = FramePoolManager::new(FramePoolConfig::high_performance())?;
/// let mut tree = manager.call_tree();
/// let mut root = tree.root(&FrameRequest::new(FrameKind::Call).gas(1_000_000))?;
/// nest(&mut root, 10)?;
/// drop(root);
/// let stats = manager.statistics();
/// assert_eq!((stats.total.hits, stats.total.in_use, stats.total.peak_in_use), (11, 0, 11));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use = "dropping the frame immediately releases it"]
pub struct CallFrame<'t, W: Copy = Word> {
    manager: &'t FramePoolManager<W>,
    buffers: &'t mut TreeBuffers<W>,
    parent_gas: &'t mut Gas,
    // Invariant: `Some` from creation until `drop`.
    frame: Option<Box<PooledFrame<W>>>,
    stack_base: usize,
    memory_base: usize,
}

impl<W: Copy> CallFrame<'_, W> {
    #[inline]
    fn pooled(&self) -> &PooledFrame<W> {
        match &self.frame {
            Some(frame) => frame,
            None => unreachable!("a CallFrame holds its frame until dropped"),
        }
    }

    #[inline]
    fn pooled_mut(&mut self) -> &mut PooledFrame<W> {
        match &mut self.frame {
            Some(frame) => frame,
            None => unreachable!("a CallFrame holds its frame until dropped"),
        }
    }

    /// Opens a child frame for `request`, borrowing this frame until the child is
    /// released. Checks the EVM rules ([`FrameError`] otherwise, nothing taken from a
    /// pool), takes a pooled frame of the request's class, copies the call data, sets
    /// the call context (`DELEGATECALL` keeps this frame's caller, address and value;
    /// `CALLCODE` runs on this frame's address; `STATICCALL` carries no value), and
    /// forwards at most all but one 64th of this frame's remaining gas (EIP-150).
    ///
    /// ```
    /// use evm_pool_runtime::{FrameError, FrameKind, FramePoolConfig, FramePoolManager, FrameRequest};
    ///
    /// let manager = FramePoolManager::<[u8; 32]>::new(FramePoolConfig::balanced())?;
    /// let mut tree = manager.call_tree();
    /// let mut root = tree.root(&FrameRequest::new(FrameKind::StaticCall).gas(6_400))?;
    /// assert_eq!(
    ///     root.call(&FrameRequest::new(FrameKind::Create)).unwrap_err(),
    ///     FrameError::StaticViolation { kind: FrameKind::Create }
    /// );
    /// let mut pre = root.call(&FrameRequest::new(FrameKind::Precompile).gas(1_000).input(&[1, 2]))?;
    /// assert_eq!((pre.gas().limit, pre.input()), (1_000, &[1, 2][..]));
    /// assert_eq!(
    ///     pre.call(&FrameRequest::new(FrameKind::Call)).unwrap_err(),
    ///     FrameError::PrecompileHasNoChildren
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn call(&mut self, request: &FrameRequest<'_>) -> Result<CallFrame<'_, W>, FrameError> {
        let manager = self.manager;
        let parent = match &mut self.frame {
            Some(frame) => frame,
            None => unreachable!("a CallFrame holds its frame until dropped"),
        };
        let mut frame = manager.open_child(request, parent, true)?;
        let (stack_base, memory_base) = bases(manager, &mut frame, self.buffers);
        Ok(CallFrame {
            manager,
            buffers: &mut *self.buffers,
            parent_gas: &mut parent.gas,
            frame: Some(frame),
            stack_base,
            memory_base,
        })
    }

    /// Releases the frame now (the same as dropping it).
    pub fn release(self) {}

    /// This frame's stack words, bottom first (not its ancestors').
    ///
    /// ```
    /// # use evm_pool_runtime::{FrameKind, FramePoolConfig, FramePoolManager, FrameRequest};
    /// let manager = FramePoolManager::<u64>::new(FramePoolConfig::minimal())?;
    /// let mut tree = manager.call_tree();
    /// let mut root = tree.root(&FrameRequest::new(FrameKind::Call))?;
    /// root.stack_mut().push(1)?;
    /// root.stack_mut().push(2)?;
    /// assert_eq!(root.stack(), [1, 2]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn stack(&self) -> &[W] {
        &self.buffers.stack[self.stack_base..]
    }

    /// This frame's operand stack window (see [`FrameStack`]).
    #[inline]
    pub fn stack_mut(&mut self) -> FrameStack<'_, W> {
        FrameStack {
            buf: &mut self.buffers.stack,
            base: self.stack_base,
        }
    }

    /// This frame's memory (not its ancestors').
    ///
    /// ```
    /// # use evm_pool_runtime::{FrameKind, FramePoolConfig, FramePoolManager, FrameRequest};
    /// let manager = FramePoolManager::<[u8; 32]>::new(FramePoolConfig::minimal())?;
    /// let mut tree = manager.call_tree();
    /// let mut root = tree.root(&FrameRequest::new(FrameKind::Call))?;
    /// root.memory_mut().resize(2)?;
    /// assert_eq!(root.memory(), [0, 0]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn memory(&self) -> &[u8] {
        &self.buffers.memory[self.memory_base..]
    }

    /// This frame's memory window (see [`FrameMemory`]).
    #[inline]
    pub fn memory_mut(&mut self) -> FrameMemory<'_> {
        FrameMemory {
            buf: &mut self.buffers.memory,
            base: self.memory_base,
            limit: self.buffers.memory_limit,
        }
    }

    /// This frame's gas: limit, remaining, refund counter.
    #[inline]
    pub fn gas(&self) -> &Gas {
        &self.pooled().gas
    }

    /// This frame's gas, mutably (spend it, count refunds).
    ///
    /// ```
    /// # use evm_pool_runtime::{FrameKind, FramePoolConfig, FramePoolManager, FrameRequest};
    /// let manager = FramePoolManager::<[u8; 32]>::new(FramePoolConfig::minimal())?;
    /// let mut tree = manager.call_tree();
    /// let mut root = tree.root(&FrameRequest::new(FrameKind::Call).gas(10))?;
    /// assert!(root.gas_mut().spend(4) && !root.gas_mut().spend(7));
    /// assert_eq!(root.gas().remaining, 6);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn gas_mut(&mut self) -> &mut Gas {
        &mut self.pooled_mut().gas
    }

    /// Call data (or init code).
    #[inline]
    pub fn input(&self) -> &[u8] {
        &self.pooled().input
    }

    /// Return data, filled by the frame before it returns (kept by the pooled frame's
    /// buffer, capacity reused).
    ///
    /// ```
    /// # use evm_pool_runtime::{FrameKind, FramePoolConfig, FramePoolManager, FrameRequest};
    /// let manager = FramePoolManager::<[u8; 32]>::new(FramePoolConfig::minimal())?;
    /// let mut tree = manager.call_tree();
    /// let mut root = tree.root(&FrameRequest::new(FrameKind::Call))?;
    /// root.output_mut().extend_from_slice(b"ok");
    /// assert_eq!(root.frame().output, b"ok");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn output_mut(&mut self) -> &mut Vec<u8> {
        &mut self.pooled_mut().output
    }

    /// What opened the frame.
    #[inline]
    pub fn kind(&self) -> FrameKind {
        self.pooled().kind
    }

    /// Call depth: 0 for a root frame.
    #[inline]
    pub fn depth(&self) -> usize {
        self.pooled().depth
    }

    /// `true` inside a `STATICCALL` (and everything it calls).
    #[inline]
    pub fn is_static(&self) -> bool {
        self.pooled().is_static
    }

    /// The account that made this call.
    #[inline]
    pub fn caller(&self) -> Address {
        self.pooled().caller
    }

    /// The account whose storage this frame works on.
    #[inline]
    pub fn address(&self) -> Address {
        self.pooled().address
    }

    /// Value transferred, big-endian.
    #[inline]
    pub fn value(&self) -> Word {
        self.pooled().value
    }

    /// The pooled frame behind this one, read-only: pool id, usage count, last use,
    /// retained bytes. (Its own stack and memory views stay detached: this frame's are
    /// [`stack`](Self::stack) and [`memory`](Self::memory).)
    ///
    /// ```
    /// # use evm_pool_runtime::{FrameKind, FramePoolConfig, FramePoolManager, FrameRequest};
    /// let manager = FramePoolManager::<[u8; 32]>::new(FramePoolConfig::minimal())?;
    /// let mut tree = manager.call_tree();
    /// let root = tree.root(&FrameRequest::new(FrameKind::Call))?;
    /// assert_eq!(root.frame().usage_count(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn frame(&self) -> &PooledFrame<W> {
        self.pooled()
    }
}

impl<W: Copy> Drop for CallFrame<'_, W> {
    #[inline]
    fn drop(&mut self) {
        if let Some(mut frame) = self.frame.take() {
            give_back_gas(self.parent_gas, &frame.gas);
            if self.manager.config.shared_buffers {
                self.buffers.stack.truncate(self.stack_base);
                self.buffers.memory.truncate(self.memory_base);
            } else {
                restore_buffers(&mut frame, self.buffers);
            }
            self.manager.put_back(frame);
        }
    }
}

impl<W: Copy> fmt::Debug for CallFrame<'_, W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallFrame")
            .field("frame", self.pooled())
            .field("stack_base", &self.stack_base)
            .field("stack_len", &self.stack().len())
            .field("memory_base", &self.memory_base)
            .field("memory_len", &self.memory().len())
            .finish()
    }
}

/// A [`CallFrame`]'s operand stack: the tree's stack buffer from the frame's base up.
/// At most [`STACK_LIMIT`] words per frame; the words below the base (the ancestors')
/// are out of reach. Indices count from the top: `peek(0)` is the top word; `dup(n)` and
/// `swap(n)` follow the opcodes.
///
/// ```
/// use evm_pool_runtime::{FrameKind, FramePoolConfig, FramePoolManager, FrameRequest, StackError};
///
/// let manager = FramePoolManager::<u64>::new(FramePoolConfig::high_performance())?;
/// let mut tree = manager.call_tree();
/// let mut root = tree.root(&FrameRequest::new(FrameKind::Call))?;
/// root.stack_mut().push(10)?;
/// let mut child = root.call(&FrameRequest::new(FrameKind::Call))?;
/// let mut stack = child.stack_mut();
/// assert_eq!(stack.pop(), Err(StackError::Underflow)); // the caller's word is out of reach
/// stack.push(1)?;
/// stack.push(2)?;
/// stack.dup(2)?; // DUP2: 1 2 1
/// stack.swap(1)?; // SWAP1: 1 1 2
/// assert_eq!(stack.popn::<2>()?, [2, 1]); // top first
/// assert_eq!((stack.len(), stack.peek(0)?), (1, 1));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct FrameStack<'a, W> {
    buf: &'a mut Vec<W>,
    base: usize,
}

impl<W: Copy> FrameStack<'_, W> {
    /// Words on this frame's stack.
    #[inline]
    pub fn len(&self) -> usize {
        self.buf.len() - self.base
    }

    /// `true` when the frame's stack is empty.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Pushes a word ([`StackError::Overflow`] at [`STACK_LIMIT`] words).
    #[inline]
    pub fn push(&mut self, word: W) -> Result<(), StackError> {
        if self.len() >= STACK_LIMIT {
            return Err(StackError::Overflow);
        }
        self.buf.push(word);
        Ok(())
    }

    /// Pops the top word.
    #[inline]
    pub fn pop(&mut self) -> Result<W, StackError> {
        self.popn::<1>().map(|[word]| word)
    }

    /// Pops `N` words, the top one first.
    #[inline]
    pub fn popn<const N: usize>(&mut self) -> Result<[W; N], StackError> {
        let len = self.buf.len();
        if self.len() < N {
            return Err(StackError::Underflow);
        }
        let words = std::array::from_fn(|i| self.buf[len - 1 - i]);
        self.buf.truncate(len - N);
        Ok(words)
    }

    /// The word `n` places below the top.
    #[inline]
    pub fn peek(&self, n: usize) -> Result<W, StackError> {
        if n >= self.len() {
            return Err(StackError::Underflow);
        }
        Ok(self.buf[self.buf.len() - 1 - n])
    }

    /// `DUPn`: pushes a copy of the `n`th word from the top (`dup(1)` duplicates the top).
    #[inline]
    pub fn dup(&mut self, n: usize) -> Result<(), StackError> {
        let own = self.len();
        if n == 0 || n > own {
            return Err(StackError::Underflow);
        }
        if own >= STACK_LIMIT {
            return Err(StackError::Overflow);
        }
        let word = self.buf[self.buf.len() - n];
        self.buf.push(word);
        Ok(())
    }

    /// `SWAPn`: swaps the top with the word `n` places below it.
    #[inline]
    pub fn swap(&mut self, n: usize) -> Result<(), StackError> {
        if n == 0 || n >= self.len() {
            return Err(StackError::Underflow);
        }
        let len = self.buf.len();
        self.buf.swap(len - 1, len - 1 - n);
        Ok(())
    }

    /// Drops this frame's words.
    #[inline]
    pub fn clear(&mut self) {
        self.buf.truncate(self.base);
    }

    /// This frame's words, bottom first.
    #[inline]
    pub fn as_slice(&self) -> &[W] {
        &self.buf[self.base..]
    }

    /// This frame's words, bottom first, mutably.
    #[inline]
    pub fn as_mut_slice(&mut self) -> &mut [W] {
        &mut self.buf[self.base..]
    }
}

impl<W> fmt::Debug for FrameStack<'_, W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FrameStack")
            .field("base", &self.base)
            .field("len", &(self.buf.len() - self.base))
            .finish()
    }
}

/// A [`CallFrame`]'s memory: the tree's memory buffer from the frame's base up. Offsets
/// are frame-relative; the ancestors' memory below the base can be read with
/// [`global_slice`](Self::global_slice) but not written. The whole tree's memory is
/// bounded by `FramePoolConfig::memory_limit`.
///
/// ```
/// use evm_pool_runtime::{FrameKind, FramePoolConfig, FramePoolManager, FrameRequest, MemoryError};
///
/// let manager = FramePoolManager::<[u8; 32]>::new(FramePoolConfig::high_performance())?;
/// let mut tree = manager.call_tree();
/// let mut root = tree.root(&FrameRequest::new(FrameKind::Call))?;
/// root.memory_mut().resize(32)?;
/// root.memory_mut().set(0, b"caller")?;
/// let mut child = root.call(&FrameRequest::new(FrameKind::Call))?;
/// let mut memory = child.memory_mut();
/// assert_eq!(memory.local_offset(), 32);
/// assert!(matches!(memory.slice(0, 1), Err(MemoryError::OutOfBounds { .. })));
/// memory.resize(64)?;
/// memory.set(0, &[0xff; 32])?;
/// assert_eq!(memory.global_slice(0..6)?, b"caller"); // the caller's bytes, read-only
/// assert_eq!(memory.slice(0, 2)?, [0xff, 0xff]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct FrameMemory<'a> {
    buf: &'a mut Vec<u8>,
    base: usize,
    limit: usize,
}

impl FrameMemory<'_> {
    /// Size of this frame's memory in bytes.
    #[inline]
    pub fn len(&self) -> usize {
        self.buf.len() - self.base
    }

    /// `true` when the frame's memory is empty.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Sets this frame's memory size to `new_len` bytes; new bytes are zero.
    /// [`MemoryError::LimitExceeded`] past the tree's limit.
    #[inline]
    pub fn resize(&mut self, new_len: usize) -> Result<(), MemoryError> {
        let requested = self
            .base
            .checked_add(new_len)
            .ok_or(MemoryError::LimitExceeded {
                requested: usize::MAX,
                limit: self.limit,
            })?;
        if requested > self.limit {
            return Err(MemoryError::LimitExceeded {
                requested,
                limit: self.limit,
            });
        }
        self.buf.resize(requested, 0);
        Ok(())
    }

    #[inline]
    fn local_range(&self, offset: usize, len: usize) -> Result<Range<usize>, MemoryError> {
        let size = self.len();
        match offset.checked_add(len) {
            Some(end) if end <= size => Ok(self.base + offset..self.base + end),
            _ => Err(MemoryError::OutOfBounds { offset, len, size }),
        }
    }

    /// `len` bytes at frame-relative `offset`.
    #[inline]
    pub fn slice(&self, offset: usize, len: usize) -> Result<&[u8], MemoryError> {
        let range = self.local_range(offset, len)?;
        Ok(&self.buf[range])
    }

    /// `len` bytes at frame-relative `offset`, mutably.
    #[inline]
    pub fn slice_mut(&mut self, offset: usize, len: usize) -> Result<&mut [u8], MemoryError> {
        let range = self.local_range(offset, len)?;
        Ok(&mut self.buf[range])
    }

    /// Writes `data` at frame-relative `offset`.
    #[inline]
    pub fn set(&mut self, offset: usize, data: &[u8]) -> Result<(), MemoryError> {
        self.slice_mut(offset, data.len())?.copy_from_slice(data);
        Ok(())
    }

    /// Bytes of the tree's memory by absolute position, the ancestors' included
    /// (read-only: their frames are borrowed by this one).
    #[inline]
    pub fn global_slice(&self, range: Range<usize>) -> Result<&[u8], MemoryError> {
        let size = self.buf.len();
        if range.start > range.end || range.end > size {
            return Err(MemoryError::OutOfBounds {
                offset: range.start,
                len: range.end.saturating_sub(range.start),
                size,
            });
        }
        Ok(&self.buf[range])
    }

    /// Where this frame's memory starts in the tree's buffer.
    #[inline]
    pub fn local_offset(&self) -> usize {
        self.base
    }

    /// This frame's memory.
    #[inline]
    pub fn as_slice(&self) -> &[u8] {
        &self.buf[self.base..]
    }

    /// The tree's memory limit in bytes (all frames together).
    #[inline]
    pub fn limit(&self) -> usize {
        self.limit
    }
}

impl fmt::Debug for FrameMemory<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FrameMemory")
            .field("base", &self.base)
            .field("len", &self.len())
            .field("limit", &self.limit)
            .finish()
    }
}
