//! Hints for types the macro cannot see into, and hot fields first.
use evm_pool::{Layout, optimize_layout};

#[allow(dead_code)]
struct Journal {
    entries: Vec<u64>,
    checkpoint: usize,
}

#[repr(align(16))]
#[allow(dead_code)]
struct Aligned([u8; 16]);

#[optimize_layout(report)]
struct State {
    depth: u16,
    #[layout(size = 32, align = 8)]
    journal: Journal,
    #[layout(align = 16, size = 16)]
    aligned: Aligned,
    /// Read on every instruction.
    #[layout(hot)]
    pc: u32,
    warm: bool,
}

fn main() {
    let report = State::layout_report();
    assert_eq!(report.fields()[0].name, "pc");
    assert!(report.fields()[0].hot);
    // depth and warm fill the gap between pc and the 16-aligned field.
    assert_eq!(report.fields()[1].name, "depth");
    assert_eq!(report.size(), 64);
    assert_eq!(report.optimal_size(), 64);
    let state = State {
        depth: 0,
        journal: Journal { entries: Vec::new(), checkpoint: 0 },
        aligned: Aligned([0; 16]),
        pc: 0,
        warm: false,
    };
    assert!(state.depth == 0 && state.pc == 0 && !state.warm);
}
