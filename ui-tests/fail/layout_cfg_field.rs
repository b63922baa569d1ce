//! A field behind #[cfg] would make the layout and its assertions differ between builds.
use evm_pool::optimize_layout;

#[optimize_layout]
struct Frame {
    pc: usize,
    #[cfg(debug_assertions)]
    trace: Vec<u8>,
}

fn main() {}
