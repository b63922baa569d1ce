//! Guards from one pool can be held side by side and dropped in any order.
use evm_pool::{Pool, PoolConfig};

fn main() {
    let pool = Pool::<Vec<u8>>::with_config(PoolConfig::minimal()).unwrap();
    let mut a = pool.acquire();
    let mut b = pool.acquire();
    a.push(1);
    b.push(2);
    drop(a);
    drop(b);
    assert_eq!(pool.stats().returns, 2);
}
