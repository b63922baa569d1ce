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
//! - The tree borrows its manager exclusively (`call_tree(&mut self)`), so the hot path
//!   touches the pools and counters without a `RefCell` borrow, and nothing (another
//!   tree, the guard API, a `Clock` or allocator that calls back into the manager) can
//!   change the manager while the tree runs: that is a compile error too. Statistics
//!   are read through [`CallTree::manager`] and [`CallFrame::manager`] meanwhile.
//! - The tree's frames share one stack buffer and one memory buffer, which the manager
//!   keeps from tree to tree (capacity kept): a tree works on them in place, nothing is
//!   moved in or out per tree. A child's stack and memory start at its parent's top (its
//!   two *bases*); it reaches only indices at or above them, through [`FrameStack`] and
//!   [`FrameMemory`]. When it is released, both buffers are truncated back to its bases,
//!   so the parent finds its words and bytes exactly as it left them. Nothing moves
//!   between frames.
//! - Per frame the manager does: the rules (one combined test), a pool pop, the call
//!   context, EIP-150 gas, the two bases, the exact counters, and on release the gas
//!   hand-back, two truncations and a pool push.
//!
//! The EVM rules and the statistics are the guard API's: depth limit
//! [`CALL_DEPTH_LIMIT`](crate::CALL_DEPTH_LIMIT), all but one 64th of the gas, static
//! inheritance and refusals, no children for precompiles; hits, misses, returns,
//! current and peak frames and the tracker are counted the same way, and pool
//! exhaustion follows the overflow policy. With [`FramePoolConfig::disabled`](crate::FramePoolConfig::disabled)
//! (`shared_buffers` off) every frame gets a freshly allocated 1024-word stack and its
//! own memory buffer, as revm does, through the same API: the benchmark baseline.
//!
//! ```
//! use evm_pool_runtime::{FrameKind, FramePoolConfig, FramePoolManager, FrameRequest};
//!
//! let mut manager = FramePoolManager::<[u8; 32]>::new(FramePoolConfig::high_performance())?;
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
//! let mut manager = FramePoolManager::<[u8; 32]>::new(FramePoolConfig::high_performance()).unwrap();
//! let mut tree = manager.call_tree();
//! let mut root = tree.root(&FrameRequest::new(FrameKind::Call)).unwrap();
//! let child = root.call(&FrameRequest::new(FrameKind::Call)).unwrap();
//! root.stack_mut().push([0; 32]).unwrap(); // error: `root` is borrowed by `child`
//! drop(child);
//! ```
//!
//! Nor can anything else use the manager while a tree lives (read its statistics
//! through the tree or a frame instead):
//!
//! ```compile_fail
//! use evm_pool_runtime::{FrameKind, FramePoolConfig, FramePoolManager};
//!
//! let mut manager = FramePoolManager::<[u8; 32]>::new(FramePoolConfig::high_performance()).unwrap();
//! let tree = manager.call_tree();
//! let guard = manager.acquire(FrameKind::Call, None); // error: `manager` is borrowed by `tree`
//! drop(tree);
//! ```

use std::fmt;
use std::mem::ManuallyDrop;
use std::ops::Range;

use super::FrameError;
use super::kind::FrameKind;
use super::manager::{FramePoolManager, TreeBuffers, give_back_gas};
use super::pooled::{Address, FrameRequest, Gas, PooledFrame};
use super::shared::{
    MemoryError, STACK_LIMIT, StackError, Word, global_bytes, memory_ops, stack_ops,
};

/// One transaction's call tree: opens its root frames, whose frames share the manager's
/// stack and memory buffers. Made by [`FramePoolManager::call_tree`]; dropping it
/// clears the buffers (capacity kept) and keeps them for the next tree.
///
/// ```
/// use evm_pool_runtime::{FrameKind, FramePoolConfig, FramePoolManager, FrameRequest};
///
/// let mut manager = FramePoolManager::<[u8; 32]>::new(FramePoolConfig::balanced())?;
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
    manager: &'m mut FramePoolManager<W>,
    /// Where released root frames leave their unused gas and refunds.
    returned: Gas,
}

impl<W: Copy> FramePoolManager<W> {
    /// Starts a call tree (one transaction) for the nested API: counts it, reads the clock
    /// once per [`trees_per_clock_reading`](crate::FramePoolConfig::trees_per_clock_reading)
    /// trees (32 in every preset; every tree with `shared_buffers` off or a timeline; see
    /// [`cleanup`](FramePoolManager::cleanup) for what that means for idle frames), runs
    /// maintenance when due at a reading, and hands the tree the buffers of an earlier
    /// one. See the [`nested`](super::nested) module docs.
    ///
    /// ```
    /// use evm_pool_runtime::{FrameKind, FramePoolConfig, FramePoolManager, FrameRequest};
    ///
    /// let mut manager = FramePoolManager::<[u8; 32]>::new(FramePoolConfig::minimal())?;
    /// let mut tree = manager.call_tree();
    /// let root = tree.root(&FrameRequest::new(FrameKind::Call))?;
    /// assert_eq!(root.depth(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn call_tree(&mut self) -> CallTree<'_, W> {
        self.begin_tree();
        CallTree {
            manager: self,
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
    /// let mut manager = FramePoolManager::<[u8; 32]>::new(FramePoolConfig::high_performance())?;
    /// let mut tree = manager.call_tree();
    /// let root = tree.root(&FrameRequest::new(FrameKind::Call).origin([0xaa; 20]).gas(100))?;
    /// assert_eq!((root.caller(), root.gas().limit), ([0xaa; 20], 100));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn root(&mut self, request: &FrameRequest<'_>) -> Result<CallFrame<'_, W>, FrameError> {
        let manager = &mut *self.manager;
        let (frame, (stack_base, memory_base)) = if manager.config.shared_buffers {
            let frame = manager.open_root_exclusive(request)?;
            (frame, shared_bases(manager.tree_buffers()))
        } else {
            // `disabled()`, the baseline: the general path, as the guard API takes it.
            let mut frame = manager.open_root(&mut manager.state.borrow_mut(), request)?;
            fresh_buffers(&mut frame, manager.tree_buffers());
            (frame, (0, 0))
        };
        Ok(CallFrame {
            manager,
            parent_gas: &mut self.returned,
            frame: ManuallyDrop::new(frame),
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
    /// let mut manager = FramePoolManager::<[u8; 32]>::new(FramePoolConfig::high_performance())?;
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

    /// The manager, read-only: the tree borrows it exclusively, so its statistics and
    /// tracker are read through here while the tree lives.
    ///
    /// ```
    /// use evm_pool_runtime::{FrameKind, FramePoolConfig, FramePoolManager, FrameRequest};
    ///
    /// let mut manager = FramePoolManager::<[u8; 32]>::new(FramePoolConfig::minimal())?;
    /// let tree = manager.call_tree();
    /// assert_eq!(tree.manager().statistics().buffers.trees, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn manager(&self) -> &FramePoolManager<W> {
        self.manager
    }
}

impl<W: Copy> Drop for CallTree<'_, W> {
    fn drop(&mut self) {
        if self.manager.config.shared_buffers {
            self.manager.end_tree();
        }
    }
}

impl<W: Copy> fmt::Debug for CallTree<'_, W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let buffers = self.manager.tree_buffers_ref();
        f.debug_struct("CallTree")
            .field("stack_capacity", &buffers.stack.capacity())
            .field("memory_capacity", &buffers.memory.capacity())
            .field("returned", &self.returned)
            .finish_non_exhaustive()
    }
}

/// A new frame's two bases with shared buffers: the tree's current tops. (With
/// `shared_buffers` off they are 0 on a freshly allocated stack and memory: the parent's
/// are parked in the frame until it is released, [`fresh_buffers`].)
#[inline(always)]
fn shared_bases<W: Copy>(buffers: &TreeBuffers<W>) -> (usize, usize) {
    (buffers.stack.len(), buffers.memory.len())
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

/// A release that [`FramePoolManager::put_back_exclusive`] did not take: the manager's
/// general `put_back` (timeline, discards, larger size classes, a full bucket).
#[cold]
#[inline(never)]
fn release_cold<W: Copy>(manager: &FramePoolManager<W>, frame: Box<PooledFrame<W>>) {
    manager.put_back(frame, true);
}

/// A running frame of a [`CallTree`]: its call context and gas, and windows on the tree's
/// stack and memory starting at its bases. [`call`](Self::call) opens a child that
/// borrows this frame until it is released (dropped, or [`release`](Self::release)):
/// unused gas and the refund counter go back to this frame, the buffers are truncated
/// back to the child's bases, the pooled frame goes back to its pool.
///
/// A frame passed to [`std::mem::forget`] is never released: it leaks its pooled frame
/// (counted as in use for good), its gas never returns, and its words and bytes stay on
/// top of its parent's in the tree's buffers. Nothing unsafe follows (the frame's box is
/// simply never taken out of its `ManuallyDrop`), but the parent then sees them as its
/// own.
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
/// let mut manager = FramePoolManager::new(FramePoolConfig::high_performance())?;
/// let mut tree = manager.call_tree();
/// let mut root = tree.root(&FrameRequest::new(FrameKind::Call).gas(1_000_000))?;
/// nest(&mut root, 10)?;
/// drop(root);
/// let stats = tree.manager().statistics();
/// assert_eq!((stats.total.hits, stats.total.in_use, stats.total.peak_in_use), (11, 0, 11));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use = "dropping the frame immediately releases it"]
pub struct CallFrame<'t, W: Copy = Word> {
    manager: &'t mut FramePoolManager<W>,
    parent_gas: &'t mut Gas,
    /// The pooled frame: taken out (once) by `close` in `Drop::drop`, and never touched
    /// after that; `ManuallyDrop` so the release needs no `Option` take and test.
    frame: ManuallyDrop<Box<PooledFrame<W>>>,
    stack_base: usize,
    memory_base: usize,
}

impl<W: Copy> CallFrame<'_, W> {
    #[inline]
    fn pooled(&self) -> &PooledFrame<W> {
        &self.frame
    }

    #[inline]
    fn pooled_mut(&mut self) -> &mut PooledFrame<W> {
        &mut self.frame
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
    /// let mut manager = FramePoolManager::<[u8; 32]>::new(FramePoolConfig::balanced())?;
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
        let manager = &mut *self.manager;
        let parent: &mut PooledFrame<W> = &mut self.frame;
        // One `shared_buffers` test for the frame and its bases.
        let (frame, (stack_base, memory_base)) = if manager.config.shared_buffers {
            let restricted = FramePoolManager::restricted(parent);
            let frame = manager.open_child_exclusive(request, parent, restricted)?;
            (frame, shared_bases(manager.tree_buffers()))
        } else {
            // `disabled()`, the baseline: the general path, as the guard API takes it
            // (it tests the rules itself).
            let mut frame = manager.open_child(request, parent, true)?;
            fresh_buffers(&mut frame, manager.tree_buffers());
            (frame, (0, 0))
        };
        Ok(CallFrame {
            manager,
            parent_gas: &mut parent.gas,
            frame: ManuallyDrop::new(frame),
            stack_base,
            memory_base,
        })
    }

    /// Releases the frame now (the same as dropping it).
    ///
    /// ```
    /// # use evm_pool_runtime::{FrameKind, FramePoolConfig, FramePoolManager, FrameRequest};
    /// let mut manager = FramePoolManager::<[u8; 32]>::new(FramePoolConfig::minimal())?;
    /// let mut tree = manager.call_tree();
    /// let mut root = tree.root(&FrameRequest::new(FrameKind::Call).gas(1_000))?;
    /// let child = root.call(&FrameRequest::new(FrameKind::Call))?;
    /// child.release(); // its unused gas is back
    /// assert_eq!(root.gas().remaining, 1_000);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn release(self) {}

    /// Gives the frame back: unused gas and refunds to the parent, the buffers truncated
    /// to this frame's bases (or, with `shared_buffers` off, the parent's put back), the
    /// pooled frame to its pool. The common case (shared buffers, a small frame, a pool
    /// with room) makes no call; anything else goes to [`close_slow`](Self::close_slow).
    #[inline(always)]
    fn close(&mut self) {
        // SAFETY: `close` is only called from `Drop::drop`, once; `self.frame` is never
        // read again (not even by drop glue: it is `ManuallyDrop`), so taking the box
        // out leaves no use of the moved-from value.
        let mut frame = unsafe { ManuallyDrop::take(&mut self.frame) };
        if !self.manager.releases_inline(&mut frame) {
            return self.close_slow(frame);
        }
        // An overflow (never in practice) takes the slow path, which saturates.
        let parent = *self.parent_gas;
        let (remaining, carry) = parent.remaining.overflowing_add(frame.gas.remaining);
        let (refunded, overflow) = parent.refunded.overflowing_add(frame.gas.refunded);
        if carry | overflow {
            return self.close_slow(frame);
        }
        self.manager.put_back_nested(frame);
        self.parent_gas.remaining = remaining;
        self.parent_gas.refunded = refunded;
        let buffers = self.manager.tree_buffers();
        buffers.stack.truncate(self.stack_base);
        buffers.memory.truncate(self.memory_base);
    }

    /// [`close`](Self::close) for a frame `put_back_nested` did not take.
    #[cold]
    #[inline(never)]
    fn close_slow(&mut self, mut frame: Box<PooledFrame<W>>) {
        give_back_gas(self.parent_gas, &frame.gas);
        if self.manager.config.shared_buffers {
            let buffers = self.manager.tree_buffers();
            buffers.stack.truncate(self.stack_base);
            buffers.memory.truncate(self.memory_base);
            if let Err(frame) = self.manager.put_back_exclusive::<false>(frame) {
                release_cold(self.manager, frame);
            }
        } else {
            // `disabled()`, the baseline: the general path, as the guard API takes it.
            restore_buffers(&mut frame, self.manager.tree_buffers());
            self.manager.put_back(frame, true);
        }
    }

    /// This frame's stack words, bottom first (not its ancestors').
    ///
    /// ```
    /// # use evm_pool_runtime::{FrameKind, FramePoolConfig, FramePoolManager, FrameRequest};
    /// let mut manager = FramePoolManager::<u64>::new(FramePoolConfig::minimal())?;
    /// let mut tree = manager.call_tree();
    /// let mut root = tree.root(&FrameRequest::new(FrameKind::Call))?;
    /// root.stack_mut().push(1)?;
    /// root.stack_mut().push(2)?;
    /// assert_eq!(root.stack(), [1, 2]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn stack(&self) -> &[W] {
        &self.manager.tree_buffers_ref().stack[self.stack_base..]
    }

    /// This frame's operand stack window (see [`FrameStack`]).
    #[inline]
    pub fn stack_mut(&mut self) -> FrameStack<'_, W> {
        FrameStack {
            buf: &mut self.manager.tree_buffers().stack,
            base: self.stack_base,
        }
    }

    /// This frame's memory (not its ancestors').
    ///
    /// ```
    /// # use evm_pool_runtime::{FrameKind, FramePoolConfig, FramePoolManager, FrameRequest};
    /// let mut manager = FramePoolManager::<[u8; 32]>::new(FramePoolConfig::minimal())?;
    /// let mut tree = manager.call_tree();
    /// let mut root = tree.root(&FrameRequest::new(FrameKind::Call))?;
    /// root.memory_mut().resize(2)?;
    /// assert_eq!(root.memory(), [0, 0]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn memory(&self) -> &[u8] {
        &self.manager.tree_buffers_ref().memory[self.memory_base..]
    }

    /// This frame's memory window (see [`FrameMemory`]).
    #[inline]
    pub fn memory_mut(&mut self) -> FrameMemory<'_> {
        let limit = self.manager.config.memory_limit;
        FrameMemory {
            buf: &mut self.manager.tree_buffers().memory,
            base: self.memory_base,
            limit,
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
    /// let mut manager = FramePoolManager::<[u8; 32]>::new(FramePoolConfig::minimal())?;
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
    /// let mut manager = FramePoolManager::<[u8; 32]>::new(FramePoolConfig::minimal())?;
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
    /// let mut manager = FramePoolManager::<[u8; 32]>::new(FramePoolConfig::minimal())?;
    /// let mut tree = manager.call_tree();
    /// let root = tree.root(&FrameRequest::new(FrameKind::Call))?;
    /// assert_eq!(root.frame().usage_count(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn frame(&self) -> &PooledFrame<W> {
        self.pooled()
    }

    /// The manager, read-only: the tree borrows it exclusively, so its statistics and
    /// tracker are read through here while frames run.
    ///
    /// ```
    /// # use evm_pool_runtime::{FrameKind, FramePoolConfig, FramePoolManager, FrameRequest};
    /// let mut manager = FramePoolManager::<[u8; 32]>::new(FramePoolConfig::minimal())?;
    /// let mut tree = manager.call_tree();
    /// let root = tree.root(&FrameRequest::new(FrameKind::Call))?;
    /// assert_eq!(root.manager().statistics().total.in_use, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn manager(&self) -> &FramePoolManager<W> {
        self.manager
    }
}

impl<W: Copy> Drop for CallFrame<'_, W> {
    #[inline(always)] // out of line it cost ~13 instructions per frame
    fn drop(&mut self) {
        self.close();
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

/// The preamble of the [`FrameStack`] and [`FrameMemory`] method examples (hidden): a
/// root frame `frame` of a `u64` manager, then `$bind`, the visible line.
macro_rules! frame_doc_setup {
    ($bind:literal) => {
        concat!(
            "# use evm_pool_runtime::{FrameKind, FramePoolConfig, FramePoolManager, FrameRequest};\n",
            "# let mut manager = FramePoolManager::<u64>::new(FramePoolConfig::high_performance())?;\n",
            "# let mut tree = manager.call_tree();\n",
            "# let mut frame = tree.root(&FrameRequest::new(FrameKind::Call))?;\n",
            $bind
        )
    };
}

/// A [`CallFrame`]'s operand stack: the tree's stack buffer from the frame's base up.
/// At most [`STACK_LIMIT`] words per frame; the words below the base (the ancestors')
/// are out of reach. Indices count from the top: `peek(0)` is the top word; `dup(n)` and
/// `swap(n)` follow the opcodes.
///
/// ```
/// use evm_pool_runtime::{FrameKind, FramePoolConfig, FramePoolManager, FrameRequest, StackError};
///
/// let mut manager = FramePoolManager::<u64>::new(FramePoolConfig::high_performance())?;
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
    stack_ops!(
        base: base,
        setup: frame_doc_setup!("let mut stack = frame.stack_mut();")
    );

    /// Words on this frame's stack.
    #[inline]
    pub fn len(&self) -> usize {
        self.buf.len() - self.base
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
/// let mut manager = FramePoolManager::<[u8; 32]>::new(FramePoolConfig::high_performance())?;
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
    memory_ops!(
        base: base,
        setup: frame_doc_setup!("let mut memory = frame.memory_mut();")
    );

    /// Size of this frame's memory in bytes.
    #[inline]
    pub fn len(&self) -> usize {
        self.buf.len() - self.base
    }

    /// Bytes of the tree's memory by absolute position, the ancestors' included
    /// (read-only: their frames are borrowed by this one).
    #[inline]
    pub fn global_slice(&self, range: Range<usize>) -> Result<&[u8], MemoryError> {
        global_bytes(self.buf, range)
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

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use proptest::prelude::*;

    use super::*;
    use crate::frame::{CALL_DEPTH_LIMIT, FrameClass, FramePoolConfig};
    use crate::pool::{OverflowPolicy, PoolConfig};
    use crate::{ClassLayout, FrameEventKind};

    type Manager = FramePoolManager<u64>;

    fn request(kind: FrameKind) -> FrameRequest<'static> {
        FrameRequest::new(kind)
    }

    /// Opens `n` nested `Call` frames below `frame` and runs `at_bottom` in the deepest.
    fn nest(
        frame: &mut CallFrame<'_, u64>,
        n: usize,
        at_bottom: &mut dyn FnMut(&mut CallFrame<'_, u64>),
    ) {
        if n == 0 {
            at_bottom(frame);
            return;
        }
        let mut child = frame.call(&request(FrameKind::Call)).unwrap();
        nest(&mut child, n - 1, at_bottom);
    }

    #[test]
    fn depth_limit_is_1024_and_the_1025th_call_fails_without_leaking() {
        let mut m = Manager::new(FramePoolConfig::high_performance()).unwrap();
        let mut tree = m.call_tree();
        let mut root = tree.root(&request(FrameKind::Call).gas(u64::MAX)).unwrap();
        let mut reached = 0;
        nest(&mut root, CALL_DEPTH_LIMIT, &mut |deepest| {
            reached = deepest.depth();
            assert_eq!(
                deepest.call(&request(FrameKind::Call)).unwrap_err(),
                FrameError::DepthLimit {
                    limit: CALL_DEPTH_LIMIT
                }
            );
            assert_eq!(
                deepest.call(&request(FrameKind::StaticCall)).unwrap_err(),
                FrameError::DepthLimit {
                    limit: CALL_DEPTH_LIMIT
                }
            );
        });
        assert_eq!(reached, CALL_DEPTH_LIMIT);
        drop(root);
        let s = tree.manager().statistics().total;
        assert_eq!((s.acquires(), s.in_use, s.returns), (1025, 0, 1025));
        assert_eq!(s.peak_in_use, 1025);
        let t = tree.manager().tracker();
        assert_eq!(t.kind(FrameKind::Call).rejected, 1);
        assert_eq!(t.kind(FrameKind::StaticCall).rejected, 1);
    }

    #[test]
    fn eip150_forwards_all_but_one_64th_and_returns_unused_gas() {
        let mut m = Manager::new(FramePoolConfig::balanced()).unwrap();
        let mut tree = m.call_tree();
        let mut root = tree.root(&request(FrameKind::Call).gas(6_400)).unwrap();
        {
            let mut child = root.call(&request(FrameKind::Call)).unwrap();
            assert_eq!(child.gas().limit, 6_300); // 6_400 − 6_400/64
            assert!(child.gas_mut().spend(300));
            child.gas_mut().refunded = -5;
            let grandchild = child.call(&request(FrameKind::Call).gas(1_000)).unwrap();
            assert_eq!(grandchild.gas().limit, 1_000); // asked for less than allowed
            // The child is borrowed while the grandchild lives: its gas is read after.
            drop(grandchild);
            assert_eq!(child.gas().remaining, 6_000);
        }
        assert_eq!(root.gas().remaining, 100 + 6_000);
        assert_eq!(root.gas().refunded, -5);
        root.release();
        assert_eq!(tree.returned_gas().remaining, 6_100);
    }

    #[test]
    fn static_frames_make_static_children_and_refuse_state_changes() {
        let mut m = Manager::new(FramePoolConfig::high_performance()).unwrap();
        let mut tree = m.call_tree();
        let mut root = tree.root(&request(FrameKind::Call)).unwrap();
        assert!(!root.is_static());
        let mut view = root
            .call(&request(FrameKind::StaticCall).value([1; 32]))
            .unwrap();
        assert!(view.is_static());
        assert_eq!(view.value(), [0; 32], "STATICCALL carries no value");
        for kind in [FrameKind::Create, FrameKind::Create2] {
            assert_eq!(
                view.call(&request(kind)).unwrap_err(),
                FrameError::StaticViolation { kind }
            );
        }
        assert_eq!(
            view.call(&request(FrameKind::Call).value([0, 1].repeat(16).try_into().unwrap()))
                .unwrap_err(),
            FrameError::StaticViolation {
                kind: FrameKind::Call
            }
        );
        let mut inner = view.call(&request(FrameKind::Call)).unwrap(); // no value: fine
        assert!(inner.is_static(), "inherited");
        let delegate = inner.call(&request(FrameKind::DelegateCall)).unwrap();
        assert!(delegate.is_static());
        drop(delegate);
        drop(inner);
        drop(view);
        let s = root.manager().statistics().total;
        assert_eq!(
            (s.acquires(), s.in_use),
            (4, 1),
            "refusals took nothing; the root lives"
        );
    }

    #[test]
    fn precompiles_have_no_children() {
        let mut m = Manager::new(FramePoolConfig::minimal()).unwrap();
        let mut tree = m.call_tree();
        let mut root = tree.root(&request(FrameKind::Call)).unwrap();
        let mut pre = root.call(&request(FrameKind::Precompile)).unwrap();
        for kind in FrameKind::ALL {
            assert_eq!(
                pre.call(&request(kind)).unwrap_err(),
                FrameError::PrecompileHasNoChildren
            );
        }
        drop(pre);
        assert_eq!(root.manager().statistics().total.in_use, 1);
    }

    #[test]
    fn call_context_follows_the_evm() {
        let mut m = Manager::new(FramePoolConfig::high_performance()).unwrap();
        let mut tree = m.call_tree();
        let mut root = tree
            .root(
                &FrameRequest::new(FrameKind::Call)
                    .origin([1; 20])
                    .target([2; 20])
                    .value([3; 32]),
            )
            .unwrap();
        assert_eq!(
            (root.caller(), root.address(), root.value()),
            ([1; 20], [2; 20], [3; 32])
        );
        let call = FrameRequest::new(FrameKind::Call)
            .target([4; 20])
            .value([5; 32]);
        // The kind, then the (caller, address, value) the child runs with.
        let cases = [
            (FrameKind::Call, ([2; 20], [4; 20], [5; 32])),
            // The caller's whole context.
            (FrameKind::DelegateCall, ([1; 20], [2; 20], [3; 32])),
            // The caller's address as its own, with the call's value.
            (FrameKind::CallCode, ([2; 20], [2; 20], [5; 32])),
            // No value.
            (FrameKind::StaticCall, ([2; 20], [4; 20], [0; 32])),
        ];
        for (kind, context) in cases {
            let c = root.call(&FrameRequest { kind, ..call }).unwrap();
            assert_eq!((c.caller(), c.address(), c.value()), context, "{kind:?}");
            assert_eq!((c.kind(), c.depth()), (kind, 1));
        }
    }

    #[test]
    fn children_work_in_windows_and_parents_resume_intact() {
        let mut m = Manager::new(FramePoolConfig::high_performance()).unwrap();
        let mut tree = m.call_tree();
        let mut root = tree.root(&request(FrameKind::Call)).unwrap();
        root.stack_mut().push(1).unwrap();
        root.stack_mut().push(2).unwrap();
        root.memory_mut().resize(32).unwrap();
        root.memory_mut().set(0, &[7; 32]).unwrap();
        for sibling in 0..3u64 {
            let mut child = root.call(&request(FrameKind::Call)).unwrap();
            let mut stack = child.stack_mut();
            assert_eq!(
                stack.pop(),
                Err(StackError::Underflow),
                "the parent's words are out of reach"
            );
            assert_eq!(stack.peek(0), Err(StackError::Underflow));
            assert_eq!(stack.dup(1), Err(StackError::Underflow));
            assert_eq!(stack.swap(1), Err(StackError::Underflow));
            stack.push(10 + sibling).unwrap();
            stack.push(20).unwrap();
            stack.swap(1).unwrap();
            assert_eq!(stack.as_slice(), [20, 10 + sibling]);
            stack.as_mut_slice()[0] = 21;
            stack.dup(2).unwrap();
            assert_eq!(stack.popn::<3>(), Ok([21, 10 + sibling, 21]));
            stack.push(9).unwrap();
            let mut memory = child.memory_mut();
            assert_eq!(memory.local_offset(), 32, "same base for every sibling");
            assert!(memory.is_empty());
            assert_eq!(
                memory.slice(0, 1),
                Err(MemoryError::OutOfBounds {
                    offset: 0,
                    len: 1,
                    size: 0
                })
            );
            memory.resize(64).unwrap();
            assert_eq!(
                memory.as_slice(),
                [0; 64],
                "new memory is zero, not the last sibling's"
            );
            memory.set(0, &[sibling as u8 + 1; 64]).unwrap();
            assert_eq!(memory.global_slice(0..32).unwrap(), [7; 32]);
            assert!(memory.global_slice(0..200).is_err());
            assert_eq!(child.stack(), [9]);
            assert_eq!(child.memory()[..2], [sibling as u8 + 1; 2]);
        }
        assert_eq!(root.stack(), [1, 2]);
        assert_eq!(root.memory(), [7; 32]);
        let mut stack = root.stack_mut();
        stack.clear();
        assert_eq!((stack.is_empty(), stack.len()), (true, 0));
        let s = root.manager().statistics().total;
        assert_eq!((s.hits, s.in_use, s.peak_in_use), (4, 1, 2));
    }

    #[test]
    fn each_frame_has_its_own_1024_word_limit_and_the_tree_one_memory_limit() {
        let mut config = FramePoolConfig::high_performance();
        config.memory_limit = 100;
        let mut m = Manager::new(config).unwrap();
        let mut tree = m.call_tree();
        let mut root = tree.root(&request(FrameKind::Call)).unwrap();
        for i in 0..STACK_LIMIT as u64 {
            root.stack_mut().push(i).unwrap();
        }
        assert_eq!(root.stack_mut().push(0), Err(StackError::Overflow));
        assert_eq!(root.stack_mut().dup(1), Err(StackError::Overflow));
        root.memory_mut().resize(60).unwrap();
        let mut child = root.call(&request(FrameKind::Call)).unwrap();
        for i in 0..STACK_LIMIT as u64 {
            child.stack_mut().push(i).unwrap();
        }
        assert_eq!(child.stack_mut().push(0), Err(StackError::Overflow));
        let mut memory = child.memory_mut();
        assert_eq!(memory.limit(), 100);
        assert_eq!(
            memory.resize(41),
            Err(MemoryError::LimitExceeded {
                requested: 101,
                limit: 100
            })
        );
        assert!(memory.resize(usize::MAX).is_err());
        memory.resize(40).unwrap();
    }

    #[test]
    fn statistics_are_exact_and_frames_are_reused() {
        let mut m = Manager::new(FramePoolConfig::high_performance()).unwrap();
        let mut ids = HashSet::new();
        for _ in 0..3 {
            let mut tree = m.call_tree();
            let mut root = tree.root(&request(FrameKind::Call)).unwrap();
            let a = root.call(&request(FrameKind::StaticCall)).unwrap();
            ids.insert(a.frame().pool_id());
            drop(a);
            let b = root.call(&request(FrameKind::StaticCall)).unwrap();
            assert!(
                ids.contains(&b.frame().pool_id()),
                "the released frame is handed out again"
            );
        }
        let stats = m.statistics();
        let call = stats.class(FrameClass::Call).unwrap();
        let view = stats.class(FrameClass::StaticCall).unwrap();
        assert_eq!(
            (
                call.hits,
                call.misses,
                call.returns,
                call.in_use,
                call.peak_in_use
            ),
            (3, 0, 3, 0, 1)
        );
        assert_eq!(
            (
                view.hits,
                view.misses,
                view.returns,
                view.in_use,
                view.peak_in_use
            ),
            (6, 0, 6, 0, 1)
        );
        assert_eq!((stats.buffers.trees, stats.buffers.reused), (3, 2));
        let t = m.tracker();
        assert_eq!(t.kind(FrameKind::StaticCall).acquires, 6);
        assert_eq!(t.kind(FrameKind::StaticCall).releases, 6);
        let _ = FrameEventKind::Release;
    }

    /// The nested API keeps its own buffer pair between trees: counted as one spare
    /// (with its bytes) while no tree runs, none while a tree holds it; its capacities
    /// are the buffer peaks; memory pressure drops it (peaks kept); a tree whose buffers
    /// grew past `max_pooled_bytes` does not keep them; the guard API's spare list is
    /// still shared (a nested tree takes a guard tree's pair when it has none).
    #[test]
    fn the_tree_pair_is_counted_exactly() {
        let mut config = FramePoolConfig::high_performance();
        config.max_pooled_bytes = 64 * 1024;
        let mut m = Manager::new(config).unwrap();
        let grow = |m: &mut Manager, words: usize, bytes: usize| {
            let mut tree = m.call_tree();
            let mut root = tree.root(&request(FrameKind::Call)).unwrap();
            for i in 0..words {
                root.stack_mut().push(i as u64).unwrap();
            }
            root.memory_mut().resize(bytes).unwrap();
            let inside = root.manager().statistics().buffers;
            drop(root);
            (inside, tree.manager().statistics().buffers)
        };
        let (inside, _) = grow(&mut m, 10, 100);
        assert_eq!((inside.trees, inside.reused, inside.spare), (1, 0, 0));
        let b = m.statistics().buffers;
        let (stack_cap, memory_cap) = (b.peak_stack_bytes, b.peak_memory_bytes);
        assert!(stack_cap >= 80 && memory_cap >= 100);
        assert_eq!((b.spare, b.spare_bytes), (1, stack_cap + memory_cap));
        assert!(m.bytes_held() >= stack_cap + memory_cap);

        let (inside, _) = grow(&mut m, 300, 5000); // reuses the pair and grows it
        assert_eq!((inside.trees, inside.reused, inside.spare), (2, 1, 0));
        let b = m.statistics().buffers;
        assert!(b.peak_stack_bytes >= 2400 && b.peak_memory_bytes >= 5000);
        assert_eq!(
            (b.spare, b.spare_bytes),
            (1, b.peak_stack_bytes + b.peak_memory_bytes)
        );

        // Memory pressure drops it; the peaks stay.
        let peaks = (b.peak_stack_bytes, b.peak_memory_bytes);
        m.config.memory_budget = 1; // everything held is over 95% of it
        assert_eq!(
            m.check_memory_pressure().level,
            crate::PressureLevel::Critical
        );
        let b = m.statistics().buffers;
        assert_eq!((b.spare, b.spare_bytes), (0, 0));
        assert_eq!((b.peak_stack_bytes, b.peak_memory_bytes), peaks);

        // Over max_pooled_bytes: not kept, but in the peaks.
        let (_, in_tree) = grow(&mut m, 10, 100 * 1024);
        assert_eq!(
            in_tree.peak_memory_bytes, peaks.1,
            "peaks are taken when a tree ends"
        );
        let after = m.statistics().buffers;
        assert_eq!((after.trees, after.reused, after.spare), (3, 1, 0));
        assert!(after.peak_memory_bytes >= 100 * 1024);

        // A guard tree's pair goes to the spare list; the next nested tree takes it.
        drop(m.acquire(FrameKind::Call, None).unwrap());
        assert_eq!(m.statistics().buffers.spare, 1);
        let (inside, _) = grow(&mut m, 1, 1);
        assert_eq!((inside.trees, inside.reused, inside.spare), (5, 2, 0));
        assert_eq!(m.statistics().buffers.spare, 1);
    }

    /// The manager keeps the tree's buffers; reading them through a frame while a
    /// critical memory-pressure check runs through the same frame leaves them alone (the
    /// pair is only dropped while no tree runs), and the slice read before stays valid
    /// (Miri checks the aliasing). Once the tree has ended, pressure drops the pair and
    /// the next tree starts on fresh buffers.
    #[test]
    fn pressure_inside_a_tree_leaves_its_buffers_alone() {
        let mut config = FramePoolConfig::high_performance();
        config.memory_budget = 1; // every check is critical
        let mut m = Manager::new(config).unwrap();
        for round in 0..2 {
            let mut tree = m.call_tree();
            let mut root = tree.root(&request(FrameKind::Call)).unwrap();
            root.stack_mut().push(7).unwrap();
            root.memory_mut().resize(64).unwrap();
            let words = root.stack();
            let report = root.manager().check_memory_pressure();
            assert_eq!(report.level, crate::PressureLevel::Critical);
            assert_eq!(
                words,
                [7],
                "round {round}: the tree's words survive the check"
            );
            assert_eq!(root.memory().len(), 64);
            drop(root);
            drop(tree);
            assert_eq!(m.statistics().buffers.spare, 1, "kept for the next tree");
            m.check_memory_pressure();
            let b = m.statistics().buffers;
            assert_eq!(
                (b.spare, b.spare_bytes),
                (0, 0),
                "dropped while no tree runs"
            );
            assert!(b.peak_stack_bytes >= 8 && b.peak_memory_bytes >= 64);
        }
        assert_eq!(
            m.statistics().buffers.reused,
            0,
            "both trees started afresh"
        );
    }

    /// A tree passed to `mem::forget` never keeps its buffers; the next tree takes them
    /// over, cleared, and counts them as reused. (Its frames are released first here: a
    /// forgotten frame would leak its pooled frame, as `CallFrame` documents.)
    #[test]
    fn a_forgotten_tree_leaves_its_buffers_to_the_next() {
        let mut m = Manager::new(FramePoolConfig::high_performance()).unwrap();
        {
            let mut tree = m.call_tree();
            let mut root = tree.root(&request(FrameKind::Call)).unwrap();
            root.stack_mut().push(1).unwrap();
            root.memory_mut().resize(32).unwrap();
            drop(root);
            std::mem::forget(tree);
        }
        let b = m.statistics().buffers;
        assert_eq!((b.trees, b.spare), (1, 0), "not kept: the tree never ended");
        let mut tree = m.call_tree();
        let mut root = tree.root(&request(FrameKind::Call)).unwrap();
        assert!(root.stack().is_empty() && root.memory().is_empty());
        assert_eq!(root.memory_mut().local_offset(), 0);
        drop(root);
        drop(tree);
        let s = m.statistics();
        assert_eq!(
            (s.buffers.trees, s.buffers.reused, s.buffers.spare),
            (2, 1, 1)
        );
        assert!(s.buffers.spare_bytes >= 8 + 32, "the first tree's capacity");
        assert_eq!(s.total.in_use, 0);
    }

    /// Gas sums that overflow saturate on the nested release, as on the guard API's.
    #[test]
    fn returned_gas_saturates() {
        let mut m = Manager::new(FramePoolConfig::high_performance()).unwrap();
        let mut tree = m.call_tree();
        let mut root = tree.root(&request(FrameKind::Call).gas(1_000)).unwrap();
        root.gas_mut().refunded = i64::MAX - 1;
        {
            let mut child = root.call(&request(FrameKind::Call)).unwrap();
            child.gas_mut().remaining = u64::MAX; // a caller may set any figure
            child.gas_mut().refunded = 5;
        }
        assert_eq!(root.gas().remaining, u64::MAX);
        assert_eq!(root.gas().refunded, i64::MAX);
        {
            let mut child = root.call(&request(FrameKind::Call)).unwrap();
            child.gas_mut().refunded = i64::MIN;
        }
        assert_eq!(root.gas().refunded, -1, "no overflow: a plain sum");
        root.gas_mut().refunded = i64::MIN + 1;
        {
            let mut child = root.call(&request(FrameKind::Call)).unwrap();
            child.gas_mut().refunded = -5;
        }
        assert_eq!(root.gas().refunded, i64::MIN);
        drop(root);
        let s = tree.manager().statistics().total;
        assert_eq!((s.in_use, s.returns), (0, 4));
    }

    /// More frames than the smallest size class has room for: the releases past its
    /// capacity take the general path (which grows it), and every frame is counted and
    /// pooled as on the inline path.
    #[test]
    fn releases_past_the_bucket_capacity_are_pooled_too() {
        let mut m = Manager::new(FramePoolConfig::minimal()).unwrap();
        let initial = m.statistics().total.available;
        for _ in 0..3 {
            let mut tree = m.call_tree();
            let mut root = tree.root(&request(FrameKind::Call).gas(u64::MAX)).unwrap();
            let mut depth = 0;
            nest(&mut root, 100, &mut |deepest| depth = deepest.depth());
            assert_eq!(depth, 100);
        }
        let s = m.statistics().total;
        assert_eq!(initial, 32);
        assert_eq!((s.in_use, s.returns, s.available), (0, 303, 101));
        assert_eq!((s.hits, s.misses), (32 + 2 * 101, 101 - 32));
    }

    /// With a timeline the exclusive fast paths step aside: every acquire and release
    /// still lands in the timeline, with its transaction and depth, and the counters
    /// match the timeline-free run.
    #[test]
    fn timeline_records_nested_frames_like_the_guard_api() {
        let mut config = FramePoolConfig::high_performance();
        config.track_timeline = true;
        let mut m = Manager::new(config).unwrap();
        for _ in 0..2 {
            let mut tree = m.call_tree();
            let mut root = tree.root(&request(FrameKind::Call)).unwrap();
            let mut child = root.call(&request(FrameKind::StaticCall)).unwrap();
            drop(child.call(&request(FrameKind::StaticCall)).unwrap());
        }
        let tracker = m.tracker();
        let events: Vec<_> = tracker
            .timeline()
            .map(|e| (e.transaction, e.kind, e.depth, e.event))
            .collect();
        let hit = FrameEventKind::Acquire { hit: true };
        let release = FrameEventKind::Release;
        let mut expected = Vec::new();
        for tx in 1..=2 {
            expected.extend([
                (tx, FrameKind::Call, 0, hit),
                (tx, FrameKind::StaticCall, 1, hit),
                (tx, FrameKind::StaticCall, 2, hit),
                (tx, FrameKind::StaticCall, 2, release),
                (tx, FrameKind::StaticCall, 1, release),
                (tx, FrameKind::Call, 0, release),
            ]);
        }
        assert_eq!(events, expected);
        let s = m.statistics();
        let view = s.class(FrameClass::StaticCall).unwrap();
        assert_eq!(
            (view.hits, view.returns, view.in_use, view.peak_in_use),
            (4, 4, 0, 2)
        );
        assert_eq!(tracker.kind(FrameKind::StaticCall).releases, 4);
    }

    #[test]
    fn exhaustion_follows_the_overflow_policy() {
        let mut class = PoolConfig::balanced();
        class.initial = 1;
        class.max = 1;
        let mut classes: [PoolConfig; 8] = std::array::from_fn(|_| class.clone());
        classes[FrameClass::Call.index()].overflow = OverflowPolicy::Fail;
        let config = FramePoolConfig {
            classes: ClassLayout::PerKind(classes),
            auto_tune: false,
            ..FramePoolConfig::balanced()
        };
        let mut m = Manager::new(config).unwrap();
        let mut tree = m.call_tree();
        let mut root = tree.root(&request(FrameKind::Call)).unwrap();
        assert_eq!(
            root.call(&request(FrameKind::CallCode)).unwrap_err(),
            FrameError::Exhausted {
                class: FrameClass::Call,
                max: 1
            }
        );
        // Another class overflows by allocating (the default policy) and discards later.
        let mut a = root.call(&request(FrameKind::StaticCall)).unwrap();
        let b = a.call(&request(FrameKind::StaticCall)).unwrap();
        drop(b);
        drop(a);
        drop(root);
        let stats = tree.manager().statistics();
        let call = stats.class(FrameClass::Call).unwrap();
        assert_eq!((call.in_use, call.overflows, call.returns), (0, 1, 1));
        let view = stats.class(FrameClass::StaticCall).unwrap();
        assert_eq!(
            (view.hits, view.misses, view.overflows, view.discards),
            (1, 1, 1, 1)
        );
    }

    #[test]
    fn disabled_gives_every_frame_fresh_buffers_through_the_same_api() {
        let mut m = Manager::new(FramePoolConfig::disabled()).unwrap();
        for _ in 0..2 {
            let mut tree = m.call_tree();
            let mut root = tree.root(&request(FrameKind::Call).gas(6_400)).unwrap();
            root.stack_mut().push(1).unwrap();
            root.memory_mut().resize(32).unwrap();
            {
                let mut child = root.call(&request(FrameKind::Call)).unwrap();
                assert_eq!(child.memory_mut().local_offset(), 0, "its own memory");
                assert!(child.stack().is_empty());
                child.stack_mut().push(2).unwrap();
                child.memory_mut().resize(64).unwrap();
                assert_eq!(child.gas().limit, 6_300);
            }
            assert_eq!(root.stack(), [1], "the parent's own buffer is back");
            assert_eq!(root.memory().len(), 32);
        }
        let s = m.statistics().total;
        assert_eq!((s.hits, s.misses, s.discards, s.in_use), (0, 4, 4, 0));
        assert_eq!(m.bytes_held(), 0);
    }

    #[test]
    fn both_apis_share_pools_and_frames_stay_clean() {
        let mut m = Manager::new(FramePoolConfig::minimal()).unwrap();
        {
            let mut tree = m.call_tree();
            let mut root = tree
                .root(&request(FrameKind::Call).input(&[1; 40]))
                .unwrap();
            root.output_mut().extend_from_slice(&[2; 8]);
            assert_eq!(root.input(), [1; 40]);
            let child = root.call(&request(FrameKind::Call).input(&[3; 4])).unwrap();
            assert_eq!(child.input(), [3; 4]);
            assert!(format!("{child:?}").contains("CallFrame"));
        }
        assert!(format!("{:?}", m.call_tree()).contains("CallTree"));
        // The guard API gets the same frames back, reset, with detached views.
        let mut root = m.acquire(FrameKind::Call, None).unwrap();
        let child = m.acquire(FrameKind::Call, Some(&mut root)).unwrap();
        assert!(child.input.is_empty() && child.output.is_empty());
        assert!(child.stack().is_running());
        drop(child);
        assert_eq!(m.statistics().buffers.link_errors, 0);
    }

    /// A random call tree: kind, whether the call carries value, gas asked for, words
    /// pushed, memory words, children.
    #[derive(Clone, Debug)]
    struct Node {
        kind: FrameKind,
        value: bool,
        gas: u64,
        words: u8,
        memory_words: u8,
        children: Vec<Node>,
    }

    fn node() -> impl Strategy<Value = Node> {
        let leaf = (
            proptest::sample::select(FrameKind::ALL.to_vec()),
            proptest::bool::weighted(0.2),
            prop_oneof![Just(u64::MAX), 0..100_000u64],
            0..6u8,
            0..4u8,
        )
            .prop_map(|(kind, value, gas, words, memory_words)| Node {
                kind,
                value,
                gas,
                words,
                memory_words,
                children: Vec::new(),
            });
        leaf.prop_recursive(5, 40, 4, |inner| {
            (inner.clone(), proptest::collection::vec(inner, 0..4)).prop_map(|(mut n, c)| {
                n.children = c;
                n
            })
        })
    }

    #[derive(Default)]
    struct Model {
        opened: u64,
        rejected: u64,
        live: HashSet<u64>,
        in_use: HashMap<FrameClass, u64>,
        peak: HashMap<FrameClass, u64>,
    }

    fn mark(id: u64, i: u64) -> u64 {
        id.wrapping_mul(1_000_003) ^ i
    }

    fn expected_error(node: &Node, parent: &CallFrame<'_, u64>) -> Option<FrameError> {
        if parent.kind() == FrameKind::Precompile {
            Some(FrameError::PrecompileHasNoChildren)
        } else if parent.depth() >= CALL_DEPTH_LIMIT {
            Some(FrameError::DepthLimit {
                limit: CALL_DEPTH_LIMIT,
            })
        } else if parent.is_static()
            && (node.kind.is_create() || (node.kind == FrameKind::Call && node.value))
        {
            Some(FrameError::StaticViolation { kind: node.kind })
        } else {
            None
        }
    }

    /// Runs `node` in `frame`: marks its stack and memory, replays its children (each
    /// checked against the rules and the model), and checks its marks survived them.
    /// Returns the gas its children's subtrees spent.
    fn replay(frame: &mut CallFrame<'_, u64>, node: &Node, spine: usize, model: &mut Model) -> u64 {
        let id = frame.frame().pool_id();
        for i in 0..node.words as u64 {
            frame.stack_mut().push(mark(id, i)).unwrap();
        }
        let bytes = 32 * node.memory_words as usize;
        frame.memory_mut().resize(bytes).unwrap();
        frame
            .memory_mut()
            .slice_mut(0, bytes)
            .unwrap()
            .fill(id as u8);
        let spine_child = Node {
            kind: FrameKind::Call,
            value: false,
            gas: u64::MAX,
            words: 1,
            memory_words: 0,
            children: Vec::new(),
        };
        let mut subtree_spent = 0;
        let children: Vec<&Node> = if spine > 0 {
            vec![&spine_child]
        } else {
            node.children.iter().collect()
        };
        for child in children {
            let value = if child.value { [1; 32] } else { [0; 32] };
            let request = FrameRequest::new(child.kind).gas(child.gas).value(value);
            let expected = expected_error(child, frame);
            let remaining = frame.gas().remaining;
            let spent = match frame.call(&request) {
                Err(error) => {
                    assert_eq!(Some(error), expected);
                    model.rejected += 1;
                    0
                }
                Ok(mut c) => {
                    assert_eq!(expected, None);
                    let forwarded = child.gas.min(remaining - remaining / 64);
                    assert_eq!(c.gas().limit, forwarded);
                    assert!(model.live.insert(c.frame().pool_id()), "handed out twice");
                    model.opened += 1;
                    let class = c.kind().class();
                    let n = model.in_use.entry(class).or_default();
                    *n += 1;
                    let n = *n;
                    let peak = model.peak.entry(class).or_default();
                    *peak = (*peak).max(n);
                    let spent = forwarded / 3;
                    assert!(c.gas_mut().spend(spent));
                    let sub = if spine > 0 { node } else { child };
                    let below = replay(&mut c, sub, spine.saturating_sub(1), model);
                    model.live.remove(&c.frame().pool_id());
                    *model.in_use.get_mut(&class).unwrap() -= 1;
                    drop(c);
                    spent + below
                }
            };
            assert_eq!(
                frame.gas().remaining,
                remaining - spent,
                "unused gas came back"
            );
            subtree_spent += spent;
        }
        let words: Vec<u64> = (0..node.words as u64).map(|i| mark(id, i)).collect();
        assert_eq!(frame.stack(), words);
        assert!(frame.memory().iter().all(|&b| b == id as u8));
        assert_eq!(frame.memory().len(), bytes);
        subtree_spent
    }

    fn check_tree(root_node: Node, spine: usize, preset: FramePoolConfig) {
        let mut m = Manager::new(preset).unwrap();
        let mut model = Model::default();
        for _ in 0..2 {
            let mut tree = m.call_tree();
            let mut root = tree
                .root(&FrameRequest::new(root_node.kind).gas(u64::MAX / 2))
                .unwrap();
            model.opened += 1;
            let class = root.kind().class();
            let n = model.in_use.entry(class).or_default();
            *n += 1;
            let n = *n;
            let peak = model.peak.entry(class).or_default();
            *peak = (*peak).max(n);
            replay(&mut root, &root_node, spine, &mut model);
            drop(root);
            *model.in_use.get_mut(&class).unwrap() -= 1;
        }
        let stats = m.statistics();
        let total = stats.total;
        assert_eq!(
            (total.acquires(), total.returns, total.in_use),
            (model.opened, model.opened, 0)
        );
        if !stats.classes.iter().any(|c| c.class.is_none()) {
            for (class, peak) in &model.peak {
                assert_eq!(stats.class(*class).unwrap().peak_in_use, *peak, "{class:?}");
            }
        }
        let tracker = m.tracker();
        let rejected: u64 = FrameKind::ALL
            .iter()
            .map(|&k| tracker.kind(k).rejected)
            .sum();
        assert_eq!(rejected, model.rejected);
        assert!(model.live.is_empty());
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            failure_persistence: if cfg!(miri) { None } else { ProptestConfig::default().failure_persistence },
            ..ProptestConfig::default()
        })]
        #[test]
        fn random_call_trees_replay_through_the_nested_api(
            root in node(),
            spine in if cfg!(miri) { 0..8usize } else { 0..1100usize },
            preset in 0..3usize,
        ) {
            let config = [FramePoolConfig::high_performance(), FramePoolConfig::minimal(), FramePoolConfig::disabled()][preset].clone();
            let run = move || check_tree(root, spine, config);
            std::thread::Builder::new().stack_size(64 << 20).spawn(run).unwrap().join().unwrap();
        }
    }
}
