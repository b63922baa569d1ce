//! Acquire + release of an EVM-sized call frame (4 KiB of memory capacity, a 1024-word
//! stack), with evm-pool's `Pool` and `SyncPool`, the honest baselines (`Box::new` + drop
//! of a fresh frame, and a disabled pool), and the pool crates users would pick:
//! `object-pool`, `opool` (thread-local and concurrent), `sharded-slab`'s `Pool` and
//! `lifeguard`. Every variant does the same work per iteration: get a fresh frame, push
//! one word and write one byte of memory, give it back (reset keeping capacity).
//!
//! Scaling groups (`scaling/...`): the shared pools on 1 and 2 threads, cost per
//! acquire+release as the number of frames held at once grows (1 to 1024), and EVM
//! memory buffers from 64 B to 256 KiB (`BufferPool` against a fresh `Vec`).
//!
//! ```text
//! cargo bench --bench pool -- --warm-up-time 1 --measurement-time 2
//! ```

use std::hint::black_box;
use std::sync::Barrier;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group};
use evm_pool::{BufferPool, EvmPooled, Pool, PoolConfig, SyncPool};

/// A call frame as an interpreter keeps it: memory, operand stack, and a few scalars.
struct Frame {
    memory: Vec<u8>,
    stack: Vec<[u64; 4]>,
    pc: usize,
    gas_left: u64,
    depth: u32,
}

impl Frame {
    fn fresh() -> Self {
        Frame {
            memory: Vec::with_capacity(4096),
            stack: Vec::with_capacity(1024),
            pc: 0,
            gas_left: 0,
            depth: 0,
        }
    }

    fn clear(&mut self) {
        self.memory.clear();
        self.stack.clear();
        self.pc = 0;
        self.gas_left = 0;
        self.depth = 0;
    }

    /// The per-iteration work: the least a frame does when it runs.
    #[inline]
    fn touch(&mut self) {
        self.stack.push([1, 2, 3, 4]);
        self.memory.push(0x60);
        self.pc += 1;
        self.gas_left = 30_000;
        self.depth = 1;
    }
}

impl EvmPooled for Frame {
    fn new_pooled() -> Self {
        Frame::fresh()
    }
    fn reset(&mut self) {
        self.clear();
    }
}

impl Default for Frame {
    fn default() -> Self {
        Frame::fresh()
    }
}

impl sharded_slab::Clear for Frame {
    fn clear(&mut self) {
        Frame::clear(self);
    }
}

impl lifeguard::Recycleable for Frame {
    fn new() -> Self {
        Frame::fresh()
    }
    fn reset(&mut self) {
        self.clear();
    }
}

struct FrameAllocator;

impl opool::PoolAllocator<Frame> for FrameAllocator {
    fn allocate(&self) -> Frame {
        Frame::fresh()
    }
    fn reset(&self, frame: &mut Frame) {
        frame.clear();
    }
}

const PREFILL: usize = 64;

/// Runs `iters` acquire+release round trips on a pool set up beforehand.
type RoundTrips = Box<dyn Fn(u64)>;
/// The same, on a pool that threads can share.
type SharedRoundTrips = Box<dyn Fn(u64) + Sync>;

/// The work every variant does on the frame it got: the least a frame does when it runs.
#[inline(always)]
fn touch(frame: &mut Frame) {
    frame.touch();
    black_box(frame);
}

/// `iters` round trips of `once` on `pool`: the loop is written once and monomorphized per
/// pool, so each variant's round trip is inlined into its own loop.
fn repeat<P, F: Fn(&P)>(pool: P, once: F) -> impl Fn(u64) {
    move |iters| {
        for _ in 0..iters {
            once(&pool);
        }
    }
}

/// The pools threads can share, each set up (built, prewarmed) up front. The same set is
/// measured on one thread and on two.
fn shared_variants() -> Vec<(&'static str, SharedRoundTrips)> {
    let sync_pool = SyncPool::<Frame>::with_config(PoolConfig::balanced()).unwrap();
    let opool_shared = opool::Pool::new_prefilled(PREFILL, FrameAllocator);
    let object_pool = object_pool::Pool::new(PREFILL, Frame::fresh);
    let slab: sharded_slab::Pool<Frame> = sharded_slab::Pool::new();
    vec![
        (
            "evm-pool SyncPool",
            Box::new(repeat(sync_pool, |p| touch(&mut p.acquire()))),
        ),
        (
            "Box::new + drop",
            Box::new(repeat((), |_| touch(&mut Box::new(Frame::fresh())))),
        ),
        (
            "opool Pool",
            Box::new(repeat(opool_shared, |p| touch(&mut p.get()))),
        ),
        (
            // object-pool does not reset: the user clears after pulling.
            "object-pool",
            Box::new(repeat(object_pool, |p| {
                let mut frame = p.pull(Frame::fresh);
                frame.clear();
                touch(&mut frame);
            })),
        ),
        (
            // sharded-slab: create, use, then clear the slot so it can be reused.
            "sharded-slab Pool",
            Box::new(repeat(slab, |p| {
                let mut frame = p.create().unwrap();
                let key = frame.key();
                touch(&mut frame);
                drop(frame);
                p.clear(key);
            })),
        ),
    ]
}

/// Every pool on one thread: the single-threaded ones and the shared ones.
fn single_thread_variants() -> Vec<(String, RoundTrips)> {
    let pool = Pool::<Frame>::with_config(PoolConfig::balanced()).unwrap();
    let disabled = Pool::<Frame>::with_config(PoolConfig::disabled()).unwrap();
    let opool_local = opool::LocalPool::new_prefilled(PREFILL, FrameAllocator);
    let lifeguard_pool = lifeguard::pool::<Frame>()
        .with(lifeguard::StartingSize(PREFILL))
        .with(lifeguard::MaxSize(1024))
        .build();
    let mut variants: Vec<(String, RoundTrips)> = vec![
        (
            "evm-pool Pool".into(),
            Box::new(repeat(pool, |p| touch(&mut p.acquire()))),
        ),
        (
            "evm-pool Pool disabled".into(),
            Box::new(repeat(disabled, |p| touch(&mut p.acquire()))),
        ),
        (
            "opool LocalPool".into(),
            Box::new(repeat(opool_local, |p| touch(&mut p.get()))),
        ),
        (
            "lifeguard".into(),
            Box::new(repeat(lifeguard_pool, |p| touch(&mut p.new()))),
        ),
    ];
    for (name, run) in shared_variants() {
        variants.push((name.into(), run));
    }
    variants
}

/// Criterion times `run(iters)` for each variant in `group`.
fn bench_variants(c: &mut Criterion, group: &str, variants: Vec<(String, RoundTrips)>) {
    let mut group = c.benchmark_group(group);
    for (name, run) in variants {
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let began = Instant::now();
                run(iters);
                began.elapsed()
            })
        });
    }
    group.finish();
}

fn single_thread(c: &mut Criterion) {
    bench_variants(c, "frame acquire+release", single_thread_variants());
}

/// The EVM memory sizes the object-size scaling runs over: BufferPool's default classes
/// end at 4 KiB (larger requests are "oversized", allocated and freed), and glibc serves
/// blocks above 128 KiB with mmap.
const BUFFER_SIZES: [usize; 7] = [64, 256, 1024, 4096, 16384, 65536, 262144];

fn size_name(bytes: usize) -> String {
    if bytes >= 1024 {
        format!("{} KiB", bytes / 1024)
    } else {
        format!("{bytes} B")
    }
}

/// EVM memory for one call: a buffer of `capacity` bytes of which the call touches the
/// first 64, from a `BufferPool` (which zeroes only those 64 on release) and from a
/// fresh `Vec` (allocate the capacity, zero-extend to 64, free). Named
/// `BufferPool <size>` / `Vec <size>` (e.g. `BufferPool 4 KiB`).
fn buffer_variants() -> Vec<(String, RoundTrips)> {
    #[inline(always)]
    fn mstore(memory: &mut [u8]) {
        memory[32..64].fill(0xab);
        black_box(memory);
    }
    let mut variants: Vec<(String, RoundTrips)> = Vec::new();
    for capacity in BUFFER_SIZES {
        variants.push((
            format!("BufferPool {}", size_name(capacity)),
            Box::new(repeat(BufferPool::new(), move |pool| {
                let mut memory = pool.acquire_with_capacity(capacity);
                memory.resize(64).unwrap();
                mstore(&mut memory);
            })),
        ));
        variants.push((
            format!("Vec {}", size_name(capacity)),
            Box::new(repeat((), move |_| {
                let mut memory: Vec<u8> = Vec::with_capacity(capacity);
                memory.resize(64, 0);
                mstore(&mut memory);
            })),
        ));
    }
    variants
}

/// Scaling with object size: time per acquire+release of an EVM memory buffer as its
/// capacity grows, pooled and allocated.
fn buffers(c: &mut Criterion) {
    let mut group = c.benchmark_group("scaling/object size");
    for (name, run) in buffer_variants() {
        let (contender, size) = name.split_once(' ').unwrap();
        group.bench_function(BenchmarkId::new(contender, size), |b| {
            b.iter_custom(|iters| {
                let began = Instant::now();
                run(iters);
                began.elapsed()
            })
        });
    }
    group.finish();
}

/// `threads` threads each run `iters` round trips on one shared pool at once; the figure
/// is the time per acquire+release on each thread (the slowest thread's).
fn on_threads(threads: usize, iters: u64, run: &(dyn Fn(u64) + Sync)) -> Duration {
    let start = Barrier::new(threads);
    std::thread::scope(|s| {
        let worker = || {
            start.wait();
            let began = Instant::now();
            run(iters);
            began.elapsed()
        };
        let others: Vec<_> = (1..threads).map(|_| s.spawn(worker)).collect();
        let mine = worker();
        others
            .into_iter()
            .map(|t| t.join().unwrap())
            .fold(mine, Duration::max)
    })
}

/// Scaling with threads: the shared pools on 1 and 2 threads.
fn threads(c: &mut Criterion) {
    let mut group = c.benchmark_group("scaling/threads");
    for (name, run) in shared_variants() {
        for threads in [1, 2] {
            group.bench_function(BenchmarkId::new(name, threads), |b| {
                b.iter_custom(|iters| on_threads(threads, iters, &*run))
            });
        }
    }
    group.finish();
}

/// Scaling with the number of pooled objects held at once: acquire `held` frames, then
/// release them all; the figure is per acquire+release. `balanced` keeps at most 512
/// idle frames, so beyond 512 held the rest are allocated and dropped.
fn objects_held(c: &mut Criterion) {
    let mut group = c.benchmark_group("scaling/objects held");
    let pool = Pool::<Frame>::with_config(PoolConfig::balanced()).unwrap();
    let high = Pool::<Frame>::with_config(PoolConfig::high_performance()).unwrap();
    for held in [1u64, 4, 16, 64, 256, 1024] {
        group.throughput(Throughput::Elements(held));
        let mut guards = Vec::with_capacity(held as usize);
        group.bench_function(BenchmarkId::new("evm-pool Pool balanced", held), |b| {
            b.iter(|| {
                for _ in 0..held {
                    let mut frame = pool.acquire();
                    touch(&mut frame);
                    guards.push(frame);
                }
                guards.clear();
            })
        });
        let mut guards = Vec::with_capacity(held as usize);
        group.bench_function(
            BenchmarkId::new("evm-pool Pool high_performance", held),
            |b| {
                b.iter(|| {
                    for _ in 0..held {
                        let mut frame = high.acquire();
                        touch(&mut frame);
                        guards.push(frame);
                    }
                    guards.clear();
                })
            },
        );
        let mut boxes = Vec::with_capacity(held as usize);
        group.bench_function(BenchmarkId::new("Box::new + drop", held), |b| {
            b.iter(|| {
                for _ in 0..held {
                    let mut frame = Box::new(Frame::fresh());
                    touch(&mut frame);
                    boxes.push(frame);
                }
                boxes.clear();
            })
        });
    }
    group.finish();
}

criterion_group!(benches, single_thread, threads, objects_held, buffers);

/// `EVM_POOL_BENCH_ONLY="<variant>" EVM_POOL_BENCH_ITERS=<n>` runs just `n` round trips
/// of one single-threaded variant, without criterion: for instruction counts, e.g.
/// `valgrind --tool=callgrind` at two values of `n`, whose difference divided by the
/// difference in `n` is the count per acquire+release (setup cancels out).
fn main() {
    if let Ok(only) = std::env::var("EVM_POOL_BENCH_ONLY") {
        let iters = std::env::var("EVM_POOL_BENCH_ITERS")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(1_000_000);
        let mut variants = single_thread_variants();
        variants.extend(buffer_variants());
        let Some((_, run)) = variants.iter().find(|(name, _)| *name == only) else {
            let names: Vec<_> = variants.iter().map(|(name, _)| name.as_str()).collect();
            eprintln!("unknown variant {only:?}; one of {names:?}");
            std::process::exit(2);
        };
        run(iters);
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
