//! `EvmAllocator` as the global allocator: run EVM-like transactions, measure each with
//! a region, keep per-transaction scratch data in a `TxArena`, and print the statistics.
//!
//! ```text
//! cargo run --release --example allocator
//! ```

use evm_pool::{AllocatorConfig, EvmAllocator, RegionStats, TxArena};
use std::alloc::System;
use std::collections::HashMap;
use std::hint::black_box;

#[global_allocator]
static ALLOC: EvmAllocator = EvmAllocator::new(System);

type Address = [u8; 20];
type Word = [u8; 32];

/// One transaction: an operand stack of words, memory that grows to 1-4 KiB, touched
/// addresses and storage slots, logs; call frames nested `depth` deep. Scratch data
/// (decoded calldata, jump destinations) goes to the arena.
fn run_transaction(tx: u64, arena: &TxArena) -> u64 {
    let calldata = arena.alloc_slice_fill_with(68, |i| (tx as u8).wrapping_add(i as u8));
    let jumpdests = arena.alloc_slice_fill_with(64, |i| i % 3 == 0);

    let mut touched: Vec<Box<Address>> = Vec::new();
    let mut storage: HashMap<Word, Word> = HashMap::new();
    let mut logs: Vec<Vec<u8>> = Vec::new();
    let mut checksum = 0u64;
    let depth = 1 + tx % 4;
    for frame in 0..depth {
        let mut stack: Vec<Word> = Vec::with_capacity(16);
        let mut memory: Vec<u8> = Vec::new();
        let memory_size = 1024 + ((tx * 7 + frame * 13) % 4) as usize * 1024;
        for op in 0..64u64 {
            stack.push([(op as u8) ^ calldata[(op % 68) as usize]; 32]);
            if op % 4 == 0 && memory.len() < memory_size {
                memory.extend_from_slice(&[op as u8; 256]); // MSTORE-like growth
            }
            if op % 16 == 0 {
                touched.push(Box::new([op as u8; 20]));
                storage.insert([op as u8; 32], [frame as u8; 32]);
            }
            if stack.len() > 8 {
                stack.pop();
            }
        }
        if jumpdests[frame as usize] {
            logs.push(memory[..64].to_vec());
        }
        checksum = checksum.wrapping_add(memory.len() as u64 + stack.len() as u64);
    }
    checksum + touched.len() as u64 + storage.len() as u64 + logs.len() as u64
}

fn print_tx(tx: u64, stats: &RegionStats) {
    println!(
        "tx {tx}: {} allocations, {} reallocations, {} B allocated, peak {} B, \
         20-byte {}, 32-byte {}, 1 KiB {}, 4 KiB {}",
        stats.allocations,
        stats.reallocations,
        stats.bytes_allocated,
        stats.peak_bytes,
        stats.class(20).allocated,
        stats.class(32).allocated,
        stats.class(1024).allocated,
        stats.class(4096).allocated,
    );
}

fn main() {
    println!("allocator: {}", ALLOC.config());
    let mut arena = match TxArena::from_config(&AllocatorConfig::optimized()) {
        Ok(arena) => arena,
        Err(error) => {
            eprintln!("arena configuration: {error}");
            std::process::exit(1);
        }
    };
    let before = ALLOC.stats();
    let mut checksum = 0u64;
    let transactions = 2_000;
    for tx in 0..transactions {
        let region = ALLOC.region();
        checksum = checksum.wrapping_add(run_transaction(tx, &arena));
        let stats = region.finish();
        if tx < 3 {
            print_tx(tx, &stats);
        }
        arena.reset();
    }
    black_box(checksum);
    let after = ALLOC.stats();
    println!(
        "\n{transactions} transactions: {:.0} allocations/s, pool hit rate {:.1}%",
        after.allocation_rate_since(&before),
        after.pool_hit_rate() * 100.0
    );
    let arena_stats = arena.stats();
    println!("{arena_stats}");
    println!("\n{}", after.with_arena(&arena_stats));
}
