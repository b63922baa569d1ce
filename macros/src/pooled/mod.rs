//! `#[derive(Pooled)]`: parse (`ast`, `attr`) -> validate (`valid`) -> generate
//! (`expand`), with a minimal `fallback` expansion when the input has errors, so the user
//! sees the real error and not a cascade of "`FooPool` not found".

mod ast;
mod attr;
mod expand;
mod fallback;
mod valid;

use proc_macro2::TokenStream;
use syn::DeriveInput;

/// The derive's entry point: generated code, or the errors plus a fallback expansion.
pub(crate) fn derive(input: &DeriveInput) -> TokenStream {
    match try_expand(input) {
        Ok(tokens) => tokens,
        Err(error) => {
            let mut tokens = error.to_compile_error();
            tokens.extend(fallback::expand(input));
            tokens
        }
    }
}

fn try_expand(input: &DeriveInput) -> syn::Result<TokenStream> {
    let input = ast::Input::from_syn(input)?;
    input.validate()?;
    Ok(expand::derive(&input))
}
