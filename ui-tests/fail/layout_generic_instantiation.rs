//! A generic field is ordered as pointer-aligned; an instantiation where it is not fails
//! where it is checked, naming the hint.
use evm_pool::{Layout, optimize_layout};

#[optimize_layout]
struct Checkpointed<T> {
    dirty: bool,
    value: T,
    checkpoint: usize,
}

const _: () = <Checkpointed<u128> as Layout>::LAYOUT_ASSERTIONS;

fn main() {
    let _ = Checkpointed { dirty: false, value: 1u128, checkpoint: 0 };
}
