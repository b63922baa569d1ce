//! The macro's own model of the annotated struct, built from `syn`'s input: the fields
//! with their hints and what the macro knows of their types, and the struct's `repr`.

use std::collections::HashSet;

use proc_macro2::Span;
use quote::ToTokens;
use syn::ext::IdentExt;
use syn::spanned::Spanned as _;
use syn::{Attribute, Data, DeriveInput, Error, Fields, Ident, Result, Type};

use super::attr::{FieldHints, Options, Spanned};
use super::known::{self, Facts};
use crate::errors::Errors;

/// Pointer alignment on the 64-bit targets the macro plans for: the assumption for
/// types it does not know.
pub const ASSUMED_ALIGN: usize = 8;

pub struct Input<'a> {
    pub original: &'a DeriveInput,
    pub options: Options,
    pub repr: Repr,
    /// Named fields in declared order (empty when the shape is invalid: see `shape`).
    pub fields: Vec<Field<'a>>,
    /// What kind of item this is, for validation.
    pub shape: Shape,
}

/// The item kinds the macro distinguishes.
pub enum Shape {
    Named,
    Tuple(Span),
    Unit(Span),
    Enum(Span),
    Union(Span),
}

pub struct Field<'a> {
    pub ident: &'a Ident,
    /// The name without `r#`.
    pub name: String,
    pub ty: &'a Type,
    /// The type as written, spaced like rustfmt would.
    pub ty_text: String,
    pub hints: FieldHints,
    /// From the macro's tables (before hints).
    pub known: Facts,
    pub cfg: Option<&'a Attribute>,
}

/// Where a field's size or alignment comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// The macro's table of known types.
    Known,
    /// `#[layout(size = N)]` / `#[layout(align = N)]`.
    Hint,
    /// Not known: pointer alignment assumed.
    Assumed,
}

/// `#[repr(...)]` items on the struct.
#[derive(Default)]
pub struct Repr {
    pub c: Option<Span>,
    pub align: Option<Spanned<usize>>,
    /// `packed`, `transparent`, `Rust`, integers, `simd`...: rejected by validation.
    pub other: Vec<(String, Span)>,
}

impl<'a> Field<'a> {
    /// Size for the plan: hint, else known, else unknown.
    pub fn size(&self) -> (Option<usize>, Source) {
        match (&self.hints.size, self.known.size) {
            (Some(hint), _) => (Some(hint.value), Source::Hint),
            (None, Some(size)) => (Some(size), Source::Known),
            (None, None) => (None, Source::Assumed),
        }
    }

    /// Alignment for the plan: hint, else known, else pointer alignment (assumed).
    pub fn align(&self) -> (usize, Source) {
        match (&self.hints.align, self.known.align) {
            (Some(hint), _) => (hint.value, Source::Hint),
            (None, Some(align)) => (align, Source::Known),
            (None, None) => (ASSUMED_ALIGN, Source::Assumed),
        }
    }
}

impl<'a> Input<'a> {
    /// Builds the model; problems go to `errors` and the model stays as complete as it
    /// can be, so validation can report its findings in the same build.
    pub fn from_syn(node: &'a DeriveInput, options: Options, errors: &mut Errors) -> Self {
        let repr = match Repr::from_attrs(&node.attrs) {
            Ok(repr) => repr,
            Err(error) => {
                errors.push(error);
                Repr::default()
            }
        };
        let params: HashSet<String> = node
            .generics
            .type_params()
            .map(|param| param.ident.to_string())
            .collect();
        let mut fields = Vec::new();
        let shape = match &node.data {
            Data::Struct(data) => match &data.fields {
                Fields::Named(named) => {
                    for field in &named.named {
                        if let Some(field) = Field::from_syn(field, &params, errors) {
                            fields.push(field);
                        }
                    }
                    Shape::Named
                }
                Fields::Unnamed(unnamed) => Shape::Tuple(unnamed.paren_token.span.join()),
                Fields::Unit => Shape::Unit(node.ident.span()),
            },
            Data::Enum(data) => Shape::Enum(data.enum_token.span),
            Data::Union(data) => Shape::Union(data.union_token.span),
        };
        Input {
            original: node,
            options,
            repr,
            fields,
            shape,
        }
    }

    /// Struct name with its generic parameters as written, e.g. `CallInput<'a, T>`.
    pub fn display_name(&self) -> String {
        let (_, ty_generics, _) = self.original.generics.split_for_impl();
        type_text(&format!(
            "{}{}",
            self.original.ident,
            ty_generics.to_token_stream()
        ))
    }
}

impl<'a> Field<'a> {
    fn from_syn(
        field: &'a syn::Field,
        params: &HashSet<String>,
        errors: &mut Errors,
    ) -> Option<Self> {
        let Some(ident) = field.ident.as_ref() else {
            errors.push(Error::new(field.span(), "expected a named field"));
            return None;
        };
        let hints = FieldHints::parse(&field.attrs, errors);
        let cfg = field.attrs.iter().find(|attr| attr.path().is_ident("cfg"));
        Some(Field {
            ident,
            name: ident.unraw().to_string(),
            ty: &field.ty,
            ty_text: type_text(&field.ty.to_token_stream().to_string()),
            hints,
            known: known::facts(&field.ty, params),
            cfg,
        })
    }
}

impl Repr {
    fn from_attrs(attrs: &[Attribute]) -> Result<Repr> {
        let mut repr = Repr::default();
        let mut errors = Errors::default();
        for attr in attrs.iter().filter(|attr| attr.path().is_ident("repr")) {
            let parsed = attr.parse_nested_meta(|meta| {
                let span = meta.path.span();
                let name = meta.path.to_token_stream().to_string();
                if meta.path.is_ident("C") {
                    repr.c = Some(span);
                } else if meta.path.is_ident("align") {
                    let content;
                    syn::parenthesized!(content in meta.input);
                    let lit: syn::LitInt = content.parse()?;
                    repr.align = Some(Spanned {
                        value: lit.base10_parse()?,
                        span: lit.span(),
                    });
                } else {
                    if meta.input.peek(syn::token::Paren) {
                        let _content;
                        syn::parenthesized!(_content in meta.input);
                    }
                    repr.other.push((name, span));
                }
                Ok(())
            });
            if let Err(error) = parsed {
                errors.push(error);
            }
        }
        errors.finish(repr)
    }
}

/// Tidies `to_string()` output of type tokens: `Vec < u8 >` becomes `Vec<u8>`,
/// `& 'a [u8 ; 20]` becomes `&'a [u8; 20]`.
pub fn type_text(tokens: &str) -> String {
    let mut text = tokens.to_owned();
    for (from, to) in [
        (" <", "<"),
        ("< ", "<"),
        (" >", ">"),
        (" ,", ","),
        (" ;", ";"),
        (":: ", "::"),
        (" ::", "::"),
        ("& ", "&"),
        ("[ ", "["),
        (" ]", "]"),
        ("( ", "("),
        (" )", ")"),
        ("* const ", "*const "),
        ("* mut ", "*mut "),
        ("fn (", "fn("),
    ] {
        while text.contains(from) {
            text = text.replace(from, to);
        }
    }
    // `dyn Fn(u8) -> u8`: keep arrows readable.
    text.replace("->", " -> ").replace("  ", " ")
}

#[cfg(test)]
mod tests {
    use super::type_text;

    #[test]
    fn type_text_is_tidy() {
        let tidy = |ty: &str| {
            let ty: syn::Type = syn::parse_str(ty).unwrap();
            type_text(&quote::ToTokens::to_token_stream(&ty).to_string())
        };
        assert_eq!(tidy("Vec<u8>"), "Vec<u8>");
        assert_eq!(tidy("[u8; 20]"), "[u8; 20]");
        assert_eq!(tidy("&'a [u8]"), "&'a [u8]");
        assert_eq!(
            tidy("::std::collections::HashMap<u64, Vec<u8>>"),
            "::std::collections::HashMap<u64, Vec<u8>>"
        );
        assert_eq!(
            tidy("Option<Box<Frame<'a, T>>>"),
            "Option<Box<Frame<'a, T>>>"
        );
        assert_eq!(tidy("*const u8"), "*const u8");
        assert_eq!(tidy("(u8, u64)"), "(u8, u64)");
        assert_eq!(tidy("fn(u8) -> u8"), "fn(u8) -> u8");
    }
}
