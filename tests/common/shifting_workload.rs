//! The shifting frame workload shared by `tests/stress.rs` (the auto-tuner keeps memory
//! within budget) and `benches/frames.rs` (hit rate and memory held over a long run, for
//! the benchmark report): phases of transfers, fan-out, 200-deep proxies, 48 KiB call
//! data and idle spells, each a call tree opened below a root frame.

use evm_pool::{FrameKind, FramePoolManager, FrameRequest, PooledFrame};

/// One phase of the shifting workload: how deep, how wide, how much memory and input.
#[derive(Clone, Copy, Debug)]
pub struct Phase {
    pub name: &'static str,
    pub depth: usize,
    pub children: usize,
    pub memory_words: usize,
    pub input: usize,
    pub kind: FrameKind,
}

pub const PHASES: [Phase; 5] = [
    Phase {
        name: "transfers",
        depth: 1,
        children: 1,
        memory_words: 3,
        input: 68,
        kind: FrameKind::Call,
    },
    Phase {
        name: "defi-fanout",
        depth: 3,
        children: 6,
        memory_words: 32,
        input: 260,
        kind: FrameKind::Call,
    },
    Phase {
        name: "deep-proxy",
        depth: 200,
        children: 1,
        memory_words: 8,
        input: 36,
        kind: FrameKind::DelegateCall,
    },
    Phase {
        name: "big-calldata",
        depth: 2,
        children: 4,
        memory_words: 512,
        input: 48 * 1024,
        kind: FrameKind::StaticCall,
    },
    Phase {
        name: "idle",
        depth: 0,
        children: 0,
        memory_words: 0,
        input: 0,
        kind: FrameKind::Call,
    },
];

/// Runs one call tree of `phase` below `parent`; returns frames opened.
pub fn call_tree(
    manager: &FramePoolManager,
    parent: &mut PooledFrame,
    phase: Phase,
    level: usize,
    input: &[u8],
) -> u64 {
    if level >= phase.depth {
        return 0;
    }
    let mut opened = 0;
    let children = if level == 0 {
        phase.children
    } else {
        1.max(phase.children / 2)
    };
    for _ in 0..children {
        let request = FrameRequest::new(phase.kind).input(input).gas(1_000_000);
        let mut child = manager
            .acquire_with(request, Some(parent))
            .expect("within the rules");
        opened += 1;
        child.memory_mut().resize(phase.memory_words * 32).unwrap();
        child.stack_mut().push([level as u8; 32]).unwrap();
        opened += call_tree(manager, &mut child, phase, level + 1, input);
        if phase.depth > 10 {
            break; // chains, not trees, when deep
        }
    }
    opened
}
