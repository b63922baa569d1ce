//! Every statistic the library keeps, printed from one small run: an object pool
//! (`PoolStats`), the call-frame manager (`PoolStatistics`, `AllocationTracker` and its
//! `PatternReport`), the allocator (`AllocationStatistics`, `RegionStats`), a
//! per-transaction arena (`ArenaStats`) and a layout report (`LayoutReport`).
//! `docs/guide.md` explains each field with this program's output.
//!
//! ```text
//! cargo run --release --example statistics
//! ```

use evm_pool::{
    EvmAllocator, FrameKind, FramePoolConfig, FramePoolManager, Layout, Pool, PoolConfig,
    PooledFrame, TxArena, optimize_layout,
};
use std::alloc::System;

#[global_allocator]
static ALLOC: EvmAllocator = EvmAllocator::new(System);

/// A call frame's bookkeeping, laid out without padding.
#[optimize_layout]
struct CallContext {
    is_static: bool,
    gas_limit: u64,
    depth: u16,
    value: [u64; 4],
    input: Vec<u8>,
    kind: u8,
}

/// Opens `depth` nested frames below `parent`, alternating CALL and STATICCALL.
fn call_chain(
    manager: &FramePoolManager<[u8; 32]>,
    parent: &mut PooledFrame<[u8; 32]>,
    depth: usize,
) -> Result<(), Box<dyn std::error::Error>> {
    if depth == 0 {
        return Ok(());
    }
    let kind = if depth.is_multiple_of(2) {
        FrameKind::Call
    } else {
        FrameKind::StaticCall
    };
    let mut child = manager.acquire(kind, Some(parent))?;
    call_chain(manager, &mut child, depth - 1)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // An object pool: 1000 transactions of 1-4 memory buffers each, with a burst of 40.
    let pool = Pool::<Vec<u8>>::with_config(PoolConfig::minimal())?;
    for tx in 0..1000usize {
        let buffers: Vec<_> = (0..1 + tx % 4).map(|_| pool.acquire()).collect();
        drop(buffers);
    }
    let burst: Vec<_> = (0..40)
        .map(|_| {
            let mut memory = pool.acquire();
            memory.resize(4096, 0);
            memory
        })
        .collect();
    drop(burst);
    println!(
        "== PoolStats (Pool<Vec<u8>>, minimal preset)\n{}\n",
        pool.stats()
    );

    // Frames: 200 transactions, call trees 1 to 8 deep.
    let mut config = FramePoolConfig::balanced();
    config.track_timeline = true;
    let frames = FramePoolManager::<[u8; 32]>::new(config)?;
    for tx in 0..200usize {
        let mut root = frames.acquire(FrameKind::Call, None)?;
        root.stack_mut().push([1; 32])?;
        call_chain(&frames, &mut root, tx % 8)?;
    }
    println!(
        "== PoolStatistics (FramePoolManager, balanced preset)\n{}\n",
        frames.statistics()
    );
    let tracker = frames.tracker();
    println!("== AllocationTracker\n{tracker}\n");
    println!("== PatternReport\n{}\n", tracker.patterns());

    // The allocator and an arena: one region per transaction.
    let mut arena = TxArena::with_chunk_size(16 * 1024);
    let mut last = None;
    for tx in 0..100u8 {
        let region = ALLOC.region();
        let calldata = arena.alloc_slice_copy(&[tx; 68]);
        let mut stack: Vec<[u8; 32]> = Vec::with_capacity(16);
        stack.push([calldata[0]; 32]);
        let memory = vec![0u8; 1024 + usize::from(tx % 4) * 1024];
        let logs: Vec<Box<[u8; 20]>> = (0..3).map(|i| Box::new([i; 20])).collect();
        drop((stack, memory, logs));
        last = Some(region.finish());
        arena.reset();
    }
    if let Some(region) = last {
        println!("== RegionStats (the last transaction)\n{region}\n");
    }
    println!("== ArenaStats\n{}\n", arena.stats());
    println!(
        "== AllocationStatistics (the whole process)\n{}\n",
        ALLOC.stats().with_arena(&arena.stats())
    );

    println!("== LayoutReport\n{}", CallContext::layout_report());
    Ok(())
}
