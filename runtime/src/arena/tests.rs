//! Tests of [`TxArena`]: reset keeps every chunk, checkpoints, stats, and a property test
//! of random operation sequences against a model.

use super::*;
use proptest::prelude::*;

#[test]
fn reset_keeps_every_chunk_so_steady_state_allocates_nothing() {
    let mut arena = TxArena::with_chunk_size(256);
    let mut held = 0;
    for tx in 0..20u8 {
        // Each transaction needs several chunks' worth.
        for i in 0..40u8 {
            let word = arena.alloc([tx ^ i; 32]);
            assert_eq!(word[31], tx ^ i);
        }
        let stats = arena.stats();
        assert_eq!(stats.bytes_used, 40 * 32);
        if tx == 0 {
            held = stats.bytes_held;
            assert!(stats.chunks > 1, "{stats}");
        }
        assert_eq!(stats.bytes_held, held, "tx {tx} grew the arena");
        arena.reset();
    }
    let stats = arena.stats();
    assert_eq!(stats.resets, 20);
    assert_eq!(stats.chunk_allocations as usize, stats.chunks);
    assert_eq!(stats.bytes_used, 0);
    assert_eq!(stats.peak_bytes_used, 40 * 32);
}

#[test]
fn checkpoint_and_rewind_reclaim_a_reverted_call() {
    let mut arena = TxArena::with_chunk_size(64);
    let a = arena.alloc(1u64) as *const u64;
    let call = arena.checkpoint();
    for i in 0..20u64 {
        arena.alloc(i); // spills into further chunks
    }
    assert_eq!(arena.stats().bytes_used, 21 * 8);
    let chunks = arena.stats().chunks;
    arena.rewind(call).unwrap();
    assert_eq!(arena.stats().bytes_used, 8);
    // SAFETY: `a` was allocated before the checkpoint and is still valid.
    assert_eq!(unsafe { *a }, 1);
    for i in 0..20u64 {
        arena.alloc(i);
    }
    assert_eq!(arena.stats().chunks, chunks, "rewound space is reused");
    let stale = arena.checkpoint();
    arena.reset();
    assert_eq!(arena.rewind(stale), Err(ArenaError::StaleCheckpoint));
    assert!(ArenaError::StaleCheckpoint.to_string().contains("stale"));
}

#[test]
fn typed_helpers_and_alignment() {
    let arena = TxArena::with_chunk_size(128);
    let s = arena.alloc_str("transfer(address,uint256)");
    assert_eq!(s, "transfer(address,uint256)");
    let slice = arena.alloc_slice_fill_with(3, |i| i as u32 * 10);
    assert_eq!(slice, &[0, 10, 20]);
    #[repr(align(64))]
    struct Line([u8; 64]);
    let line = arena.alloc(Line([9; 64]));
    assert_eq!(std::ptr::from_ref(line).addr() % 64, 0);
    assert_eq!(line.0[63], 9);
    let empty: &mut [u64] = arena.alloc_slice_copy(&[]);
    assert!(empty.is_empty());
    let huge = arena.alloc_slice_copy(&[1u8; 1000]); // bigger than a chunk
    assert_eq!(huge.len(), 1000);
    assert!(arena.stats().bytes_held >= 1000);
    assert_eq!(
        arena.try_alloc_layout(Layout::from_size_align(isize::MAX as usize, 1).unwrap()),
        Err(ArenaError::OutOfMemory {
            size: isize::MAX as usize
        })
    );
}

#[test]
fn from_config_uses_the_arena_size() {
    let arena = TxArena::from_config(&AllocatorConfig::optimized()).unwrap();
    assert_eq!(arena.stats().chunks, 1);
    assert_eq!(arena.stats().bytes_held, 1 << 20);
    arena.alloc([0u8; 1000]);
    assert_eq!(arena.stats().chunk_allocations, 1);
    assert!(matches!(
        TxArena::from_config(&AllocatorConfig::minimal()),
        Err(ConfigError::Invalid { name: "arena", .. })
    ));
    assert!(arena.stats().to_string().contains("1000 B used"));
}

#[derive(Clone, Debug)]
enum Op {
    Alloc { size: usize, align_log2: u32 },
    Checkpoint,
    Rewind(usize),
    Reset,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0usize..300, 0u32..7).prop_map(|(size, align_log2)| Op::Alloc { size, align_log2 }),
        1 => Just(Op::Checkpoint),
        1 => (0usize..8).prop_map(Op::Rewind),
        1 => Just(Op::Reset),
    ]
}

proptest! {
    /// Random sequences: every live allocation stays aligned, disjoint and intact;
    /// rewinds accept exactly the checkpoints at or before the position; replaying the
    /// same sequence after a reset allocates no new chunk.
    #[test]
    fn op_sequences_keep_allocations_intact(ops in prop::collection::vec(op(), 1..60)) {
        let mut arena = TxArena::with_chunk_size(512);
        for pass in 0..2 {
            let chunks_before = arena.stats().chunk_allocations;
            // Live allocations: (address, size, fill byte).
            let mut live: Vec<(*mut u8, usize, u8)> = Vec::new();
            // Checkpoints with the number of live allocations when taken.
            let mut checkpoints: Vec<(Checkpoint, usize)> = Vec::new();
            for (step, op) in ops.iter().enumerate() {
                match *op {
                    Op::Alloc { size, align_log2 } => {
                        let layout = Layout::from_size_align(size, 1 << align_log2).unwrap();
                        let p = arena.alloc_layout(layout).as_ptr();
                        prop_assert_eq!(p.addr() % layout.align(), 0);
                        let fill = step as u8;
                        // SAFETY: `size` fresh bytes.
                        unsafe { p.write_bytes(fill, size) };
                        if size > 0 {
                            for &(other, len, _) in &live {
                                let addr = other.addr();
                                prop_assert!(p.addr() + size <= addr || addr + len <= p.addr());
                            }
                            live.push((p, size, fill));
                        }
                    }
                    Op::Checkpoint => checkpoints.push((arena.checkpoint(), live.len())),
                    Op::Rewind(i) => {
                        if let Some(&(cp, n)) = checkpoints.get(i) {
                            // Valid iff no rewind went below it: the model's live count
                            // still includes everything that existed at the checkpoint.
                            let valid = live.len() >= n;
                            prop_assert_eq!(arena.rewind(cp).is_ok(), valid || arena.checkpoint() == cp);
                            if valid {
                                live.truncate(n);
                                checkpoints.retain(|&(_, m)| m <= n);
                            }
                        }
                    }
                    Op::Reset => {
                        arena.reset();
                        live.clear();
                        checkpoints.clear();
                        prop_assert_eq!(arena.stats().bytes_used, 0);
                    }
                }
                for &(p, len, fill) in &live {
                    // SAFETY: live allocations are still valid (A2).
                    let bytes = unsafe { std::slice::from_raw_parts(p, len) };
                    // One `memcmp` (fast under Miri), not a per-byte loop.
                    prop_assert!(bytes == vec![fill; bytes.len()]);
                }
                let stats = arena.stats();
                prop_assert!(stats.bytes_used >= live.iter().map(|l| l.1 as u64).sum::<u64>());
                prop_assert!(stats.bytes_used <= stats.bytes_held);
            }
            if pass == 1 {
                prop_assert_eq!(arena.stats().chunk_allocations, chunks_before);
            }
            arena.reset();
        }
    }
}
