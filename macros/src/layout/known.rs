//! What the macro knows about types it sees only as tokens: sizes and alignments on
//! 64-bit targets of primitives, arrays, tuples, references, raw pointers (thin and fat),
//! the standard containers and smart pointers, `Option` (with and without a niche) and
//! the common EVM word types. Everything here is an assumption that the expansion turns
//! into a const assertion, so a wrong entry is a compile error, never a wrong report.

use std::collections::HashSet;

use syn::{Expr, GenericArgument, Lit, PathArguments, Type};

/// What the macro knows of one type. `None` means unknown.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Facts {
    pub size: Option<usize>,
    pub align: Option<usize>,
    /// The type has invalid bit patterns, so `Option<T>` is as big as `T`.
    pub niche: bool,
}

const POINTER: usize = 8;

impl Facts {
    const fn exact(size: usize, align: usize) -> Facts {
        Facts {
            size: Some(size),
            align: Some(align),
            niche: false,
        }
    }

    const fn with_niche(self) -> Facts {
        Facts {
            niche: true,
            ..self
        }
    }

    const UNKNOWN: Facts = Facts {
        size: None,
        align: None,
        niche: false,
    };
}

/// Looks at a type's tokens. `params` are the struct's type parameters: a bare `T` is
/// unknown (its layout depends on the instantiation).
pub fn facts(ty: &Type, params: &HashSet<String>) -> Facts {
    match ty {
        Type::Paren(inner) => facts(&inner.elem, params),
        Type::Group(inner) => facts(&inner.elem, params),
        Type::Never(_) => Facts::exact(0, 1),
        Type::Tuple(tuple) => {
            if tuple.elems.is_empty() {
                return Facts::exact(0, 1);
            }
            let elems: Vec<Facts> = tuple.elems.iter().map(|e| facts(e, params)).collect();
            let align = elems
                .iter()
                .map(|e| e.align)
                .try_fold(1, |max, a| Some(max.max(a?)));
            // rustc lays out tuples like repr(Rust) structs: without padding between
            // fields, so `round_up(sum, align)`. Asserted like every other guess.
            let size = elems
                .iter()
                .map(|e| e.size)
                .sum::<Option<usize>>()
                .zip(align)
                .map(|(sum, align)| sum.div_ceil(align) * align);
            Facts {
                size,
                align,
                niche: elems.iter().any(|e| e.niche),
            }
        }
        Type::Array(array) => {
            let elem = facts(&array.elem, params);
            let len = int_expr(&array.len);
            Facts {
                size: elem
                    .size
                    .zip(len)
                    .and_then(|(size, len)| size.checked_mul(len)),
                align: elem.align,
                niche: elem.niche && len.is_some_and(|len| len > 0),
            }
        }
        Type::Reference(reference) => pointer_to(&reference.elem).with_niche(),
        Type::Ptr(pointer) => pointer_to(&pointer.elem),
        Type::FnPtr(_) => Facts::exact(POINTER, POINTER).with_niche(),
        Type::Path(path) if path.qself.is_none() => path_facts(path, params),
        _ => Facts::UNKNOWN,
    }
}

/// A thin pointer, or a fat one (two words) to `str`, slices and trait objects.
fn pointer_to(pointee: &Type) -> Facts {
    let fat = match pointee {
        Type::Slice(_) | Type::TraitObject(_) => true,
        Type::Path(path) => path.path.is_ident("str"),
        _ => false,
    };
    Facts::exact(if fat { 2 * POINTER } else { POINTER }, POINTER)
}

fn path_facts(path: &syn::TypePath, params: &HashSet<String>) -> Facts {
    let Some(last) = path.path.segments.last() else {
        return Facts::UNKNOWN;
    };
    let name = last.ident.to_string();
    if path.path.segments.len() == 1 && params.contains(&name) {
        return Facts::UNKNOWN;
    }
    let args: Vec<&GenericArgument> = match &last.arguments {
        PathArguments::AngleBracketed(args) => args.args.iter().collect(),
        _ => Vec::new(),
    };
    let type_arg = |index: usize| match args.get(index) {
        Some(GenericArgument::Type(ty)) => Some(ty),
        _ => None,
    };
    let const_arg = |index: usize| match args.get(index) {
        // `FixedBytes<32>`; a const parameter (`FixedBytes<N>`) parses as a type: unknown.
        Some(GenericArgument::Const(expr)) => int_expr(expr),
        _ => None,
    };
    if let Some(facts) = scalar(&name) {
        return facts;
    }
    match name.as_str() {
        "Vec" | "String" | "BinaryHeap" | "BTreeMap" | "BTreeSet" | "OsString" | "PathBuf" => {
            Facts::exact(3 * POINTER, POINTER).with_niche()
        }
        "VecDeque" => Facts::exact(4 * POINTER, POINTER).with_niche(),
        "HashMap" | "HashSet" if args.len() <= 2 => Facts::exact(6 * POINTER, POINTER),
        "Box" | "Rc" | "Arc" | "NonNull" => match type_arg(0) {
            Some(pointee) => pointer_to(pointee).with_niche(),
            None => Facts::UNKNOWN,
        },
        "ManuallyDrop" | "Wrapping" | "Saturating" | "Reverse" => {
            type_arg(0).map_or(Facts::UNKNOWN, facts_no_params)
        }
        // Interior mutability and `MaybeUninit` hide the inner type's niche.
        "Cell" | "UnsafeCell" | "SyncUnsafeCell" | "MaybeUninit" => {
            type_arg(0).map_or(Facts::UNKNOWN, |inner| Facts {
                niche: false,
                ..facts_no_params(inner)
            })
        }
        "PhantomData" | "PhantomPinned" => Facts::exact(0, 1),
        "NonZero" => {
            type_arg(0).map_or(Facts::UNKNOWN, |inner| facts_no_params(inner).with_niche())
        }
        "Option" => type_arg(0).map_or(Facts::UNKNOWN, |inner| option_of(facts_no_params(inner))),
        // EVM words: ruint's `Uint<BITS, LIMBS>` is `[u64; LIMBS]`.
        "U256" | "I256" => Facts::exact(32, 8),
        "U512" | "I512" => Facts::exact(64, 8),
        "U128" | "I128" => Facts::exact(16, 8),
        "U160" => Facts::exact(24, 8),
        "U64" | "I64" => Facts::exact(8, 8),
        "Uint" | "Signed" => match const_arg(1) {
            Some(limbs) => Facts::exact(limbs * 8, if limbs == 0 { 1 } else { 8 }),
            None => Facts::UNKNOWN,
        },
        // alloy/ethereum-types byte arrays: `FixedBytes<N>` is `[u8; N]`.
        "B256" | "H256" | "TxHash" | "BlockHash" | "StorageKey" => Facts::exact(32, 1),
        "B512" | "H512" => Facts::exact(64, 1),
        "B128" | "H128" => Facts::exact(16, 1),
        "B64" | "H64" => Facts::exact(8, 1),
        "Address" | "B160" | "H160" => Facts::exact(20, 1),
        "Bloom" => Facts::exact(256, 1),
        "FixedBytes" => match const_arg(0) {
            Some(len) => Facts::exact(len, 1),
            None => Facts::UNKNOWN,
        },
        // bytes::Bytes and alloy's `Bytes` wrapper: pointer, length, data, vtable.
        "Bytes" => Facts::exact(4 * POINTER, POINTER).with_niche(),
        "BytesMut" => Facts::exact(4 * POINTER, POINTER).with_niche(),
        _ => Facts::UNKNOWN,
    }
}

/// Types inside generic arguments: a type parameter there is unknown as well, but it is
/// not one of ours to name, so unknown paths simply stay unknown.
fn facts_no_params(ty: &Type) -> Facts {
    facts(ty, &HashSet::new())
}

fn option_of(inner: Facts) -> Facts {
    if inner.niche {
        // The niche holds `None`; `Option<Option<T>>` may need a tag, so no niche left.
        return Facts {
            niche: false,
            ..inner
        };
    }
    match (inner.size, inner.align) {
        // A tag byte, then the payload at its alignment.
        (Some(size), Some(align)) => Facts {
            size: Some(size + align),
            align: Some(align),
            niche: true,
        },
        (_, align) => Facts {
            size: None,
            align,
            niche: false,
        },
    }
}

fn scalar(name: &str) -> Option<Facts> {
    let facts = match name {
        "u8" | "i8" | "AtomicU8" | "AtomicI8" => Facts::exact(1, 1),
        "bool" | "AtomicBool" => Facts::exact(1, 1).with_niche(),
        "u16" | "i16" | "AtomicU16" | "AtomicI16" => Facts::exact(2, 2),
        "u32" | "i32" | "f32" | "AtomicU32" | "AtomicI32" => Facts::exact(4, 4),
        "char" => Facts::exact(4, 4).with_niche(),
        "u64" | "i64" | "f64" | "usize" | "isize" | "AtomicU64" | "AtomicI64" | "AtomicUsize"
        | "AtomicIsize" => Facts::exact(8, 8),
        "AtomicPtr" => Facts::exact(POINTER, POINTER),
        "u128" | "i128" => Facts::exact(16, 16),
        "NonZeroU8" | "NonZeroI8" => Facts::exact(1, 1).with_niche(),
        "NonZeroU16" | "NonZeroI16" => Facts::exact(2, 2).with_niche(),
        "NonZeroU32" | "NonZeroI32" => Facts::exact(4, 4).with_niche(),
        "NonZeroU64" | "NonZeroI64" | "NonZeroUsize" | "NonZeroIsize" => {
            Facts::exact(8, 8).with_niche()
        }
        "NonZeroU128" | "NonZeroI128" => Facts::exact(16, 16).with_niche(),
        _ => return None,
    };
    Some(facts)
}

/// An integer literal (possibly in a block or parentheses), e.g. the `20` of `[u8; 20]`.
fn int_expr(expr: &Expr) -> Option<usize> {
    match expr {
        Expr::Lit(lit) => match &lit.lit {
            Lit::Int(int) => int.base10_parse().ok(),
            _ => None,
        },
        Expr::Paren(inner) => int_expr(&inner.expr),
        Expr::Group(inner) => int_expr(&inner.expr),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(ty: &str) -> (Option<usize>, Option<usize>) {
        let ty: Type = syn::parse_str(ty).unwrap();
        let params = HashSet::from(["T".to_owned()]);
        let facts = facts(&ty, &params);
        (facts.size, facts.align)
    }

    #[test]
    fn knows_the_common_types() {
        assert_eq!(of("bool"), (Some(1), Some(1)));
        assert_eq!(of("u128"), (Some(16), Some(16)));
        assert_eq!(of("[u8; 20]"), (Some(20), Some(1)));
        assert_eq!(of("[u64; 4]"), (Some(32), Some(8)));
        assert_eq!(of("(u8, u64)"), (Some(16), Some(8)));
        assert_eq!(of("()"), (Some(0), Some(1)));
        assert_eq!(of("&'a [u8]"), (Some(16), Some(8)));
        assert_eq!(of("&mut u8"), (Some(8), Some(8)));
        assert_eq!(of("*const dyn core::any::Any"), (Some(16), Some(8)));
        assert_eq!(of("Box<str>"), (Some(16), Some(8)));
        assert_eq!(of("std::vec::Vec<T>"), (Some(24), Some(8)));
        assert_eq!(of("Option<Box<T>>"), (Some(8), Some(8)));
        assert_eq!(of("Option<u64>"), (Some(16), Some(8)));
        assert_eq!(of("Option<[u8; 20]>"), (Some(21), Some(1)));
        assert_eq!(of("Option<Option<u8>>"), (Some(2), Some(1)));
        assert_eq!(of("Option<bool>"), (Some(1), Some(1)));
        assert_eq!(of("U256"), (Some(32), Some(8)));
        assert_eq!(of("B256"), (Some(32), Some(1)));
        assert_eq!(of("FixedBytes<32>"), (Some(32), Some(1)));
        assert_eq!(of("Uint<256, 4>"), (Some(32), Some(8)));
        assert_eq!(of("Address"), (Some(20), Some(1)));
        assert_eq!(of("bytes::Bytes"), (Some(32), Some(8)));
        assert_eq!(of("PhantomData<T>"), (Some(0), Some(1)));
    }

    #[test]
    fn does_not_guess_the_unknown() {
        assert_eq!(of("T"), (None, None));
        assert_eq!(of("Gas"), (None, None));
        assert_eq!(of("[u8; N]"), (None, Some(1)));
        assert_eq!(of("[T; 4]"), (None, None));
        assert_eq!(of("Option<Gas>"), (None, None));
        assert_eq!(of("<T as Trait>::Output"), (None, None));
    }
}
