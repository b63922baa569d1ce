//! The expansion emitted next to compile errors: an `EvmPooled` impl with placeholder
//! bodies and the pool type, so code that uses them does not add "not found" and "trait
//! not implemented" errors to the one real mistake.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::DeriveInput;

use super::ast::default_pool_name;
use super::attr::{StructAttrs, span_of};
use super::expand::{PoolType, crate_path, pool_type};
use crate::errors::Errors;

pub(crate) fn expand(input: &DeriveInput) -> TokenStream {
    // Settings that parsed are honoured (a broken `max` should not also break the pool's
    // name); their errors were already reported.
    let attrs = StructAttrs::parse(&input.attrs, &mut Errors::default());
    let krate = crate_path(attrs.krate.as_ref().map(|setting| &setting.value));
    let ident = &input.ident;
    let name = match attrs.name {
        Some(name) if name.value != *ident => name.value,
        _ => default_pool_name(ident),
    };
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let pool = pool_type(&PoolType {
        vis: input.vis.to_token_stream(),
        ident,
        generics: &input.generics,
        bounds: Vec::new(),
        name,
        krate: &krate,
        sync: attrs.sync.as_ref().map(|sync| span_of(&sync.tokens)),
        doc: None,
    });
    quote! {
        #[automatically_derived]
        impl #impl_generics #krate::EvmPooled for #ident #ty_generics #where_clause {
            fn new_pooled() -> Self {
                ::core::unreachable!("`#[derive(Pooled)]` failed; see the error above")
            }

            fn reset(&mut self) {}
        }

        #pool
    }
}
