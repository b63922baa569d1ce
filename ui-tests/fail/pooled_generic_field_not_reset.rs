//! A generic field is checked where the pool is used: `Slot<T>` pools only `T: Reset`.
use evm_pool::Pooled;

#[derive(Pooled, Default)]
struct Slot<T> {
    value: T,
}

#[derive(Default)]
struct Opaque;

fn main() {
    let _ok = SlotPool::<u64>::new();
    let _bad = SlotPool::<Opaque>::new();
}
