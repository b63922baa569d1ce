//! Procedural macros of [evm-pool](https://docs.rs/evm-pool). Use them through the
//! `evm-pool` facade, which documents them with examples.

mod layout;

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
