//! Call-frame pools against plain allocation, in the same run.
//!
//! Workloads: mainnet-shaped call trees (1 to 8 frames deep), a 1024-deep chain, and a
//! 1000-sibling loop (like revm's `subcall` bench). Each is replayed through
//! `FramePoolManager` presets and through `FramePoolConfig::disabled()` (every frame
//! allocated with its own 1024-word stack, as revm does, and dropped).
//!
//! Before criterion runs, the bench prints what a stopwatch cannot show: hit rate after
//! warm-up, heap allocations per frame in steady state, and peak heap for the 1024-deep
//! chain, all counted exactly by the counting allocator below.
//!
//! `scaling/call depth` replays chains 1 to 1024 frames deep (cost per frame as depth grows).
//!
//! `FRAMES_EXACT=1` prints, as tab-separated `exact` lines for the benchmark report
//! (`scripts/bench-report.sh`), the peak heap of a chain by call depth per preset, and the
//! hit rate and bytes held over a long shifting workload with auto-tuning on a fake clock.
//!
//! Trees are replayed through the nested API (`FramePoolManager::call_tree`,
//! `CallFrame::call`), the fastest for every workload; the guard API (`acquire_with`)
//! does the same work per frame and stays measurable under callgrind.
//!
//! `FRAMES_CALLGRIND="<preset> <workload> [iterations] [nested|guard]"` runs one workload
//! (100 times by default, nested API by default) and exits, for instruction counts under
//! `valgrind --tool=callgrind`; the difference between two iteration counts divided by the
//! frames replayed is the exact instruction count per frame.
//!
//! **Gross and net.** A preset's figure (gross) holds three things: the bench's walk (the
//! request built per frame, the replay loop and the recursion), the per-frame workload
//! (copy call data, push words, grow memory and write a word, undo them on return) and
//! the manager's acquire+release. The `walk_only` variant (a preset name here and a
//! criterion function in every group) replays the same trees with the same requests,
//! recursion and workload, on a frame that is plain state on the native stack
//! ([`WalkFrame`]) with no manager: no rules, gas, call context, pool or counters. So
//! `preset - walk_only` (net) is what the manager's acquire+release costs per frame,
//! and both figures are reported. `FRAMES_CALLGRIND="walk <workload>"` counts the walk
//! without the workload (request and recursion only).
//!
//! `FRAMES_PAIRED=<rounds>` times `high_performance`, `disabled()` and `walk_only` in
//! alternation (one sample of each per round, order rotating) and prints, per workload,
//! the median net wall-time ratio of the rounds with its quartiles (`frames-paired`
//! lines): the stable wall-time figure for the report, where criterion's blocks, seconds
//! apart, catch different load.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group};
use evm_pool::{
    CallFrame, FrameKind, FramePoolConfig, FramePoolManager, FrameRequest, ManualClock, PooledFrame,
};

#[path = "../tests/common/shifting_workload.rs"]
mod shifting_workload;

/// Counts allocations and live bytes while `COUNTING` is on; otherwise just forwards.
struct Counting;

static COUNTING: AtomicBool = AtomicBool::new(false);
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static LIVE: AtomicU64 = AtomicU64::new(0);
static PEAK: AtomicU64 = AtomicU64::new(0);

// SAFETY: every method forwards to `System` with the caller's arguments unchanged; the
// counters are side effects that never touch the memory handed out.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
            let live =
                LIVE.fetch_add(layout.size() as u64, Ordering::Relaxed) + layout.size() as u64;
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        // SAFETY: forwarded unchanged; the caller upholds `GlobalAlloc::alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if COUNTING.load(Ordering::Relaxed) {
            LIVE.fetch_sub(layout.size() as u64, Ordering::Relaxed);
        }
        // SAFETY: forwarded unchanged; `ptr` came from `System` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
            let old = layout.size() as u64;
            let new = new_size as u64;
            let live = if new >= old {
                LIVE.fetch_add(new - old, Ordering::Relaxed) + (new - old)
            } else {
                LIVE.fetch_sub(old - new, Ordering::Relaxed) - (old - new)
            };
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        // SAFETY: forwarded unchanged; the caller upholds `GlobalAlloc::realloc`'s contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Counts allocations (and the peak of live bytes above the starting point) in `f`.
/// Only deallocations of memory allocated inside `f` are seen, so live bytes never
/// underflow the starting point by much; peaks are measured from 0 at the start.
fn counted<T>(f: impl FnOnce() -> T) -> (T, u64, u64) {
    ALLOCATIONS.store(0, Ordering::Relaxed);
    LIVE.store(1 << 62, Ordering::Relaxed);
    PEAK.store(1 << 62, Ordering::Relaxed);
    COUNTING.store(true, Ordering::Relaxed);
    let out = f();
    COUNTING.store(false, Ordering::Relaxed);
    let peak = PEAK.load(Ordering::Relaxed) - (1 << 62);
    (out, ALLOCATIONS.load(Ordering::Relaxed), peak)
}

/// A call tree: kind, call-data length, words pushed, memory bytes, children.
struct Node {
    kind: FrameKind,
    input: usize,
    words: usize,
    memory: usize,
    children: Vec<Node>,
}

impl Node {
    fn frames(&self) -> u64 {
        1 + self.children.iter().map(Node::frames).sum::<u64>()
    }
}

/// A small deterministic generator (xorshift), so every run replays the same trees.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Transactions shaped like mainnet: about half are a single frame; the rest nest 2 to 8
/// deep with a few siblings, mostly CALL/STATICCALL/DELEGATECALL, some precompiles and
/// creates. Call data of a transfer to a few hundred bytes; memory of a few words.
fn mainnet_trees(count: usize) -> Vec<Node> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    (0..count)
        .map(|_| {
            let depth = match rng.below(100) {
                0..50 => 1,
                50..75 => 2,
                75..88 => 3,
                88..95 => 4,
                _ => 5 + rng.below(4) as usize,
            };
            mainnet_node(&mut rng, FrameKind::Call, false, 1, depth)
        })
        .collect()
}

fn mainnet_node(
    rng: &mut Rng,
    kind: FrameKind,
    parent_static: bool,
    level: usize,
    depth: usize,
) -> Node {
    let is_static = parent_static || kind == FrameKind::StaticCall;
    let children = if level < depth && kind != FrameKind::Precompile {
        let siblings = 1 + rng.below(3) as usize;
        (0..siblings)
            .map(|i| {
                let kind = match rng.below(100) {
                    0..45 => FrameKind::Call,
                    45..75 => FrameKind::StaticCall,
                    75..93 => FrameKind::DelegateCall,
                    93..97 => FrameKind::Precompile,
                    97..99 => FrameKind::Create,
                    _ => FrameKind::Create2,
                };
                // Static frames make no creates: they call views instead.
                let kind = if is_static && kind.is_create() {
                    FrameKind::StaticCall
                } else {
                    kind
                };
                // Only the first sibling continues down, so depth stays as drawn.
                let d = if i == 0 { depth } else { level + 1 };
                mainnet_node(rng, kind, is_static, level + 1, d)
            })
            .collect()
    } else {
        Vec::new()
    };
    Node {
        kind,
        input: [4, 68, 68, 132, 356][rng.below(5) as usize],
        words: 4 + rng.below(12) as usize,
        memory: 32 * (2 + rng.below(14) as usize),
        children,
    }
}

fn chain(depth: usize) -> Node {
    let mut node = Node {
        kind: FrameKind::Call,
        input: 68,
        words: 10,
        memory: 64,
        children: Vec::new(),
    };
    for _ in 1..depth {
        node = Node {
            kind: FrameKind::Call,
            input: 68,
            words: 10,
            memory: 64,
            children: vec![node],
        };
    }
    node
}

/// A root with `n` children, each doing `work` (input bytes, words, memory bytes).
fn siblings(n: usize, (input, words, memory): (usize, usize, usize)) -> Node {
    let child = || Node {
        kind: FrameKind::Call,
        input,
        words,
        memory,
        children: Vec::new(),
    };
    Node {
        kind: FrameKind::Call,
        input,
        words,
        memory,
        children: (0..n).map(|_| child()).collect(),
    }
}

const CALLDATA: [u8; 512] = [0x42; 512];

/// Which manager API replays the trees: the borrow-checked nested API
/// (`FramePoolManager::call_tree`, `CallFrame::call`; the fastest on every workload, so
/// the default) or the guard API (`acquire_with`, `FrameGuard`). Both do the same work
/// per frame, pooled and `disabled()` alike.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Api {
    Nested,
    Guard,
}

/// One call tree through `api`.
fn run_tree(api: Api, manager: &mut FramePoolManager, node: &Node) {
    match api {
        Api::Nested => run_nested(manager, node),
        Api::Guard => run(manager, node, None),
    }
}

/// The guard API. What a frame does in between acquire and release: copies its call
/// data, pushes words, grows memory and writes a word, opens its children, spends gas.
fn run(manager: &FramePoolManager, node: &Node, parent: Option<&mut PooledFrame>) {
    let request = FrameRequest::new(node.kind)
        .gas(30_000_000)
        .input(&CALLDATA[..node.input]);
    let mut frame = manager
        .acquire_with(request, parent)
        .expect("well-formed tree");
    for i in 0..node.words {
        frame.stack_mut().push([i as u8; 32]).expect("below 1024");
    }
    if node.memory > 0 {
        let memory = frame.memory_mut();
        memory.resize(node.memory).expect("no memory limit");
        memory.set(0, &[0xff; 32]).expect("resized");
    }
    for child in &node.children {
        run(manager, child, Some(&mut frame));
    }
    black_box(&mut *frame);
}

/// The nested API: the same request, acquire (root or `call`), call data copy, words,
/// memory, children and release as [`run`].
fn run_nested(manager: &mut FramePoolManager, node: &Node) {
    let mut tree = manager.call_tree();
    let request = FrameRequest::new(node.kind)
        .gas(30_000_000)
        .input(&CALLDATA[..node.input]);
    let mut root = tree.root(&request).expect("well-formed tree");
    work_nested(&mut root, node);
}

fn work_nested(frame: &mut CallFrame<'_>, node: &Node) {
    for i in 0..node.words {
        frame.stack_mut().push([i as u8; 32]).expect("below 1024");
    }
    if node.memory > 0 {
        let mut memory = frame.memory_mut();
        memory.resize(node.memory).expect("no memory limit");
        memory.set(0, &[0xff; 32]).expect("resized");
    }
    for child in &node.children {
        let request = FrameRequest::new(child.kind)
            .gas(30_000_000)
            .input(&CALLDATA[..child.input]);
        let mut child_frame = frame.call(&request).expect("well-formed tree");
        work_nested(&mut child_frame, child);
    }
    black_box(frame);
}

/// The tree walk alone: the same request built and the same recursion, but no frame and
/// no per-frame work (`FRAMES_CALLGRIND="walk <workload>"`). Its count itemizes the
/// walk-only figure below.
fn walk(node: &Node, parent: Option<&mut u64>) {
    let request = FrameRequest::new(node.kind)
        .gas(30_000_000)
        .input(&CALLDATA[..node.input]);
    let mut frame = black_box(&request).gas;
    for child in &node.children {
        walk(child, Some(&mut frame));
    }
    black_box((&mut frame, parent));
}

/// The walk-only variant's buffers, kept from tree to tree like the manager's spares:
/// the stack words, memory bytes and call data of the frames on the walk, and the memory
/// limit (the presets' `memory_limit`, read at run time as the managers do).
struct WalkBuffers {
    stack: Vec<[u8; 32]>,
    memory: Vec<u8>,
    input: Vec<u8>,
    memory_limit: usize,
}

impl WalkBuffers {
    fn new() -> Self {
        WalkBuffers {
            stack: Vec::new(),
            memory: Vec::new(),
            input: Vec::new(),
            memory_limit: FramePoolConfig::high_performance().memory_limit,
        }
    }
}

/// The walk-only variant's frame: no manager, just the per-frame workload's state on the
/// native stack (where its words, memory and call data start in the walk's buffers).
/// It does the same non-manager work as a managed frame, with the same checks: copies
/// its call data, pushes words (1024-word limit), grows memory (limit) and writes a word;
/// on drop it truncates the three buffers back (the workload's undo). It does not check
/// EVM rules, forward gas, set a call context or touch any pool or counter: that is the
/// manager's acquire+release, what `variant - walk_only` measures.
struct WalkFrame<'t> {
    buffers: &'t mut WalkBuffers,
    stack_base: usize,
    memory_base: usize,
    input_base: usize,
}

impl WalkFrame<'_> {
    #[inline]
    fn open<'t>(buffers: &'t mut WalkBuffers, request: &FrameRequest<'_>) -> WalkFrame<'t> {
        let (stack_base, memory_base, input_base) = (
            buffers.stack.len(),
            buffers.memory.len(),
            buffers.input.len(),
        );
        if !request.input.is_empty() {
            buffers.input.extend_from_slice(request.input);
        }
        WalkFrame {
            buffers,
            stack_base,
            memory_base,
            input_base,
        }
    }

    #[inline]
    fn call(&mut self, request: &FrameRequest<'_>) -> WalkFrame<'_> {
        WalkFrame::open(self.buffers, request)
    }

    #[inline]
    fn push(&mut self, word: [u8; 32]) -> Result<(), &'static str> {
        if self.buffers.stack.len() - self.stack_base >= 1024 {
            return Err("stack overflow");
        }
        self.buffers.stack.push(word);
        Ok(())
    }

    #[inline]
    fn resize(&mut self, len: usize) -> Result<(), &'static str> {
        let requested = self.memory_base.checked_add(len).ok_or("memory limit")?;
        if requested > self.buffers.memory_limit {
            return Err("memory limit");
        }
        self.buffers.memory.resize(requested, 0);
        Ok(())
    }

    #[inline]
    fn set(&mut self, offset: usize, data: &[u8]) -> Result<(), &'static str> {
        let start = self
            .memory_base
            .checked_add(offset)
            .ok_or("out of bounds")?;
        let end = start.checked_add(data.len()).ok_or("out of bounds")?;
        self.buffers
            .memory
            .get_mut(start..end)
            .ok_or("out of bounds")?
            .copy_from_slice(data);
        Ok(())
    }
}

impl Drop for WalkFrame<'_> {
    #[inline]
    fn drop(&mut self) {
        self.buffers.stack.truncate(self.stack_base);
        self.buffers.memory.truncate(self.memory_base);
        self.buffers.input.truncate(self.input_base);
    }
}

/// One call tree, walk-only: the same requests, recursion and per-frame workload as
/// [`run_nested`], on [`WalkFrame`]s instead of managed frames.
fn run_walk_only(buffers: &mut WalkBuffers, node: &Node) {
    let request = FrameRequest::new(node.kind)
        .gas(30_000_000)
        .input(&CALLDATA[..node.input]);
    let mut root = WalkFrame::open(buffers, &request);
    work_walk_only(&mut root, node);
}

fn work_walk_only(frame: &mut WalkFrame<'_>, node: &Node) {
    for i in 0..node.words {
        frame.push([i as u8; 32]).expect("below 1024");
    }
    if node.memory > 0 {
        frame.resize(node.memory).expect("no memory limit");
        frame.set(0, &[0xff; 32]).expect("resized");
    }
    for child in &node.children {
        let request = FrameRequest::new(child.kind)
            .gas(30_000_000)
            .input(&CALLDATA[..child.input]);
        let mut child_frame = frame.call(&request);
        work_walk_only(&mut child_frame, child);
    }
    black_box(frame);
}

fn replay_walk_only(buffers: &mut WalkBuffers, trees: &[Node]) {
    for tree in trees {
        run_walk_only(buffers, tree);
    }
}

fn replay(manager: &mut FramePoolManager, trees: &[Node]) {
    replay_with(Api::Nested, manager, trees);
}

fn replay_with(api: Api, manager: &mut FramePoolManager, trees: &[Node]) {
    for tree in trees {
        run_tree(api, manager, tree);
    }
}

fn presets() -> [(&'static str, FramePoolConfig); 4] {
    [
        ("high_performance", FramePoolConfig::high_performance()),
        ("balanced", FramePoolConfig::balanced()),
        ("minimal", FramePoolConfig::minimal()),
        ("disabled", FramePoolConfig::disabled()),
    ]
}

fn workloads() -> Vec<(&'static str, Vec<Node>)> {
    vec![
        ("mainnet_1000_tx", mainnet_trees(1000)),
        ("chain_1024", vec![chain(1024)]),
        ("siblings_1000", vec![siblings(1000, (68, 3, 32))]),
        // Nothing but acquire and release: the figure the 90% target is about.
        ("acquire_release_1000", vec![siblings(1000, (0, 0, 0))]),
    ]
}

/// Hit rate after warm-up, allocations per frame in steady state, and peak heap of the
/// 1024-deep chain, printed before the timings.
fn report() {
    println!("\n== frames: exact counts (counting allocator) ==");
    println!(
        "{:<16} {:<17} {:>8} {:>16} {:>18}",
        "workload", "config", "frames", "hit rate (warm)", "allocs per frame"
    );
    for (workload, trees) in workloads() {
        let frames: u64 = trees.iter().map(Node::frames).sum();
        for (name, config) in presets() {
            let mut manager = FramePoolManager::new(config).unwrap();
            for _ in 0..3 {
                replay(&mut manager, &trees); // warm-up: pools and buffers grow
            }
            let before = manager.statistics().total;
            let ((), allocations, _) = counted(|| {
                for _ in 0..10 {
                    replay(&mut manager, &trees);
                }
            });
            let after = manager.statistics().total;
            let hits = after.hits - before.hits;
            let acquires = after.acquires() - before.acquires();
            println!(
                "{:<16} {:<17} {:>8} {:>15.2}% {:>18.3}",
                workload,
                name,
                frames,
                hits as f64 * 100.0 / acquires as f64,
                allocations as f64 / (10 * frames) as f64
            );
        }
    }
    let tree = chain(1024);
    let budget = 1024 * 32 * 1024;
    println!(
        "\n1024-deep chain, 10 words and 64 bytes of memory per frame; peak heap vs 1024 x 32 KiB = 32 MiB:"
    );
    for (name, config) in presets() {
        // Cold: the manager is created inside the measurement, so its prewarmed frames
        // and everything the chain grows count.
        let (mut manager, _, cold) = counted(|| {
            let mut manager = FramePoolManager::new(config).unwrap();
            run_tree(Api::Nested, &mut manager, &tree);
            manager
        });
        // Warm: what one more chain adds on top of what the manager already holds.
        let ((), _, warm) = counted(|| run_tree(Api::Nested, &mut manager, &tree));
        println!(
            "  {:<17} cold {:>9.1} KiB ({:>6.2}% of 32 MiB)   warm extra {:>9.1} KiB ({:>6.2}%)",
            name,
            cold as f64 / 1024.0,
            cold as f64 * 100.0 / budget as f64,
            warm as f64 / 1024.0,
            warm as f64 * 100.0 / budget as f64,
        );
    }
    println!();
}

fn bench(c: &mut Criterion) {
    report();
    for (workload, trees) in workloads() {
        let frames: u64 = trees.iter().map(Node::frames).sum();
        let mut group = c.benchmark_group(format!("frames/{workload}"));
        group.throughput(Throughput::Elements(frames));
        for (name, config) in presets() {
            let mut manager = FramePoolManager::new(config).unwrap();
            replay(&mut manager, &trees);
            group.bench_function(BenchmarkId::from_parameter(name), |b| {
                b.iter(|| replay(&mut manager, black_box(&trees)))
            });
        }
        // The same walk and per-frame workload without a manager: subtracted from a
        // preset's time, it leaves that preset's acquire+release.
        let mut buffers = WalkBuffers::new();
        replay_walk_only(&mut buffers, &trees);
        group.bench_function(BenchmarkId::from_parameter("walk_only"), |b| {
            b.iter(|| replay_walk_only(&mut buffers, black_box(&trees)))
        });
        group.finish();
    }
}

/// The call depths the depth scaling and the peak-memory curve run over.
const DEPTHS: [usize; 6] = [1, 4, 16, 64, 256, 1024];

/// Scaling with call depth: a chain `depth` frames deep, per frame, pooled and disabled.
fn call_depth(c: &mut Criterion) {
    let mut group = c.benchmark_group("scaling/call depth");
    for (name, config) in presets() {
        if name != "high_performance" && name != "disabled" {
            continue;
        }
        let mut manager = FramePoolManager::new(config).unwrap();
        for depth in DEPTHS {
            let tree = chain(depth);
            replay(&mut manager, std::slice::from_ref(&tree));
            group.throughput(Throughput::Elements(depth as u64));
            group.bench_function(BenchmarkId::new(name, depth), |b| {
                b.iter(|| run_tree(Api::Nested, &mut manager, black_box(&tree)))
            });
        }
    }
    group.finish();
}

/// The exact figures behind the report's memory plots, as `exact\t...` lines:
///
/// - `exact peak_by_depth <preset> <depth> <cold bytes> <warm bytes>`: peak heap of one
///   chain `depth` deep, with the manager created inside the measurement (cold) and on a
///   manager that already ran one (warm: what the chain adds on top of what it holds);
/// - `exact long_run <preset> <transaction> <phase> <hit rate> <bytes held>`: every 10
///   transactions of the shifting workload, the hit rate over those 10 and the bytes the
///   manager holds (idle frames + spare buffers), with maintenance (auto-tuning, cleanup,
///   pressure) on a fake clock advanced one second per transaction.
fn exact() {
    for depth in DEPTHS {
        let tree = chain(depth);
        for (name, config) in presets() {
            let (mut manager, _, cold) = counted(|| {
                let mut manager = FramePoolManager::new(config.clone()).unwrap();
                run_tree(Api::Nested, &mut manager, &tree);
                manager
            });
            let ((), _, warm) = counted(|| run_tree(Api::Nested, &mut manager, &tree));
            println!("exact\tpeak_by_depth\t{name}\t{depth}\t{cold}\t{warm}");
        }
    }
    for (name, config) in [
        ("high_performance", FramePoolConfig::high_performance()),
        ("balanced", FramePoolConfig::balanced()),
    ] {
        let clock = ManualClock::new();
        let manager = FramePoolManager::with_clock(config, clock.clone()).unwrap();
        let mut tx = 0u64;
        // Four cycles through the phases, 100 transactions each.
        for round in 0..4 * shifting_workload::PHASES.len() {
            let phase = shifting_workload::PHASES[round % shifting_workload::PHASES.len()];
            let input = vec![0x5a; phase.input];
            for _ in 0..10 {
                let before = manager.statistics().total;
                for _ in 0..10 {
                    clock.advance(std::time::Duration::from_secs(1));
                    let mut root = manager
                        .acquire_with(FrameRequest::new(FrameKind::Call).gas(30_000_000), None)
                        .unwrap();
                    shifting_workload::call_tree(&manager, &mut root, phase, 0, &input);
                    tx += 1;
                }
                let after = manager.statistics().total;
                let acquires = after.acquires() - before.acquires();
                let hit_rate = (after.hits - before.hits) as f64 / acquires.max(1) as f64;
                println!(
                    "exact\tlong_run\t{name}\t{tx}\t{}\t{hit_rate:.4}\t{}",
                    phase.name,
                    manager.bytes_held()
                );
            }
        }
    }
}

fn callgrind(spec: &str) {
    let mut parts = spec.split_whitespace();
    let (preset, workload) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let iterations: usize = parts.next().and_then(|n| n.parse().ok()).unwrap_or(100);
    let api = match parts.next() {
        Some("guard") => Api::Guard,
        Some("nested") | None => Api::Nested,
        Some(other) => panic!("api: nested or guard, not {other}"),
    };
    if preset == "walk" || preset == "walk_only" {
        let trees = workloads()
            .into_iter()
            .find(|(name, _)| *name == workload)
            .map(|(_, t)| t)
            .expect("workload");
        let mut buffers = WalkBuffers::new();
        for _ in 0..iterations {
            if preset == "walk" {
                for tree in &trees {
                    walk(tree, None);
                }
            } else {
                replay_walk_only(&mut buffers, &trees);
            }
        }
        println!(
            "frames per replay: {}",
            trees.iter().map(Node::frames).sum::<u64>()
        );
        return;
    }
    let config = presets()
        .into_iter()
        .find(|(name, _)| *name == preset)
        .map(|(_, c)| c)
        .expect("preset: high_performance, balanced, minimal, disabled, walk_only or walk");
    let trees = workloads()
        .into_iter()
        .find(|(name, _)| *name == workload)
        .map(|(_, t)| t)
        .expect("workload: mainnet_1000_tx, chain_1024, siblings_1000 or acquire_release_1000");
    let mut manager = FramePoolManager::new(config).unwrap();
    for _ in 0..iterations {
        replay_with(api, &mut manager, &trees);
    }
    // For the benchmark report: the unit the instruction count is divided by.
    println!(
        "frames per replay: {}",
        trees.iter().map(Node::frames).sum::<u64>()
    );
}

/// The three variants a paired round times: the pooled preset, the baseline and the
/// walk they are both net of.
#[derive(Clone, Copy)]
enum PairedVariant {
    Pooled,
    Disabled,
    WalkOnly,
}

/// `FRAMES_PAIRED=<rounds>`: wall time of `high_performance`, `disabled` and `walk_only`
/// in alternation, one sample of each per round in a rotating order, so a change of
/// load on the machine hits all three alike (criterion times each variant in a block of
/// its own, seconds apart). Per round, the net ratio (pooled − walk) / (disabled − walk);
/// printed per workload as `frames-paired`, workload, the median ns per frame of the
/// three, the median ratio and its quartiles, the rounds.
fn paired(rounds: usize) {
    use PairedVariant::{Disabled, Pooled, WalkOnly};
    const ORDERS: [[PairedVariant; 3]; 3] = [
        [Pooled, Disabled, WalkOnly],
        [Disabled, WalkOnly, Pooled],
        [WalkOnly, Pooled, Disabled],
    ];
    let median = |values: &mut Vec<f64>, q: f64| {
        values.sort_by(f64::total_cmp);
        values[((values.len() - 1) as f64 * q).round() as usize]
    };
    for (workload, trees) in workloads() {
        let frames: u64 = trees.iter().map(Node::frames).sum();
        // Each sample replays the trees enough times for about 20,000 frames.
        let replays = 20_000usize.div_ceil(frames as usize);
        let mut pooled = FramePoolManager::new(FramePoolConfig::high_performance()).unwrap();
        let mut disabled = FramePoolManager::new(FramePoolConfig::disabled()).unwrap();
        let mut buffers = WalkBuffers::new();
        // Warm-up: pools, buffers and caches as in steady state.
        for _ in 0..3 {
            replay(&mut pooled, &trees);
            replay(&mut disabled, &trees);
            replay_walk_only(&mut buffers, &trees);
        }
        let mut sample = |variant: PairedVariant| {
            let start = Instant::now();
            for _ in 0..replays {
                match variant {
                    Pooled => replay(&mut pooled, black_box(&trees)),
                    Disabled => replay(&mut disabled, black_box(&trees)),
                    WalkOnly => replay_walk_only(&mut buffers, black_box(&trees)),
                }
            }
            start.elapsed().as_nanos() as f64 / (replays as u64 * frames) as f64
        };
        let (mut p, mut d, mut w, mut ratios) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for round in 0..rounds {
            let mut times = [0.0; 3];
            for variant in ORDERS[round % 3] {
                times[variant as usize] = sample(variant);
            }
            let [pool_ns, disabled_ns, walk_ns] = times;
            ratios.push((pool_ns - walk_ns) / (disabled_ns - walk_ns));
            p.push(pool_ns);
            d.push(disabled_ns);
            w.push(walk_ns);
        }
        println!(
            "frames-paired\t{workload}\t{:.2}\t{:.2}\t{:.2}\t{:.3}\t{:.3}\t{:.3}\t{rounds}",
            median(&mut w, 0.5),
            median(&mut p, 0.5),
            median(&mut d, 0.5),
            median(&mut ratios, 0.5),
            median(&mut ratios, 0.25),
            median(&mut ratios, 0.75),
        );
    }
}

criterion_group!(benches, bench, call_depth);

fn main() {
    if let Ok(spec) = std::env::var("FRAMES_CALLGRIND") {
        callgrind(&spec);
        return;
    }
    if let Ok(rounds) = std::env::var("FRAMES_PAIRED") {
        paired(rounds.parse().expect("FRAMES_PAIRED=<rounds>"));
        return;
    }
    if std::env::var_os("FRAMES_EXACT").is_some() {
        exact();
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
