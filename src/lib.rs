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

pub use evm_pool_runtime::*;

/// Implements [`EvmPooled`] for a struct and generates a typed pool for it.
///
/// See [`pooled`](crate::pooled) for every setting, with examples.
pub use evm_pool_macros::Pooled;

/// Items used by code that the macros generate. Not public API.
#[doc(hidden)]
pub mod __private {
    pub use evm_pool_runtime;

    /// How `#[derive(Pooled)]` creates a fresh value without `#[pool(init = "...")]`.
    #[diagnostic::on_unimplemented(
        message = "`#[derive(Pooled)]` cannot create a fresh `{Self}`: it has no `Default` impl",
        label = "`{Self}` does not implement `Default`",
        note = "derive or implement `Default` for `{Self}`, or name a constructor with `#[pool(init = \"path::to::fn\")]`"
    )]
    pub trait PooledDefault: Sized {
        /// `Default::default()`.
        fn pooled_default() -> Self;
    }

    impl<T: Default> PooledDefault for T {
        #[inline]
        fn pooled_default() -> Self {
            T::default()
        }
    }
}
