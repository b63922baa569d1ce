//! Procedural macros of [evm-pool](https://docs.rs/evm-pool): `#[optimize_layout]` and
//! `#[derive(Pooled)]`. Use them through the `evm-pool` facade, which re-exports them and
//! documents every option; generated code names runtime items only through
//! `::evm_pool::__private` (or the path given with `crate = "..."`).
//!
//! # The model
//!
//! A proc macro sees tokens, not types, so both macros work the same way: they turn the
//! input into a typed model, check it, and generate code whose every assumption is
//! checked again by the compiler.
//!
//! - **`#[optimize_layout]`**: parse (`layout::ast`, `layout::attr`) -> validate ->
//!   plan the field order (a pure function: descending alignment, hot fields first,
//!   proven optimal by a brute-force property test) -> expand. Sizes and alignments the
//!   macro knows (primitives, arrays, pointers, `Vec`/`Box`/`String`, EVM word types) or
//!   is told (`#[layout(size = N, align = N)]`) become const assertions, together with
//!   every offset and the struct's size, so a wrong guess is a compile error, never a
//!   wrong report. The compile-output report is the note of a generated `#[deprecated]`
//!   item, drawn by the runtime's own `LayoutReport` formatter.
//! - **`#[derive(Pooled)]`**: parse the `#[pool(...)]` settings into a typed
//!   configuration -> validate it with the same rules as `PoolConfig::validate` (each
//!   error on the offending setting, with a suggestion) -> expand to an `EvmPooled`
//!   impl (field-wise `Reset`, spanned per field so a missing impl points at its field)
//!   and a documented `FooPool` type.
//!
//! Errors are `syn::Error`s on the user's tokens, all of them combined so one build
//! shows every mistake; on error a minimal fallback expansion keeps the struct (and a
//! pool type) so the user sees the real error, not a cascade. `ui-tests/fail/` is the
//! catalogue of mistakes and their messages.

mod errors;
mod layout;
mod pooled;

/// Implements `EvmPooled` for a struct and generates a typed pool for it (`FooPool`).
///
/// Configured with `#[pool(...)]` on the struct (`preset`, `initial`, `max`, `growth`,
/// `shrink`, `overflow`, `name`, `sync`, `init`, `crate`) and on fields (`skip`,
/// `reset = "path"`). The `evm-pool` facade documents every setting.
///
/// ```
/// use evm_pool::Pooled;
///
/// #[derive(Pooled, Default)]
/// #[pool(preset = "minimal", max = 64)]
/// struct Scratch {
///     input: Vec<u8>,
///     #[pool(skip)] // kept across uses
///     chain_id: u64,
/// }
///
/// let pool = ScratchPool::new();
/// let mut scratch = pool.acquire();
/// scratch.input.push(1);
/// scratch.chain_id = 1;
/// drop(scratch);
/// let scratch = pool.acquire();
/// assert!(scratch.input.is_empty() && scratch.chain_id == 1);
/// assert_eq!(pool.config().max, 64);
/// ```
#[proc_macro_derive(Pooled, attributes(pool))]
pub fn derive_pooled(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    pooled::derive(&input).into()
}

/// Reorders a struct's fields by descending alignment (`repr(C)`, no interior padding),
/// reports its layout in the compile output on request and proves every number with
/// const assertions. The `evm-pool` facade documents every option.
///
/// ```
/// use evm_pool::{Layout, optimize_layout};
///
/// #[optimize_layout(max_size = 40)]
/// struct Log {
///     removed: bool,
///     block: u64,
///     index: u32,
///     data: Vec<u8>,
/// }
///
/// // Declared order under repr(C) pads `removed` and `index` to 8 bytes each: 48 bytes.
/// // Descending alignment packs them together after the 8-aligned fields: 40 bytes.
/// assert_eq!(size_of::<Log>(), 40);
/// assert_eq!(Log::layout_report().saved_bytes(), 8);
/// # let _ = Log { removed: false, block: 0, index: 0, data: Vec::new() };
/// ```
#[proc_macro_attribute]
pub fn optimize_layout(
    args: proc_macro::TokenStream,
    input: proc_macro::TokenStream,
) -> proc_macro::TokenStream {
    layout::expand(args.into(), input.into()).into()
}
