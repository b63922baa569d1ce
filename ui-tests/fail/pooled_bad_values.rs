//! Values of the wrong kind, missing values, values on flags, bare `#[pool]`.
use evm_pool::Pooled;

#[derive(Pooled, Default)]
#[pool(max = "1024", initial, growth = "fast", sync = true, name = 3)]
#[pool]
struct Frame {
    #[pool(reset = "not a path")]
    memory: Vec<u8>,
}

fn main() {}
