//! Code generation: the reordered `repr(C)` struct, the const assertions that prove every
//! number the macro assumed, the `Layout` impl, the registry entry and the compile-output
//! report (a use of a `#[deprecated]` item, the stable way to print a warning).

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned as _;
use syn::{Data, DeriveInput, Fields, GenericParam, Lifetime};

use super::ast::{Field, Input, Source};
use super::plan::Plan;
use super::report::ENV_VAR;

pub fn generate(input: &Input<'_>, plan: &Plan, report: Option<String>) -> TokenStream {
    let krate = krate(input);
    let item = reordered_item(input, plan);
    let ident = &input.original.ident;
    let (impl_generics, ty_generics, where_clause) = input.original.generics.split_for_impl();
    let name = input.display_name();
    let private = quote!(#krate::__private);
    let arrangement = if input.options.keep_order.is_some() {
        quote!(#private::Arrangement::Declared)
    } else {
        quote!(#private::Arrangement::Reordered)
    };

    let fields = input.fields.iter().enumerate().map(|(index, field)| {
        let member = field.ident;
        let ty = field.ty;
        let (field_name, ty_text) = (&field.name, &field.ty_text);
        let hot = field.hints.hot.map(|_| quote!(.hot()));
        quote! {
            #private::FieldLayout::new(
                #field_name,
                #ty_text,
                ::core::mem::offset_of!(Self, #member),
                ::core::mem::size_of::<#ty>(),
                ::core::mem::align_of::<#ty>(),
            )
            .declared_at(#index)
            #hot
        }
    });

    let assertions = assertions(input, plan, &private);

    let report = report.map(|text| {
        let note = format!("\n{text}");
        let span = ident.span();
        let use_it = quote_spanned!(span=> let _ = optimize_layout_report;);
        quote! {
            // The report: a warning that cargo shows and replays, pointing at the struct.
            #[cfg(target_pointer_width = "64")]
            const _: () = {
                #[deprecated(note = #note)]
                #[allow(non_camel_case_types)]
                struct optimize_layout_report;
                #use_it
            };
        }
    });

    let registration = registration(input, &private);
    // A concrete struct's assertions are evaluated where it is defined (in
    // `registration`); a generic one's where an instantiation's report is built.
    let evaluate = registration
        .is_none()
        .then(|| quote!(let () = <Self as #private::Layout>::LAYOUT_ASSERTIONS;));

    quote! {
        #item

        #[automatically_derived]
        impl #impl_generics #private::Layout for #ident #ty_generics #where_clause {
            #[allow(clippy::identity_op, clippy::erasing_op)]
            const LAYOUT_ASSERTIONS: () = { #assertions };

            fn layout_report() -> #private::LayoutReport {
                #evaluate
                #private::LayoutReport::new(
                    #name,
                    ::core::mem::size_of::<Self>(),
                    ::core::mem::align_of::<Self>(),
                    #arrangement,
                    <#private::Vec<#private::FieldLayout>>::from([#(#fields),*]),
                )
            }
        }

        #registration

        // Makes cargo rebuild (and re-run the macro) when the variable changes.
        const _: ::core::option::Option<&str> = ::core::option_env!(#ENV_VAR);

        #report
    }
}

/// The expansion when something is wrong: the struct as written (minus the macro's own
/// field attributes, which rustc would not know) and the errors, so the user sees the
/// real problem rather than a cascade of "cannot find type".
pub fn fallback(node: &DeriveInput, error: syn::Error) -> TokenStream {
    let mut item = node.clone();
    if let Data::Struct(data) = &mut item.data {
        for field in data.fields.iter_mut() {
            field.attrs.retain(|attr| !attr.path().is_ident("layout"));
        }
    }
    let error = error.to_compile_error();
    quote!(#item #error)
}

fn krate(input: &Input<'_>) -> TokenStream {
    match &input.options.krate {
        Some(path) => quote!(#path),
        None => quote!(::evm_pool),
    }
}

fn reordered_item(input: &Input<'_>, plan: &Plan) -> DeriveInput {
    let mut item = input.original.clone();
    if input.repr.c.is_none() {
        item.attrs.push(syn::parse_quote!(#[repr(C)]));
    }
    if let Data::Struct(data) = &mut item.data
        && let Fields::Named(named) = &mut data.fields
    {
        let declared: Vec<syn::Field> = named.named.iter().cloned().collect();
        named.named = plan
            .order
            .iter()
            .map(|&index| {
                let mut field = declared[index].clone();
                field.attrs.retain(|attr| !attr.path().is_ident("layout"));
                field
            })
            .collect();
    }
    item
}

/// Every assumption as a const assertion, in the order a reader would check them:
/// each field's size and alignment, each offset, the struct's size and alignment (all
/// for 64-bit targets, where the macro's numbers apply), then the target-independent
/// checks: minimal size, and the `size`/`max_size` budgets.
fn assertions(input: &Input<'_>, plan: &Plan, private: &TokenStream) -> TokenStream {
    let struct_name = input.display_name();
    let mut exact = Vec::new();
    for field in &input.fields {
        exact.push(field_assertions(&struct_name, field));
    }
    for (&index, offset) in plan.order.iter().zip(&plan.offsets) {
        let Some(offset) = offset else { continue };
        let field = &input.fields[index];
        let member = field.ident;
        let message = format!(
            "#[optimize_layout] on `{struct_name}`: field `{}` is not at offset {offset}, \
             where the layout report puts it",
            field.name
        );
        exact.push(quote_spanned! {field.ty.span()=>
            ::core::assert!(::core::mem::offset_of!(Self, #member) == #offset, #message);
        });
    }
    if let Some(size) = plan.size {
        let message = format!(
            "#[optimize_layout] on `{struct_name}`: the struct is not {size} bytes, as the \
             layout report says"
        );
        exact.push(quote!(::core::assert!(::core::mem::size_of::<Self>() == #size, #message);));
    }
    let align = plan.align;
    let message = format!(
        "#[optimize_layout] on `{struct_name}`: the struct's alignment is not {align}, as the \
         layout report says; add #[layout(align = N)] to fields of types the macro does not know"
    );
    exact.push(quote!(::core::assert!(::core::mem::align_of::<Self>() == #align, #message);));

    let mut general = Vec::new();
    let reordered = input.options.keep_order.is_none();
    let has_hot = input.fields.iter().any(|field| field.hints.hot.is_some());
    if reordered && !has_hot {
        let min_align = input.repr.align.as_ref().map_or(1, |align| align.value);
        let pairs = input.fields.iter().map(|field| {
            let ty = field.ty;
            quote!((::core::mem::size_of::<#ty>(), ::core::mem::align_of::<#ty>()))
        });
        let message = format!(
            "#[optimize_layout] on `{struct_name}`: the struct is larger than the minimum its \
             fields allow, so the fields are not in descending alignment: a field of a type the \
             macro does not know has an alignment other than the assumed {}; add \
             #[layout(align = N)] to it",
            super::ast::ASSUMED_ALIGN
        );
        general.push(quote! {
            ::core::assert!(
                ::core::mem::size_of::<Self>() == #private::optimal_size(&[#(#pairs),*], #min_align),
                #message
            );
        });
    }
    if let Some(max) = &input.options.max_size {
        let value = max.value;
        let now = plan
            .size
            .map_or_else(String::new, |size| format!(" (it is {size} bytes)"));
        let message = format!(
            "#[optimize_layout] on `{struct_name}`: the struct is larger than max_size = \
             {value}{now}; move rarely used fields behind a Box, shrink them, or raise max_size"
        );
        general.push(quote_spanned! {max.span=>
            ::core::assert!(::core::mem::size_of::<Self>() <= #value, #message);
        });
    }
    if let Some(exact_size) = &input.options.size {
        let value = exact_size.value;
        let now = plan
            .size
            .map_or_else(String::new, |size| format!(" (it is {size} bytes)"));
        let message = format!(
            "#[optimize_layout] on `{struct_name}`: the struct is not size = {value} bytes{now}; \
             update `size` if the change is intended"
        );
        general.push(quote_spanned! {exact_size.span=>
            ::core::assert!(::core::mem::size_of::<Self>() == #value, #message);
        });
    }
    quote! {
        #[cfg(target_pointer_width = "64")]
        let () = { #(#exact)* };
        #(#general)*
    }
}

fn field_assertions(struct_name: &str, field: &Field<'_>) -> TokenStream {
    let ty = field.ty;
    let described = format!("field `{}: {}`", field.name, field.ty_text);
    let mut checks = TokenStream::new();
    let (size, size_source) = field.size();
    if let Some(size) = size {
        let message = match size_source {
            Source::Hint => format!(
                "#[optimize_layout] on `{struct_name}`: {described} has #[layout(size = {size})], \
                 but `core::mem::size_of::<{}>()` is different; fix the hint",
                field.ty_text
            ),
            _ => format!(
                "#[optimize_layout] on `{struct_name}`: {described} was assumed to be {size} \
                 bytes, which is wrong here; add #[layout(size = N)] to the field with \
                 N = core::mem::size_of::<{}>()",
                field.ty_text
            ),
        };
        let span = field
            .hints
            .size
            .as_ref()
            .map_or_else(|| ty.span(), |hint| hint.span);
        checks.extend(quote_spanned! {span=>
            ::core::assert!(::core::mem::size_of::<#ty>() == #size, #message);
        });
    }
    let (align, align_source) = field.align();
    let message = match align_source {
        Source::Hint => format!(
            "#[optimize_layout] on `{struct_name}`: {described} has #[layout(align = {align})], \
             but `core::mem::align_of::<{}>()` is different; fix the hint",
            field.ty_text
        ),
        Source::Known => format!(
            "#[optimize_layout] on `{struct_name}`: {described} was assumed to have align \
             {align}, which is wrong here; add #[layout(align = N)] to the field with \
             N = core::mem::align_of::<{}>()",
            field.ty_text
        ),
        Source::Assumed => format!(
            "#[optimize_layout] on `{struct_name}`: {described} has a type the macro does not \
             know, so it assumed pointer alignment ({align}), which is wrong; add \
             #[layout(align = N)] to the field with N = core::mem::align_of::<{}>()",
            field.ty_text
        ),
    };
    let span = field
        .hints
        .align
        .as_ref()
        .map_or_else(|| ty.span(), |hint| hint.span);
    checks.extend(quote_spanned! {span=>
        ::core::assert!(::core::mem::align_of::<#ty>() == #align, #message);
    });
    checks
}

/// The struct as a concrete type, if it has no type or const parameters (lifetimes
/// become `'static`): such a struct has one layout, checked where it is defined and
/// registered in `evm_pool::layout::all()`.
fn concrete_type(input: &Input<'_>) -> Option<TokenStream> {
    let mut lifetimes = Vec::new();
    for param in &input.original.generics.params {
        match param {
            GenericParam::Lifetime(_) => {
                lifetimes.push(Lifetime::new("'static", Span::call_site()))
            }
            _ => return None,
        }
    }
    let ident = &input.original.ident;
    Some(if lifetimes.is_empty() {
        quote!(#ident)
    } else {
        quote!(#ident<#(#lifetimes),*>)
    })
}

/// For a concrete struct: evaluate the assertions now, and register the report.
/// A generic struct's assertions run where an instantiation's `layout_report()` or
/// `LAYOUT_ASSERTIONS` is used.
fn registration(input: &Input<'_>, private: &TokenStream) -> Option<TokenStream> {
    let ty = concrete_type(input)?;
    // Spanned on the struct's name: a failed assertion's note points at the struct.
    let check = quote_spanned! {input.original.ident.span()=>
        const _: () = <#ty as #private::Layout>::LAYOUT_ASSERTIONS;
    };
    Some(quote! {
        #check

        #private::inventory::submit! {
            #private::LayoutEntry::new(<#ty as #private::Layout>::layout_report)
        }
    })
}
