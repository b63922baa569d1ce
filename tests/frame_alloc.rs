//! Pooled call frames allocate nothing in steady state; counted exactly by a counting
//! allocator (per thread, so parallel tests do not disturb the count).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use evm_pool::{
    CallFrame, FrameKind, FramePoolConfig, FramePoolManager, FrameRequest, PooledFrame,
};

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

fn count() {
    // `try_with`: the slot may be gone while a thread shuts down.
    let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged; the
// per-thread counter is a const-initialized `Cell` that never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: forwarded unchanged; the caller upholds `alloc`'s contract.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged; `ptr` came from `System` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        // SAFETY: forwarded unchanged; the caller upholds `realloc`'s contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations_in(f: impl FnOnce()) -> u64 {
    let before = ALLOCATIONS.with(Cell::get);
    f();
    ALLOCATIONS.with(Cell::get) - before
}

const KINDS: [FrameKind; 5] = [
    FrameKind::Call,
    FrameKind::StaticCall,
    FrameKind::DelegateCall,
    FrameKind::Precompile,
    FrameKind::Create2,
];

/// A transaction: `depth` nested frames of varied kinds, each with two siblings.
fn transaction(manager: &FramePoolManager, parent: Option<&mut PooledFrame>, depth: usize) -> u64 {
    let kind = match parent.as_deref() {
        None => FrameKind::Call,
        // A static frame may not create: it calls instead.
        Some(p) if p.is_static() && KINDS[depth % KINDS.len()].is_create() => FrameKind::StaticCall,
        Some(_) => KINDS[depth % KINDS.len()],
    };
    let input = [7u8; 100];
    let request = FrameRequest::new(kind)
        .gas(10_000_000)
        .input(&input[..depth * 10]);
    let mut frame = manager.acquire_with(request, parent).unwrap();
    for i in 0..10u8 {
        frame.stack_mut().push([i; 32]).unwrap();
    }
    frame.memory_mut().resize(96).unwrap();
    frame.memory_mut().set(32, &[1; 32]).unwrap();
    let mut frames = 1;
    if depth > 0 && kind != FrameKind::Precompile {
        for _ in 0..2 {
            frames += transaction(manager, Some(&mut frame), depth - 1);
        }
    }
    frames
}

fn workload(manager: &mut FramePoolManager) -> u64 {
    (1..=7).map(|depth| transaction(manager, None, depth)).sum()
}

/// `workload` allocates nothing once warm, with every pooled preset: 20 rounds, more
/// than 1000 frames, all of them back in their pools.
fn assert_steady_state_allocates_nothing(workload: fn(&mut FramePoolManager) -> u64) {
    for config in [
        FramePoolConfig::high_performance(),
        FramePoolConfig::balanced(),
        FramePoolConfig::minimal(),
    ] {
        let mut manager = FramePoolManager::new(config).unwrap();
        workload(&mut manager); // warm-up: buffers grow to their working size
        let mut frames = 0;
        let allocations = allocations_in(|| {
            for _ in 0..20 {
                frames += workload(&mut manager);
            }
        });
        assert!(frames > 1000, "{frames}");
        assert_eq!(allocations, 0, "{frames} frames");
        assert_eq!(manager.statistics().total.in_use, 0);
    }
}

/// `workload` under `disabled()` allocates at least the frame itself and its own
/// 1024-word stack for every frame, even when warm.
fn assert_disabled_allocates_for_every_frame(workload: fn(&mut FramePoolManager) -> u64) {
    let mut manager = FramePoolManager::new(FramePoolConfig::disabled()).unwrap();
    workload(&mut manager);
    let mut frames = 0;
    let allocations = allocations_in(|| frames = workload(&mut manager));
    assert!(
        allocations >= 2 * frames,
        "{allocations} allocations for {frames} frames"
    );
}

#[test]
fn pooled_frames_allocate_nothing_in_steady_state() {
    assert_steady_state_allocates_nothing(workload);
}

#[test]
fn disabled_allocates_for_every_frame() {
    assert_disabled_allocates_for_every_frame(workload);
}

/// [`transaction`] through the nested API (`call_tree`, `CallFrame::call`): the same
/// kinds, call data, words, memory and siblings.
fn nested_frame(frame: &mut CallFrame<'_>, depth: usize) -> u64 {
    for i in 0..10u8 {
        frame.stack_mut().push([i; 32]).unwrap();
    }
    frame.memory_mut().resize(96).unwrap();
    frame.memory_mut().set(32, &[1; 32]).unwrap();
    let mut frames = 1;
    if depth > 0 && frame.kind() != FrameKind::Precompile {
        let next = KINDS[(depth - 1) % KINDS.len()];
        let kind = if frame.is_static() && next.is_create() {
            FrameKind::StaticCall
        } else {
            next
        };
        let input = [7u8; 100];
        let request = FrameRequest::new(kind)
            .gas(10_000_000)
            .input(&input[..(depth - 1) * 10]);
        for _ in 0..2 {
            let mut child = frame.call(&request).unwrap();
            frames += nested_frame(&mut child, depth - 1);
        }
    }
    frames
}

fn nested_workload(manager: &mut FramePoolManager) -> u64 {
    (1..=7)
        .map(|depth| {
            let mut tree = manager.call_tree();
            let input = [7u8; 100];
            let request = FrameRequest::new(FrameKind::Call)
                .gas(10_000_000)
                .input(&input[..depth * 10]);
            let mut root = tree.root(&request).unwrap();
            nested_frame(&mut root, depth)
        })
        .sum()
}

#[test]
fn nested_frames_allocate_nothing_in_steady_state() {
    assert_steady_state_allocates_nothing(nested_workload);
}

#[test]
fn nested_disabled_allocates_for_every_frame() {
    assert_disabled_allocates_for_every_frame(nested_workload);
}
