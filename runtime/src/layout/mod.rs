//! Layout reports at run time: what `#[optimize_layout]` did to a struct, measured with
//! `core::mem::offset_of!`/`size_of`, plus a registry of every annotated struct and
//! [`layout_of!`](crate::layout_of) for structs you cannot annotate.
//!
//! A struct's *layout* is where each field sits (offset), how big it is (size) and what
//! address multiple it needs (alignment). Gaps between fields and after the last field are
//! padding: memory that every copy, every pool slot and every cache line pays for and
//! nobody uses. Laying fields out in descending alignment leaves no gap between fields,
//! so the struct is `round_up(sum of field sizes, max alignment)` bytes, the least any
//! order can reach. [`LayoutReport`] shows the layout as a table (the same table that
//! `#[optimize_layout(report)]` prints in the compile output) and computes the padding,
//! the holes and the bytes saved.
//!
//! ```
//! use evm_pool_runtime::layout::{FieldLayout, LayoutReport};
//!
//! // A struct as declared: bool, u64, u16 under repr(C) is 24 bytes.
//! // Reordered (u64, u16, bool) it is 16.
//! let report = LayoutReport::reordered("Gas", 16, 8, vec![
//!     FieldLayout::new("limit", "u64", 0, 8, 8).declared_at(1),
//!     FieldLayout::new("refund", "u16", 8, 2, 2).declared_at(2),
//!     FieldLayout::new("exhausted", "bool", 10, 1, 1).declared_at(0),
//! ]);
//! assert_eq!(report.declared_size(), 24);
//! assert_eq!(report.saved_bytes(), 8);
//! assert_eq!(report.interior_padding_bytes(), 0);
//! println!("{report}");
//! ```

mod format;
mod registry;
#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::fmt;

#[doc(hidden)]
pub use format::{Sketch, SketchRow};
pub use registry::{LayoutEntry, all};

/// The default cache-line size used by reports: 64 bytes (x86-64 and most AArch64 cores).
pub const CACHE_LINE: usize = 64;

/// A type whose layout can be reported at run time. `#[optimize_layout]` implements it for
/// every struct it annotates.
///
/// ```
/// use evm_pool_runtime::layout::{FieldLayout, Layout, LayoutReport};
///
/// struct Word([u64; 4]);
///
/// impl Layout for Word {
///     fn layout_report() -> LayoutReport {
///         LayoutReport::observed("Word", 32, 8, vec![FieldLayout::new("0", "[u64; 4]", 0, 32, 8)])
///     }
/// }
/// assert_eq!(Word::layout_report().padding_bytes(), 0);
/// ```
pub trait Layout {
    /// The exact layout of `Self`, measured with `offset_of!`, `size_of` and `align_of`.
    fn layout_report() -> LayoutReport;
}

/// How the fields of a reported struct came to be where they are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Arrangement {
    /// `#[optimize_layout]` reordered the fields (descending alignment, hot fields first)
    /// and made the struct `repr(C)`.
    Reordered,
    /// `#[optimize_layout(keep_order)]`: the declared order, made `repr(C)`.
    Declared,
    /// A layout observed on a struct the macro did not touch ([`layout_of!`](crate::layout_of)).
    Observed,
}

/// One field in a [`LayoutReport`].
///
/// ```
/// use evm_pool_runtime::layout::FieldLayout;
///
/// let field = FieldLayout::new("caller", "[u8; 20]", 32, 20, 1).declared_at(3).hot();
/// assert_eq!((field.offset, field.end()), (32, 52));
/// assert!(field.hot);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FieldLayout {
    /// The field's name (`"0"`, `"1"`, ... for tuple fields).
    pub name: Cow<'static, str>,
    /// The field's type as written in the source (or as `core::any::type_name` spells it).
    pub ty: Cow<'static, str>,
    /// Byte offset from the start of the struct.
    pub offset: usize,
    /// `size_of` the field's type.
    pub size: usize,
    /// `align_of` the field's type.
    pub align: usize,
    /// Position of the field in the declaration (0-based).
    pub declared_index: usize,
    /// Marked `#[layout(hot)]`: placed first, toward the start of the first cache line.
    pub hot: bool,
}

impl FieldLayout {
    /// A field at `offset` of `size` bytes and alignment `align`; its declared position
    /// defaults to 0 (set it with [`declared_at`](Self::declared_at)).
    pub fn new(
        name: impl Into<Cow<'static, str>>,
        ty: impl Into<Cow<'static, str>>,
        offset: usize,
        size: usize,
        align: usize,
    ) -> Self {
        FieldLayout {
            name: name.into(),
            ty: ty.into(),
            offset,
            size,
            align,
            declared_index: 0,
            hot: false,
        }
    }

    /// Sets the field's position in the declaration.
    pub fn declared_at(mut self, index: usize) -> Self {
        self.declared_index = index;
        self
    }

    /// Marks the field as hot (`#[layout(hot)]`).
    pub fn hot(mut self) -> Self {
        self.hot = true;
        self
    }

    /// One past the field's last byte: `offset + size`.
    pub fn end(&self) -> usize {
        self.offset + self.size
    }
}

/// A gap in a struct: padding bytes no field uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Hole {
    /// Byte offset where the gap starts.
    pub offset: usize,
    /// Length of the gap in bytes.
    pub len: usize,
}

/// The layout of one struct: its size, alignment and fields in memory order, with the
/// padding arithmetic. `Display` prints the same table as the compile-output report of
/// `#[optimize_layout(report)]`.
///
/// ```
/// use evm_pool_runtime::layout::{FieldLayout, LayoutReport};
///
/// let report = LayoutReport::declared("Log", 16, 8, vec![
///     FieldLayout::new("removed", "bool", 0, 1, 1),
///     FieldLayout::new("index", "u64", 8, 8, 8).declared_at(1),
/// ]);
/// assert_eq!(report.padding_bytes(), 7);
/// assert_eq!(report.optimal_size(), 16); // 9 bytes of fields round up to 16 anyway
/// assert_eq!(report.holes()[0].offset, 1);
/// assert_eq!(report.cache_lines(64), 1);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LayoutReport {
    name: Cow<'static, str>,
    size: usize,
    align: usize,
    arrangement: Arrangement,
    fields: Vec<FieldLayout>,
}

impl LayoutReport {
    /// A report of fields in any order; they are sorted into memory order (by offset,
    /// zero-sized fields before the field that starts where they sit).
    pub fn new(
        name: impl Into<Cow<'static, str>>,
        size: usize,
        align: usize,
        arrangement: Arrangement,
        mut fields: Vec<FieldLayout>,
    ) -> Self {
        fields.sort_by_key(|field| (field.offset, field.size != 0, field.declared_index));
        LayoutReport {
            name: name.into(),
            size,
            align,
            arrangement,
            fields,
        }
    }

    /// A report of a struct reordered by `#[optimize_layout]`.
    pub fn reordered(
        name: impl Into<Cow<'static, str>>,
        size: usize,
        align: usize,
        fields: Vec<FieldLayout>,
    ) -> Self {
        Self::new(name, size, align, Arrangement::Reordered, fields)
    }

    /// A report of a struct kept in declared order (`#[optimize_layout(keep_order)]`).
    pub fn declared(
        name: impl Into<Cow<'static, str>>,
        size: usize,
        align: usize,
        fields: Vec<FieldLayout>,
    ) -> Self {
        Self::new(name, size, align, Arrangement::Declared, fields)
    }

    /// A report of a layout observed on a struct the macro did not touch, for example
    /// built by [`layout_of!`](crate::layout_of). The declared order is the order of
    /// `declared_index`.
    pub fn observed(
        name: impl Into<Cow<'static, str>>,
        size: usize,
        align: usize,
        fields: Vec<FieldLayout>,
    ) -> Self {
        Self::new(name, size, align, Arrangement::Observed, fields)
    }

    /// The struct's name (with generic parameters as written).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `size_of` the struct.
    pub fn size(&self) -> usize {
        self.size
    }

    /// `align_of` the struct.
    pub fn align(&self) -> usize {
        self.align
    }

    /// How the fields came to be where they are.
    pub fn arrangement(&self) -> Arrangement {
        self.arrangement
    }

    /// Whether `#[optimize_layout]` reordered the fields.
    pub fn is_reordered(&self) -> bool {
        self.arrangement == Arrangement::Reordered
    }

    /// The fields in memory order.
    pub fn fields(&self) -> &[FieldLayout] {
        &self.fields
    }

    /// The field called `name`, if any.
    pub fn field(&self, name: &str) -> Option<&FieldLayout> {
        self.fields.iter().find(|field| field.name == name)
    }

    /// Sum of the field sizes: the bytes that carry data.
    pub fn field_bytes(&self) -> usize {
        self.fields.iter().map(|field| field.size).sum()
    }

    /// Bytes of padding: `size - field_bytes`, interior and tail.
    pub fn padding_bytes(&self) -> usize {
        self.size.saturating_sub(self.field_bytes())
    }

    /// Bytes of padding between fields (tail padding excluded).
    pub fn interior_padding_bytes(&self) -> usize {
        self.holes()
            .iter()
            .filter(|hole| hole.offset + hole.len < self.size)
            .map(|hole| hole.len)
            .sum()
    }

    /// Every gap, in memory order, including tail padding.
    pub fn holes(&self) -> Vec<Hole> {
        holes(self.fields.iter().map(|f| (f.offset, f.size)), self.size)
    }

    /// The size the fields would take in declared order under `repr(C)` with this
    /// struct's alignment.
    pub fn declared_size(&self) -> usize {
        let mut declared: Vec<&FieldLayout> = self.fields.iter().collect();
        declared.sort_by_key(|field| field.declared_index);
        let pairs: Vec<(usize, usize)> = declared.iter().map(|f| (f.size, f.align)).collect();
        repr_c_size(&pairs, self.align)
    }

    /// The least size any field order can reach: `round_up(field_bytes, align)`.
    pub fn optimal_size(&self) -> usize {
        round_up(self.field_bytes(), self.align)
    }

    /// Bytes saved against the declared order: `declared_size - size` (0 if the current
    /// order is not smaller).
    pub fn saved_bytes(&self) -> usize {
        self.declared_size().saturating_sub(self.size)
    }

    /// Cache lines of `line_size` bytes the struct spans when it starts on a line
    /// boundary (an array of them packs `line_size / size` per line when that divides).
    /// Returns 0 for a zero-sized struct; `line_size` 0 is treated as 1.
    pub fn cache_lines(&self, line_size: usize) -> usize {
        self.size.div_ceil(line_size.max(1))
    }

    fn sketch(&self) -> Sketch<'_> {
        Sketch {
            name: &self.name,
            arrangement: self.arrangement,
            size: Some(self.size),
            align: self.align,
            rows: self
                .fields
                .iter()
                .map(|f| SketchRow {
                    name: &f.name,
                    ty: &f.ty,
                    offset: Some(f.offset),
                    size: Some(f.size),
                    align: f.align,
                    declared_index: f.declared_index,
                    hot: f.hot,
                })
                .collect(),
        }
    }
}

impl fmt::Display for LayoutReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.sketch().fmt(f)
    }
}

/// Rounds `value` up to a multiple of `align` (`align` 0 is treated as 1).
///
/// ```
/// assert_eq!(evm_pool_runtime::layout::round_up(13, 8), 16);
/// ```
pub const fn round_up(value: usize, align: usize) -> usize {
    let align = if align == 0 { 1 } else { align };
    value.div_ceil(align) * align
}

/// Size of a `repr(C)` struct with these `(size, align)` fields in this order and at least
/// `min_align` (from `repr(align(N))`; pass 1 otherwise).
///
/// ```
/// use evm_pool_runtime::layout::repr_c_size;
///
/// assert_eq!(repr_c_size(&[(1, 1), (8, 8), (2, 2)], 1), 24);
/// assert_eq!(repr_c_size(&[(8, 8), (2, 2), (1, 1)], 1), 16);
/// assert_eq!(repr_c_size(&[(8, 8)], 64), 64);
/// ```
pub const fn repr_c_size(fields: &[(usize, usize)], min_align: usize) -> usize {
    let mut offset = 0;
    let mut align = if min_align == 0 { 1 } else { min_align };
    let mut i = 0;
    while i < fields.len() {
        let (size, field_align) = fields[i];
        offset = round_up(offset, field_align) + size;
        if field_align > align {
            align = field_align;
        }
        i += 1;
    }
    round_up(offset, align)
}

/// The least size any order of these `(size, align)` fields reaches:
/// `round_up(sum of sizes, max(alignments, min_align))`. Descending alignment reaches it
/// when every alignment is a power of two.
///
/// ```
/// use evm_pool_runtime::layout::optimal_size;
///
/// assert_eq!(optimal_size(&[(1, 1), (8, 8), (2, 2)], 1), 16);
/// ```
pub const fn optimal_size(fields: &[(usize, usize)], min_align: usize) -> usize {
    let mut sum = 0;
    let mut align = if min_align == 0 { 1 } else { min_align };
    let mut i = 0;
    while i < fields.len() {
        sum += fields[i].0;
        if fields[i].1 > align {
            align = fields[i].1;
        }
        i += 1;
    }
    round_up(sum, align)
}

/// Gaps between `(offset, size)` extents given in memory order, and before `end`.
fn holes(extents: impl Iterator<Item = (usize, usize)>, end: usize) -> Vec<Hole> {
    let mut holes = Vec::new();
    let mut cursor = 0;
    for (offset, size) in extents {
        if offset > cursor {
            holes.push(Hole {
                offset: cursor,
                len: offset - cursor,
            });
        }
        cursor = cursor.max(offset + size);
    }
    if end > cursor {
        holes.push(Hole {
            offset: cursor,
            len: end - cursor,
        });
    }
    holes
}

/// Builds a [`LayoutReport`] of any struct from its field names, measured with
/// `offset_of!`/`size_of`: for types you cannot annotate, such as a dependency's.
///
/// List the fields in declared order (for the "declared order" comparison); fields you
/// leave out show up as holes. The fields must be visible where the macro is used.
/// Field types are printed as `core::any::type_name` spells them.
///
/// ```
/// use evm_pool_runtime::layout_of;
///
/// struct Interpreter {
///     is_static: bool,
///     gas_limit: u64,
///     depth: u16,
///     stack: Vec<[u64; 4]>,
/// }
///
/// let report = layout_of!(Interpreter { is_static, gas_limit, depth, stack });
/// assert_eq!(report.size(), std::mem::size_of::<Interpreter>());
/// assert_eq!(report.field("gas_limit").unwrap().size, 8);
/// // rustc already reorders repr(Rust) structs: repr(C) in this order would be 48 bytes.
/// assert_eq!(report.declared_size(), 48);
/// println!("{report}");
/// ```
#[macro_export]
macro_rules! layout_of {
    ($ty:path { $($field:tt),+ $(,)? }) => {
        $crate::layout::LayoutReport::observed(
            ::core::stringify!($ty),
            ::core::mem::size_of::<$ty>(),
            ::core::mem::align_of::<$ty>(),
            {
                let mut fields = ::std::vec::Vec::new();
                $(
                    let index = fields.len();
                    let (size, align, ty) = $crate::layout::__field_facts(
                        |value: &$ty| &value.$field,
                    );
                    fields.push(
                        $crate::layout::FieldLayout::new(
                            ::core::stringify!($field),
                            ty,
                            ::core::mem::offset_of!($ty, $field),
                            size,
                            align,
                        )
                        .declared_at(index),
                    );
                )+
                fields
            },
        )
    };
}

/// Size, alignment and type name of the field a projection closure reaches. Used by
/// [`layout_of!`](crate::layout_of); not public API.
#[doc(hidden)]
pub fn __field_facts<S, F>(_projection: fn(&S) -> &F) -> (usize, usize, &'static str) {
    (
        core::mem::size_of::<F>(),
        core::mem::align_of::<F>(),
        core::any::type_name::<F>(),
    )
}
