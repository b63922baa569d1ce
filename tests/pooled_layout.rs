//! `#[derive(Pooled)]` composes with `#[optimize_layout]` in both attribute orders.

use evm_pool::{EvmPooled, Pooled, optimize_layout};

/// Layout first: the derive sees the reordered `repr(C)` struct.
#[optimize_layout]
#[derive(Pooled, Default)]
#[pool(preset = "minimal", max = 64)]
struct LayoutFirst {
    flag: bool,
    input: Vec<u8>,
    gas: u32,
    #[pool(skip)]
    chain_id: u64,
    #[layout(size = 32, align = 8)]
    word: [u64; 4],
}

/// Derive first: also accepted; the derive names fields, so the order of expansion
/// does not change what it generates.
#[derive(Pooled, Default)]
#[optimize_layout]
#[pool(preset = "minimal", max = 64)]
struct DeriveFirst {
    flag: bool,
    input: Vec<u8>,
    gas: u32,
    #[pool(skip)]
    chain_id: u64,
}

#[test]
fn both_orders() {
    let p = LayoutFirstPool::new();
    {
        let mut s = p.acquire();
        s.flag = true;
        s.input.push(1);
        s.gas = 3;
        s.chain_id = 9;
        s.word = [1; 4];
    }
    let s = p.acquire();
    assert!(!s.flag && s.input.is_empty() && s.gas == 0 && s.word == [0; 4]);
    assert_eq!(s.chain_id, 9);
    assert_eq!(LayoutFirst::pool_config().max, 64);

    let p = DeriveFirstPool::new();
    {
        let mut s = p.acquire();
        s.flag = true;
        s.chain_id = 9;
    }
    let s = p.acquire();
    assert!(!s.flag);
    assert_eq!(s.chain_id, 9);
    assert_eq!(size_of::<DeriveFirst>(), size_of::<LayoutFirst>() - 32);
}
