//! Checks the model before anything is planned: the item must be a struct with named
//! fields whose order the macro may change, and the options must fit together. Every
//! problem is reported, spanned on the user's tokens, in one build.

use syn::{Error, Type};

use super::ast::{Input, Shape};
use crate::errors::Errors;

impl Input<'_> {
    /// Adds every problem found to `errors`.
    pub fn validate(&self, errors: &mut Errors) {
        let name = &self.original.ident;
        match self.shape {
            Shape::Named => {}
            Shape::Tuple(span) => errors.push(Error::new(
                span,
                format!(
                    "#[optimize_layout] needs named fields: `{name}` is a tuple struct, whose \
                     fields are named by position (`.0`, `.1`), so reordering them would change \
                     what `.0` means. Give the fields names, e.g. `struct {name} {{ a: u64, b: u8 }}`"
                ),
            )),
            Shape::Unit(span) => errors.push(Error::new(
                span,
                format!("#[optimize_layout] on unit struct `{name}`: it has no fields to lay out; remove the attribute"),
            )),
            Shape::Enum(span) => errors.push(Error::new(
                span,
                format!(
                    "#[optimize_layout] reorders struct fields, and `{name}` is an enum. rustc already \
                     reorders the fields of each variant; put the attribute on structs that the \
                     variants hold, or remove it"
                ),
            )),
            Shape::Union(span) => errors.push(Error::new(
                span,
                format!(
                    "#[optimize_layout] on union `{name}`: every union field starts at offset 0, \
                     so there is no order to optimize; remove the attribute"
                ),
            )),
        }
        for (repr, span) in &self.repr.other {
            let why = match repr.as_str() {
                "packed" => {
                    "packed structs have no padding to remove, and their fields may be \
                             unaligned; remove `packed` to let the macro remove padding instead"
                }
                "transparent" => {
                    "a transparent struct has the layout of its one non-zero-sized \
                                  field, so there is nothing to reorder; remove the attribute"
                }
                _ => {
                    "the macro makes the struct `repr(C)` in the optimized order and keeps only \
                      `repr(align(N))`; remove this repr"
                }
            };
            errors.push(Error::new(
                *span,
                format!("#[optimize_layout] cannot be combined with `#[repr({repr})]`: {why}"),
            ));
        }
        if let (Some(span), None) = (self.repr.c, self.options.keep_order) {
            errors.push(Error::new(
                span,
                format!(
                    "`#[repr(C)]` fixes the declared field order of `{name}`, which \
                     #[optimize_layout] would change: remove `#[repr(C)]` (the macro emits it \
                     after reordering), or write #[optimize_layout(keep_order)] to keep this \
                     order and only report and assert"
                ),
            ));
        }
        if let Some(align) = &self.repr.align
            && !align.value.is_power_of_two()
        {
            errors.push(Error::new(
                align.span,
                "`repr(align(N))` needs a power of two",
            ));
        }
        for field in &self.fields {
            if let Some(cfg) = field.cfg {
                errors.push(Error::new_spanned(
                    cfg,
                    format!(
                        "#[optimize_layout] cannot check field `{}` behind `#[cfg]`: the layout \
                         and its assertions must be the same in every build; move the field into \
                         a separate struct or make it unconditional",
                        field.name
                    ),
                ));
            }
            if let (Some(span), Some(_)) = (field.hints.hot, self.options.keep_order) {
                errors.push(Error::new(
                    span,
                    "`hot` moves a field to the front, but `keep_order` keeps the declared order: \
                     remove one of them",
                ));
            }
            if let (Some(size), Some(align)) = (&field.hints.size, &field.hints.align)
                && size.value % align.value != 0
            {
                errors.push(Error::new(
                    size.span,
                    format!(
                        "`size = {}` is not a multiple of `align = {}`: a Rust type's size \
                         always is; check both values with `core::mem::size_of`/`align_of`",
                        size.value, align.value
                    ),
                ));
            }
            if matches!(unparen(field.ty), Type::Slice(_) | Type::TraitObject(_))
                || matches!(unparen(field.ty), Type::Path(path) if path.path.is_ident("str"))
            {
                errors.push(Error::new_spanned(
                    field.ty,
                    "#[optimize_layout] does not support dynamically sized fields: an unsized \
                     field must stay last, so the struct cannot be reordered; box it (`Box<[u8]>`)",
                ));
            }
        }
    }
}

fn unparen(ty: &Type) -> &Type {
    match ty {
        Type::Paren(inner) => unparen(&inner.elem),
        Type::Group(inner) => unparen(&inner.elem),
        _ => ty,
    }
}
