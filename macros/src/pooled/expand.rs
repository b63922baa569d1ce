//! Code generation: the `EvmPooled` impl and the typed pool.
//!
//! Generated code names runtime items only through the crate path (`::evm_pool` or
//! `#[pool(crate = "...")]`) and std items through `::core`, so it compiles next to user
//! items called `Pool`, `Option` or `core`. Calls that can fail to type-check are spanned
//! at the user's tokens (the field's type, the `reset`/`init` string) so errors point
//! there, not at the derive.

use std::collections::BTreeSet;

use proc_macro2::{Group, Literal, Span, TokenStream, TokenTree};
use quote::{ToTokens, quote, quote_spanned};
use syn::{GenericParam, Generics, Ident, Type};

use super::ast::Input;
use super::attr::{Effective, Overflow, Preset, span_of};

pub(crate) fn derive(input: &Input<'_>) -> TokenStream {
    let krate = crate_path(input.attrs.krate.as_ref().map(|setting| &setting.value));
    let bounds = bounds(input, &krate);
    let pooled = impl_evm_pooled(input, &krate, bounds.clone());
    let pool = pool_type(&PoolType {
        vis: input.vis.to_token_stream(),
        ident: input.ident,
        generics: input.generics,
        bounds,
        name: input.pool_name(),
        krate: &krate,
        sync: input.attrs.sync.as_ref().map(|sync| span_of(&sync.tokens)),
        doc: Some(pool_doc(input, &krate)),
    });
    quote! {
        #pooled
        #pool
    }
}

/// `::evm_pool`, or the user's `#[pool(crate = "...")]`.
pub(crate) fn crate_path(krate: Option<&syn::Path>) -> TokenStream {
    match krate {
        Some(path) => path.to_token_stream(),
        None => quote!(::evm_pool),
    }
}

/// The bounds under which the generated impls hold, beyond the struct's own `where`
/// clause: `Reset` for each generic field type reset through it, and `PooledDefault` for a
/// generic struct without `init`. Concrete field types get no bound: they are checked in
/// the `reset` body, where the error points at the field. The pool type carries the same
/// bounds, so a `FooPool<NotReset>` names the missing `Reset` rather than `EvmPooled`.
fn bounds(input: &Input<'_>, krate: &TokenStream) -> Vec<TokenStream> {
    let generic_names = generic_names(input.generics);
    let mut bounds: Vec<TokenStream> = input
        .fields
        .iter()
        .filter(|field| field.attrs.skip.is_none() && field.attrs.reset.is_none())
        .filter(|field| mentions_any(field.ty, &generic_names))
        .map(|field| {
            let ty = field.ty;
            let span = span_of(ty);
            let krate = respan(krate.clone(), span);
            quote_spanned!(span=> #ty: #krate::Reset)
        })
        .collect();
    if input.attrs.init.is_none() && !input.generics.params.is_empty() {
        let ident = input.ident;
        let (_, ty_generics, _) = input.generics.split_for_impl();
        bounds.push(quote!(#ident #ty_generics: #krate::__private::PooledDefault));
    }
    bounds
}

fn impl_evm_pooled(
    input: &Input<'_>,
    krate: &TokenStream,
    bounds: Vec<TokenStream>,
) -> TokenStream {
    let ident = input.ident;
    let (impl_generics, ty_generics, _) = input.generics.split_for_impl();

    let mut resets = Vec::new();
    let mut heap_terms = Vec::new();
    for field in &input.fields {
        let member = &field.member;
        if field.attrs.skip.is_some() {
            continue;
        }
        if let Some(reset) = &field.attrs.reset {
            // Spanned at the string naming the function, so a signature mismatch points
            // there.
            let path = &reset.value;
            let span = span_of(path);
            let member = respan(member.to_token_stream(), span);
            resets.push(quote_spanned!(span=> #path(&mut self.#member);));
            continue;
        }
        // Spanned at the field (its name through the first token of its type), so a
        // missing `Reset` impl points there and not at the derive.
        let span = span_of(field.ty);
        let krate = respan(krate.clone(), span);
        resets.push(quote_spanned!(span=> #krate::Reset::reset(&mut self.#member);));
        heap_terms.push(quote_spanned!(span=> #krate::Reset::retained_heap_bytes(&self.#member)));
    }

    let new_pooled = match &input.attrs.init {
        Some(init) => {
            let path = &init.value;
            quote_spanned!(span_of(path)=> #path())
        }
        None => {
            let span = ident.span();
            let krate = respan(krate.clone(), span);
            quote_spanned!(span=> <Self as #krate::__private::PooledDefault>::pooled_default())
        }
    };

    let heap_bytes = if heap_terms.is_empty() {
        quote!(0)
    } else {
        quote!(#(#heap_terms)+*)
    };
    let config = pool_config(&input.attrs.effective(), input, krate);
    let where_clause = where_clause(input.generics, bounds);

    quote! {
        #[automatically_derived]
        impl #impl_generics #krate::EvmPooled for #ident #ty_generics #where_clause {
            #[inline]
            fn new_pooled() -> Self {
                #new_pooled
            }

            #[inline]
            fn reset(&mut self) {
                #(#resets)*
            }

            #[inline]
            fn pool_config() -> #krate::PoolConfig {
                #config
            }

            #[inline]
            fn retained_heap_bytes(&self) -> ::core::primitive::usize {
                #heap_bytes
            }
        }
    }
}

/// `PoolConfig::<preset>()`, with every explicit setting applied by struct update.
fn pool_config(effective: &Effective, input: &Input<'_>, krate: &TokenStream) -> TokenStream {
    let attrs = &input.attrs;
    let preset = Ident::new(effective.preset.name(), Span::call_site());
    let mut overrides = Vec::new();
    if let Some(initial) = &attrs.initial {
        let value = Literal::usize_unsuffixed(initial.value);
        overrides.push(quote!(initial: #value));
    }
    if let Some(max) = &attrs.max {
        let value = Literal::usize_unsuffixed(max.value);
        overrides.push(quote!(max: #value));
    }
    if let Some(growth) = &attrs.growth {
        let value = Literal::f64_unsuffixed(growth.value);
        overrides.push(quote!(growth: #value));
    }
    if let Some(shrink) = &attrs.shrink {
        let value = Literal::f64_unsuffixed(shrink.value);
        overrides.push(quote!(shrink_threshold: #value));
    }
    if let Some(overflow) = &attrs.overflow {
        let policy = match overflow.value {
            Overflow::Allocate => quote!(Allocate),
            Overflow::Fail => quote!(Fail),
        };
        overrides.push(quote!(overflow: #krate::OverflowPolicy::#policy));
    }
    if overrides.is_empty() {
        quote!(#krate::PoolConfig::#preset())
    } else {
        quote! {
            #krate::PoolConfig {
                #(#overrides,)*
                ..#krate::PoolConfig::#preset()
            }
        }
    }
}

/// What the generated pool type needs to know; shared with the fallback expansion.
pub(crate) struct PoolType<'a> {
    pub vis: TokenStream,
    pub ident: &'a Ident,
    pub generics: &'a Generics,
    /// Extra `where` predicates, those of the `EvmPooled` impl.
    pub bounds: Vec<TokenStream>,
    pub name: Ident,
    pub krate: &'a TokenStream,
    /// The span of `sync` for a `SyncPool`-backed pool.
    pub sync: Option<Span>,
    /// `None` in the fallback expansion.
    pub doc: Option<String>,
}

/// `FooPool`: a thin wrapper over `Pool<Foo>` (or `SyncPool<Foo>`) built with `Foo`'s
/// configuration, dereferencing to the pool so it adds nothing to the pool's own API.
pub(crate) fn pool_type(pool: &PoolType<'_>) -> TokenStream {
    let PoolType {
        vis,
        ident,
        generics,
        bounds,
        name,
        krate,
        sync,
        doc,
    } = pool;
    let (impl_generics, ty_generics, _) = generics.split_for_impl();
    let params = &generics.params;
    let self_ty = quote!(#ident #ty_generics);
    let mut bounds = bounds.clone();
    if let Some(span) = sync {
        // A `SyncPool` needs `T: Send`. Stated here, spanned at `sync`, a struct that is
        // not `Send` gets one error there instead of one per use of `SyncPool<T>`.
        let send = quote_spanned!(*span=> #self_ty: ::core::marker::Send);
        bounds.push(respan(send, *span));
    }
    let where_clause = where_clause(generics, bounds);
    let inner_ty = match sync {
        Some(span) => respan(quote!(#krate::SyncPool<#self_ty>), *span),
        None => quote!(#krate::Pool<#self_ty>),
    };
    let doc = doc.as_deref().map(|doc| quote!(#[doc = #doc]));
    let name_str = name.to_string();

    quote! {
        #doc
        #[allow(dead_code)]
        #vis struct #name <#params> #where_clause {
            inner: #inner_ty,
        }

        #[automatically_derived]
        #[allow(dead_code)]
        impl #impl_generics #name #ty_generics #where_clause {
            /// Builds the pool with the configuration from `#[pool(...)]`, prewarmed with its
            /// `initial` objects.
            #[inline]
            pub fn new() -> Self {
                Self {
                    inner: <#inner_ty>::new(),
                }
            }

            /// Builds the pool with another configuration, validated.
            ///
            /// # Errors
            ///
            /// The `ConfigError` of an invalid configuration.
            #[inline]
            pub fn with_config(
                config: #krate::PoolConfig,
            ) -> ::core::result::Result<Self, #krate::ConfigError> {
                match <#inner_ty>::with_config(config) {
                    ::core::result::Result::Ok(inner) => ::core::result::Result::Ok(Self { inner }),
                    ::core::result::Result::Err(error) => ::core::result::Result::Err(error),
                }
            }

            /// The wrapped pool.
            #[inline]
            pub fn into_inner(self) -> #inner_ty {
                self.inner
            }
        }

        #[automatically_derived]
        impl #impl_generics ::core::ops::Deref for #name #ty_generics #where_clause {
            type Target = #inner_ty;

            #[inline]
            fn deref(&self) -> &Self::Target {
                &self.inner
            }
        }

        #[automatically_derived]
        impl #impl_generics ::core::default::Default for #name #ty_generics #where_clause {
            #[inline]
            fn default() -> Self {
                Self::new()
            }
        }

        #[automatically_derived]
        impl #impl_generics ::core::fmt::Debug for #name #ty_generics #where_clause {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.debug_tuple(#name_str).field(&self.inner).finish()
            }
        }
    }
}

/// The pool type's doc comment: what it pools, with which configuration.
fn pool_doc(input: &Input<'_>, krate: &TokenStream) -> String {
    let effective = input.attrs.effective();
    let numbers = effective.numbers;
    let kind = if input.attrs.sync.is_some() {
        "SyncPool"
    } else {
        "Pool"
    };
    let krate = krate.to_string().replace(' ', "");
    let krate = krate.trim_start_matches("::");
    let ident = input.ident;
    let mut doc = format!(
        "A pool of [`{ident}`] values: a `{krate}::{kind}<{ident}>` built by \
         `#[derive(Pooled)]` with the configuration of `{ident}`'s `#[pool(...)]` attributes.\n\n"
    );
    if effective.preset == Preset::Disabled {
        doc.push_str(
            "Configuration: preset `disabled`, so pooling is off: every acquire creates a \
             fresh value and every release drops it (the plain-allocation baseline).\n\n",
        );
    } else {
        doc.push_str(&format!(
            "Configuration: preset `{}`; {} objects up front, at most {}, growth x{} on a \
             miss, shrinks below {} utilization; when all {} are in use: {}.\n\n",
            effective.preset.name(),
            numbers.initial,
            numbers.max,
            numbers.growth,
            numbers.shrink,
            numbers.max,
            format_args!(
                "`{}` ({})",
                effective.overflow.name(),
                match effective.overflow {
                    Overflow::Allocate => "create beyond `max`",
                    Overflow::Fail => "`try_acquire` returns an error",
                }
            )
        ));
    }
    doc.push_str(
        "[`new`](Self::new) builds it with that configuration. It dereferences to the pool, \
         so `acquire()`, `try_acquire()` and `stats()` are the pool's own; the guard that \
         `acquire()` returns resets the value field by field when dropped.",
    );
    doc
}

/// `where` + the input's own predicates + `extra`, or nothing when both are empty.
fn where_clause(generics: &Generics, extra: Vec<TokenStream>) -> TokenStream {
    let existing = generics
        .where_clause
        .iter()
        .flat_map(|clause| clause.predicates.iter());
    let mut predicates: Vec<TokenStream> = existing.map(ToTokens::to_token_stream).collect();
    predicates.extend(extra);
    if predicates.is_empty() {
        TokenStream::new()
    } else {
        quote!(where #(#predicates,)*)
    }
}

/// Names of the type and const parameters, whose presence makes a bound generic.
fn generic_names(generics: &Generics) -> BTreeSet<String> {
    generics
        .params
        .iter()
        .filter_map(|param| match param {
            GenericParam::Type(param) => Some(param.ident.to_string()),
            GenericParam::Const(param) => Some(param.ident.to_string()),
            GenericParam::Lifetime(_) => None,
        })
        .collect()
}

/// Whether a type mentions any of `names` (scanning tokens, groups included).
fn mentions_any(ty: &Type, names: &BTreeSet<String>) -> bool {
    fn scan(tokens: TokenStream, names: &BTreeSet<String>) -> bool {
        tokens.into_iter().any(|token| match token {
            TokenTree::Ident(ident) => names.contains(&ident.to_string()),
            TokenTree::Group(group) => scan(group.stream(), names),
            _ => false,
        })
    }
    !names.is_empty() && scan(ty.to_token_stream(), names)
}

/// `tokens` with every span (inside groups too) set to `span`.
fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut token| {
            if let TokenTree::Group(group) = &token {
                let mut respanned = Group::new(group.delimiter(), respan(group.stream(), span));
                respanned.set_span(span);
                token = TokenTree::Group(respanned);
            } else {
                token.set_span(span);
            }
            token
        })
        .collect()
}
