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
