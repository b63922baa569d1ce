//! Procedural macros of [evm-pool](https://docs.rs/evm-pool). Use them through the
//! `evm-pool` facade, which documents them with examples.

mod errors;
mod layout;
mod pooled;

/// Implements `EvmPooled` for a struct and generates a typed pool for it (`FooPool`).
///
/// Configured with `#[pool(...)]` on the struct (`preset`, `initial`, `max`, `growth`,
/// `shrink`, `overflow`, `name`, `sync`, `init`, `crate`) and on fields (`skip`,
/// `reset = "path"`). The `evm-pool` facade documents it with runnable examples.
#[proc_macro_derive(Pooled, attributes(pool))]
pub fn derive_pooled(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    pooled::derive(&input).into()
}

/// Reorders a struct's fields by descending alignment (`repr(C)`, no interior padding),
/// reports its layout in the compile output on request and proves every number with
/// const assertions. Documented with examples on the `evm-pool` facade.
#[proc_macro_attribute]
pub fn optimize_layout(
    args: proc_macro::TokenStream,
    input: proc_macro::TokenStream,
) -> proc_macro::TokenStream {
    layout::expand(args.into(), input.into()).into()
}
