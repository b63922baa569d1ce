//! Field hints are checked: alignments are powers of two, sizes multiples of them,
//! and only `align`, `size` and `hot` exist.
use evm_pool::optimize_layout;

struct Journal([u64; 6]);

#[optimize_layout]
struct State {
    #[layout(align = 3)]
    a: Journal,
    #[layout(size = 12, align = 8)]
    b: Journal,
    #[layout(cold)]
    c: u8,
    #[layout(hot, hot)]
    d: u8,
}

fn main() {}
