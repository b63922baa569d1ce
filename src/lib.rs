//! # evm-pool
//!
//! Allocation toolkit for EVM implementations in Rust (revm-style interpreters, tracers,
//! simulators) that spend measurable time and memory allocating call frames, operand
//! stacks, memory buffers and call inputs.
//!
//! This crate is the facade: it re-exports the runtime ([`evm_pool_runtime`]) and the
//! macros, so one dependency is enough, and generated code names only `::evm_pool`.
//!
//! # The model
//!
//! An EVM allocates the same few shapes over and over, in LIFO order: a call creates a
//! frame, a stack, memory and an input buffer; a child call always ends before its
//! parent resumes; at most 1024 calls nest. evm-pool turns that into two halves:
//!
//! - **Compile time.** [`#[optimize_layout]`](optimize_layout) lays a struct's fields out
//!   in descending alignment (`repr(C)`, no interior padding), prints a pahole-style
//!   report in the compile output when asked, and turns every number it uses into a
//!   const assertion, so a report is never wrong. [`#[derive(Pooled)]`](Pooled) makes a
//!   struct poolable (reset field by field, keeping allocations) and generates a typed
//!   pool for it, configured by attributes checked at compile time.
//! - **Run time.** Pools keep objects after use and hand them out again: [`Pool`]
//!   (one thread), [`SyncPool`] (shared), [`BufferPool`] (zeroed byte buffers). The
//!   [`FramePoolManager`] hands out call frames by kind, enforces the EVM's nesting rules
//!   and backs each call tree with one shared stack and memory. [`EvmAllocator`] puts
//!   size-class free lists in front of any allocator and counts every allocation;
//!   [`TxArena`] is a per-transaction bump arena. Each reports exact statistics.
//!
//! A pool is worth it when the object owns heap memory or is expensive to build and the
//! same shape is needed again soon: then an acquire is a pop from a free list instead
//! of an allocation, and a release resets in O(what was used). It is not worth it for
//! small `Copy` values (copy them) or for one-off bursts (the pool keeps their memory
//! until it is shrunk). [`PoolConfig::disabled`] and [`FramePoolConfig::disabled`] give
//! the plain-allocation behaviour behind the same API, to measure against.
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
//!
//! The two macros together, on a struct a real EVM keeps per call:
//!
//! ```
//! use evm_pool::{Layout, Pooled, optimize_layout};
//!
//! #[optimize_layout]
//! #[derive(Pooled, Default)]
//! #[pool(preset = "high_performance")]
//! pub struct CallScratch {
//!     pub is_static: bool,
//!     pub gas: u64,
//!     pub input: Vec<u8>,
//!     pub depth: u16,
//!     pub output: Vec<u8>,
//! }
//!
//! assert_eq!(CallScratch::layout_report().interior_padding_bytes(), 0);
//! let pool = CallScratchPool::new();
//! let mut scratch = pool.acquire();
//! scratch.input.extend_from_slice(&[0xa9, 0x05, 0x9c, 0xbb]);
//! drop(scratch); // reset field by field, capacity kept
//! assert!(pool.acquire().input.capacity() >= 4);
//! ```
//!
//! # Where to go next
//!
//! - [`guide`]: choosing presets (every preset's numbers) and reading every statistic,
//!   with output from a real run (also in `docs/guide.md`).
//! - The runtime's [crate docs](evm_pool_runtime) and its modules: [`pool`], [`buffer`],
//!   [`frame`], [`alloc`], [`arena`], [`layout`].
//! - `examples/`: `evm_workload` (revm workloads, stock vs pooled), `quickstart`,
//!   `pooled`, `layout_report`, `allocator`, `statistics`; run with
//!   `cargo run --release --example NAME`.
//! - `docs/guarantees.md`: every promise the library makes and the test that proves it.
//! - The `evm-pool-revm` crate (in `integrations/revm`): revm on evm-pool.

/// Reorders a struct's fields so it has no interior padding, reports its layout in the
/// compile output on request, and proves every reported number with const assertions.
///
/// ```
/// use evm_pool::{Layout, optimize_layout};
///
/// #[optimize_layout]
/// pub struct Frame {
///     pub is_static: bool,
///     pub gas_limit: u64,
///     pub depth: u16,
///     pub value: [u64; 4],
///     pub memory: Vec<u8>,
///     pub kind: u8,
/// }
///
/// // Declared order under repr(C) would be 88 bytes; descending alignment needs 72.
/// assert_eq!(size_of::<Frame>(), 72);
/// let report = Frame::layout_report();
/// assert_eq!((report.saved_bytes(), report.interior_padding_bytes()), (16, 0));
/// // Construction and patterns name fields, so the new order is invisible to them.
/// let frame = Frame { kind: 0, memory: Vec::new(), value: [0; 4], depth: 1, gas_limit: 21_000, is_static: false };
/// let Frame { depth, .. } = frame;
/// # assert_eq!(depth, 1);
/// ```
///
/// # What it does
///
/// The struct is emitted `#[repr(C)]` with its fields in descending alignment (stable
/// among equal alignments), so its size is `round_up(sum of field sizes, max alignment)`,
/// the minimum over all orders, and its layout is specified rather than left to rustc.
/// Attributes, doc comments, visibility, generics and where-clauses are kept; derives
/// see the fields in the new order (a derived `Debug` prints them in memory order).
/// `#[repr(align(N))]` is kept. Enums, unions, tuple and unit structs, `repr(packed)` and
/// `repr(transparent)` are rejected with an error that says why; so is `#[repr(C)]`
/// without `keep_order`, and a field behind `#[cfg]`.
///
/// # Options
///
/// - `report`: print the layout table as a compiler warning on the struct (below).
/// - `keep_order`: keep the declared order (an ABI), only make it `repr(C)`, report and
///   assert; the report says what reordering would save.
/// - `max_size = N`: compile error if the struct is larger than `N` bytes.
/// - `size = N`: compile error unless the struct is exactly `N` bytes.
/// - `crate = "path"`: where the `evm_pool` facade is, for crates that re-export it.
///
/// # Field hints
///
/// - `#[layout(align = N)]`, `#[layout(size = N)]`: for types the macro cannot know.
/// - `#[layout(hot)]`: place the field first, toward the start of the first cache line.
///   The remaining fields fill any gap the hot group leaves and otherwise stay in
///   descending alignment; the report states any padding this costs.
///
/// # Never wrong
///
/// A proc macro sees tokens, not types. The macro knows primitives, arrays, tuples,
/// references and raw pointers (thin and fat), `Box`/`Vec`/`String`/`Rc`/`Arc`, `Option`
/// (with and without a niche) and the common EVM types by name (`U256`, `I256`, `B256`,
/// `Address`, `Bytes`, `FixedBytes<N>`, `Bloom`...), assumes pointer alignment for other
/// types, and turns **every** number it uses into a const assertion: each field's size
/// and alignment, each offset (`offset_of!`), the struct's size and alignment, and that
/// the size is the minimum computed from `size_of`/`align_of` of the field types. A wrong
/// guess is a compile error naming the struct, the field, its type, the assumed value and
/// the hint that fixes it:
///
/// ```text
/// error[E0080]: evaluation panicked: #[optimize_layout] on `Slot`: field `word: CacheAligned`
///        has a type the macro does not know, so it assumed pointer alignment (8), which is
///        wrong; add #[layout(align = N)] to the field with N = core::mem::align_of::<CacheAligned>()
/// ```
///
/// The numbers are those of 64-bit targets; on other targets only the target-independent
/// checks (minimal size, `size`, `max_size`) are compiled, and no report is printed.
///
/// ## Generic structs
///
/// Checks that depend on a type parameter cannot run at the definition: they run for
/// each instantiation whose `layout_report()` is called, and for any instantiation you
/// name at compile time:
///
/// ```
/// use evm_pool::{Layout, optimize_layout};
///
/// #[optimize_layout]
/// struct Checkpointed<T> {
///     dirty: bool,
///     value: T,
///     checkpoint: usize,
/// }
///
/// const _: () = <Checkpointed<u64> as Layout>::LAYOUT_ASSERTIONS;
/// # let _ = Checkpointed { dirty: false, value: 1u64, checkpoint: 0 };
/// ```
///
/// The field `value: T` is ordered as pointer-aligned; for an instantiation where `T` is
/// not, the check fails and names `#[layout(align = N)]`. Generic structs are not in
/// [`layout::all()`](crate::layout::all) (they have no single layout).
///
/// # The compile-output report
///
/// `#[optimize_layout(report)]`, or `EVM_POOL_LAYOUT_REPORT=1` in the environment for
/// every annotated struct of the build, prints the table in `cargo build`/`cargo check`
/// output (cargo replays it on later builds, and rebuilds when the variable changes):
///
/// ```text
/// warning: use of deprecated unit struct `_::optimize_layout_report`:
///          layout of `Frame` (optimized, repr(C)): 72 bytes, align 8, 2 cache lines of 64 bytes
///            offset  size  align  line  field
///                 0     8      8     0  gas_limit: u64
///                 8    32      8     0  value: [u64; 4]
///                40    24      8     0  memory: Vec<u8>
///                64     2      2     1  depth: u16
///                66     1      1     1  is_static: bool
///                67     1      1     1  kind: u8
///                68     4                (padding)
///            declared order would be 88 bytes (20 bytes of padding); optimized: 4 bytes of padding, saves 16 bytes
/// ```
///
/// Stable proc macros cannot print messages, so the report is the note of a generated
/// `#[deprecated]` item that the expansion uses. It is a warning on purpose, and a build
/// that denies warnings (`-D warnings`, as many CI clippy runs do) turns it into an
/// error. To keep reports out of such builds, either set `EVM_POOL_LAYOUT_REPORT=1` only
/// locally instead of writing `report`, or keep `report` where those builds do not look
/// (a scratch crate, a trybuild case). To keep a requested report visible as a warning
/// under `-D warnings`, pass `--force-warn deprecated` after it (for example
/// `cargo clippy -- -D warnings --force-warn deprecated`); `#[allow(deprecated)]` on the
/// enclosing module silences it. [`Layout::layout_report`] prints the same table at run
/// time, and `examples/layout_report.rs` prints every registered struct.
pub use evm_pool_macros::optimize_layout;
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

#[doc = include_str!("../docs/guide.md")]
pub mod guide {}

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

    // #[optimize_layout]
    pub use evm_pool_runtime::layout::__inventory as inventory;
    pub use evm_pool_runtime::layout::{
        Arrangement, FieldLayout, Layout, LayoutEntry, LayoutReport, optimal_size,
    };
    pub use std::vec::Vec;
}
