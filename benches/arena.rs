//! A transaction-like arena workload with a reset per transaction: `TxArena` against
//! `bumpalo` and `typed-arena`, in one run. `EvmAllocator` is the global allocator here
//! so the benchmark also reports how many backing allocations each arena makes per
//! transaction in steady state.
//!
//! ```text
//! cargo bench --bench arena -- --warm-up-time 1 --measurement-time 2
//! ```
//!
//! For instruction counts, `EVM_POOL_CALLGRIND=<tx_arena|bumpalo|typed_arena>:<transactions>`
//! runs one arena for that many transactions and exits; under `valgrind --tool=callgrind`
//! the difference of two transaction counts divided by their difference is the count per
//! transaction.

use criterion::{Criterion, Throughput, criterion_group};
use evm_pool::{EvmAllocator, TxArena};
use std::alloc::System;
use std::hint::black_box;

#[global_allocator]
static ALLOC: EvmAllocator = EvmAllocator::new(System);

type Word = [u8; 32];
type Address = [u8; 20];

/// Sizes of the byte slices a transaction copies (calldata, return data, logs); the
/// total varies per transaction so chunk boundaries move.
fn slice_len(tx: usize, i: usize) -> usize {
    68 + ((tx * 31 + i * 97) % 8) * 128
}

fn tx_arena(arena: &mut TxArena, tx: usize, bytes: &[u8]) -> usize {
    let mut sum = 0;
    for i in 0..64 {
        sum += arena.alloc([i as u8; 32])[0] as usize;
    }
    for i in 0..16 {
        sum += arena.alloc([i as u8; 20])[19] as usize;
    }
    for i in 0..8 {
        sum += arena.alloc_slice_copy(&bytes[..slice_len(tx, i)]).len();
    }
    // A call that reverts: its allocations are rewound.
    let call = arena.checkpoint();
    for i in 0..32 {
        sum += arena.alloc([i as u8; 32])[1] as usize;
    }
    arena
        .rewind(call)
        .expect("checkpoint from this transaction");
    arena.reset();
    sum
}

fn bumpalo(bump: &mut bumpalo::Bump, tx: usize, bytes: &[u8]) -> usize {
    let mut sum = 0;
    for i in 0..64 {
        sum += bump.alloc([i as u8; 32])[0] as usize;
    }
    for i in 0..16 {
        sum += bump.alloc([i as u8; 20])[19] as usize;
    }
    for i in 0..8 {
        sum += bump.alloc_slice_copy(&bytes[..slice_len(tx, i)]).len();
    }
    // No checkpoints in bumpalo: the reverted call's allocations stay until reset.
    for i in 0..32 {
        sum += bump.alloc([i as u8; 32])[1] as usize;
    }
    bump.reset();
    sum
}

fn typed_arena(tx: usize, bytes: &[u8]) -> usize {
    // One arena per type, and no reset: a new set per transaction.
    let words = typed_arena::Arena::<Word>::new();
    let addresses = typed_arena::Arena::<Address>::new();
    let slices = typed_arena::Arena::<u8>::new();
    let mut sum = 0;
    for i in 0..64 {
        sum += words.alloc([i as u8; 32])[0] as usize;
    }
    for i in 0..16 {
        sum += addresses.alloc([i as u8; 20])[19] as usize;
    }
    for i in 0..8 {
        sum += slices
            .alloc_extend(bytes[..slice_len(tx, i)].iter().copied())
            .len();
    }
    for i in 0..32 {
        sum += words.alloc([i as u8; 32])[1] as usize;
    }
    sum
}

/// Backing allocations per transaction after warm-up, measured by the global
/// allocator's region.
fn allocations_per_tx(mut run: impl FnMut(usize) -> usize) -> f64 {
    for tx in 0..100 {
        black_box(run(tx));
    }
    let region = ALLOC.region();
    for tx in 100..1100 {
        black_box(run(tx));
    }
    region.finish().allocations as f64 / 1000.0
}

fn bench(c: &mut Criterion) {
    let bytes = vec![0xA5u8; 2048];
    let mut group = c.benchmark_group("tx_arena_workload");
    group.throughput(Throughput::Elements(1));

    let mut arena = TxArena::with_chunk_size(4096);
    let mut tx = 0;
    group.bench_function("tx_arena", |b| {
        b.iter(|| {
            tx += 1;
            black_box(tx_arena(&mut arena, tx, &bytes))
        })
    });
    let mut bump = bumpalo::Bump::with_capacity(4096);
    group.bench_function("bumpalo", |b| {
        b.iter(|| {
            tx += 1;
            black_box(bumpalo(&mut bump, tx, &bytes))
        })
    });
    group.bench_function("typed_arena", |b| {
        b.iter(|| {
            tx += 1;
            black_box(typed_arena(tx, &bytes))
        })
    });
    group.finish();

    let mut arena = TxArena::with_chunk_size(4096);
    let tx_arena_allocs = allocations_per_tx(|tx| tx_arena(&mut arena, tx, &bytes));
    let mut bump = bumpalo::Bump::with_capacity(4096);
    let bumpalo_allocs = allocations_per_tx(|tx| bumpalo(&mut bump, tx, &bytes));
    let typed_allocs = allocations_per_tx(|tx| typed_arena(tx, &bytes));
    println!(
        "backing allocations per transaction in steady state: tx_arena {tx_arena_allocs:.2} \
         ({} chunks held), bumpalo {bumpalo_allocs:.2}, typed_arena {typed_allocs:.2}",
        arena.stats().chunks
    );
}

criterion_group!(benches, bench);

fn main() {
    if let Ok(spec) = std::env::var("EVM_POOL_CALLGRIND") {
        let (which, txs) = spec
            .split_once(':')
            .unwrap_or_else(|| usage("EVM_POOL_CALLGRIND=<arena>:<transactions>"));
        let txs: usize = txs
            .parse()
            .unwrap_or_else(|_| usage("transactions is a number"));
        let bytes = vec![0xA5u8; 2048];
        let mut sum = 0;
        match which {
            "tx_arena" => {
                let mut arena = TxArena::with_chunk_size(4096);
                for tx in 0..txs {
                    sum += tx_arena(&mut arena, tx, &bytes);
                }
            }
            "bumpalo" => {
                let mut bump = bumpalo::Bump::with_capacity(4096);
                for tx in 0..txs {
                    sum += bumpalo(&mut bump, tx, &bytes);
                }
            }
            "typed_arena" => {
                for tx in 0..txs {
                    sum += typed_arena(tx, &bytes);
                }
            }
            _ => usage("arena: tx_arena, bumpalo or typed_arena"),
        }
        black_box(sum);
        return;
    }
    benches();
    criterion::Criterion::default()
        .configure_from_args()
        .final_summary();
}

fn usage(message: &str) -> ! {
    eprintln!("{message}");
    std::process::exit(2);
}
