//! An unsized field must stay last, so such a struct cannot be reordered.
use evm_pool::optimize_layout;

#[optimize_layout]
struct Code {
    len: usize,
    bytes: [u8],
}

fn main() {}
