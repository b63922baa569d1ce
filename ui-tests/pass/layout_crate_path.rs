//! A crate that re-exports evm-pool names the path with `crate = "..."`.
mod reexport {
    pub use evm_pool as pools;
}

use evm_pool::Layout;

#[evm_pool::optimize_layout(crate = "crate::reexport::pools")]
struct Frame {
    flag: bool,
    gas: u64,
}

fn main() {
    assert_eq!(Frame::layout_report().size(), 16);
    let frame = Frame { flag: true, gas: 1 };
    assert!(frame.flag && frame.gas == 1);
}
