//! A field whose type is not `Reset` and has neither `#[pool(skip)]` nor
//! `#[pool(reset = "...")]`: the error points at the field's type.
use evm_pool::Pooled;

#[derive(Default)]
struct Journal {
    entries: Vec<u64>,
}

#[derive(Pooled, Default)]
struct Frame {
    memory: Vec<u8>,
    journal: Journal,
}

fn main() {}
