//! The layout table, written once for both reports: `LayoutReport`'s `Display` at run
//! time and the compile-output report of `#[optimize_layout(report)]` (the macro builds
//! a [`Sketch`] from its plan, where a size it does not know is `None`).

use std::fmt;

use super::{Arrangement, CACHE_LINE, optimal_size, repr_c_size};

/// A layout that may have unknown sizes and offsets. Not public API: the macro crate
/// uses it to print the compile-output report with the same code as `LayoutReport`.
#[doc(hidden)]
#[derive(Clone, Debug)]
pub struct Sketch<'a> {
    pub name: &'a str,
    pub arrangement: Arrangement,
    pub size: Option<usize>,
    pub align: usize,
    /// In memory order.
    pub rows: Vec<SketchRow<'a>>,
}

/// One field of a [`Sketch`]. Not public API.
#[doc(hidden)]
#[derive(Clone, Debug)]
pub struct SketchRow<'a> {
    pub name: &'a str,
    pub ty: &'a str,
    pub offset: Option<usize>,
    pub size: Option<usize>,
    pub align: usize,
    pub declared_index: usize,
    pub hot: bool,
}

fn num(value: Option<usize>) -> String {
    value.map_or_else(|| "?".to_owned(), |v| v.to_string())
}

fn plural(count: usize, one: &str, many: &str) -> String {
    format!("{count} {}", if count == 1 { one } else { many })
}

impl Sketch<'_> {
    /// `(size, align)` of every field in memory order, if every size is known.
    fn pairs(&self, declared: bool) -> Option<Vec<(usize, usize)>> {
        let mut rows: Vec<&SketchRow<'_>> = self.rows.iter().collect();
        if declared {
            rows.sort_by_key(|row| row.declared_index);
        }
        rows.iter()
            .map(|row| Some((row.size?, row.align)))
            .collect()
    }
}

impl fmt::Display for Sketch<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let how = match self.arrangement {
            Arrangement::Reordered => "optimized, repr(C)",
            Arrangement::Declared => "declared order, repr(C)",
            Arrangement::Observed => "as compiled",
        };
        let lines = match self.size {
            Some(size) => format!(
                ", {} of {CACHE_LINE} bytes",
                plural(size.div_ceil(CACHE_LINE), "cache line", "cache lines")
            ),
            None => String::new(),
        };
        writeln!(
            f,
            "layout of `{}` ({how}): {} bytes, align {}{lines}",
            self.name,
            num(self.size),
            self.align
        )?;
        write!(f, "  offset  size  align  line  field")?;
        let mut cursor = Some(0usize);
        let pad_row = |f: &mut fmt::Formatter<'_>, from: usize, to: usize| {
            write!(
                f,
                "\n  {from:>6}  {:>4}                (padding)",
                to - from
            )
        };
        for row in &self.rows {
            if let (Some(at), Some(offset)) = (cursor, row.offset)
                && offset > at
            {
                pad_row(f, at, offset)?;
            }
            let line = row.offset.map(|offset| offset / CACHE_LINE);
            write!(
                f,
                "\n  {:>6}  {:>4}  {:>5}  {:>4}  {}: {}{}",
                num(row.offset),
                num(row.size),
                row.align,
                num(line),
                row.name,
                row.ty,
                if row.hot { "  [hot]" } else { "" }
            )?;
            cursor = match (cursor, row.offset, row.size) {
                (Some(at), Some(offset), Some(size)) => Some(at.max(offset + size)),
                _ => None,
            };
        }
        if let (Some(at), Some(size)) = (cursor, self.size)
            && size > at
        {
            pad_row(f, at, size)?;
        }

        let unknown: Vec<String> = self
            .rows
            .iter()
            .filter(|row| row.size.is_none())
            .map(|row| format!("`{}: {}`", row.name, row.ty))
            .collect();
        let (Some(size), Some(memory), Some(declared)) =
            (self.size, self.pairs(false), self.pairs(true))
        else {
            return write!(
                f,
                "\n  sizes unknown to the macro: {}; add #[layout(size = N)] for exact \
                 numbers, or print `{}::layout_report()` at run time",
                unknown.join(", "),
                self.name
            );
        };
        let field_bytes: usize = memory.iter().map(|pair| pair.0).sum();
        let padding = size.saturating_sub(field_bytes);
        let declared_size = repr_c_size(&declared, self.align);
        let optimal = optimal_size(&memory, self.align);
        match self.arrangement {
            Arrangement::Reordered => {
                write!(
                    f,
                    "\n  declared order would be {declared_size} bytes ({} of padding); \
                     optimized: {} of padding, saves {}",
                    plural(declared_size - field_bytes, "byte", "bytes"),
                    plural(padding, "byte", "bytes"),
                    plural(declared_size.saturating_sub(size), "byte", "bytes"),
                )?;
                if size > optimal {
                    write!(
                        f,
                        "\n  hot fields first cost {} over the minimum of {optimal} bytes",
                        plural(size - optimal, "byte", "bytes")
                    )?;
                }
                Ok(())
            }
            Arrangement::Declared => write!(
                f,
                "\n  declared order kept: {} of padding; descending alignment would be \
                 {optimal} bytes, saving {}",
                plural(padding, "byte", "bytes"),
                plural(size.saturating_sub(optimal), "byte", "bytes"),
            ),
            Arrangement::Observed => write!(
                f,
                "\n  {} of padding; repr(C) in the listed order would be {declared_size} \
                 bytes; the minimum is {optimal} bytes",
                plural(padding, "byte", "bytes"),
            ),
        }
    }
}
