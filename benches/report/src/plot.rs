//! The report's SVG plots (plotters, SVG backend only): horizontal bars for "time per
//! operation by contender", lines for curves.

use std::error::Error;
use std::path::Path;

use plotters::prelude::*;

type PlotResult = Result<(), Box<dyn Error>>;

/// One named curve.
pub struct Series {
    /// Legend entry.
    pub name: String,
    /// Points in x order.
    pub points: Vec<(f64, f64)>,
}

fn color(i: usize) -> RGBColor {
    // A colour-blind-safe palette (Okabe-Ito), then Palette99.
    const OKABE_ITO: [RGBColor; 8] = [
        RGBColor(0, 114, 178),
        RGBColor(213, 94, 0),
        RGBColor(0, 158, 115),
        RGBColor(204, 121, 167),
        RGBColor(230, 159, 0),
        RGBColor(86, 180, 233),
        RGBColor(0, 0, 0),
        RGBColor(240, 228, 66),
    ];
    OKABE_ITO.get(i).copied().unwrap_or_else(|| {
        let (r, g, b) = Palette99::pick(i).rgb();
        RGBColor(r, g, b)
    })
}

/// Horizontal bars, one per contender, labelled with the name and value; `highlight`
/// bars (evm-pool's own) are drawn in the first colour, the others in grey.
pub fn bars(path: &Path, title: &str, unit: &str, bars: &[(String, f64, bool)]) -> PlotResult {
    let height = 80 + 34 * bars.len() as u32;
    let root = SVGBackend::new(path, (860, height)).into_drawing_area();
    root.fill(&WHITE)?;
    let max = bars
        .iter()
        .map(|b| b.1)
        .fold(0.0, f64::max)
        .max(f64::MIN_POSITIVE);
    let n = bars.len() as f64;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(8)
        .build_cartesian_2d(0f64..max * 1.75, 0f64..n)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .disable_y_axis()
        .x_desc(unit)
        .x_labels(8)
        .draw()?;
    for (i, (name, value, ours)) in bars.iter().enumerate() {
        let y = n - 1.0 - i as f64;
        let fill = if *ours {
            color(0)
        } else {
            RGBColor(150, 150, 150)
        };
        chart.draw_series(std::iter::once(Rectangle::new(
            [(0.0, y + 0.15), (*value, y + 0.85)],
            fill.filled(),
        )))?;
        chart.draw_series(std::iter::once(Text::new(
            format!("{name}  {}", crate::write::short(*value)),
            (*value + max * 0.02, y + 0.7),
            ("sans-serif", 14).into_font(),
        )))?;
    }
    root.present()?;
    Ok(())
}

macro_rules! line_chart {
    ($path:expr, $title:expr, $x_desc:expr, $y_desc:expr, $series:expr, $x_range:expr, $y_range:expr) => {{
        let root = SVGBackend::new($path, (860, 480)).into_drawing_area();
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .caption($title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d($x_range, $y_range)?;
        chart
            .configure_mesh()
            .x_desc($x_desc)
            .y_desc($y_desc)
            .y_label_formatter(&|v| crate::write::short(*v))
            .draw()?;
        for (i, series) in $series.iter().enumerate() {
            let c = color(i);
            chart
                .draw_series(
                    LineSeries::new(series.points.iter().copied(), c.stroke_width(2)).point_size(3),
                )?
                .label(series.name.as_str())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .position(SeriesLabelPosition::UpperLeft)
            .draw()?;
        root.present()?;
        Ok(())
    }};
}

fn bounds(series: &[Series], axis: fn(&(f64, f64)) -> f64) -> (f64, f64) {
    let values = series.iter().flat_map(|s| s.points.iter().map(axis));
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    if lo.is_finite() { (lo, hi) } else { (0.0, 1.0) }
}

/// Curves on log-log axes (scaling: cost per operation against a size that doubles).
pub fn lines_log(
    path: &Path,
    title: &str,
    x_desc: &str,
    y_desc: &str,
    series: &[Series],
) -> PlotResult {
    let (x0, x1) = bounds(series, |p| p.0);
    let (y0, y1) = bounds(series, |p| p.1);
    let (x0, x1) = (x0.max(1e-9) / 1.3, x1.max(x0 * 2.0) * 1.3);
    let (y0, y1) = (y0.max(1e-9) / 1.6, y1.max(y0 * 2.0) * 2.5);
    line_chart!(
        path,
        title,
        x_desc,
        y_desc,
        series,
        (x0..x1).log_scale(),
        (y0..y1).log_scale()
    )
}

/// Curves on linear axes from zero (a long run over time).
pub fn lines_linear(
    path: &Path,
    title: &str,
    x_desc: &str,
    y_desc: &str,
    series: &[Series],
) -> PlotResult {
    let (x0, x1) = bounds(series, |p| p.0);
    let (_, y1) = bounds(series, |p| p.1);
    line_chart!(
        path,
        title,
        x_desc,
        y_desc,
        series,
        x0..x1.max(x0 + 1.0),
        0f64..(y1 * 1.25).max(1e-9)
    )
}
