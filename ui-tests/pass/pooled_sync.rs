//! `#[pool(sync)]`: a `SyncPool`-backed pool type, shareable across threads, for generic
//! and borrowing structs too (a `SyncPool` needs `Send`, not `'static`).
use evm_pool::{EvmPooled, PoolConfig, Pooled};

#[derive(Pooled, Default)]
#[pool(sync, preset = "high_performance", name = SharedFrames)]
struct Frame {
    memory: Vec<u8>,
}

#[derive(Pooled, Default)]
#[pool(sync)]
struct Slots<'a, T: Send> {
    items: Vec<T>,
    #[pool(skip)]
    label: &'a str,
}

fn assert_sync<T: Sync + Send>(_: &T) {}

fn main() {
    let frames = SharedFrames::new();
    assert_sync(&frames);
    assert_eq!(frames.config(), &PoolConfig::high_performance());
    std::thread::scope(|s| {
        s.spawn(|| frames.acquire().memory.push(1));
        s.spawn(|| frames.acquire().memory.push(2));
    });
    assert_eq!(frames.stats().returns, 2);

    let label = String::from("calls");
    let slots = SlotsPool::<u64>::new();
    {
        let mut slot = slots.acquire();
        slot.label = &label;
        slot.items.push(1);
    }
    assert_eq!(Slots::<u64>::pool_config(), PoolConfig::balanced());
    assert!(format!("{slots:?}").starts_with("SlotsPool(SyncPool"));
}
