//! `repr(align(N))` is kept.
use evm_pool::{Layout, optimize_layout};

#[optimize_layout]
#[repr(align(64))]
struct CacheLine {
    flag: bool,
    counter: u64,
}

fn main() {
    assert_eq!(core::mem::align_of::<CacheLine>(), 64);
    let report = CacheLine::layout_report();
    assert_eq!((report.size(), report.align()), (64, 64));
    let line = CacheLine { flag: true, counter: 1 };
    assert!(line.flag && line.counter == 1);
}
