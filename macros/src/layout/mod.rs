//! `#[optimize_layout]`: parse (`ast`, `attr`) -> validate (`valid`) -> plan (`plan`, a
//! pure function) -> generate (`expand`, with the report text from `report`).

mod ast;
mod attr;
mod expand;
mod known;
mod plan;
mod report;
mod valid;

use proc_macro2::TokenStream;
use quote::quote;
use syn::{DeriveInput, Result};

use crate::errors::Errors;
use ast::Input;
use attr::Options;
use plan::FieldSpec;

/// Expands `#[optimize_layout(args)] input`.
pub fn expand(args: TokenStream, input: TokenStream) -> TokenStream {
    let node: DeriveInput = match syn::parse2(input.clone()) {
        Ok(node) => node,
        Err(error) => {
            let error = syn::Error::new(
                error.span(),
                format!("#[optimize_layout] applies to structs with named fields: {error}"),
            )
            .to_compile_error();
            return quote!(#input #error);
        }
    };
    match try_expand(args, &node) {
        Ok(tokens) => tokens,
        Err(error) => expand::fallback(&node, error),
    }
}

fn try_expand(args: TokenStream, node: &DeriveInput) -> Result<TokenStream> {
    let mut errors = Errors::default();
    // Keep going after bad options so that every problem shows in one build.
    let options = Options::parse(args).unwrap_or_else(|error| {
        errors.push(error);
        Options::default()
    });
    let input = Input::from_syn(node, options, &mut errors);
    input.validate(&mut errors);
    errors.finish(())?;

    let specs: Vec<FieldSpec> = input
        .fields
        .iter()
        .map(|field| FieldSpec {
            size: field.size().0,
            align: field.align().0,
            hot: field.hints.hot.is_some(),
        })
        .collect();
    let min_align = input.repr.align.as_ref().map_or(1, |align| align.value);
    let plan = plan::plan(&specs, min_align, input.options.keep_order.is_some());
    let report = (input.options.report.is_some() || report::requested_by_env())
        .then(|| report::render(&input, &plan));
    Ok(expand::generate(&input, &plan, report))
}
