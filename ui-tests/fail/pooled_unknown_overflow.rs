//! The overflow policy is `"allocate"` or `"fail"`.
use evm_pool::Pooled;

#[derive(Pooled, Default)]
#[pool(overflow = "block")]
struct Frame {
    memory: Vec<u8>,
}

fn main() {}
