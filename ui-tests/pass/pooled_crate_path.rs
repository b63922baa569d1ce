//! `#[pool(crate = "...")]` for code that reaches `evm_pool` through a re-export.
mod reexport {
    pub use evm_pool;
}

use reexport::evm_pool::Pooled;

#[derive(Pooled, Default)]
#[pool(crate = "crate::reexport::evm_pool", preset = "minimal")]
struct Frame {
    memory: Vec<u8>,
}

fn main() {
    let pool = FramePool::new();
    pool.acquire().memory.push(1);
    assert_eq!(pool.stats().returns, 1);
}
