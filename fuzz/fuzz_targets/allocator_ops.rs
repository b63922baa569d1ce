//! `EvmAllocator` (an instance, through `GlobalAlloc`) under arbitrary alloc / zeroed
//! alloc / realloc / dealloc sequences of any size and alignment, against a model:
//! every block is aligned, keeps the pattern written into it (no overlap, no block
//! handed out twice, realloc preserves the prefix), zeroed blocks read zero even when
//! recycled, and the statistics are exact (allocations, deallocations, reallocations,
//! current bytes equal to the live bytes, peak at least current). Dropping the
//! allocator at the end returns its chunks (ASan reports any leak or bad access).
#![no_main]

use std::alloc::{GlobalAlloc, Layout, System};

use arbitrary::Arbitrary;
use evm_pool::{AllocatorConfig, EvmAllocator};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
enum Op {
    Alloc {
        size: u16,
        align_log2: u8,
        zeroed: bool,
    },
    Free(u8),
    Realloc(u8, u16),
}

#[derive(Arbitrary, Debug)]
struct Input {
    config: u8,
    ops: Vec<Op>,
}

struct Block {
    ptr: *mut u8,
    layout: Layout,
    byte: u8,
}

fn size(raw: u16) -> usize {
    // Mostly the pooled range (up to 4 KiB), sometimes beyond it.
    let raw = usize::from(raw);
    if raw % 8 == 0 {
        1 + raw * 2
    } else {
        1 + raw % 4200
    }
}

fuzz_target!(|input: Input| {
    let mut config = match input.config % 3 {
        0 => AllocatorConfig::optimized(),
        1 => AllocatorConfig::minimal(),
        _ => {
            let mut c = AllocatorConfig::optimized();
            c.alignment_optimization = false;
            c.pool_chunk_bytes = 8 * 1024;
            c
        }
    };
    config.statistics = true;
    let alloc: EvmAllocator = EvmAllocator::try_with_config(System, config).unwrap();
    let mut live: Vec<Block> = Vec::new();
    let (mut allocations, mut deallocations, mut reallocations) = (0u64, 0u64, 0u64);
    let mut byte = 0u8;
    for op in input.ops {
        byte = byte.wrapping_add(1);
        match op {
            Op::Alloc {
                size: raw,
                align_log2,
                zeroed,
            } => {
                let layout = Layout::from_size_align(size(raw), 1 << (align_log2 % 13)).unwrap();
                // SAFETY: non-zero size.
                let p = unsafe {
                    if zeroed {
                        alloc.alloc_zeroed(layout)
                    } else {
                        alloc.alloc(layout)
                    }
                };
                assert!(!p.is_null(), "System does not refuse small requests");
                assert_eq!(p.addr() % layout.align(), 0, "misaligned for {layout:?}");
                if zeroed {
                    // SAFETY: a live block of `layout.size()` bytes.
                    let bytes = unsafe { std::slice::from_raw_parts(p, layout.size()) };
                    assert!(bytes.iter().all(|&b| b == 0), "zeroed block not zero");
                }
                // SAFETY: as above, exclusively ours.
                unsafe { std::ptr::write_bytes(p, byte, layout.size()) };
                live.push(Block {
                    ptr: p,
                    layout,
                    byte,
                });
                allocations += 1;
            }
            Op::Free(i) if !live.is_empty() => {
                let block = live.swap_remove(usize::from(i) % live.len());
                // SAFETY: allocated by `alloc` with this layout, freed once.
                unsafe { alloc.dealloc(block.ptr, block.layout) };
                deallocations += 1;
            }
            Op::Realloc(i, raw) if !live.is_empty() => {
                let at = usize::from(i) % live.len();
                let block = &mut live[at];
                let new_size = size(raw);
                // SAFETY: live block with this layout; non-zero new size.
                let p = unsafe { alloc.realloc(block.ptr, block.layout, new_size) };
                assert!(!p.is_null());
                assert_eq!(
                    p.addr() % block.layout.align(),
                    0,
                    "realloc lost the alignment"
                );
                let kept = block.layout.size().min(new_size);
                // SAFETY: the new block holds `new_size` bytes, the first `kept` copied.
                let bytes = unsafe { std::slice::from_raw_parts(p, kept) };
                assert!(
                    bytes.iter().all(|&b| b == block.byte),
                    "realloc lost contents"
                );
                // SAFETY: as above.
                unsafe { std::ptr::write_bytes(p, byte, new_size) };
                *block = Block {
                    ptr: p,
                    layout: Layout::from_size_align(new_size, block.layout.align()).unwrap(),
                    byte,
                };
                reallocations += 1;
            }
            _ => {}
        }
        for block in &live {
            // SAFETY: every block in the model is live with its layout.
            let bytes = unsafe { std::slice::from_raw_parts(block.ptr, block.layout.size()) };
            assert!(
                bytes.iter().all(|&b| b == block.byte),
                "a live block was overwritten"
            );
        }
        {
            let stats = alloc.stats();
            let live_bytes: u64 = live.iter().map(|b| b.layout.size() as u64).sum();
            assert_eq!(stats.allocations, allocations);
            assert_eq!(stats.deallocations, deallocations);
            assert_eq!(stats.reallocations, reallocations);
            assert_eq!(
                stats.current_bytes, live_bytes,
                "current bytes differ from the live bytes"
            );
            assert!(stats.peak_bytes >= stats.current_bytes);
        }
    }
    for block in live {
        // SAFETY: live, freed once.
        unsafe { alloc.dealloc(block.ptr, block.layout) };
    }
    assert_eq!(alloc.stats().current_bytes, 0);
});
