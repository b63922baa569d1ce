//! `max_size` and `size` pass when the struct fits.
use evm_pool::{Layout, optimize_layout};

#[optimize_layout(max_size = 64)]
struct Hot {
    pc: usize,
    gas: u64,
    flags: u8,
}

#[optimize_layout(size = 48)]
struct Account {
    balance: [u64; 4],
    nonce: u64,
    code_hash_prefix: u32,
    is_empty: bool,
}

fn main() {
    assert_eq!(Hot::layout_report().size(), 24);
    assert_eq!(Account::layout_report().size(), 48);
    let _ = Hot { pc: 0, gas: 0, flags: 0 };
    let _ = Account { balance: [0; 4], nonce: 0, code_hash_prefix: 0, is_empty: true };
}
