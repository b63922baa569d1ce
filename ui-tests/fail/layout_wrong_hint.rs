//! A hint that does not match the real type fails the build with the field named.
use evm_pool::optimize_layout;

struct Journal {
    _entries: Vec<u64>,
    _checkpoint: usize,
}

#[optimize_layout]
struct State {
    depth: u16,
    #[layout(size = 24, align = 8)]
    journal: Journal,
}

fn main() {}
