//! The derive's model of its input: a struct, its settings and its fields, each field
//! with what resets it. Enums and unions are rejected here with the reason.

use proc_macro2::Span;
use quote::quote;
use syn::{Data, DeriveInput, Error, Generics, Ident, Index, Member, Result, Type, Visibility};

use super::attr::{FieldAttrs, StructAttrs};
use crate::errors::Errors;

/// A struct that derives `Pooled`.
pub(crate) struct Input<'a> {
    pub ident: &'a Ident,
    pub vis: &'a Visibility,
    pub generics: &'a Generics,
    pub attrs: StructAttrs,
    pub fields: Vec<Field<'a>>,
}

/// One field: how to name it (`self.input`, `self.0`), its type and its settings.
pub(crate) struct Field<'a> {
    pub member: Member,
    pub ty: &'a Type,
    pub attrs: FieldAttrs,
}

impl<'a> Input<'a> {
    /// Builds the model, reporting every attribute error at once.
    pub fn from_syn(node: &'a DeriveInput) -> Result<Self> {
        let data = match &node.data {
            Data::Struct(data) => data,
            Data::Enum(data) => {
                let (keyword, ident) = (&data.enum_token, &node.ident);
                return Err(Error::new_spanned(
                    quote!(#keyword #ident),
                    "`#[derive(Pooled)]` works on structs, not enums: an enum has no fixed set \
                     of fields to reset. Pool a struct that holds the enum, resetting it with \
                     `#[pool(reset = \"path::to::fn\")]`",
                ));
            }
            Data::Union(data) => {
                let (keyword, ident) = (&data.union_token, &node.ident);
                return Err(Error::new_spanned(
                    quote!(#keyword #ident),
                    "`#[derive(Pooled)]` works on structs, not unions: a union's fields overlap, \
                     so they cannot be reset one by one. Pool a struct that holds the union, \
                     resetting it with `#[pool(reset = \"path::to::fn\")]`",
                ));
            }
        };

        let mut errors = Errors::default();
        let attrs = StructAttrs::parse(&node.attrs, &mut errors);
        let fields = data
            .fields
            .iter()
            .enumerate()
            .map(|(index, field)| Field {
                member: match &field.ident {
                    Some(ident) => Member::Named(ident.clone()),
                    None => Member::Unnamed(Index {
                        index: index as u32,
                        span: Span::call_site(),
                    }),
                },
                ty: &field.ty,
                attrs: FieldAttrs::parse(&field.attrs, &mut errors),
            })
            .collect();
        errors.finish(Input {
            ident: &node.ident,
            vis: &node.vis,
            generics: &node.generics,
            attrs,
            fields,
        })
    }

    /// The generated pool type's name: `#[pool(name = ...)]` or `<Struct>Pool`.
    pub fn pool_name(&self) -> Ident {
        match &self.attrs.name {
            Some(name) => name.value.clone(),
            None => default_pool_name(self.ident),
        }
    }
}

/// `Foo` -> `FooPool`, spanned at the struct's name.
pub(crate) fn default_pool_name(ident: &Ident) -> Ident {
    Ident::new(&format!("{ident}Pool"), ident.span())
}
