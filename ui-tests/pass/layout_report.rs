//! `report` prints the table as a warning (see the fixture test for its text); the
//! struct still builds and works.
use evm_pool::{Layout, optimize_layout};

#[optimize_layout(report)]
struct Frame {
    is_static: bool,
    gas_limit: u64,
    depth: u16,
    value: [u64; 4],
    memory: Vec<u8>,
    kind: u8,
}

fn main() {
    let frame = Frame {
        is_static: false,
        gas_limit: 30_000_000,
        depth: 1,
        value: [0; 4],
        memory: Vec::new(),
        kind: 0,
    };
    let Frame { depth, gas_limit, .. } = frame;
    assert_eq!((depth, gas_limit), (1, 30_000_000));
    assert!(!frame.is_static && frame.kind == 0 && frame.memory.is_empty() && frame.value[0] == 0);
    assert_eq!(Frame::layout_report().size(), 72);
}
