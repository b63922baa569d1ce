//! Shared pieces of the fuzz targets: a pooled object with an identity and a live count,
//! so every target can check "no object lost, none handed out twice, each dropped once"
//! against its model, not just "no crash".

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use evm_pool::EvmPooled;

pub mod pool_model;

static NEXT_ID: AtomicU64 = AtomicU64::new(0);
static LIVE: AtomicUsize = AtomicUsize::new(0);

/// A pooled object with a unique id (given at creation) and a heap buffer that must be
/// empty whenever the pool hands it out.
#[derive(Debug)]
pub struct Tagged {
    /// Unique for the life of the process.
    pub id: u64,
    /// Written by the fuzzer while held; cleared by `reset`.
    pub data: Vec<u8>,
}

impl EvmPooled for Tagged {
    fn new_pooled() -> Self {
        LIVE.fetch_add(1, Ordering::Relaxed);
        Tagged {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            data: Vec::new(),
        }
    }
    fn reset(&mut self) {
        self.data.clear();
    }
    fn retained_heap_bytes(&self) -> usize {
        self.data.capacity()
    }
}

impl Drop for Tagged {
    fn drop(&mut self) {
        LIVE.fetch_sub(1, Ordering::Relaxed);
    }
}

/// `Tagged` objects alive now (created and not yet dropped), in this process.
pub fn live() -> usize {
    LIVE.load(Ordering::Relaxed)
}

/// Asserts that `ids` holds no duplicate.
pub fn assert_distinct(mut ids: Vec<u64>) {
    let total = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), total, "an object was handed out twice");
}
