//! Owned frames: frames taken from a [`FramePoolManager`] without a guard, for
//! interpreters that keep their own frame stack and apply the EVM's rules themselves.
//!
//! [`FramePoolManager::acquire`] and the nested API borrow the manager for as long as a
//! frame lives, and they check the EVM's nesting rules (depth, EIP-150 gas, static
//! calls) on every call. An interpreter that is not recursive (revm's handler keeps a
//! frame stack and calls `frame_init`, `frame_run` and `frame_return_result` in a loop)
//! cannot hold such a borrow between calls, and it already enforces those rules; doing
//! them twice costs instructions on every call. [`FramePoolManager::acquire_owned`]
//! hands out an [`OwnedFrame`] that borrows nothing and checks no EVM rule;
//! [`FramePoolManager::release_owned`] gives it back. Both take the manager by `&mut`
//! (its owner, the interpreter, has it exclusively), so they run on the manager's
//! exclusive fast paths without a `RefCell` borrow. Both are counted exactly like the
//! other APIs: hits, misses, overflows, in use and peak in [`PoolStatistics`], acquires
//! and releases in the [`AllocationTracker`], and the same size classes and
//! max-per-class, cleanup, tuning and memory-pressure rules decide what is kept.
//!
//! The frame's [`payload`](PooledFrame::payload) is where such an interpreter keeps its
//! own per-frame state, so that state is pooled (and reused warm) with the frame.
//!
//! [`PoolStatistics`]: super::PoolStatistics
//! [`AllocationTracker`]: super::AllocationTracker

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicU64, Ordering};

use super::FrameError;
use super::kind::FrameKind;
use super::manager::FramePoolManager;
use super::pooled::PooledFrame;
use super::shared::Word;

/// A process-unique id for a new manager (tells owned frames of different managers
/// apart).
pub(super) fn next_manager_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// A frame taken from a [`FramePoolManager`] with
/// [`acquire_owned`](FramePoolManager::acquire_owned): it borrows nothing, and goes back
/// with [`release_owned`](FramePoolManager::release_owned). Dereferences to
/// [`PooledFrame`].
///
/// Release every owned frame you take. One that is dropped instead is freed, but its
/// manager never learns of it and keeps counting it as in use (and as owned, against
/// its class's max).
///
/// ```
/// use evm_pool_runtime::{FrameKind, FramePoolConfig, FramePoolManager};
///
/// // The payload (here a `Vec<u8>`) is the caller's per-frame state, pooled with the frame.
/// let mut manager = FramePoolManager::<[u8; 32], Vec<u8>>::new(FramePoolConfig::minimal())?;
/// let mut frame = manager.acquire_owned(FrameKind::Call, 0, 0)?;
/// frame.payload.extend_from_slice(b"kept across uses");
/// let id = frame.pool_id();
/// manager.release_owned(frame)?;
/// let again = manager.acquire_owned(FrameKind::Call, 0, 0)?; // LIFO: the same frame
/// assert_eq!((again.pool_id(), &again.payload[..]), (id, &b"kept across uses"[..]));
/// manager.release_owned(again)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use = "an owned frame must go back with `release_owned`"]
pub struct OwnedFrame<W: Copy = Word, X = ()> {
    frame: Box<PooledFrame<W, X>>,
    /// The id of the manager it came from.
    manager: u64,
}

impl<W: Copy, X> Deref for OwnedFrame<W, X> {
    type Target = PooledFrame<W, X>;

    #[inline(always)]
    fn deref(&self) -> &PooledFrame<W, X> {
        &self.frame
    }
}

impl<W: Copy, X> DerefMut for OwnedFrame<W, X> {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut PooledFrame<W, X> {
        &mut self.frame
    }
}

impl<W: Copy, X> fmt::Debug for OwnedFrame<W, X> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.frame, f)
    }
}

/// [`release_owned`](FramePoolManager::release_owned) was given a frame of another
/// manager: nothing was counted, and the frame is handed back ([`into_frame`](Self::into_frame)).
///
/// ```
/// use evm_pool_runtime::{FrameKind, FramePoolConfig, FramePoolManager};
///
/// let mut a = FramePoolManager::<u64>::new(FramePoolConfig::minimal())?;
/// let mut b = FramePoolManager::<u64>::new(FramePoolConfig::minimal())?;
/// let frame = a.acquire_owned(FrameKind::Call, 0, 0)?;
/// let refused = b.release_owned(frame).unwrap_err();
/// assert_eq!(refused.to_string(), "the frame belongs to another FramePoolManager");
/// a.release_owned(refused.into_frame())?; // back where it came from
/// assert_eq!(a.statistics().total.in_use, 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct ForeignFrame<W: Copy = Word, X = ()> {
    frame: OwnedFrame<W, X>,
}

impl<W: Copy, X> ForeignFrame<W, X> {
    /// The refused frame, to release to the manager it came from.
    pub fn into_frame(self) -> OwnedFrame<W, X> {
        self.frame
    }
}

impl<W: Copy, X> fmt::Debug for ForeignFrame<W, X> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ForeignFrame")
            .field("pool_id", &self.frame.pool_id())
            .finish_non_exhaustive()
    }
}

impl<W: Copy, X> fmt::Display for ForeignFrame<W, X> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the frame belongs to another FramePoolManager")
    }
}

impl<W: Copy, X> std::error::Error for ForeignFrame<W, X> {}

impl<W: Copy, X: Default> FramePoolManager<W, X> {
    /// Takes a frame of `kind` for call depth `depth` out of its pool (or creates one),
    /// without a guard and without the EVM's rules: the caller applies them (revm's
    /// handler checks the depth limit, forwards gas and refuses static-call violations
    /// itself). `memory_hint` is how many bytes the caller expects to put in the frame's
    /// own buffers ([`input`](PooledFrame::input), [`output`](PooledFrame::output)); it
    /// picks the size class, as a request's input length does for
    /// [`acquire_with`](Self::acquire_with).
    ///
    /// The frame comes with its input and output empty, its stack and memory views
    /// detached, its kind and depth set, and its [`payload`](PooledFrame::payload) as
    /// its last user left it (`X::default()` for a new frame). The call-context fields
    /// the guard API fills in ([`gas`](PooledFrame::gas), [`value`](PooledFrame::value),
    /// [`caller`](PooledFrame::caller), [`address`](PooledFrame::address)) are the
    /// caller's to set: they keep what the frame's last user left (zero for a new
    /// frame), and `is_static` is `false`. Not clearing them keeps the hot path to
    /// one pop and the counters. Counted like [`acquire`](Self::acquire): a hit
    /// or a miss, in use and peak, the tracker's acquire for `kind`; with the class at
    /// its max and [`OverflowPolicy::Fail`](crate::OverflowPolicy::Fail), the error is
    /// [`FrameError::Exhausted`] and nothing is handed out.
    ///
    /// ```
    /// use evm_pool_runtime::{FrameKind, FramePoolConfig, FramePoolManager};
    ///
    /// let mut manager = FramePoolManager::<[u8; 32]>::new(FramePoolConfig::minimal())?; // 32 prewarmed
    /// let root = manager.acquire_owned(FrameKind::Call, 0, 0)?;
    /// let child = manager.acquire_owned(FrameKind::StaticCall, 1, 0)?;
    /// assert_eq!((child.kind(), child.depth()), (FrameKind::StaticCall, 1));
    /// assert_eq!(manager.statistics().total.in_use, 2);
    /// manager.release_owned(child)?;
    /// manager.release_owned(root)?;
    /// let stats = manager.statistics().total;
    /// assert_eq!((stats.hits, stats.misses, stats.returns, stats.peak_in_use), (2, 0, 2, 2));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline(always)] // one call site per interpreter; out of line it cost ~15 in saves
    pub fn acquire_owned(
        &mut self,
        kind: FrameKind,
        depth: usize,
        memory_hint: usize,
    ) -> Result<OwnedFrame<W, X>, FrameError> {
        let mut frame = self.take_frame_exclusive(kind, memory_hint, depth)?;
        frame.kind = kind;
        frame.depth = depth;
        frame.usage_count += 1;
        frame.is_static = false;
        Ok(OwnedFrame {
            frame,
            manager: self.id,
        })
    }

    /// Gives back a frame from [`acquire_owned`](Self::acquire_owned): its input and
    /// output are cleared (capacity kept), its stack and memory views detached (a buffer
    /// attached to them is dropped), and it goes back to its pool, or is dropped when its
    /// class is at its max or its buffers grew past `max_pooled_bytes`; the payload
    /// stays with it. Counted like a guard's release. A frame of another manager is
    /// refused and handed back ([`ForeignFrame`]), nothing counted.
    ///
    /// ```
    /// use evm_pool_runtime::{FrameKind, FramePoolConfig, FramePoolManager, OverflowPolicy};
    ///
    /// let mut config = FramePoolConfig::minimal(); // one shared class, at most 128 frames
    /// let mut manager = FramePoolManager::<u64>::new(config)?;
    /// let frames: Vec<_> = (0..130).map(|depth| manager.acquire_owned(FrameKind::Call, depth, 0)).collect::<Result<_, _>>()?;
    /// for frame in frames.into_iter().rev() {
    ///     manager.release_owned(frame)?;
    /// }
    /// let stats = manager.statistics().total;
    /// assert_eq!((stats.hits, stats.misses, stats.overflows), (32, 98, 2));
    /// assert_eq!((stats.returns, stats.discards, stats.available), (130, 2, 128));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline(always)]
    pub fn release_owned(&mut self, frame: OwnedFrame<W, X>) -> Result<(), ForeignFrame<W, X>> {
        if frame.manager != self.id {
            return Err(foreign(frame));
        }
        let frame = frame.frame;
        // Non-short-circuit `&`: one branch. The exclusive fast path takes frames with
        // detached views only; anything else goes through the general release.
        if frame.stack.is_detached() & frame.memory.is_detached() {
            if let Err(frame) = self.put_back_exclusive::<true>(frame) {
                self.put_back(frame, true);
            }
        } else {
            self.put_back(frame, false);
        }
        Ok(())
    }

    /// Marks the start of a transaction for callers of the owned API (the guard and
    /// nested APIs do this when a root frame opens): counts it for the tracker's
    /// timeline, reads the clock, and runs the maintenance tick (cleanup, memory
    /// pressure, tuning, as configured) when `cleanup_interval` has passed since the
    /// last one. Without it, an owned-API user's pools are never maintained.
    ///
    /// ```
    /// use std::time::Duration;
    /// use evm_pool_runtime::{FrameKind, FramePoolConfig, FramePoolManager, ManualClock};
    ///
    /// let clock = ManualClock::new();
    /// let manager = FramePoolManager::<u64>::with_clock(FramePoolConfig::minimal(), clock.clone())?;
    /// clock.advance(Duration::from_secs(61)); // past the idle timeout and the interval
    /// manager.start_transaction(); // maintenance: 32 never-used frames dropped
    /// assert_eq!(manager.statistics().total.available, 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn start_transaction(&self) {
        self.begin_transaction(&mut self.state.borrow_mut());
    }
}

/// The refusal of a foreign frame, out of line (never taken by a correct caller).
#[cold]
#[inline(never)]
fn foreign<W: Copy, X>(frame: OwnedFrame<W, X>) -> ForeignFrame<W, X> {
    ForeignFrame { frame }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::pool::{OverflowPolicy, PoolConfig};
    use crate::{
        ClassLayout, FrameError, FrameEventKind, FrameKind, FramePoolConfig, FramePoolManager,
        ManualClock,
    };

    type Manager = FramePoolManager<u64, Vec<u32>>;

    fn shared(initial: usize, max: usize, overflow: OverflowPolicy) -> FramePoolConfig {
        let mut class = PoolConfig::balanced();
        class.initial = initial;
        class.max = max;
        class.overflow = overflow;
        FramePoolConfig {
            classes: ClassLayout::Shared(class),
            auto_tune: false,
            ..FramePoolConfig::minimal()
        }
    }

    /// A LIFO frame stack driven through the owned API, as a non-recursive interpreter
    /// does: every figure of the statistics and the tracker is what the guard API would
    /// report for the same tree.
    #[test]
    fn owned_frames_are_counted_like_guarded_ones() {
        let mut owned = Manager::new(FramePoolConfig::balanced()).unwrap();
        let guarded = FramePoolManager::<u64>::new(FramePoolConfig::balanced()).unwrap();
        let kinds = [
            FrameKind::Call,
            FrameKind::StaticCall,
            FrameKind::DelegateCall,
        ];
        for _tx in 0..3 {
            let mut stack = vec![owned.acquire_owned(FrameKind::Call, 0, 0).unwrap()];
            for (depth, kind) in kinds.into_iter().cycle().take(80).enumerate() {
                stack.push(owned.acquire_owned(kind, depth + 1, 0).unwrap());
            }
            while let Some(frame) = stack.pop() {
                owned.release_owned(frame).unwrap();
            }

            fn nest(m: &FramePoolManager<u64>, parent: &mut crate::PooledFrame<u64>, n: usize) {
                let kinds = [
                    FrameKind::Call,
                    FrameKind::StaticCall,
                    FrameKind::DelegateCall,
                ];
                if n < 80 {
                    let mut child = m.acquire(kinds[n % 3], Some(parent)).unwrap();
                    nest(m, &mut child, n + 1);
                }
            }
            let mut root = guarded.acquire(FrameKind::Call, None).unwrap();
            nest(&guarded, &mut root, 0);
        }
        let (a, b) = (owned.statistics(), guarded.statistics());
        assert_eq!(a.classes.len(), b.classes.len());
        for (a, b) in a.classes.iter().zip(&b.classes) {
            let (mut a, mut b) = (a.stats, b.stats);
            // Idle frames hold a payload (a `Vec`) in one manager only.
            (a.bytes_held, b.bytes_held) = (0, 0);
            assert_eq!(a, b);
        }
        // Call frames: the root and 27 children per tree, all 28 alive at once.
        let call = &owned.statistics().classes[1].stats;
        assert_eq!(
            (call.hits + call.misses, call.in_use, call.peak_in_use),
            (3 * 28, 0, 28)
        );
        assert_eq!(call.returns, 3 * 28);
        let (ta, tb) = (owned.tracker(), guarded.tracker());
        for kind in kinds {
            assert_eq!(ta.kind(kind), tb.kind(kind));
            assert_eq!(ta.kind(kind).releases, ta.kind(kind).acquires);
        }
    }

    /// The payload stays with its frame: LIFO reuse hands the same frame, with what the
    /// last user left in it, back at the same depth.
    #[test]
    fn payload_is_pooled_with_its_frame() {
        let mut m = Manager::new(shared(0, 8, OverflowPolicy::Allocate)).unwrap();
        for tx in 0..3u32 {
            let mut stack = Vec::new();
            for depth in 0..4u32 {
                let mut frame = m.acquire_owned(FrameKind::Call, depth as usize, 0).unwrap();
                if tx == 0 {
                    assert!(frame.payload.is_empty());
                    frame.payload.push(depth);
                }
                assert_eq!(frame.payload, [depth], "tx {tx}");
                assert_eq!(frame.usage_count(), u64::from(tx) + 1);
                stack.push(frame);
            }
            while let Some(frame) = stack.pop() {
                m.release_owned(frame).unwrap();
            }
        }
        let stats = m.statistics().total;
        assert_eq!((stats.misses, stats.hits, stats.created), (4, 8, 4));
    }

    /// A frame comes out with empty buffers and detached views whatever its last user
    /// did with them.
    #[test]
    fn frames_come_back_clean() {
        let mut m = FramePoolManager::<u64>::new(shared(1, 4, OverflowPolicy::Allocate)).unwrap();
        let mut frame = m.acquire_owned(FrameKind::StaticCall, 7, 0).unwrap();
        frame.input.extend_from_slice(&[1, 2, 3]);
        frame.output.push(9);
        frame.gas.remaining = 5;
        frame.value = [1; 32];
        frame.caller = [2; 20];
        frame.address = [3; 20];
        frame.stack_mut().attach(vec![1, 2, 3]);
        m.release_owned(frame).unwrap();
        let frame = m.acquire_owned(FrameKind::Create, 2, 0).unwrap();
        assert!(frame.input.is_empty() && frame.output.is_empty());
        assert!(frame.input.capacity() >= 3); // capacity kept
        assert!(frame.stack().is_detached() && frame.memory().is_detached());
        assert_eq!(
            (frame.kind(), frame.depth(), frame.is_static()),
            (FrameKind::Create, 2, false)
        );
        // The call context is the caller's to set: left as the last user left it.
        assert_eq!((frame.gas.remaining, frame.caller), (5, [2; 20]));
        m.release_owned(frame).unwrap();
    }

    #[test]
    fn foreign_frames_are_refused_and_handed_back() {
        let mut a = Manager::new(shared(2, 4, OverflowPolicy::Allocate)).unwrap();
        let mut b = Manager::new(shared(2, 4, OverflowPolicy::Allocate)).unwrap();
        let frame = a.acquire_owned(FrameKind::Call, 0, 0).unwrap();
        let before = b.statistics();
        let refused = b.release_owned(frame).unwrap_err();
        assert_eq!(b.statistics(), before);
        assert_eq!(b.tracker().kind(FrameKind::Call).releases, 0);
        assert_eq!(a.statistics().total.in_use, 1);
        a.release_owned(refused.into_frame()).unwrap();
        assert_eq!(a.statistics().total.in_use, 0);
        assert_eq!(a.statistics().total.available, 2);
    }

    #[test]
    fn overflow_policies_apply() {
        let mut fail = Manager::new(shared(1, 2, OverflowPolicy::Fail)).unwrap();
        let x = fail.acquire_owned(FrameKind::Call, 0, 0).unwrap();
        let y = fail.acquire_owned(FrameKind::Call, 1, 0).unwrap();
        assert_eq!(
            fail.acquire_owned(FrameKind::Call, 2, 0).unwrap_err(),
            FrameError::Exhausted {
                class: FrameKind::Call.class(),
                max: 2
            }
        );
        let stats = fail.statistics().total;
        assert_eq!(
            (stats.in_use, stats.overflows, stats.hits, stats.misses),
            (2, 1, 1, 2)
        );
        assert_eq!(fail.tracker().kind(FrameKind::Call).rejected, 1);
        fail.release_owned(y).unwrap();
        fail.release_owned(x).unwrap();
        assert_eq!(fail.statistics().total.returns, 2);

        // `Allocate`: beyond the max frames are created, and dropped when they come back.
        let mut grow = Manager::new(shared(0, 2, OverflowPolicy::Allocate)).unwrap();
        let frames: Vec<_> = (0..5)
            .map(|d| grow.acquire_owned(FrameKind::Call, d, 0).unwrap())
            .collect();
        for frame in frames.into_iter().rev() {
            grow.release_owned(frame).unwrap();
        }
        let stats = grow.statistics().total;
        assert_eq!((stats.misses, stats.overflows, stats.discards), (5, 3, 3));
        assert_eq!(
            (stats.available, stats.peak_in_use, stats.returns),
            (2, 5, 5)
        );
    }

    /// `memory_hint` picks the size class; a frame whose buffers grew goes back to a
    /// larger class.
    #[test]
    fn memory_hint_picks_the_size_class() {
        let mut config = shared(0, 8, OverflowPolicy::Allocate);
        config.size_classes = vec![1024, 4096];
        let mut m = Manager::new(config).unwrap();
        let mut big = m.acquire_owned(FrameKind::Call, 0, 3000).unwrap();
        big.input.reserve(3000);
        let small = m.acquire_owned(FrameKind::Call, 1, 0).unwrap();
        let (big_id, small_id) = (big.pool_id(), small.pool_id());
        m.release_owned(small).unwrap();
        m.release_owned(big).unwrap();
        // The large request gets the large frame although the small one is on top.
        let again = m.acquire_owned(FrameKind::Call, 0, 2000).unwrap();
        assert_eq!(again.pool_id(), big_id);
        let other = m.acquire_owned(FrameKind::Call, 1, 10).unwrap();
        assert_eq!(other.pool_id(), small_id);
        m.release_owned(other).unwrap();
        m.release_owned(again).unwrap();
        assert_eq!(m.statistics().total.hits, 2);
    }

    /// The timeline records owned frames with their depth and the transaction started
    /// by `start_transaction`.
    #[test]
    fn timeline_and_transactions() {
        let clock = ManualClock::new();
        let mut config = shared(2, 4, OverflowPolicy::Allocate);
        config.track_timeline = true;
        let mut m = Manager::with_clock(config, clock.clone()).unwrap();
        m.start_transaction();
        let frame = m.acquire_owned(FrameKind::DelegateCall, 5, 0).unwrap();
        m.release_owned(frame).unwrap();
        let events: Vec<_> = m.tracker().timeline().copied().collect();
        assert_eq!(events.len(), 2);
        assert_eq!(events[0].event, FrameEventKind::Acquire { hit: true });
        assert_eq!(events[1].event, FrameEventKind::Release);
        assert!(events.iter().all(|e| e.depth == 5 && e.transaction == 1));

        // Maintenance runs from `start_transaction` once the interval has passed.
        clock.advance(Duration::from_secs(61));
        m.start_transaction();
        assert_eq!(m.statistics().total.available, 0); // idle, used once: cleaned up
    }

    /// A disabled pool hands out a new frame every time and drops it on release.
    #[test]
    fn disabled_pools_allocate_every_frame() {
        let mut m = Manager::new(FramePoolConfig::disabled()).unwrap();
        for _ in 0..3 {
            let frame = m.acquire_owned(FrameKind::Call, 0, 0).unwrap();
            m.release_owned(frame).unwrap();
        }
        let stats = m.statistics().total;
        assert_eq!((stats.misses, stats.discards, stats.available), (3, 3, 0));
    }
}
