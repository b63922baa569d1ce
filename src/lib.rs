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

/// `#[derive(Pooled)]`: implements [`EvmPooled`] for a struct, resetting it field by field,
/// and generates a typed pool for it, `<Struct>Pool`.
///
/// ```
/// use evm_pool::Pooled;
///
/// #[derive(Pooled, Default)]
/// #[pool(preset = "high_performance", max = 2048)]
/// pub struct CallScratch {
///     pub input: Vec<u8>,
///     pub output: Vec<u8>,
///     pub gas: u64,
///     #[pool(skip)] // keeps its value across uses
///     pub chain_id: u64,
///     #[pool(reset = "reset_logs")] // your own `fn(&mut Vec<Vec<u8>>)`
///     pub logs: Vec<Vec<u8>>,
/// }
///
/// fn reset_logs(logs: &mut Vec<Vec<u8>>) {
///     logs.clear();
/// }
///
/// let pool = CallScratchPool::new(); // configured by the attributes
/// let mut scratch = pool.acquire(); // an RAII guard
/// scratch.input.extend_from_slice(&[0xa9, 0x05, 0x9c, 0xbb]);
/// scratch.chain_id = 1;
/// drop(scratch); // reset field by field, capacity kept, back in the pool
///
/// let scratch = pool.acquire();
/// assert!(scratch.input.is_empty() && scratch.input.capacity() >= 4);
/// assert_eq!(scratch.chain_id, 1);
/// assert_eq!(pool.config().max, 2048);
/// println!("{}", pool.stats());
/// ```
///
/// # What it generates
///
/// - `impl EvmPooled for Struct`: `new_pooled()` is `Default::default()` (or the
///   `init` function), `reset()` calls [`Reset::reset`] on every field in declaration
///   order (except `skip` fields, and `reset = ...` fields, which get their function),
///   `pool_config()` is the attributes' [`PoolConfig`], and `retained_heap_bytes()` sums
///   the fields reset through [`Reset`] (fields with `skip` or `reset = ...` are not
///   counted).
/// - `pub struct StructPool` (same visibility as the struct), documented with its
///   configuration, wrapping a [`Pool<Struct>`](Pool) (or a `SyncPool` with `sync`):
///   `new()` / `Default` build it with the attributes' configuration, `with_config(..)`
///   with another, `into_inner()` unwraps it, and it dereferences to the pool, so
///   `acquire()`, `try_acquire()`, `stats()` are the pool's own, at no extra cost.
///
/// # Settings
///
/// On the struct, `#[pool(...)]` (several attributes are merged; each key once):
///
/// | setting | meaning |
/// |---|---|
/// | `preset = "balanced"` | start from `high_performance`, `balanced` (default), `minimal` or `disabled` |
/// | `initial = 64`, `max = 512` | objects created up front; most objects owned |
/// | `growth = 1.5` | stock growth factor on a miss, `> 1` |
/// | `shrink = 0.25` | utilization below which `auto_shrink` trims, in `0..=1` |
/// | `overflow = "allocate"` / `"fail"` | past `max`: create anyway, or `try_acquire` fails |
/// | `name = FramePool` | the pool type's name (default: struct name + `Pool`) |
/// | `sync` | back the pool type by a thread-safe `SyncPool` (needs `Struct: Send`) |
/// | `init = "Struct::fresh"` | how to create a value, instead of `Default` |
/// | `crate = "my_crate::evm_pool"` | where `evm_pool` is, for crates that re-export it |
///
/// On a field: `#[pool(skip)]` keeps the value across uses; `#[pool(reset = "path")]`
/// resets it with `path(&mut field)`. A nested `#[derive(Pooled)]` struct is reset with
/// `#[pool(reset = "evm_pool::EvmPooled::reset")]`.
///
/// Every value is checked at compile time (`max` below `initial`, including the preset's
/// numbers; `growth <= 1`; `shrink` outside `0..=1`; unknown presets and keys, with
/// suggestions; duplicates; `skip` with `reset`; sizing a `disabled` pool), each as an
/// error on the offending setting that says how to fix it. A field whose type is not
/// [`Reset`] is an error on that field naming `skip` and `reset`.
///
/// Tuple structs, unit structs, and generic structs (type, const and lifetime
/// parameters) are supported: the impls hold when every reset field type is `Reset`, and
/// `StructPool<T>` has the struct's parameters. Enums and unions are rejected.
///
/// ```
/// use evm_pool::{PoolError, Pooled};
///
/// #[derive(Pooled)]
/// #[pool(preset = "minimal", max = 2, initial = 1, overflow = "fail", init = "Stack::new")]
/// struct Stack<T> {
///     words: Vec<T>,
/// }
///
/// impl<T> Stack<T> {
///     fn new() -> Self {
///         Stack { words: Vec::with_capacity(1024) }
///     }
/// }
///
/// let pool = StackPool::<[u64; 4]>::new();
/// let (_a, _b) = (pool.acquire(), pool.acquire());
/// assert!(matches!(pool.try_acquire(), Err(PoolError::Exhausted { max: 2 })));
/// ```
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
