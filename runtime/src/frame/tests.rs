use std::collections::HashSet;
use std::time::Duration;

use proptest::prelude::*;

use super::*;
use crate::pool::{ConfigError, OverflowPolicy, PoolConfig};

type Manager = FramePoolManager<u64>;
type Frame = PooledFrame<u64>;

fn small_config(initial: usize, max: usize) -> FramePoolConfig {
    let mut class = PoolConfig::balanced();
    class.initial = initial;
    class.max = max;
    FramePoolConfig {
        classes: ClassLayout::PerKind(std::array::from_fn(|_| class.clone())),
        auto_tune: false,
        pressure_handling: false,
        ..FramePoolConfig::balanced()
    }
}

fn manual(config: FramePoolConfig) -> (Manager, ManualClock) {
    let clock = ManualClock::new();
    (Manager::with_clock(config, clock.clone()).unwrap(), clock)
}

/// Opens `n` nested frames of `kind` below `parent`, then calls `at_bottom`.
fn nest(
    m: &Manager,
    parent: &mut Frame,
    kind: FrameKind,
    n: usize,
    at_bottom: &mut dyn FnMut(&mut Frame),
) {
    if n == 0 {
        at_bottom(parent);
        return;
    }
    let mut child = m.acquire(kind, Some(parent)).unwrap();
    nest(m, &mut child, kind, n - 1, at_bottom);
}

fn on_big_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap();
}

// ---- shared stack and memory ------------------------------------------------------

#[test]
fn each_frame_has_its_own_1024_word_limit() {
    let mut root = SharedStack::<u64>::new();
    for i in 0..STACK_LIMIT as u64 {
        root.push(i).unwrap();
    }
    assert_eq!(root.push(0), Err(StackError::Overflow));
    assert_eq!(root.dup(1), Err(StackError::Overflow));
    let mut child = root.enter_child().unwrap();
    assert_eq!(child.base(), STACK_LIMIT);
    for i in 0..STACK_LIMIT as u64 {
        child.push(i).unwrap();
    }
    assert_eq!(child.push(0), Err(StackError::Overflow));
    assert_eq!(child.len(), STACK_LIMIT);
    root.resume(&mut child).unwrap();
    assert_eq!(root.len(), STACK_LIMIT);
    assert_eq!(root.peek(0), Ok(1023));
}

#[test]
fn child_cannot_see_or_touch_parent_words() {
    let mut root = SharedStack::<u64>::new();
    root.push(1).unwrap();
    root.push(2).unwrap();
    let mut child = root.enter_child().unwrap();
    assert_eq!(child.pop(), Err(StackError::Underflow));
    assert_eq!(child.peek(0), Err(StackError::Underflow));
    assert_eq!(child.dup(1), Err(StackError::Underflow));
    assert_eq!(child.swap(1), Err(StackError::Underflow));
    assert!(child.top_mut().is_err());
    assert_eq!(child.popn::<1>(), Err(StackError::Underflow));
    child.push(3).unwrap();
    assert_eq!(child.swap(1), Err(StackError::Underflow));
    assert!(child.popn_top::<1>().is_err());
    child.clear();
    assert!(child.is_empty());
    child.push(4).unwrap();
    root.resume(&mut child).unwrap();
    assert_eq!(root.as_slice(), &[1, 2]);
}

#[test]
fn stack_opcodes() {
    let mut s = SharedStack::<u64>::new();
    for v in [1, 2, 3, 4] {
        s.push(v).unwrap();
    }
    s.dup(4).unwrap(); // 1 2 3 4 1
    assert_eq!(s.as_slice(), &[1, 2, 3, 4, 1]);
    s.swap(2).unwrap(); // 1 2 1 4 3
    assert_eq!(s.as_slice(), &[1, 2, 1, 4, 3]);
    s.exchange(1, 2).unwrap(); // positions 1 and 3 from top: 4 <-> 2
    assert_eq!(s.as_slice(), &[1, 4, 1, 2, 3]);
    assert_eq!(s.exchange(1, 4), Err(StackError::Underflow));
    assert_eq!(s.exchange(usize::MAX, 1), Err(StackError::Underflow));
    assert_eq!(s.dup(0), Err(StackError::Underflow));
    assert_eq!(s.swap(0), Err(StackError::Underflow));
    s.set(0, 9).unwrap();
    assert_eq!(s.peek(0), Ok(9));
    assert_eq!(s.set(5, 0), Err(StackError::Underflow));
    let ([a, b], top) = s.popn_top::<2>().unwrap();
    assert_eq!((a, b), (9, 2));
    *top += 100;
    assert_eq!(s.as_slice(), &[1, 4, 101]);
    *s.top_mut().unwrap() = 7;
    assert_eq!(s.popn::<3>(), Ok([7, 4, 1]));
    s.as_mut_slice().iter_mut().for_each(|w| *w = 0);
}

#[test]
fn suspended_and_detached_views_refuse_work() {
    let mut root = SharedStack::<u64>::new();
    root.push(5).unwrap();
    let mut child = root.enter_child().unwrap();
    assert!(root.is_suspended() && !root.is_running());
    assert_eq!(root.push(1), Err(StackError::Suspended));
    assert_eq!(root.pop(), Err(StackError::Suspended));
    assert_eq!(root.peek(0), Err(StackError::Suspended));
    assert_eq!(root.len(), 1); // remembered
    assert!(root.as_slice().is_empty());
    assert_eq!(root.enter_child().unwrap_err(), LinkError::NotRunning);
    assert_eq!(root.detach().unwrap_err(), LinkError::NotRunning);
    root.resume(&mut child).unwrap();
    assert_eq!(child.push(1), Err(StackError::Suspended));
    assert_eq!(child.len(), 0);
    // resuming twice: the child is detached now.
    assert_eq!(root.resume(&mut child), Err(LinkError::NotSuspended));
    let mut detached = SharedStack::<u64>::detached();
    assert_eq!(detached.push(1), Err(StackError::Suspended));
    detached.clear();
}

#[test]
fn resume_accepts_only_the_direct_running_child() {
    let mut root = SharedStack::<u64>::new();
    let mut child = root.enter_child().unwrap();
    let mut grandchild = child.enter_child().unwrap();
    // Out of order: the root cannot take the buffer from its grandchild.
    assert_eq!(root.resume(&mut grandchild), Err(LinkError::NotChild));
    // Nor from its suspended child.
    assert_eq!(root.resume(&mut child), Err(LinkError::NotChild));
    // Nor from another tree's view at depth 1.
    let mut other_root = SharedStack::<u64>::new();
    let mut other_child = other_root.enter_child().unwrap();
    assert_eq!(root.resume(&mut other_child), Err(LinkError::NotChild));
    // In order, everything works and nothing was disturbed by the refusals.
    grandchild.push(3).unwrap();
    child.resume(&mut grandchild).unwrap();
    root.resume(&mut child).unwrap();
    other_root.resume(&mut other_child).unwrap();
    assert!(root.is_running() && root.is_empty());
}

#[test]
fn buffers_are_recycled_with_their_capacity() {
    let mut root = SharedStack::<u64>::with_capacity(100);
    let mut child = root.enter_child().unwrap();
    for i in 0..50 {
        child.push(i).unwrap();
    }
    assert_eq!(child.detach(), Err(LinkError::NotRoot));
    root.resume(&mut child).unwrap();
    let buffer = root.detach().unwrap();
    assert!(buffer.is_empty() && buffer.capacity() >= 100);
    let mut view = SharedStack::detached();
    view.attach(buffer);
    assert!(view.is_running() && view.capacity() >= 100);
    assert_eq!(SharedStack::<u64>::from_buffer(vec![1, 2]).len(), 0);
}

#[test]
fn memory_views_are_frame_relative() {
    let mut root = SharedMemory::new();
    root.resize(64).unwrap();
    root.set(0, &[1; 32]).unwrap();
    root.set(32, &[2; 32]).unwrap();
    let mut child = root.enter_child().unwrap();
    assert_eq!(child.local_offset(), 64);
    assert_eq!(child.len(), 0);
    assert_eq!(
        child.slice(0, 1),
        Err(MemoryError::OutOfBounds {
            offset: 0,
            len: 1,
            size: 0
        })
    );
    assert_eq!(child.global_slice(30..34).unwrap(), &[1, 1, 2, 2]);
    assert!(child.global_slice(60..70).is_err());
    #[allow(clippy::reversed_empty_ranges)]
    let reversed = child.global_slice(10..5);
    assert!(reversed.is_err());
    child.resize(32).unwrap();
    assert_eq!(child.global_len(), 96);
    child.set(0, &[3; 32]).unwrap();
    assert_eq!(
        child.set(16, &[0; 32]),
        Err(MemoryError::OutOfBounds {
            offset: 16,
            len: 32,
            size: 32
        })
    );
    assert_eq!(
        child.set(usize::MAX, &[0; 2]).unwrap_err(),
        MemoryError::OutOfBounds {
            offset: usize::MAX,
            len: 2,
            size: 32
        }
    );
    // Parent memory is unreachable for writes and unchanged.
    root.resume(&mut child).unwrap();
    assert_eq!(root.len(), 64);
    assert_eq!(
        root.slice(0, 64).unwrap()[..],
        [[1u8; 32], [2u8; 32]].concat()[..]
    );
    assert_eq!(root.as_slice().len(), 64);
    assert_eq!(child.resize(1), Err(MemoryError::Suspended));
}

#[test]
fn memory_copy_set_data_and_limit() {
    let mut m = SharedMemory::with_limit(100);
    m.resize(64).unwrap();
    m.set(0, &[1, 2, 3, 4, 5, 6, 7, 8]).unwrap();
    m.copy(2, 0, 6).unwrap(); // overlapping MCOPY
    assert_eq!(m.slice(0, 8).unwrap(), &[1, 2, 1, 2, 3, 4, 5, 6]);
    assert!(m.copy(60, 0, 8).is_err());
    m.set_data(10, 2, 6, &[9, 9, 7, 7]).unwrap();
    assert_eq!(m.slice(10, 6).unwrap(), &[7, 7, 0, 0, 0, 0]);
    m.set_data(20, 99, 4, &[1]).unwrap(); // data offset beyond data: all zero
    assert_eq!(m.slice(20, 4).unwrap(), &[0; 4]);
    assert_eq!(
        m.resize(101),
        Err(MemoryError::LimitExceeded {
            requested: 101,
            limit: 100
        })
    );
    let mut child = m.enter_child().unwrap();
    assert_eq!(child.limit(), 100);
    assert_eq!(
        child.resize(40),
        Err(MemoryError::LimitExceeded {
            requested: 104,
            limit: 100
        })
    );
    assert!(child.resize(usize::MAX).is_err());
    child.resize(36).unwrap();
    child.slice_mut(0, 4).unwrap().copy_from_slice(&[4; 4]);
    child.clear();
    assert!(child.is_empty());
    m.resume(&mut child).unwrap();
    assert!(m.is_running() && !m.is_suspended());
    assert_eq!(m.depth(), 0);
    assert!(m.capacity() >= 64);
}

// ---- EVM rules ---------------------------------------------------------------------

#[test]
fn depth_limit_is_1024_and_the_1025th_call_fails_without_leaking() {
    on_big_stack(|| {
        let (m, _) = manual(FramePoolConfig::balanced());
        let before = m.statistics();
        let mut root = m.acquire(FrameKind::Call, None).unwrap();
        let mut reached = 0;
        nest(
            &m,
            &mut root,
            FrameKind::Call,
            CALL_DEPTH_LIMIT,
            &mut |deepest| {
                reached = deepest.depth();
                assert_eq!(
                    m.acquire(FrameKind::Call, Some(deepest)).unwrap_err(),
                    FrameError::DepthLimit { limit: 1024 }
                );
                assert_eq!(m.statistics().total.in_use, 1025);
            },
        );
        assert_eq!(reached, 1024);
        drop(root);
        let after = m.statistics();
        assert_eq!(after.total.in_use, 0);
        assert_eq!(after.total.acquires(), 1025); // the refused call took nothing
        assert_eq!(after.total.returns, 1025);
        // Call's max is 512: the 1025 Call frames overflowed by 513, discarded on return.
        let call = after.class(FrameClass::Call).copied().unwrap();
        assert_eq!(
            (call.created, call.overflows, call.discards),
            (1025, 513, 513)
        );
        assert_eq!(call.available, 512);
        assert_eq!(
            after.total.created - after.total.discards,
            after.total.available
        );
        assert_eq!(before.total.available, 240); // balanced: 240 up front
        assert_eq!(m.tracker().kind(FrameKind::Call).rejected, 1);
        assert_eq!(
            FrameError::DepthLimit { limit: 1024 }.to_string(),
            "call depth limit of 1024 reached"
        );
    });
}

#[test]
fn eip150_forwards_all_but_one_64th_and_returns_unused_gas() {
    let (m, _) = manual(FramePoolConfig::balanced());
    let mut root = m
        .acquire_with(FrameRequest::new(FrameKind::Call).gas(1_000_000), None)
        .unwrap();
    assert_eq!(root.gas, Gas::new(1_000_000)); // the root gets exactly what it asked
    assert!(root.gas.spend(36_000));
    {
        // Asking for everything: 964_000 - 964_000 / 64 = 948_938.
        let mut child = m.acquire(FrameKind::Call, Some(&mut root)).unwrap();
        assert_eq!(child.gas.limit, 964_000 - 964_000 / 64);
        assert_eq!(child.gas.limit, 948_938);
        assert!(child.gas.spend(8_938));
        child.gas.refunded = 4_800;
    }
    assert_eq!(root.gas.remaining, 964_000 - 8_938);
    assert_eq!(root.gas.refunded, 4_800);
    {
        // Asking for less than the cap: gets exactly that.
        let child = m
            .acquire_with(
                FrameRequest::new(FrameKind::Call).gas(10_000),
                Some(&mut root),
            )
            .unwrap();
        assert_eq!(child.gas.limit, 10_000);
        assert_eq!(root_remaining_while(&child), 10_000);
    }
    assert_eq!(root.gas.remaining, 964_000 - 8_938);
    // Gas shrinks by 63/64 per level.
    let mut remaining = root.gas.remaining;
    nest(&m, &mut root, FrameKind::StaticCall, 3, &mut |bottom| {
        assert_eq!(bottom.depth(), 3);
        for _ in 0..3 {
            remaining -= remaining / 64;
        }
        assert_eq!(bottom.gas.limit, remaining);
    });
    assert_eq!(Gas::all_but_one_64th(63), 63);
    assert_eq!(Gas::all_but_one_64th(64), 63);
}

fn root_remaining_while(child: &Frame) -> u64 {
    child.gas.remaining
}

#[test]
fn static_frames_make_static_children_and_refuse_state_changes() {
    let (m, _) = manual(FramePoolConfig::balanced());
    let mut root = m.acquire(FrameKind::Call, None).unwrap();
    assert!(!root.is_static());
    let mut sc = m.acquire(FrameKind::StaticCall, Some(&mut root)).unwrap();
    assert!(sc.is_static());
    let value = [1u8; 32];
    for kind in [FrameKind::Create, FrameKind::Create2] {
        assert_eq!(
            m.acquire(kind, Some(&mut sc)).unwrap_err(),
            FrameError::StaticViolation { kind }
        );
    }
    assert_eq!(
        m.acquire_with(
            FrameRequest::new(FrameKind::Call).value(value),
            Some(&mut sc)
        )
        .unwrap_err(),
        FrameError::StaticViolation {
            kind: FrameKind::Call
        }
    );
    // Allowed: a value-less CALL (static too), CALLCODE with value, DELEGATECALL.
    {
        let mut call = m.acquire(FrameKind::Call, Some(&mut sc)).unwrap();
        assert!(call.is_static());
        // Static all the way down.
        let deeper = m.acquire(FrameKind::DelegateCall, Some(&mut call)).unwrap();
        assert!(deeper.is_static());
    }
    drop(
        m.acquire_with(
            FrameRequest::new(FrameKind::CallCode).value(value),
            Some(&mut sc),
        )
        .unwrap(),
    );
    drop(sc);
    // Outside static context the same requests are fine.
    drop(m.acquire(FrameKind::Create2, Some(&mut root)).unwrap());
    drop(
        m.acquire_with(
            FrameRequest::new(FrameKind::Call).value(value),
            Some(&mut root),
        )
        .unwrap(),
    );
    let s = m.statistics().total;
    assert_eq!(s.in_use, 1);
    assert_eq!(m.tracker().kind(FrameKind::Create).rejected, 1);
    assert_eq!(m.tracker().kind(FrameKind::Call).rejected, 1);
    assert!(
        FrameError::StaticViolation {
            kind: FrameKind::Create2
        }
        .to_string()
        .contains("CREATE2")
    );
}

#[test]
fn precompiles_have_no_children() {
    let (m, _) = manual(FramePoolConfig::minimal());
    let mut root = m.acquire(FrameKind::Call, None).unwrap();
    let mut pre = m.acquire(FrameKind::Precompile, Some(&mut root)).unwrap();
    for kind in FrameKind::ALL {
        assert_eq!(
            m.acquire(kind, Some(&mut pre)).unwrap_err(),
            FrameError::PrecompileHasNoChildren
        );
    }
    assert_eq!(m.statistics().total.in_use, 2);
}

#[test]
fn call_context_follows_the_evm() {
    let (m, _) = manual(FramePoolConfig::balanced());
    let (alice, bob, carol) = ([0xa; 20], [0xb; 20], [0xc; 20]);
    let value = [5; 32];
    let mut root = m
        .acquire_with(
            FrameRequest::new(FrameKind::Call)
                .origin(alice)
                .target(bob)
                .value(value)
                .input(&[1, 2, 3]),
            None,
        )
        .unwrap();
    assert_eq!((root.caller, root.address, root.value), (alice, bob, value));
    assert_eq!(root.input, [1, 2, 3]);
    {
        let d = m
            .acquire_with(
                FrameRequest::new(FrameKind::DelegateCall).target(carol),
                Some(&mut root),
            )
            .unwrap();
        assert_eq!((d.caller, d.address, d.value), (alice, bob, value));
    }
    {
        let c = m
            .acquire_with(
                FrameRequest::new(FrameKind::CallCode).target(carol),
                Some(&mut root),
            )
            .unwrap();
        assert_eq!((c.caller, c.address, c.value), (bob, bob, [0; 32]));
    }
    {
        let s = m
            .acquire_with(
                FrameRequest::new(FrameKind::StaticCall)
                    .target(carol)
                    .value(value),
                Some(&mut root),
            )
            .unwrap();
        assert_eq!((s.caller, s.address, s.value), (bob, carol, [0; 32]));
        assert_eq!(s.kind(), FrameKind::StaticCall);
        assert!(s.usage_count() >= 1);
    }
}

#[test]
fn frames_release_in_lifo_order_and_parents_resume_intact() {
    let (m, _) = manual(FramePoolConfig::balanced());
    let mut root = m.acquire(FrameKind::Call, None).unwrap();
    root.stack_mut().push(11).unwrap();
    root.memory_mut().resize(32).unwrap();
    root.memory_mut().set(0, &[0xee; 32]).unwrap();
    {
        let mut child = m.acquire(FrameKind::Call, Some(&mut root)).unwrap();
        assert_eq!(child.stack().base(), 1);
        assert_eq!(child.memory().local_offset(), 32);
        child.stack_mut().push(22).unwrap();
        child.memory_mut().resize(64).unwrap();
        child.memory_mut().set(0, &[0x11; 64]).unwrap();
        {
            let mut grandchild = m.acquire(FrameKind::Call, Some(&mut child)).unwrap();
            assert_eq!(grandchild.stack().base(), 2);
            assert_eq!(grandchild.memory().local_offset(), 96);
            grandchild.stack_mut().push(33).unwrap();
            grandchild.memory_mut().resize(32).unwrap();
        }
        assert_eq!(child.stack().as_slice(), &[22]);
        assert_eq!(child.memory().len(), 64);
        assert_eq!(child.memory().slice(0, 64).unwrap(), &[0x11; 64]);
        child.release();
    }
    assert_eq!(root.stack().as_slice(), &[11]);
    assert_eq!(root.memory().as_slice(), &[0xee; 32]);
    assert_eq!(root.memory().global_len(), 32);
    drop(root);
    let b = m.statistics().buffers;
    assert_eq!((b.trees, b.spare, b.link_errors), (1, 1, 0));
    assert!(b.peak_memory_bytes >= 128);
    // The next tree reuses the buffers, capacity included.
    let root = m.acquire(FrameKind::Call, None).unwrap();
    assert!(root.memory().capacity() >= 128);
    assert!(root.stack().is_empty() && root.memory().is_empty());
    assert_eq!(m.statistics().buffers.reused, 1);
}

#[test]
fn swapped_out_views_are_counted_not_panicked_on() {
    let (m, _) = manual(FramePoolConfig::balanced());
    let mut root = m.acquire(FrameKind::Call, None).unwrap();
    {
        let mut child = m.acquire(FrameKind::Call, Some(&mut root)).unwrap();
        // A user who swaps the view out breaks the chain: the release cannot hand the
        // buffer back. It is counted, and the parent reports it is not running.
        *child.stack_mut() = SharedStack::new();
    }
    assert_eq!(m.statistics().buffers.link_errors, 1);
    assert_eq!(root.stack_mut().push(1), Err(StackError::Suspended));
    assert_eq!(
        m.acquire(FrameKind::Call, Some(&mut root)).unwrap_err(),
        FrameError::ParentNotRunning
    );
    drop(root);
    assert_eq!(m.statistics().total.in_use, 0);
}

// ---- pools, size classes, overflow -------------------------------------------------

#[test]
fn size_classes_keep_big_frames_for_big_calls() {
    let mut config = small_config(0, 8);
    config.size_classes = vec![1024, 64 * 1024];
    let (m, _) = manual(config);
    let big_input = vec![0u8; 60_000];
    let mut root = m.acquire(FrameKind::Regular, None).unwrap();
    let call = |input: &[u8], root: &mut Frame| -> (u64, usize) {
        let frame = m
            .acquire_with(FrameRequest::new(FrameKind::Call).input(input), Some(root))
            .unwrap();
        (frame.pool_id(), frame.retained_bytes())
    };
    // Two frames side by side: one grows to 100 bytes, one to 60 KB.
    let (small_id, big_id) = {
        let small = m
            .acquire_with(
                FrameRequest::new(FrameKind::Call).input(&[1; 100]),
                Some(&mut root),
            )
            .unwrap();
        let id = small.pool_id();
        drop(small);
        let (big_id, big_bytes) = call(&big_input, &mut root);
        // The only idle frame was the small one: taken (nothing fitting was free) and grown.
        assert_eq!(big_id, id);
        assert!(big_bytes >= 60_000);
        let mut first = m
            .acquire_with(
                FrameRequest::new(FrameKind::Call).input(&[1; 100]),
                Some(&mut root),
            )
            .unwrap();
        assert_eq!(
            first.pool_id(),
            big_id,
            "only one idle frame, whatever its size"
        );
        let second = m
            .acquire_with(
                FrameRequest::new(FrameKind::Call).input(&[1; 100]),
                Some(&mut first),
            )
            .unwrap();
        let small_id = second.pool_id();
        (small_id, big_id)
    };
    // Now one small (<= 1 KiB) and one big (<= 64 KiB) frame are idle.
    assert_eq!(
        call(&[2; 200], &mut root).0,
        small_id,
        "a 200-byte call gets the small frame"
    );
    assert_eq!(
        call(&big_input[..50_000], &mut root).0,
        big_id,
        "a 50 KB call gets the big one"
    );
    assert_eq!(call(&[], &mut root).0, small_id);
    let s = m.statistics();
    assert_eq!(s.class(FrameClass::Call).unwrap().created, 2);
    assert_eq!(s.class(FrameClass::Call).unwrap().hits, 5);
    assert_eq!(s.class(FrameClass::Call).unwrap().misses, 2);
}

#[test]
fn a_small_call_takes_a_bigger_frame_when_nothing_smaller_is_free() {
    let mut config = small_config(0, 8);
    config.size_classes = vec![1024];
    let (m, _) = manual(config);
    let mut root = m.acquire(FrameKind::Regular, None).unwrap();
    let big_id = {
        let big = m
            .acquire_with(
                FrameRequest::new(FrameKind::Call).input(&[0; 4096]),
                Some(&mut root),
            )
            .unwrap();
        big.pool_id()
    };
    let small = m
        .acquire_with(
            FrameRequest::new(FrameKind::Call).input(&[1; 8]),
            Some(&mut root),
        )
        .unwrap();
    assert_eq!(small.pool_id(), big_id);
    assert_eq!(small.input, [1; 8]);
    drop(small);
    let s = m.statistics().class(FrameClass::Call).copied().unwrap();
    assert_eq!((s.hits, s.misses, s.created), (1, 1, 1));
}

#[test]
fn frames_over_one_mib_are_dropped_not_pooled() {
    let (m, _) = manual(small_config(0, 8));
    let huge = vec![0u8; (1 << 20) + 1];
    let mut root = m.acquire(FrameKind::Regular, None).unwrap();
    drop(
        m.acquire_with(
            FrameRequest::new(FrameKind::Create).input(&huge),
            Some(&mut root),
        )
        .unwrap(),
    );
    let s = m.statistics().class(FrameClass::Create).copied().unwrap();
    assert_eq!((s.returns, s.discards, s.available), (1, 1, 0));
    assert_eq!(m.owned(FrameClass::Create), 0);
    drop(
        m.acquire_with(
            FrameRequest::new(FrameKind::Create).input(&huge[..1 << 20]),
            Some(&mut root),
        )
        .unwrap(),
    );
    assert_eq!(
        m.statistics().class(FrameClass::Create).unwrap().available,
        1
    );
}

#[test]
fn overflow_beyond_max_is_counted_and_discarded() {
    let (m, _) = manual(small_config(1, 2));
    let mut root = m.acquire(FrameKind::Call, None).unwrap();
    let mut a = m.acquire(FrameKind::Call, Some(&mut root)).unwrap();
    let b = m.acquire(FrameKind::Call, Some(&mut a)).unwrap(); // 3rd Call frame: max is 2
    drop(b);
    drop(a);
    drop(root);
    let s = m.statistics().class(FrameClass::Call).copied().unwrap();
    assert_eq!((s.hits, s.misses, s.overflows, s.created), (1, 2, 1, 3));
    assert_eq!((s.returns, s.discards, s.available, s.in_use), (3, 1, 2, 0));
}

#[test]
fn fail_policy_is_a_typed_error() {
    let mut config = small_config(1, 1);
    if let ClassLayout::PerKind(classes) = &mut config.classes {
        classes[FrameClass::Call.index()].overflow = OverflowPolicy::Fail;
    }
    let (m, _) = manual(config);
    let mut root = m.acquire(FrameKind::Call, None).unwrap();
    assert_eq!(
        m.acquire(FrameKind::CallCode, Some(&mut root)).unwrap_err(),
        FrameError::Exhausted {
            class: FrameClass::Call,
            max: 1
        }
    );
    let s = m.statistics().class(FrameClass::Call).copied().unwrap();
    assert_eq!((s.in_use, s.created, s.overflows), (1, 1, 1));
    // `returns` is derived (hits + misses − refusals − in use): the refusal is no return.
    assert_eq!((s.hits + s.misses, s.returns), (2, 0));
    drop(root);
    let s = m.statistics().class(FrameClass::Call).copied().unwrap();
    assert_eq!((s.in_use, s.returns), (0, 1));
    let root = m.acquire(FrameKind::Call, None).unwrap();
    drop(root);
    let s = m.statistics().class(FrameClass::Call).copied().unwrap();
    assert_eq!((s.hits, s.in_use, s.returns), (2, 0, 2));
}

#[test]
fn disabled_allocates_every_frame_with_its_own_stack() {
    let (m, _) = manual(FramePoolConfig::disabled());
    assert_eq!(m.statistics().total.available, 0);
    for _ in 0..3 {
        let mut root = m.acquire(FrameKind::Call, None).unwrap();
        root.stack_mut().push(1).unwrap();
        let mut child = m.acquire(FrameKind::Call, Some(&mut root)).unwrap();
        assert!(child.stack().capacity() >= STACK_LIMIT);
        assert_eq!(child.stack().base(), 0, "not shared: its own buffer");
        child.stack_mut().push(2).unwrap();
        drop(child);
        assert_eq!(
            root.stack().as_slice(),
            &[1],
            "the parent kept its own buffer"
        );
    }
    let s = m.statistics().total;
    assert_eq!(
        (s.hits, s.misses, s.created, s.discards, s.available),
        (0, 6, 6, 6, 0)
    );
    assert_eq!(m.bytes_held(), 0);
}

#[test]
fn minimal_shares_one_class() {
    let (m, _) = manual(FramePoolConfig::minimal());
    let mut root = m.acquire(FrameKind::Create, None).unwrap();
    drop(m.acquire(FrameKind::System, Some(&mut root)).unwrap());
    let s = m.statistics();
    assert_eq!(s.classes.len(), 1);
    assert_eq!(s.classes[0].class, None);
    assert_eq!(s.class(FrameClass::System).unwrap().hits, 2);
    assert_eq!(m.owned(FrameClass::Precompile), 32);
}

// ---- tuning, cleanup, pressure ------------------------------------------------------

fn chain(m: &Manager, kind: FrameKind, n: usize) {
    let mut root = m.acquire(FrameKind::Regular, None).unwrap();
    nest(m, &mut root, kind, n, &mut |_| {});
}

#[test]
fn auto_tune_grows_classes_that_miss() {
    let mut config = small_config(4, 20);
    config.auto_tune = true;
    let (m, _) = manual(config);
    chain(&m, FrameKind::Call, 5); // 4 hits, 1 miss: 80%, not below
    let report = m.auto_tune();
    assert_eq!(report.grown, 0);
    assert_eq!(m.owned(FrameClass::Call), 5);
    chain(&m, FrameKind::Call, 7); // 5 hits, 2 misses: 71%
    let report = m.auto_tune();
    assert_eq!((report.grown, report.frames_created), (1, 3)); // 7 * 1.3 = 9.1 -> 10
    assert_eq!(m.owned(FrameClass::Call), 10);
    let s = m.statistics().class(FrameClass::Call).copied().unwrap();
    assert_eq!((s.expansions, s.available), (1, 10));
    // Growth stops at max.
    chain(&m, FrameKind::Call, 19);
    m.auto_tune();
    assert_eq!(m.owned(FrameClass::Call), 20);
    chain(&m, FrameKind::Call, 40);
    m.auto_tune();
    assert_eq!(m.owned(FrameClass::Call), 20);
}

#[test]
fn auto_tune_shrinks_idle_classes_but_not_below_initial() {
    let mut config = small_config(4, 100);
    config.auto_tune = true;
    let (m, _) = manual(config);
    chain(&m, FrameKind::Create, 60); // grows Create to 60 owned
    m.auto_tune(); // window: 4 hits / 60: grows to 78
    assert_eq!(m.owned(FrameClass::Create), 78);
    chain(&m, FrameKind::Create, 1); // window peak 1 of 78: utilization 1.3% < 30%
    let report = m.auto_tune();
    assert_eq!(report.shrunk, 1);
    assert_eq!(m.owned(FrameClass::Create), 4); // max(initial 4, ceil(1 x 1.3))
    assert_eq!(
        m.statistics().class(FrameClass::Create).unwrap().shrinkages,
        1
    );
    // An idle window (peak 0) never goes below initial.
    m.auto_tune();
    assert_eq!(m.owned(FrameClass::Create), 4);
}

#[test]
fn auto_tune_off_changes_nothing() {
    let (m, _) = manual(FramePoolConfig::minimal());
    chain(&m, FrameKind::Call, 100);
    assert_eq!(m.auto_tune(), TuneReport::default());
    assert_eq!(m.owned(FrameClass::Call), 101);
}

#[test]
fn cleanup_drops_idle_rarely_used_frames_on_a_fake_clock() {
    let (m, clock) = manual(small_config(0, 100));
    chain(&m, FrameKind::Call, 10); // 10 Call frames, each used once
    for _ in 0..5 {
        chain(&m, FrameKind::DelegateCall, 3); // 3 frames used 5 times each
    }
    clock.advance(Duration::from_secs(30));
    assert_eq!(
        m.cleanup().frames_dropped,
        0,
        "30 s is not longer than 30 s"
    );
    clock.advance(Duration::from_millis(1));
    let report = m.cleanup();
    // 10 Call frames and the Regular roots (used 15 times; the single root frame was
    // reused, so 1 Regular frame with 15 uses stays).
    assert_eq!(report.frames_dropped, 10);
    assert!(report.bytes_freed >= 10 * size_of::<Frame>() as u64);
    assert_eq!(m.owned(FrameClass::Call), 0);
    assert_eq!(m.owned(FrameClass::DelegateCall), 3);
    assert_eq!(m.owned(FrameClass::Regular), 1);
    assert_eq!(
        m.statistics().class(FrameClass::Call).unwrap().shrinkages,
        1
    );
}

#[test]
fn maintenance_runs_at_the_cleanup_interval() {
    let mut config = small_config(0, 100);
    config.cleanup_interval = Duration::from_secs(10);
    let (m, clock) = manual(config);
    chain(&m, FrameKind::Call, 3);
    clock.advance(Duration::from_secs(31));
    // The next transaction starts a maintenance tick: the 3 stale Call frames go.
    let root = m.acquire(FrameKind::Regular, None).unwrap();
    assert_eq!(m.owned(FrameClass::Call), 0);
    assert_eq!(root.last_used(), Duration::ZERO);
    drop(root);
    // Released frames carry the transaction's time.
    let root = m.acquire(FrameKind::Regular, None).unwrap();
    assert_eq!(root.last_used(), Duration::from_secs(31));
}

#[test]
fn memory_pressure_trims_toward_initial_and_forces_at_95_percent() {
    let frame = size_of::<Frame>() as u64;
    let mut config = small_config(2, 100);
    config.memory_budget = 1 << 30;
    config.pressure_threshold = 0.5;
    let (m, _) = manual(config);
    chain(&m, FrameKind::Call, 22); // Call: 22 owned, idle
    let held = m.bytes_held();
    assert_eq!(m.check_memory_pressure().level, PressureLevel::Normal);

    // Budget so that `held` is between 50% and 95%: High, Call halves toward 2.
    let mut config = small_config(2, 100);
    config.memory_budget = held * 100 / 70;
    config.pressure_threshold = 0.5;
    let (m, _) = manual(config);
    chain(&m, FrameKind::Call, 22);
    let report = m.check_memory_pressure();
    assert_eq!(report.level, PressureLevel::High);
    assert_eq!(m.owned(FrameClass::Call), 12); // 2 + (22 - 2) / 2
    assert_eq!(report.frames_dropped, 10);
    assert_eq!(report.bytes_before - report.bytes_after, 10 * frame);
    assert_eq!(m.statistics().buffers.spare, 1);

    // Above 95%: forced down to initial sizes, spare tree buffers dropped.
    let mut config = small_config(2, 100);
    config.memory_budget = held;
    let (m, _) = manual(config);
    chain(&m, FrameKind::Call, 22);
    let report = m.check_memory_pressure();
    assert_eq!(report.level, PressureLevel::Critical);
    assert_eq!(m.owned(FrameClass::Call), 2);
    assert_eq!(
        m.owned(FrameClass::Create),
        2,
        "already at initial: untouched"
    );
    assert_eq!(m.statistics().buffers.spare, 0);
}

#[test]
fn pressure_handling_runs_at_maintenance_when_on() {
    for (handling, expected) in [(true, 2), (false, 22)] {
        let mut config = small_config(2, 100);
        config.memory_budget = 1024; // always critical
        config.pressure_handling = handling;
        config.idle_timeout = Duration::from_secs(3600);
        let (m, clock) = manual(config);
        chain(&m, FrameKind::Call, 22);
        clock.advance(Duration::from_secs(31));
        drop(m.acquire(FrameKind::Regular, None).unwrap());
        assert_eq!(m.owned(FrameClass::Call), expected);
    }
}

// ---- the nested API's lazy clock ---------------------------------------------------

/// One nested call tree: a `Regular` root and a chain of `kinds` below it. Returns the
/// pool ids of the frames it released.
fn nested_tree(m: &mut Manager, kinds: &[FrameKind]) -> Vec<u64> {
    nested_tree_with(m, kinds, &mut |_| {})
}

/// [`nested_tree`] that calls `at_bottom` with the manager (read-only, as
/// `CallFrame::manager` gives it) in the deepest frame.
fn nested_tree_with(
    m: &mut Manager,
    kinds: &[FrameKind],
    at_bottom: &mut dyn FnMut(&Manager),
) -> Vec<u64> {
    fn go(
        frame: &mut CallFrame<'_, u64>,
        kinds: &[FrameKind],
        ids: &mut Vec<u64>,
        at_bottom: &mut dyn FnMut(&Manager),
    ) {
        match kinds.split_first() {
            Some((&kind, rest)) => {
                let mut child = frame.call(&FrameRequest::new(kind)).unwrap();
                go(&mut child, rest, ids, at_bottom);
                ids.push(child.frame().pool_id());
            }
            None => at_bottom(frame.manager()),
        }
    }
    let mut ids = Vec::new();
    let mut tree = m.call_tree();
    let mut root = tree.root(&FrameRequest::new(FrameKind::Regular)).unwrap();
    go(&mut root, kinds, &mut ids, at_bottom);
    ids.push(root.frame().pool_id());
    ids
}

/// A clock reading taken inside a tree (a `cleanup` or a guard transaction through
/// `CallFrame::manager`) does not end the lazy re-stamping: the frames the tree releases
/// after it still get the next reading, and guard pops inside the tree keep the marks.
#[test]
fn a_reading_inside_a_tree_keeps_the_frames_released_after_it_stamped() {
    let (mut m, clock) = manual(small_config(0, 100));
    let ids = nested_tree(&mut m, &[FrameKind::Call, FrameKind::Call]); // reads at 0
    clock.advance(Duration::from_secs(25));
    let again = nested_tree_with(&mut m, &[FrameKind::Call, FrameKind::Call], &mut |m| {
        m.cleanup(); // a reading at 25 s, before the tree's frames are released
        drop(m.acquire(FrameKind::Call, None).unwrap()); // guard: pops and pushes
    });
    assert_eq!(again.len(), ids.len());
    clock.advance(Duration::from_secs(10)); // released at 25 s: idle 10 s
    assert_eq!(m.cleanup().frames_dropped, 0);
    for (id, at) in idle_stamps(&m) {
        assert!(at >= Duration::from_secs(25), "frame {id} stamped {at:?}");
    }
}

fn idle_stamps(m: &Manager) -> Vec<(u64, Duration)> {
    let mut stamps = Vec::new();
    m.for_each_idle(|frame| stamps.push((frame.pool_id(), frame.last_used())));
    stamps.sort();
    stamps
}

/// A lazy tree runs on an earlier tree's reading; the frames it releases must not be
/// stamped with that older reading (cleanup would then drop them early) but with the
/// first reading after their release.
#[test]
fn lazy_clock_never_drops_a_frame_before_its_idle_time() {
    let (mut m, clock) = manual(small_config(0, 100));
    let ids = nested_tree(&mut m, &[FrameKind::Call]); // reads the clock: t = 0
    clock.advance(Duration::from_secs(25));
    assert_eq!(nested_tree(&mut m, &[FrameKind::Call]), ids); // lazy: no reading, t = 25 s
    clock.advance(Duration::from_secs(10)); // truly idle 10 s; 35 s since the last reading
    assert_eq!(m.cleanup().frames_dropped, 0);
    // Stamped with the first reading after their release (cleanup's, at 35 s).
    let stamps = idle_stamps(&m);
    assert_eq!(stamps.len(), 2);
    assert!(stamps.iter().all(|&(_, at)| at == Duration::from_secs(35)));
    clock.advance(Duration::from_secs(30));
    assert_eq!(
        m.cleanup().frames_dropped,
        0,
        "30 s is not longer than 30 s"
    );
    clock.advance(Duration::from_millis(1));
    assert_eq!(m.cleanup().frames_dropped, 2);
}

/// The lazy clock reads once per `trees_per_clock_reading` trees (32 in the presets), so
/// maintenance waits for the next reading (at most that many trees); frames released by
/// lazy trees take the next reading of any kind, here a guard transaction's.
#[test]
fn lazy_clock_reads_every_32_trees_and_maintenance_waits_for_a_reading() {
    let mut config = small_config(0, 100);
    assert_eq!(config.trees_per_clock_reading, 32);
    config.cleanup_interval = Duration::from_secs(10);
    let (mut m, clock) = manual(config);
    // A guard transaction at t = 0 leaves one Call frame stamped 0.
    chain(&m, FrameKind::Call, 1);
    nested_tree(&mut m, &[]); // the manager's first nested tree reads the clock
    clock.advance(Duration::from_secs(31));
    for tree in 2..=32 {
        nested_tree(&mut m, &[]);
        assert_eq!(m.owned(FrameClass::Call), 1, "tree {tree} reads no clock");
    }
    nested_tree(&mut m, &[]); // tree 33 reads: maintenance drops the stale Call frame
    assert_eq!(m.owned(FrameClass::Call), 0);

    // Lazy trees' frames get the next reading, here a guard transaction's.
    nested_tree(&mut m, &[FrameKind::StaticCall]); // lazy (tree 34)
    clock.advance(Duration::from_secs(5));
    let ids = nested_tree(&mut m, &[FrameKind::StaticCall]); // lazy, released at 36 s
    clock.advance(Duration::from_secs(1));
    drop(m.acquire(FrameKind::System, None).unwrap()); // guard: reads 37 s
    let stamps = idle_stamps(&m);
    for id in ids {
        let at = stamps.iter().find(|&&(i, _)| i == id).unwrap().1;
        assert_eq!(at, Duration::from_secs(37), "frame {id}");
    }
}

/// `trees_per_clock_reading` sets the stretch: with 4, trees 1, 5, 9, ... read the clock
/// (and maintain when due), and a frame released by tree 2 gets tree 5's reading; with 1
/// every tree reads it, so its frames carry the next tree's start.
#[test]
fn trees_per_clock_reading_sets_the_stretch() {
    let mut config = small_config(0, 100);
    config.cleanup_interval = Duration::from_secs(10);
    config.trees_per_clock_reading = 4;
    let (mut m, clock) = manual(config.clone());
    chain(&m, FrameKind::Call, 1); // a Call frame stamped 0
    nested_tree(&mut m, &[]); // tree 1 reads
    clock.advance(Duration::from_secs(31));
    let ids = nested_tree(&mut m, &[FrameKind::StaticCall]); // tree 2, lazy
    for tree in 3..=4 {
        nested_tree(&mut m, &[]);
        assert_eq!(m.owned(FrameClass::Call), 1, "tree {tree} reads no clock");
    }
    clock.advance(Duration::from_secs(2));
    nested_tree(&mut m, &[]); // tree 5 reads 33 s: re-stamps, then maintains
    assert_eq!(m.owned(FrameClass::Call), 0, "dropped at tree 5");
    let stamps = idle_stamps(&m);
    for id in ids {
        let at = stamps.iter().find(|&&(i, _)| i == id).unwrap().1;
        assert_eq!(at, Duration::from_secs(33), "frame {id}");
    }

    config.trees_per_clock_reading = 1;
    let (mut m, clock) = manual(config);
    chain(&m, FrameKind::Call, 1);
    nested_tree(&mut m, &[]);
    clock.advance(Duration::from_secs(31));
    let ids = nested_tree(&mut m, &[FrameKind::StaticCall]); // reads 31 s, maintains
    assert_eq!(
        m.owned(FrameClass::Call),
        0,
        "dropped at the very next tree"
    );
    clock.advance(Duration::from_secs(1));
    nested_tree(&mut m, &[]); // reads 32 s: the StaticCall frame's stamp
    let stamps = idle_stamps(&m);
    for id in ids {
        let at = stamps.iter().find(|&&(i, _)| i == id).unwrap().1;
        assert_eq!(at, Duration::from_secs(32), "frame {id}");
    }
}

#[derive(Clone, Debug)]
enum ClockOp {
    Advance(u64),
    /// A nested tree; with `Some(kind)` a cleanup and a guard transaction of `kind` run
    /// inside it, in its deepest frame.
    Tree(Vec<FrameKind>, Option<FrameKind>),
    Guard(FrameKind),
    Cleanup,
}

fn clock_op() -> impl Strategy<Value = ClockOp> {
    let kind = prop::sample::select(vec![
        FrameKind::Call,
        FrameKind::StaticCall,
        FrameKind::DelegateCall,
    ]);
    prop_oneof![
        (0u64..=20).prop_map(ClockOp::Advance),
        (
            prop::collection::vec(kind.clone(), 0..4),
            prop::option::of(kind.clone())
        )
            .prop_map(|(kinds, inner)| ClockOp::Tree(kinds, inner)),
        kind.prop_map(ClockOp::Guard),
        Just(ClockOp::Cleanup),
    ]
}

proptest! {
    /// Whatever mix of lazy trees, guard transactions, clock moves and cleanups, and
    /// whatever `trees_per_clock_reading`: no frame is ever dropped before it has truly
    /// been idle longer than the idle timeout, and after any reading no idle frame
    /// carries a stamp before its release.
    #[test]
    #[cfg_attr(miri, ignore = "hundreds of trees per case; the lazy clock has no unsafe")]
    fn lazy_clock_never_drops_early(
        ops in prop::collection::vec(clock_op(), 1..120),
        trees_per_clock_reading in prop::sample::select(vec![1u32, 2, 5, 32]),
    ) {
        let mut config = small_config(0, 100);
        config.trees_per_clock_reading = trees_per_clock_reading;
        config.cleanup_interval = Duration::from_secs(7);
        config.idle_timeout = Duration::from_secs(30);
        let (mut m, clock) = manual(config);
        let mut released = std::collections::HashMap::new();
        for op in ops {
            let before: HashSet<u64> = idle_stamps(&m).into_iter().map(|(id, _)| id).collect();
            let now = Clock::now(&clock);
            match op {
                ClockOp::Advance(s) => clock.advance(Duration::from_secs(s)),
                ClockOp::Tree(kinds, inner) => {
                    let mut inner_ids = Vec::new();
                    let ids = nested_tree_with(&mut m, &kinds, &mut |m| {
                        if let Some(kind) = inner {
                            m.cleanup();
                            let mut root = m.acquire(FrameKind::Regular, None).unwrap();
                            let child = m.acquire(kind, Some(&mut root)).unwrap();
                            inner_ids.push(child.pool_id());
                            drop(child);
                            inner_ids.push(root.pool_id());
                        }
                    });
                    for id in ids.into_iter().chain(inner_ids) {
                        released.insert(id, now);
                    }
                }
                ClockOp::Guard(kind) => {
                    let mut root = m.acquire(FrameKind::Regular, None).unwrap();
                    let child = m.acquire(kind, Some(&mut root)).unwrap();
                    released.insert(child.pool_id(), now);
                    drop(child);
                    released.insert(root.pool_id(), now);
                }
                ClockOp::Cleanup => {
                    m.cleanup();
                    for (id, at) in idle_stamps(&m) {
                        prop_assert!(at >= released[&id], "frame {id} stamped before its release");
                    }
                }
            }
            let after: HashSet<u64> = idle_stamps(&m).into_iter().map(|(id, _)| id).collect();
            for id in before.difference(&after) {
                let idle = now.saturating_sub(released[id]);
                prop_assert!(idle > Duration::from_secs(30), "frame {id} dropped after {idle:?} idle");
            }
        }
    }
}

// ---- config ------------------------------------------------------------------------

#[test]
fn presets_carry_the_spec_numbers() {
    let check = |config: FramePoolConfig,
                 initial: [usize; 8],
                 max: [usize; 8],
                 growth,
                 shrink,
                 pressure,
                 secs| {
        config.validate().unwrap();
        for (i, class) in FrameClass::ALL.into_iter().enumerate() {
            let c = config.class_config(class);
            assert_eq!((c.initial, c.max), (initial[i], max[i]), "{class}");
            assert_eq!((c.growth, c.shrink_threshold), (growth, shrink));
        }
        assert_eq!(config.pressure_threshold, pressure);
        assert_eq!(config.cleanup_interval, Duration::from_secs(secs));
        assert_eq!(config.idle_timeout, Duration::from_secs(30));
        assert_eq!((config.min_uses, config.max_pooled_bytes), (5, 1 << 20));
        config
    };
    let hp = check(
        FramePoolConfig::high_performance(),
        [128, 128, 64, 64, 32, 32, 16, 16],
        [1024, 1024, 512, 512, 256, 256, 128, 128],
        1.5,
        0.25,
        0.8,
        10,
    );
    assert!(hp.pressure_handling && hp.auto_tune && hp.shared_buffers);
    let balanced = check(
        FramePoolConfig::balanced(),
        [64, 64, 32, 32, 16, 16, 8, 8],
        [512, 512, 256, 256, 128, 128, 64, 64],
        1.3,
        0.3,
        0.7,
        30,
    );
    assert!(!balanced.pressure_handling && balanced.auto_tune);
    let minimal = check(
        FramePoolConfig::minimal(),
        [32; 8],
        [128; 8],
        1.2,
        0.2,
        0.9,
        60,
    );
    assert!(matches!(minimal.classes, ClassLayout::Shared(_)));
    assert!(minimal.size_classes.is_empty() && !minimal.auto_tune);
    let disabled = FramePoolConfig::disabled();
    disabled.validate().unwrap();
    assert!(!disabled.pooling_enabled() && !disabled.shared_buffers);
    assert_eq!(FramePoolConfig::default(), FramePoolConfig::balanced());
}

#[test]
fn bad_configs_are_typed_errors() {
    let base = FramePoolConfig::balanced;
    let mut c = base();
    if let ClassLayout::PerKind(classes) = &mut c.classes {
        classes[3].max = 1;
    }
    let error = Manager::new(c).unwrap_err();
    assert_eq!(
        error,
        ConfigError::Class {
            class: "StaticCall",
            error: Box::new(ConfigError::MaxBelowInitial {
                initial: 32,
                max: 1
            })
        }
    );
    assert!(
        error
            .to_string()
            .starts_with("frame class StaticCall: pool max (1)"),
        "{error}"
    );
    let mut c = FramePoolConfig::minimal();
    c.classes = ClassLayout::Shared(PoolConfig {
        growth: 0.9,
        ..PoolConfig::minimal()
    });
    assert!(matches!(
        c.validate(),
        Err(ConfigError::Class {
            class: "Shared",
            ..
        })
    ));
    let mut c = base();
    c.size_classes = vec![0, 10];
    assert!(matches!(
        c.validate(),
        Err(ConfigError::InvalidSizeClasses { .. })
    ));
    c.size_classes = vec![10, 10];
    assert!(matches!(
        c.validate(),
        Err(ConfigError::InvalidSizeClasses { .. })
    ));
    let mut c = base();
    c.pressure_threshold = f64::NAN;
    assert!(matches!(
        c.validate(),
        Err(ConfigError::ThresholdOutOfRange {
            name: "pressure_threshold",
            ..
        })
    ));
    let mut c = base();
    c.pressure_handling = true;
    c.memory_budget = 0;
    assert_eq!(
        c.validate(),
        Err(ConfigError::Invalid {
            name: "memory_budget",
            reason: "is 0 while pressure handling is on"
        })
    );
    let mut c = base();
    c.cleanup_interval = Duration::ZERO;
    assert!(matches!(
        c.validate(),
        Err(ConfigError::Invalid {
            name: "cleanup_interval",
            ..
        })
    ));
    let mut c = base();
    c.max_pooled_bytes = 0;
    assert!(matches!(
        c.validate(),
        Err(ConfigError::Invalid {
            name: "max_pooled_bytes",
            ..
        })
    ));
}

// ---- statistics and tracker --------------------------------------------------------

#[test]
fn tracker_timeline_is_bounded_and_drops_the_oldest() {
    let mut tracker = AllocationTracker::with_timeline();
    for i in 0..(TIMELINE_CAPACITY as u64 + 5) {
        tracker.record(FrameEvent {
            at: Duration::from_nanos(i),
            transaction: i,
            kind: FrameKind::Call,
            depth: 0,
            event: FrameEventKind::Acquire { hit: i % 2 == 0 },
        });
    }
    assert_eq!(tracker.timeline().len(), TIMELINE_CAPACITY);
    assert_eq!(tracker.dropped_events(), 5);
    assert_eq!(tracker.timeline().next().unwrap().transaction, 5);
    let c = tracker.kind(FrameKind::Call);
    assert_eq!((c.acquires, c.hits), (10_005, 5_003));
    let report = tracker.patterns();
    assert_eq!(report.transactions, 10_000);
    assert_eq!(report.frames_per_transaction(), 1.0);
    let mut sum = AllocationTracker::new();
    sum.merge(&tracker);
    sum.merge(&tracker);
    assert_eq!(sum.kind(FrameKind::Call).acquires, 20_010);
    assert_eq!(sum.timeline().len(), 0);
    assert!(
        tracker.to_string().contains("10000 events kept, 5 dropped"),
        "{tracker}"
    );
}

#[test]
fn tracker_reports_depth_kind_mix_and_frames_per_transaction() {
    let mut config = FramePoolConfig::balanced();
    config.track_timeline = true;
    let (m, _) = manual(config);
    for depth in [1, 3] {
        let mut root = m.acquire(FrameKind::Call, None).unwrap();
        nest(&m, &mut root, FrameKind::StaticCall, depth, &mut |_| {});
    }
    let tracker = m.tracker();
    assert_eq!(tracker.timeline().len(), 12); // 6 acquires + 6 releases
    let report = tracker.patterns();
    assert_eq!(report.acquires, 6);
    assert_eq!(report.transactions, 2);
    assert_eq!(report.max_frames_per_transaction, 4);
    assert_eq!(report.frames_per_transaction(), 3.0);
    assert_eq!(report.depth_histogram, vec![2, 2, 1, 1]);
    assert_eq!(report.max_depth, 3);
    assert_eq!(report.kind_mix[FrameKind::StaticCall.index()], 4);
    assert!((report.kind_share(FrameKind::Call) - 2.0 / 6.0).abs() < 1e-12);
    let text = report.to_string();
    assert!(
        text.contains("3.00 frames per transaction (max 4)"),
        "{text}"
    );
    assert!(text.contains("STATICCALL 66.7%"), "{text}");
    assert!(
        text.contains("depth distribution: 0:2 1:2 2:1 3:1"),
        "{text}"
    );
    // Without a timeline the kind mix still comes from the counters.
    let (m, _) = manual(FramePoolConfig::balanced());
    drop(m.acquire(FrameKind::Create, None).unwrap());
    let report = m.tracker().patterns();
    assert_eq!((report.acquires, report.transactions), (1, 0));
    assert_eq!(report.kind_mix[FrameKind::Create.index()], 1);
}

#[test]
fn statistics_display_and_merge() {
    let (a, _) = manual(FramePoolConfig::balanced());
    let (b, _) = manual(FramePoolConfig::balanced());
    chain(&a, FrameKind::Call, 2);
    chain(&b, FrameKind::Create, 1);
    let mut total = a.statistics();
    total.merge(&b.statistics());
    assert_eq!(total.total.acquires(), 5);
    assert_eq!(total.class(FrameClass::Call).unwrap().hits, 2);
    assert_eq!(total.class(FrameClass::Create).unwrap().hits, 1);
    assert_eq!(total.buffers.trees, 2);
    let mut shared = PoolStatistics::default();
    let (c, _) = manual(FramePoolConfig::minimal());
    chain(&c, FrameKind::Call, 1);
    shared.merge(&c.statistics());
    assert_eq!(shared.classes.len(), 1);
    let text = a.statistics().to_string();
    assert!(text.contains("Call"), "{text}");
    assert!(text.contains("total"), "{text}");
    assert!(text.contains("call trees 1"), "{text}");
    assert_eq!(a.to_string(), text);
    assert!(format!("{a:?}").contains("FramePoolManager"));
    let mut root = a.acquire(FrameKind::Call, None).unwrap();
    let child = a.acquire(FrameKind::Call, Some(&mut root)).unwrap();
    assert!(format!("{child:?}").contains("depth: 1"));
}

// ---- property: random well-formed call trees ---------------------------------------

#[derive(Clone, Debug)]
enum Op {
    /// Open a child: kind, value?, input length, words to push, memory words.
    Enter(FrameKind, bool, u16, u8, u8),
    /// Leave the current frame.
    Exit,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (
            proptest::sample::select(FrameKind::ALL.to_vec()),
            proptest::bool::weighted(0.2),
            0u16..if cfg!(miri) { 64 } else { 3000 },
            0u8..20,
            0u8..4
        )
            .prop_map(|(k, v, i, w, m)| Op::Enter(k, v, i, w, m)),
        2 => Just(Op::Exit),
    ]
}

/// One call tree: a spine of `spine` nested calls (up to past the depth limit), then
/// random enters and exits at the bottom.
fn tree() -> impl Strategy<Value = (Vec<FrameKind>, Vec<Op>)> {
    let spine_kinds = proptest::sample::select(vec![
        FrameKind::Call,
        FrameKind::DelegateCall,
        FrameKind::StaticCall,
        FrameKind::CallCode,
    ]);
    // Miri interprets every instruction: shallower trees there (the depth limit itself
    // is covered by `depth_limit_is_1024_...`, which Miri runs in full).
    let max_spine: usize = if cfg!(miri) { 12 } else { 1100 };
    (
        prop_oneof![0..8usize, 0..max_spine]
            .prop_flat_map(move |n| proptest::collection::vec(spine_kinds.clone(), n)),
        proptest::collection::vec(op(), 0..if cfg!(miri) { 24 } else { 120 }),
    )
}

/// What the pools must look like, computed independently.
#[derive(Default, Clone, Copy, Debug)]
struct ClassModel {
    idle: u64,
    owned: u64,
    hits: u64,
    misses: u64,
    created: u64,
    returns: u64,
    discards: u64,
    overflows: u64,
    in_use: u64,
    peak: u64,
}

struct Checker {
    model: [ClassModel; 8],
    max: u64,
    live: HashSet<u64>,
    rejected: u64,
}

impl Checker {
    fn acquired(&mut self, frame: &Frame) {
        assert!(
            self.live.insert(frame.pool_id()),
            "frame {} handed out twice",
            frame.pool_id()
        );
        let c = &mut self.model[frame.kind().class().index()];
        if c.idle > 0 {
            c.idle -= 1;
            c.hits += 1;
        } else {
            c.misses += 1;
            if c.owned >= self.max {
                c.overflows += 1;
            }
            c.owned += 1;
            c.created += 1;
        }
        c.in_use += 1;
        c.peak = c.peak.max(c.in_use);
    }

    fn released(&mut self, kind: FrameKind, id: u64) {
        assert!(self.live.remove(&id));
        let c = &mut self.model[kind.class().index()];
        c.in_use -= 1;
        c.returns += 1;
        if c.owned > self.max {
            c.owned -= 1;
            c.discards += 1;
        } else {
            c.idle += 1;
        }
    }
}

fn expected_error(kind: FrameKind, value: bool, parent: &Frame) -> Option<FrameError> {
    if parent.kind() == FrameKind::Precompile {
        Some(FrameError::PrecompileHasNoChildren)
    } else if parent.depth() >= CALL_DEPTH_LIMIT {
        Some(FrameError::DepthLimit {
            limit: CALL_DEPTH_LIMIT,
        })
    } else if parent.is_static() && (kind.is_create() || (kind == FrameKind::Call && value)) {
        Some(FrameError::StaticViolation { kind })
    } else {
        None
    }
}

fn word(id: u64, i: u64) -> u64 {
    id << 16 | i
}

/// Fills a frame's stack and memory with marks derived from its id.
fn mark(frame: &mut Frame, words: u8, memory_words: u8) {
    let id = frame.pool_id();
    for i in 0..u64::from(words) {
        frame.stack_mut().push(word(id, i)).unwrap();
    }
    let len = usize::from(memory_words) * 32;
    frame.memory_mut().resize(len).unwrap();
    frame.memory_mut().as_slice();
    for chunk in 0..usize::from(memory_words) {
        frame.memory_mut().set(chunk * 32, &[id as u8; 32]).unwrap();
    }
}

fn check_marks(frame: &Frame, words: u8, memory_words: u8) {
    let id = frame.pool_id();
    let expected: Vec<u64> = (0..u64::from(words)).map(|i| word(id, i)).collect();
    assert_eq!(frame.stack().as_slice(), &expected[..]);
    assert_eq!(frame.memory().len(), usize::from(memory_words) * 32);
    assert!(frame.memory().as_slice().iter().all(|&b| b == id as u8));
}

/// Replays ops below `parent` until an `Exit` (or the end), recursively.
fn replay(
    m: &Manager,
    parent: &mut Frame,
    spine: &mut std::slice::Iter<'_, FrameKind>,
    ops: &mut std::slice::Iter<'_, Op>,
    checker: &mut Checker,
) {
    loop {
        let (kind, value, input, words, memory) = match spine.next() {
            Some(&kind) => (kind, false, 4, 2, 1),
            None => match ops.next() {
                Some(&Op::Enter(kind, value, input, words, memory)) => {
                    (kind, value, input, words, memory)
                }
                Some(Op::Exit) | None => return,
            },
        };
        let data = vec![kind as u8; usize::from(input)];
        let request = FrameRequest::new(kind)
            .gas(u64::from(input) * 1000)
            .value(if value { [1; 32] } else { [0; 32] })
            .input(&data);
        let expected = expected_error(kind, value, parent);
        let parent_gas = parent.gas.remaining;
        let parent_words = parent.stack().len();
        let parent_base = parent.stack().base();
        let parent_memory_end = parent.memory().global_len();
        let mut child = match m.acquire_with(request, Some(&mut *parent)) {
            Err(error) => {
                assert_eq!(Some(error), expected);
                checker.rejected += 1;
                continue;
            }
            Ok(child) => child,
        };
        assert_eq!(expected, None);
        checker.acquired(&child);
        let forwarded = request.gas.min(Gas::all_but_one_64th(parent_gas));
        assert_eq!(child.gas, Gas::new(forwarded));
        assert_eq!(child.input, data);
        assert_eq!(child.stack().base(), parent_base + parent_words);
        assert_eq!(child.memory().local_offset(), parent_memory_end);
        mark(&mut child, words, memory);
        let spent = forwarded / 3;
        assert!(child.gas.spend(spent));
        replay(m, &mut child, spine, ops, checker);
        check_marks(&child, words, memory);
        let (id, kind, left) = (child.pool_id(), child.kind(), child.gas.remaining);
        assert!(left <= forwarded - spent);
        drop(child);
        checker.released(kind, id);
        assert_eq!(parent.gas.remaining, parent_gas - forwarded + left);
        assert_eq!(parent.stack().len(), parent_words);
    }
}

fn run_trees(trees: Vec<(Vec<FrameKind>, Vec<Op>)>) {
    let max = 6;
    let mut config = small_config(2, max);
    config.size_classes = vec![256, 1024];
    let (m, _) = manual(config);
    let mut checker = Checker {
        model: [ClassModel {
            idle: 2,
            owned: 2,
            created: 2,
            ..Default::default()
        }; 8],
        max: max as u64,
        live: HashSet::new(),
        rejected: 0,
    };
    for (spine, ops) in &trees {
        let mut root = m
            .acquire_with(
                FrameRequest::new(FrameKind::Regular).gas(u64::MAX / 2),
                None,
            )
            .unwrap();
        checker.acquired(&root);
        mark(&mut root, 3, 2);
        replay(
            &m,
            &mut root,
            &mut spine.iter(),
            &mut ops.iter(),
            &mut checker,
        );
        check_marks(&root, 3, 2);
        let id = root.pool_id();
        drop(root);
        checker.released(FrameKind::Regular, id);
    }
    assert!(checker.live.is_empty());
    let stats = m.statistics();
    for class in FrameClass::ALL {
        let s = stats.class(class).unwrap();
        let c = checker.model[class.index()];
        assert_eq!(
            (
                s.hits,
                s.misses,
                s.created,
                s.returns,
                s.discards,
                s.overflows
            ),
            (
                c.hits,
                c.misses,
                c.created,
                c.returns,
                c.discards,
                c.overflows
            ),
            "{class}"
        );
        assert_eq!(
            (s.in_use, s.peak_in_use, s.available),
            (0, c.peak, c.idle),
            "{class}"
        );
        // No frame lost: everything created and not discarded is idle again.
        assert_eq!(s.created - s.discards, s.available, "{class}");
        assert_eq!(m.owned(class) as u64, s.available, "{class}");
    }
    let rejected: u64 = FrameKind::ALL
        .iter()
        .map(|&k| m.tracker().kind(k).rejected)
        .sum();
    assert_eq!(rejected, checker.rejected);
    assert_eq!(stats.buffers.link_errors, 0);
    assert_eq!(stats.buffers.trees, trees.len() as u64);
}

proptest! {
    // Miri's isolation forbids `getcwd`, which proptest's failure file needs.
    #![proptest_config(ProptestConfig {
        failure_persistence: if cfg!(miri) { None } else { ProptestConfig::default().failure_persistence },
        ..ProptestConfig::default()
    })]
    #[test]
    // Interpreted, each random tree takes minutes on a shared machine, and `frame/` has
    // no `unsafe`: the unit tests above cover the same code paths under Miri.
    #[cfg_attr(miri, ignore = "too slow under Miri; the manager and SharedStack/SharedMemory it drives have no unsafe code (StackWindow's is covered by window_tests)")]
    fn random_call_trees_lose_nothing_and_count_exactly(
        trees in proptest::collection::vec(tree(), 1..4)
    ) {
        on_big_stack(move || run_trees(trees));
    }
}

#[test]
fn set_data_from_global_reads_the_callers_memory() {
    let mut caller = SharedMemory::new();
    caller.resize(64).unwrap();
    caller.set(0, &(0..64).collect::<Vec<u8>>()).unwrap();
    let mut callee = caller.enter_child().unwrap();
    callee.resize(64).unwrap();
    callee.set_data_from_global(8, 4, 8, 10..20).unwrap();
    assert_eq!(callee.slice(8, 8).unwrap(), &[14, 15, 16, 17, 18, 19, 0, 0]);
    callee.set_data_from_global(0, 100, 4, 10..20).unwrap(); // offset past the data
    assert_eq!(callee.slice(0, 4).unwrap(), &[0; 4]);
    assert!(callee.set_data_from_global(0, 0, 4, 60..200).is_err());
    assert!(callee.set_data_from_global(62, 0, 4, 0..4).is_err());
    // The callee's own memory is global too (64..128).
    callee.set(32, &[9; 4]).unwrap();
    callee.set_data_from_global(0, 0, 4, 96..100).unwrap();
    assert_eq!(callee.slice(0, 4).unwrap(), &[9; 4]);
    caller.resume(&mut callee).unwrap();
    assert_eq!(caller.slice(10, 2).unwrap(), &[10, 11]);
}

// ---- layout ------------------------------------------------------------------------

#[test]
fn pooled_frame_layout_has_no_avoidable_padding() {
    use crate::layout::Layout;
    let report = PooledFrame::<super::shared::Word>::layout_report();
    assert_eq!(report.size(), size_of::<PooledFrame<super::shared::Word>>());
    assert_eq!(report.fields().len(), 15); // with the zero-sized payload
    // What #[optimize_layout] would guarantee: at most alignment-forced tail padding,
    // and no size to gain by reordering.
    assert!(report.padding_bytes() < report.align(), "{report}");
    assert_eq!(report.size(), report.optimal_size(), "{report}");
    println!("{report}");
}
