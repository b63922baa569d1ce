//! The registry of every `#[optimize_layout]` struct linked into the program, collected
//! with `inventory` (link-time registration, no central list to maintain).

use super::LayoutReport;

/// One registered struct: a function that builds its [`LayoutReport`]. The macro submits
/// one for every non-generic annotated struct; generic structs have no single layout and
/// are not registered (call `Foo::<Concrete>::layout_report()` instead).
#[derive(Clone, Copy, Debug)]
pub struct LayoutEntry {
    report: fn() -> LayoutReport,
}

impl LayoutEntry {
    /// An entry that reports with `report`. Used by generated code.
    pub const fn new(report: fn() -> LayoutReport) -> Self {
        LayoutEntry { report }
    }

    /// Builds the report.
    pub fn report(&self) -> LayoutReport {
        (self.report)()
    }
}

inventory::collect!(LayoutEntry);

/// Reports of every non-generic `#[optimize_layout]` struct linked into the program,
/// sorted by name (registration order is unspecified).
///
/// ```
/// for report in evm_pool_runtime::layout::all() {
///     println!("{report}\n");
/// }
/// ```
pub fn all() -> Vec<LayoutReport> {
    let mut reports: Vec<LayoutReport> = inventory::iter::<LayoutEntry>
        .into_iter()
        .map(LayoutEntry::report)
        .collect();
    reports.sort_by(|a, b| a.name().cmp(b.name()));
    reports
}
