//! Procedural macros of [evm-pool](https://docs.rs/evm-pool). Use them through the
//! `evm-pool` facade, which documents them with examples.

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
