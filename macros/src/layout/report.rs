//! The compile-output report: the plan rendered by the runtime's table formatter (the
//! one `LayoutReport`'s `Display` uses), so both reports print the same table.

use evm_pool_runtime::layout::{Arrangement, Sketch, SketchRow};

use super::ast::Input;
use super::plan::Plan;

/// The environment variable that turns on the report for every annotated struct.
pub const ENV_VAR: &str = "EVM_POOL_LAYOUT_REPORT";

/// Whether the build asked for every struct's report (`EVM_POOL_LAYOUT_REPORT` set to
/// anything but empty, `0` or `false`). The generated code reads the same variable with
/// `option_env!`, so cargo rebuilds when it changes.
pub fn requested_by_env() -> bool {
    std::env::var(ENV_VAR).is_ok_and(|value| !matches!(value.trim(), "" | "0" | "false"))
}

/// The report text, as it appears in the warning.
pub fn render(input: &Input<'_>, plan: &Plan) -> String {
    let name = input.display_name();
    let rows = plan
        .order
        .iter()
        .zip(&plan.offsets)
        .map(|(&index, &offset)| {
            let field = &input.fields[index];
            SketchRow {
                name: &field.name,
                ty: &field.ty_text,
                offset,
                size: field.size().0,
                align: field.align().0,
                declared_index: index,
                hot: field.hints.hot.is_some(),
            }
        })
        .collect();
    let sketch = Sketch {
        name: &name,
        arrangement: if input.options.keep_order.is_some() {
            Arrangement::Declared
        } else {
            Arrangement::Reordered
        },
        size: plan.size,
        align: plan.align,
        rows,
    };
    sketch.to_string()
}
