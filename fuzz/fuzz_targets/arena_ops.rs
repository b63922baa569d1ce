//! `TxArena` operation sequences (allocations of any size and alignment, checkpoints,
//! rewinds, resets) against a model: every live allocation is aligned, keeps the byte
//! pattern written into it (so no two overlap and nothing is handed out twice while
//! live), rewinding to a checkpoint restores its `bytes_used` exactly and frees only
//! what came after it, stale checkpoints (from before a reset, or past the current
//! position) are `ArenaError::StaleCheckpoint`, and a reset keeps every chunk.
#![no_main]

use std::alloc::Layout;

use arbitrary::Arbitrary;
use evm_pool::{ArenaError, Checkpoint, TxArena};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
enum Op {
    Alloc { size: u16, align_log2: u8, byte: u8 },
    Big { kib: u8, byte: u8 },
    Checkpoint,
    Rewind(u8),
    Reset,
}

#[derive(Arbitrary, Debug)]
struct Input {
    chunk_log2: u8,
    ops: Vec<Op>,
}

struct Live {
    ptr: *mut u8,
    len: usize,
    byte: u8,
}

/// A checkpoint, the allocations live when it was taken, and `bytes_used` then.
struct Mark {
    checkpoint: Checkpoint,
    live: usize,
    used: u64,
}

fuzz_target!(|input: Input| {
    let chunk = 1usize << (6 + input.chunk_log2 % 12); // 64 B ..= 128 KiB
    let mut arena = TxArena::with_chunk_size(chunk);
    let mut live: Vec<Live> = Vec::new();
    let mut marks: Vec<Mark> = Vec::new();
    let mut stale: Vec<Checkpoint> = Vec::new();
    let mut chunks_seen = 0;
    for op in input.ops {
        match op {
            Op::Alloc {
                size,
                align_log2,
                byte,
            } => {
                let layout =
                    Layout::from_size_align(usize::from(size % 4096), 1 << (align_log2 % 8))
                        .unwrap();
                alloc(&arena, layout, byte, &mut live);
            }
            Op::Big { kib, byte } => {
                let layout = Layout::from_size_align(usize::from(kib % 32) * 1024 + 1, 16).unwrap();
                alloc(&arena, layout, byte, &mut live);
            }
            Op::Checkpoint => {
                let used = arena.stats().bytes_used;
                marks.push(Mark {
                    checkpoint: arena.checkpoint(),
                    live: live.len(),
                    used,
                });
            }
            Op::Rewind(i) => {
                if !stale.is_empty() && i % 4 == 0 {
                    let checkpoint = stale[usize::from(i) % stale.len()];
                    assert_eq!(arena.rewind(checkpoint), Err(ArenaError::StaleCheckpoint));
                } else if !marks.is_empty() {
                    let at = usize::from(i) % marks.len();
                    let mark = &marks[at];
                    arena
                        .rewind(mark.checkpoint)
                        .expect("a checkpoint of this generation, not passed");
                    assert_eq!(
                        arena.stats().bytes_used,
                        mark.used,
                        "rewind restores bytes_used"
                    );
                    live.truncate(mark.live);
                    // Checkpoints taken after this one now lie past the position (or
                    // will, once reused): the model forgets them.
                    marks.truncate(at + 1);
                }
            }
            Op::Reset => {
                let held = arena.stats().bytes_held;
                arena.reset();
                let stats = arena.stats();
                assert_eq!(stats.bytes_used, 0);
                assert_eq!(stats.bytes_held, held, "reset keeps every chunk");
                live.clear();
                stale.extend(marks.drain(..).map(|m| m.checkpoint));
            }
        }
        let stats = arena.stats();
        assert!(stats.chunks >= chunks_seen, "chunks are kept until drop");
        chunks_seen = stats.chunks;
        assert_eq!(stats.chunk_allocations, stats.chunks as u64);
        let payload: usize = live.iter().map(|l| l.len).sum();
        assert!(
            stats.bytes_used >= payload as u64,
            "{stats} < {payload} live bytes"
        );
        assert!(stats.bytes_used <= stats.bytes_held || stats.chunks == 0);
        assert!(stats.peak_bytes_used >= stats.bytes_used);
        for l in &live {
            // SAFETY: the model keeps only allocations made since the last reset and
            // not rewound past: the arena still holds them and nothing else writes there.
            let bytes = unsafe { std::slice::from_raw_parts(l.ptr, l.len) };
            assert!(
                bytes.iter().all(|&b| b == l.byte),
                "an arena allocation was overwritten"
            );
        }
    }
});

fn alloc(arena: &TxArena, layout: Layout, byte: u8, live: &mut Vec<Live>) {
    let p = arena
        .try_alloc_layout(layout)
        .expect("small requests always fit");
    assert_eq!(p.as_ptr().addr() % layout.align(), 0, "misaligned");
    // SAFETY: the arena handed out `layout.size()` writable bytes at `p`, referenced by
    // nobody else.
    unsafe { std::ptr::write_bytes(p.as_ptr(), byte, layout.size()) };
    live.push(Live {
        ptr: p.as_ptr(),
        len: layout.size(),
        byte,
    });
}
