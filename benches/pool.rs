//! Acquire + release of an EVM-sized call frame (4 KiB of memory capacity, a 1024-word
//! stack), with evm-pool's `Pool` and `SyncPool`, the honest baselines (`Box::new` + drop
//! of a fresh frame, and a disabled pool), and the pool crates users would pick:
//! `object-pool`, `opool` (thread-local and concurrent), `sharded-slab`'s `Pool` and
//! `lifeguard`. Every variant does the same work per iteration: get a fresh frame, push
//! one word and write one byte of memory, give it back (reset keeping capacity).
//!
//! ```text
//! cargo bench --bench pool -- --warm-up-time 1 --measurement-time 2
//! ```

use std::hint::black_box;
use std::sync::Barrier;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group};
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
type RoundTrips = Box<dyn FnMut(u64)>;

/// One single-threaded variant per pool, each set up (pool built, prewarmed) up front.
fn single_thread_variants() -> Vec<(&'static str, RoundTrips)> {
    /// The loop every variant runs: `acquire` yields a guard, the frame is touched and
    /// released when the guard drops at the end of the iteration.
    macro_rules! round_trips {
        ($iters:ident, $frame:ident = $acquire:expr $(, then $after:expr)?) => {
            for _ in 0..$iters {
                let mut $frame = $acquire;
                $frame.touch();
                black_box(&mut *$frame);
                $(drop($frame); $after;)?
            }
        };
    }

    let pool = Pool::<Frame>::with_config(PoolConfig::balanced()).unwrap();
    let sync_pool = SyncPool::<Frame>::with_config(PoolConfig::balanced()).unwrap();
    let disabled = Pool::<Frame>::with_config(PoolConfig::disabled()).unwrap();
    let object_pool = object_pool::Pool::new(PREFILL, Frame::fresh);
    let opool_local = opool::LocalPool::new_prefilled(PREFILL, FrameAllocator);
    let opool_shared = opool::Pool::new_prefilled(PREFILL, FrameAllocator);
    let slab: sharded_slab::Pool<Frame> = sharded_slab::Pool::new();
    let lifeguard_pool = lifeguard::pool::<Frame>()
        .with(lifeguard::StartingSize(PREFILL))
        .with(lifeguard::MaxSize(1024))
        .build();
    vec![
        (
            "evm-pool Pool",
            Box::new(move |iters| round_trips!(iters, frame = pool.acquire())),
        ),
        (
            "evm-pool SyncPool",
            Box::new(move |iters| round_trips!(iters, frame = sync_pool.acquire())),
        ),
        (
            "Box::new + drop",
            Box::new(|iters| round_trips!(iters, frame = Box::new(Frame::fresh()))),
        ),
        (
            "evm-pool Pool disabled",
            Box::new(move |iters| round_trips!(iters, frame = disabled.acquire())),
        ),
        (
            // object-pool does not reset: the user clears after pulling.
            "object-pool",
            Box::new(move |iters| {
                round_trips!(
                    iters,
                    frame = {
                        let mut frame = object_pool.pull(Frame::fresh);
                        frame.clear();
                        frame
                    }
                )
            }),
        ),
        (
            "opool LocalPool",
            Box::new(move |iters| round_trips!(iters, frame = opool_local.get())),
        ),
        (
            "opool Pool",
            Box::new(move |iters| round_trips!(iters, frame = opool_shared.get())),
        ),
        (
            // sharded-slab: create, use, then clear the slot so it can be reused.
            "sharded-slab Pool",
            Box::new(move |iters| {
                for _ in 0..iters {
                    let mut frame = slab.create().unwrap();
                    let key = frame.key();
                    frame.touch();
                    black_box(&mut *frame);
                    drop(frame);
                    slab.clear(key);
                }
            }),
        ),
        (
            "lifeguard",
            Box::new(move |iters| round_trips!(iters, frame = lifeguard_pool.new())),
        ),
    ]
}

fn single_thread(c: &mut Criterion) {
    let mut group = c.benchmark_group("frame acquire+release");
    for (name, mut run) in single_thread_variants() {
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

/// EVM memory for one call: a buffer of `capacity` bytes of which the call touches the
/// first 64, from a `BufferPool` (which zeroes only those 64 on release) and from a
/// fresh `Vec` (allocate the capacity, zero-extend to 64, free).
fn buffer_variants() -> Vec<(&'static str, RoundTrips)> {
    fn mstore(memory: &mut [u8]) {
        memory[32..64].fill(0xab);
        black_box(memory);
    }
    let mut variants: Vec<(&'static str, RoundTrips)> = Vec::new();
    for (name_pool, name_vec, capacity) in [
        ("BufferPool 1 KiB", "Vec 1 KiB", 1024),
        ("BufferPool 4 KiB", "Vec 4 KiB", 4096),
    ] {
        let pool = BufferPool::new();
        variants.push((
            name_pool,
            Box::new(move |iters| {
                for _ in 0..iters {
                    let mut memory = pool.acquire_with_capacity(capacity);
                    memory.resize(64).unwrap();
                    mstore(&mut memory);
                }
            }),
        ));
        variants.push((
            name_vec,
            Box::new(move |iters| {
                for _ in 0..iters {
                    let mut memory: Vec<u8> = Vec::with_capacity(capacity);
                    memory.resize(64, 0);
                    mstore(&mut memory);
                }
            }),
        ));
    }
    variants
}

fn buffers(c: &mut Criterion) {
    let mut group = c.benchmark_group("EVM memory buffer, 64 bytes touched");
    for (name, mut run) in buffer_variants() {
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

/// Two threads acquire and release from one shared pool at once; the figure is the time
/// per acquire+release on each thread (the slower thread's).
fn contended(c: &mut Criterion) {
    let mut group = c.benchmark_group("frame acquire+release, 2 threads");

    fn two_threads(iters: u64, op: &(dyn Fn() + Sync)) -> Duration {
        let start = Barrier::new(2);
        std::thread::scope(|s| {
            let worker = || {
                start.wait();
                let began = Instant::now();
                for _ in 0..iters {
                    op();
                }
                began.elapsed()
            };
            let other = s.spawn(worker);
            let mine = worker();
            mine.max(other.join().unwrap())
        })
    }

    let sync_pool = SyncPool::<Frame>::with_config(PoolConfig::balanced()).unwrap();
    group.bench_function("evm-pool SyncPool", |b| {
        b.iter_custom(|iters| {
            two_threads(iters, &|| {
                let mut frame = sync_pool.acquire();
                frame.touch();
                black_box(&mut *frame);
            })
        })
    });

    group.bench_function("Box::new + drop", |b| {
        b.iter_custom(|iters| {
            two_threads(iters, &|| {
                let mut frame = Box::new(Frame::fresh());
                frame.touch();
                black_box(&mut *frame);
            })
        })
    });

    let opool_shared = opool::Pool::new_prefilled(PREFILL, FrameAllocator);
    group.bench_function("opool Pool", |b| {
        b.iter_custom(|iters| {
            two_threads(iters, &|| {
                let mut frame = opool_shared.get();
                frame.touch();
                black_box(&mut *frame);
            })
        })
    });

    let object_pool = object_pool::Pool::new(PREFILL, Frame::fresh);
    group.bench_function("object-pool", |b| {
        b.iter_custom(|iters| {
            two_threads(iters, &|| {
                let mut frame = object_pool.pull(Frame::fresh);
                frame.clear();
                frame.touch();
                black_box(&mut *frame);
            })
        })
    });

    let slab: sharded_slab::Pool<Frame> = sharded_slab::Pool::new();
    group.bench_function("sharded-slab Pool", |b| {
        b.iter_custom(|iters| {
            two_threads(iters, &|| {
                let mut frame = slab.create().unwrap();
                let key = frame.key();
                frame.touch();
                black_box(&mut *frame);
                drop(frame);
                slab.clear(key);
            })
        })
    });

    group.finish();
}

criterion_group!(benches, single_thread, contended, buffers);

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
        let Some((_, run)) = variants.iter_mut().find(|(name, _)| *name == only) else {
            let names: Vec<_> = variants.iter().map(|(name, _)| *name).collect();
            eprintln!("unknown variant {only:?}; one of {names:?}");
            std::process::exit(2);
        };
        run(iters);
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
