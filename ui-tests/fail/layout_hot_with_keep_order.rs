//! `hot` moves a field, `keep_order` forbids moving: pick one.
use evm_pool::optimize_layout;

#[optimize_layout(keep_order)]
struct Frame {
    memory: Vec<u8>,
    #[layout(hot)]
    pc: usize,
}

fn main() {}
