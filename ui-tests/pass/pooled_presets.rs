//! Each preset, and no attribute at all (the runtime's default, `balanced`).
use evm_pool::{EvmPooled, PoolConfig, Pooled};

#[derive(Pooled, Default)]
#[pool(preset = "high_performance")]
struct Fast(Vec<u8>);

#[derive(Pooled, Default)]
#[pool(preset = "balanced")]
struct Middle(Vec<u8>);

#[derive(Pooled, Default)]
#[pool(preset = "minimal")]
struct Small(Vec<u8>);

#[derive(Pooled, Default)]
#[pool(preset = "disabled")]
struct Off(Vec<u8>);

#[derive(Pooled, Default)]
struct Plain(Vec<u8>);

fn main() {
    assert_eq!(Fast::pool_config(), PoolConfig::high_performance());
    assert_eq!(Middle::pool_config(), PoolConfig::balanced());
    assert_eq!(Small::pool_config(), PoolConfig::minimal());
    assert_eq!(Off::pool_config(), PoolConfig::disabled());
    assert_eq!(Plain::pool_config(), PoolConfig::balanced());
    let off = OffPool::new();
    drop(off.acquire());
    assert_eq!(off.stats().available, 0);
    let _ = (FastPool::new(), MiddlePool::new(), SmallPool::new(), PlainPool::new());
}
