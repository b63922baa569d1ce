//! `keep_order` keeps an ABI order (repr(C) as declared) and still reports and asserts.
use evm_pool::{Layout, optimize_layout};

#[optimize_layout(keep_order, report)]
struct AbiHeader {
    flag: bool,
    gas: u64,
    code: [u8; 20],
}

#[optimize_layout(keep_order)]
#[repr(C)]
struct AlreadyC {
    a: u8,
    b: u32,
}

fn main() {
    let report = AbiHeader::layout_report();
    assert!(!report.is_reordered());
    assert_eq!(core::mem::offset_of!(AbiHeader, gas), 8);
    assert_eq!(report.size(), 40);
    assert_eq!(report.optimal_size(), 32);
    assert_eq!(AlreadyC::layout_report().size(), 8);
    let header = AbiHeader { flag: true, gas: 1, code: [0; 20] };
    let _ = AlreadyC { a: 1, b: 2 };
    assert!(header.flag && header.gas == 1 && header.code == [0; 20]);
}
