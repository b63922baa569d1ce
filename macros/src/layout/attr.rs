//! Typed parsing of the attribute's options (`#[optimize_layout(report, max_size = 64)]`)
//! and of the field hints (`#[layout(align = 8, size = 48, hot)]`). Every problem is a
//! spanned error; all of them are collected so one build shows them all.

use crate::errors::Errors;
use proc_macro2::{Span, TokenStream};
use syn::meta::ParseNestedMeta;
use syn::parse::{ParseStream, Parser};
use syn::{Attribute, Error, LitInt, LitStr, Path, Result, Token};

/// A value with the span of the tokens the user wrote for it.
#[derive(Clone, Debug)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

/// Options of `#[optimize_layout(...)]`.
#[derive(Default)]
pub struct Options {
    /// `report`: print the layout in the compile output.
    pub report: Option<Span>,
    /// `keep_order`: keep the declared order, only report and assert.
    pub keep_order: Option<Span>,
    /// `max_size = N`.
    pub max_size: Option<Spanned<usize>>,
    /// `size = N`.
    pub size: Option<Spanned<usize>>,
    /// `crate = "path"`: where the `evm_pool` facade is reachable.
    pub krate: Option<Path>,
}

/// Hints on one field: `#[layout(align = N, size = N, hot)]`.
#[derive(Default)]
pub struct FieldHints {
    pub align: Option<Spanned<usize>>,
    pub size: Option<Spanned<usize>>,
    pub hot: Option<Span>,
}

const OPTIONS: &str = "`report`, `keep_order`, `max_size = N`, `size = N`, `crate = \"path\"`";
const HINTS: &str = "`align = N`, `size = N`, `hot`";

impl Options {
    pub fn parse(args: TokenStream) -> Result<Options> {
        let mut options = Options::default();
        let mut errors = Errors::default();
        let parser = syn::meta::parser(|meta| {
            if let Err(error) = options.parse_one(&meta) {
                errors.push(error);
                skip_value(meta.input)?;
            }
            Ok(())
        });
        parser.parse2(args)?;
        errors.finish(options)
    }

    fn parse_one(&mut self, meta: &ParseNestedMeta<'_>) -> Result<()> {
        let path = &meta.path;
        let span = path_span(path);
        if path.is_ident("report") {
            set_flag(&mut self.report, span, "report")
        } else if path.is_ident("keep_order") {
            set_flag(&mut self.keep_order, span, "keep_order")
        } else if path.is_ident("max_size") {
            let value = parse_int(meta, "max_size", "a size in bytes, e.g. `max_size = 64`")?;
            set_value(&mut self.max_size, value, "max_size")
        } else if path.is_ident("size") {
            let value = parse_int(meta, "size", "a size in bytes, e.g. `size = 64`")?;
            set_value(&mut self.size, value, "size")
        } else if path.is_ident("crate") {
            let lit: LitStr = meta.value()?.parse().map_err(|error| {
                Error::new(
                    error.span(),
                    "`crate` takes a path in quotes: `crate = \"my_crate::evm_pool\"`",
                )
            })?;
            if self.krate.is_some() {
                return Err(Error::new(span, "duplicate option `crate`"));
            }
            self.krate = Some(lit.parse()?);
            Ok(())
        } else {
            Err(Error::new(
                span,
                format!(
                    "unknown option `{}` of #[optimize_layout]; the options are {OPTIONS}",
                    path_text(path)
                ),
            ))
        }
    }
}

impl FieldHints {
    /// Parses every `#[layout(...)]` attribute of a field; problems go to `errors` and
    /// the valid hints are kept.
    pub fn parse(attrs: &[Attribute], errors: &mut Errors) -> FieldHints {
        let mut hints = FieldHints::default();
        for attr in attrs.iter().filter(|attr| attr.path().is_ident("layout")) {
            let parsed = attr.parse_nested_meta(|meta| {
                if let Err(error) = hints.parse_one(&meta) {
                    errors.push(error);
                    skip_value(meta.input)?;
                }
                Ok(())
            });
            if let Err(error) = parsed {
                errors.push(error);
            }
        }
        hints
    }

    fn parse_one(&mut self, meta: &ParseNestedMeta<'_>) -> Result<()> {
        let path = &meta.path;
        let span = path_span(path);
        if path.is_ident("hot") {
            set_flag(&mut self.hot, span, "hot")
        } else if path.is_ident("align") {
            let value = parse_int(meta, "align", "a power of two, e.g. `align = 8`")?;
            if !value.value.is_power_of_two() || value.value > 1 << 29 {
                return Err(Error::new(
                    value.span,
                    format!(
                        "`align = {}` is not a valid alignment: it must be a power of two \
                         from 1 to 2^29 (write the value of `core::mem::align_of::<T>()`)",
                        value.value
                    ),
                ));
            }
            set_value(&mut self.align, value, "align")
        } else if path.is_ident("size") {
            let value = parse_int(meta, "size", "a size in bytes, e.g. `size = 48`")?;
            set_value(&mut self.size, value, "size")
        } else {
            Err(Error::new(
                span,
                format!(
                    "unknown field hint `{}`; #[layout(...)] takes {HINTS}",
                    path_text(path)
                ),
            ))
        }
    }
}

fn set_flag(slot: &mut Option<Span>, span: Span, name: &str) -> Result<()> {
    if slot.is_some() {
        return Err(Error::new(span, format!("duplicate option `{name}`")));
    }
    *slot = Some(span);
    Ok(())
}

fn set_value(slot: &mut Option<Spanned<usize>>, value: Spanned<usize>, name: &str) -> Result<()> {
    if slot.is_some() {
        return Err(Error::new(value.span, format!("duplicate option `{name}`")));
    }
    *slot = Some(value);
    Ok(())
}

fn parse_int(meta: &ParseNestedMeta<'_>, name: &str, expected: &str) -> Result<Spanned<usize>> {
    let span = path_span(&meta.path);
    if !meta.input.peek(Token![=]) {
        return Err(Error::new(
            span,
            format!("`{name}` needs a value: {expected}"),
        ));
    }
    let input = meta.value()?;
    let lit: LitInt = input
        .parse()
        .map_err(|error| Error::new(error.span(), format!("`{name}` takes {expected}")))?;
    let value = lit
        .base10_parse::<usize>()
        .map_err(|_| Error::new(lit.span(), format!("`{name}` takes {expected}")))?;
    Ok(Spanned {
        value,
        span: lit.span(),
    })
}

/// Skips the rest of a malformed option up to the next comma, so parsing continues.
fn skip_value(input: ParseStream<'_>) -> Result<()> {
    while !input.is_empty() && !input.peek(Token![,]) {
        input.parse::<proc_macro2::TokenTree>()?;
    }
    Ok(())
}

fn path_span(path: &Path) -> Span {
    path.segments
        .last()
        .map_or_else(Span::call_site, |segment| segment.ident.span())
}

fn path_text(path: &Path) -> String {
    path.segments
        .iter()
        .map(|segment| segment.ident.to_string())
        .collect::<Vec<_>>()
        .join("::")
}
