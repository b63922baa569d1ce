//! # evm-pool
//!
//! Allocation toolkit for EVM implementations (revm-style interpreters, tracers,
//! simulators): typed object pools, and (growing) layout-optimizing macros, call-frame
//! pools, an allocator with exact statistics and a per-transaction arena.
//!
//! This crate is the facade: it re-exports the runtime ([`evm_pool_runtime`]) and the
//! macros, so one dependency is enough.
//!
//! ```
//! use evm_pool::{Pool, PoolConfig};
//!
//! let pool = Pool::<Vec<u8>>::with_config(PoolConfig::high_performance())?;
//! let mut memory = pool.acquire();
//! memory.extend_from_slice(&[0x60, 0x80, 0x60, 0x40]);
//! drop(memory); // cleared, capacity kept, back in the pool
//! assert_eq!(pool.stats().returns, 1);
//! # Ok::<(), evm_pool::ConfigError>(())
//! ```

pub use evm_pool_macros::optimize_layout;
pub use evm_pool_runtime::*;

/// Items used by code that the macros generate. Not public API.
#[doc(hidden)]
pub mod __private {
    pub use evm_pool_runtime;

    // #[optimize_layout]
    pub use evm_pool_runtime::layout::__inventory as inventory;
    pub use evm_pool_runtime::layout::{
        Arrangement, FieldLayout, Layout, LayoutEntry, LayoutReport, optimal_size,
    };
    pub use std::vec::Vec;
}
