//! The pooled call frame, its gas accounting, and what a caller asks for when it opens
//! one.

use std::fmt;
use std::time::Duration;

use super::kind::FrameKind;
use super::shared::{SharedMemory, SharedStack, Word};

/// A 20-byte account address.
pub type Address = [u8; 20];

/// The largest call depth: the transaction's frame is depth 0, the 1024th nested call
/// runs at depth 1024, the 1025th fails with [`FrameError::DepthLimit`](crate::FrameError::DepthLimit).
pub const CALL_DEPTH_LIMIT: usize = 1024;

/// Gas of one frame: its limit, what remains, and the refund counter.
///
/// ```
/// use evm_pool_runtime::Gas;
///
/// let mut gas = Gas::new(100_000);
/// assert!(gas.spend(21_000));
/// assert!(!gas.spend(1_000_000)); // out of gas: nothing spent
/// assert_eq!(gas.used(), 21_000);
/// // EIP-150: a call may forward all but one 64th of what remains.
/// assert_eq!(Gas::all_but_one_64th(79_000), 79_000 - 79_000 / 64);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Gas {
    /// Gas the frame started with.
    pub limit: u64,
    /// Gas not yet spent.
    pub remaining: u64,
    /// Refund counter (may go negative inside a frame, as in the EVM).
    pub refunded: i64,
}

impl Gas {
    /// `limit` gas, none spent.
    pub const fn new(limit: u64) -> Self {
        Gas {
            limit,
            remaining: limit,
            refunded: 0,
        }
    }

    /// Spends `amount` if that much remains; `false` (and nothing spent) otherwise.
    #[inline]
    pub fn spend(&mut self, amount: u64) -> bool {
        match self.remaining.checked_sub(amount) {
            Some(rest) => {
                self.remaining = rest;
                true
            }
            None => false,
        }
    }

    /// Gas spent so far.
    #[inline]
    pub const fn used(&self) -> u64 {
        self.limit - self.remaining
    }

    /// EIP-150: the most gas a call may forward out of `remaining`, all but one 64th.
    #[inline]
    pub const fn all_but_one_64th(remaining: u64) -> u64 {
        remaining - remaining / 64
    }
}

/// What a caller asks for when it opens a frame: kind, gas, value, target and input.
/// Frames opened by [`FramePoolManager::acquire`](crate::FramePoolManager::acquire)
/// use [`FrameRequest::new`]'s defaults.
///
/// ```
/// use evm_pool_runtime::{FrameKind, FrameRequest};
///
/// let request = FrameRequest::new(FrameKind::Call)
///     .gas(50_000)
///     .value([0; 32])
///     .target([0x11; 20])
///     .input(&[0xa9, 0x05, 0x9c, 0xbb]);
/// assert_eq!(request.input.len(), 4);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameRequest<'a> {
    /// What opens the frame.
    pub kind: FrameKind,
    /// Gas asked for. A child gets at most all but one 64th of its parent's remaining
    /// gas (EIP-150); a root frame gets exactly this. Default: `u64::MAX` (as much as
    /// allowed).
    pub gas: u64,
    /// Value transferred, a big-endian 256-bit word. A value-carrying `CALL` is
    /// forbidden inside a static frame. Ignored for `DELEGATECALL` (which inherits its
    /// parent's value) and `STATICCALL` (which carries none).
    pub value: Word,
    /// The account whose code runs (for `DELEGATECALL` and `CALLCODE` the parent's own
    /// address is used, as in the EVM).
    pub target: Address,
    /// The caller of a root frame (children are called by their parent's account).
    pub origin: Address,
    /// Call data (or init code), copied into the frame's input buffer; its length also
    /// picks the size class.
    pub input: &'a [u8],
}

impl<'a> FrameRequest<'a> {
    /// A request for `kind` with all the gas allowed, no value, zero addresses and no
    /// input.
    pub const fn new(kind: FrameKind) -> Self {
        FrameRequest {
            kind,
            gas: u64::MAX,
            value: [0; 32],
            target: [0; 20],
            origin: [0; 20],
            input: &[],
        }
    }

    /// Sets the gas asked for.
    pub const fn gas(mut self, gas: u64) -> Self {
        self.gas = gas;
        self
    }

    /// Sets the value.
    pub const fn value(mut self, value: Word) -> Self {
        self.value = value;
        self
    }

    /// Sets the target account.
    pub const fn target(mut self, target: Address) -> Self {
        self.target = target;
        self
    }

    /// Sets a root frame's caller.
    pub const fn origin(mut self, origin: Address) -> Self {
        self.origin = origin;
        self
    }

    /// Sets the call data.
    pub const fn input(mut self, input: &'a [u8]) -> Self {
        self.input = input;
        self
    }

    /// `true` when the value is not zero.
    pub fn carries_value(&self) -> bool {
        self.value != [0; 32]
    }
}

/// A call frame from a [`FramePoolManager`](crate::FramePoolManager): its views of the
/// call tree's shared stack and memory, gas, call context, and pool bookkeeping.
///
/// Frames are reused: between uses a frame keeps the capacity of its own buffers
/// ([`input`](Self::input), [`output`](Self::output)) and its [`payload`](Self::payload),
/// nothing else; its stack and memory views are detached. Resetting it costs O(1) (byte
/// buffers are cleared, not zeroed), and the manager sets every other field when it
/// hands the frame out.
///
/// `X` is a payload of the caller's own, kept in the frame across uses (an
/// interpreter's per-frame state, for example; `()` by default). The manager creates it
/// with `X::default()` when it creates the frame and never touches it afterwards, so
/// whatever it holds (and the capacity it keeps) is reused with the frame; see
/// [`FramePoolManager::acquire_owned`](crate::FramePoolManager::acquire_owned).
pub struct PooledFrame<W = Word, X = ()> {
    pub(crate) stack: SharedStack<W>,
    pub(crate) memory: SharedMemory,
    /// Gas of this frame.
    pub gas: Gas,
    /// Call data (or init code).
    pub input: Vec<u8>,
    /// Return data, filled by the frame when it returns.
    pub output: Vec<u8>,
    /// Value transferred, big-endian.
    pub value: Word,
    /// The account that made this call.
    pub caller: Address,
    /// The account whose storage this frame works on.
    pub address: Address,
    pub(crate) kind: FrameKind,
    pub(crate) depth: usize,
    pub(crate) is_static: bool,
    pub(crate) pool_id: u64,
    pub(crate) usage_count: u64,
    pub(crate) last_used: Duration,
    /// The caller's per-frame payload, kept across uses (see the type's docs).
    pub payload: X,
}

impl<W: Copy, X: Default> PooledFrame<W, X> {
    pub(crate) fn new(kind: FrameKind, pool_id: u64) -> Self {
        PooledFrame {
            stack: SharedStack::detached(),
            memory: SharedMemory::detached(),
            gas: Gas::default(),
            input: Vec::new(),
            output: Vec::new(),
            value: [0; 32],
            caller: [0; 20],
            address: [0; 20],
            kind,
            depth: 0,
            is_static: false,
            pool_id,
            usage_count: 0,
            last_used: Duration::ZERO,
            payload: X::default(),
        }
    }
}

impl<W: Copy, X> PooledFrame<W, X> {
    /// Clears what a frame keeps between uses, keeping its buffers' capacity. O(1): byte
    /// buffers are cleared, not zeroed. Every other field is set by the manager when it
    /// hands the frame out, so it is not touched here.
    #[inline]
    pub(crate) fn reset(&mut self) {
        if !self.stack.is_detached() {
            self.stack = SharedStack::detached();
        }
        if !self.memory.is_detached() {
            self.memory = SharedMemory::detached();
        }
        self.clear_buffers();
    }

    /// [`reset`](Self::reset) for a frame whose views are known to be detached.
    #[inline]
    pub(crate) fn clear_buffers(&mut self) {
        debug_assert!(self.stack.is_detached() && self.memory.is_detached());
        self.input.clear();
        self.output.clear();
    }

    /// The frame's operand stack (its view of the call tree's shared stack).
    #[inline]
    pub fn stack(&self) -> &SharedStack<W> {
        &self.stack
    }

    /// The frame's operand stack, mutably.
    #[inline]
    pub fn stack_mut(&mut self) -> &mut SharedStack<W> {
        &mut self.stack
    }

    /// The frame's memory (its view of the call tree's shared memory).
    #[inline]
    pub fn memory(&self) -> &SharedMemory {
        &self.memory
    }

    /// The frame's memory, mutably.
    #[inline]
    pub fn memory_mut(&mut self) -> &mut SharedMemory {
        &mut self.memory
    }

    /// What opened the frame.
    #[inline]
    pub fn kind(&self) -> FrameKind {
        self.kind
    }

    /// Call depth: 0 for a transaction's frame.
    #[inline]
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// `true` inside a `STATICCALL` (and everything it calls).
    #[inline]
    pub fn is_static(&self) -> bool {
        self.is_static
    }

    /// The frame object's id, unique within its manager (stable across reuse).
    #[inline]
    pub fn pool_id(&self) -> u64 {
        self.pool_id
    }

    /// How many times this frame object has been handed out, this time included.
    #[inline]
    pub fn usage_count(&self) -> u64 {
        self.usage_count
    }

    /// When the frame was last released, by the manager's clock: a reading taken at or
    /// after the release (see [`FramePoolManager::cleanup`](crate::FramePoolManager::cleanup)).
    /// A frame released by a nested call tree gets it at the manager's next clock
    /// reading; until then (and while it is in use again) it shows its previous stamp.
    #[inline]
    pub fn last_used(&self) -> Duration {
        self.last_used
    }
}

// Sizes need no `Copy` words: the manager's accounting uses them for any frame.
impl<W, X> PooledFrame<W, X> {
    /// Heap bytes the frame keeps when pooled: its input and output buffers' capacity.
    /// This picks its size class.
    #[inline]
    pub fn retained_bytes(&self) -> usize {
        self.input.capacity() + self.output.capacity()
    }

    /// Bytes the frame holds while idle, as the manager counts them in
    /// [`bytes_held`](crate::FramePoolManager::bytes_held): the frame itself (its
    /// payload by size) plus [`retained_bytes`](Self::retained_bytes).
    ///
    /// ```
    /// use evm_pool_runtime::{FrameKind, FramePoolConfig, FramePoolManager, PooledFrame};
    ///
    /// let mut manager = FramePoolManager::<u64>::new(FramePoolConfig::minimal())?;
    /// let frame = manager.acquire_owned(FrameKind::Call, 0, 0)?;
    /// assert_eq!(frame.held_bytes(), size_of::<PooledFrame<u64>>() + frame.retained_bytes());
    /// manager.release_owned(frame)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn held_bytes(&self) -> usize {
        size_of::<Self>() + self.retained_bytes()
    }
}

/// The frame's measured layout. `#[optimize_layout]` cannot annotate this struct: the
/// macro crate depends on this one, so this one cannot use it. The report is built the
/// way the macro's is, with `offset_of!`, and a test holds it to the macro's bar (no
/// padding beyond what the alignment forces).
///
/// ```
/// use evm_pool_runtime::PooledFrame;
/// use evm_pool_runtime::layout::Layout;
///
/// let report = PooledFrame::<[u8; 32]>::layout_report();
/// assert_eq!(report.size(), size_of::<PooledFrame<[u8; 32]>>());
/// assert!(report.padding_bytes() < report.align());
/// println!("{report}");
/// ```
impl<W: Copy, X> crate::layout::Layout for PooledFrame<W, X> {
    fn layout_report() -> crate::layout::LayoutReport {
        crate::layout_of!(PooledFrame<W, X> {
            stack,
            memory,
            gas,
            input,
            output,
            value,
            caller,
            address,
            kind,
            depth,
            is_static,
            pool_id,
            usage_count,
            last_used,
            payload,
        })
    }
}

impl<W, X> fmt::Debug for PooledFrame<W, X> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PooledFrame")
            .field("kind", &self.kind)
            .field("depth", &self.depth)
            .field("is_static", &self.is_static)
            .field("gas", &self.gas)
            .field("stack", &self.stack)
            .field("memory", &self.memory)
            .field("input_len", &self.input.len())
            .field("pool_id", &self.pool_id)
            .field("usage_count", &self.usage_count)
            .finish_non_exhaustive()
    }
}
