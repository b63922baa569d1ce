//! Writing `BENCHMARKS.md` and its plots from one run's [`Results`].

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use crate::callgrind::{FRAME_PRESETS, FRAME_WORKLOADS, REVM_WORKLOADS};
use crate::compile_time::median;
use crate::machine::Machine;
use crate::plot::{self, Series};
use crate::{Mode, Options, Results};

/// A number in 3 significant digits with an SI suffix (plot labels).
pub fn short(v: f64) -> String {
    let a = v.abs();
    let (scaled, suffix) = if a >= 1e9 {
        (v / 1e9, "G")
    } else if a >= 1e6 {
        (v / 1e6, "M")
    } else if a >= 1e3 {
        (v / 1e3, "k")
    } else {
        (v, "")
    };
    let digits = if scaled.abs() >= 100.0 {
        0
    } else if scaled.abs() >= 10.0 {
        1
    } else {
        2
    };
    format!("{scaled:.digits$}{suffix}")
}

fn ns(v: f64) -> String {
    if v >= 1e6 {
        format!("{:.2} ms", v / 1e6)
    } else if v >= 1e3 {
        format!("{:.2} µs", v / 1e3)
    } else {
        format!("{v:.1} ns")
    }
}

fn count(v: f64) -> String {
    if v >= 1e7 {
        format!("{:.1} M", v / 1e6)
    } else {
        let rounded = v.round() as u64;
        let digits = rounded.to_string();
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        if v < 100.0 { format!("{v:.1}") } else { out }
    }
}

fn bytes(v: f64) -> String {
    if v >= 1024.0 * 1024.0 {
        format!("{:.1} MiB", v / 1024.0 / 1024.0)
    } else if v >= 1024.0 {
        format!("{:.1} KiB", v / 1024.0)
    } else {
        format!("{v:.0} B")
    }
}

fn ratio(value: Option<f64>, base: Option<f64>) -> String {
    match (value, base) {
        (Some(v), Some(b)) if b > 0.0 => format!("{:.2}x", v / b),
        _ => "—".into(),
    }
}

fn or_missing(v: Option<f64>, f: fn(f64) -> String) -> String {
    v.map_or_else(|| "missing".into(), f)
}

/// A row of the "time, vs baseline, instructions, vs baseline" tables: `label`, then the
/// variant's time and instruction count, each followed by its ratio to the baseline's.
fn vs_baseline_row(
    label: String,
    (time, base_time): (Option<f64>, Option<f64>),
    (ic, base_ic): (Option<f64>, Option<f64>),
) -> Vec<String> {
    vec![
        label,
        or_missing(time, ns),
        ratio(time, base_time),
        ic.map_or("—".into(), count),
        ratio(ic, base_ic),
    ]
}

/// A whole "time, vs baseline, instructions, vs baseline" table over the criterion
/// functions `names` of `group` and the callgrind table `cg` (same names), against
/// `baseline` (one of `names`).
fn vs_baseline_table(
    out: &mut String,
    v: &View<'_>,
    (group, cg): (&str, &str),
    header: &[&str],
    names: &[&str],
    baseline: &str,
) {
    let mut t = Table::new(header);
    for name in names {
        t.row(vs_baseline_row(
            format!("`{name}`"),
            (v.t(group, name, ""), v.t(group, baseline, "")),
            (v.ic(cg, name), v.ic(cg, baseline)),
        ));
    }
    t.render(out);
}

/// A markdown table.
struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    fn new(header: &[&str]) -> Table {
        Table {
            header: header.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
        }
    }
    fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }
    fn render(&self, out: &mut String) {
        let line = |cells: &[String]| format!("| {} |\n", cells.join(" | "));
        out.push_str(&line(&self.header));
        out.push_str(&line(
            &self
                .header
                .iter()
                .enumerate()
                .map(|(i, _)| if i == 0 { "---".into() } else { "---:".into() })
                .collect::<Vec<_>>(),
        ));
        for row in &self.rows {
            out.push_str(&line(row));
        }
        out.push('\n');
    }
}

/// Parses a scaling parameter: `1024`, `64 B`, `4 KiB`.
fn parse_x(param: &str) -> Option<f64> {
    let (number, unit) = param.split_once(' ').unwrap_or((param, ""));
    let n: f64 = number.parse().ok()?;
    Some(match unit {
        "KiB" => n * 1024.0,
        "MiB" => n * 1024.0 * 1024.0,
        _ => n,
    })
}

/// Steps smaller than this between neighbouring points are not called a bend: wall
/// times on a loaded machine move by this much between runs.
const NOISE: f64 = 1.5;

/// Where a curve bends: the step between neighbouring points where cost per operation
/// changes most, if that step is beyond [`NOISE`]; otherwise the curve is flat (within
/// [`NOISE`] overall) or drifts (no single step beyond it).
pub fn bend(points: &[(f64, f64)], x: fn(f64) -> String) -> String {
    if points.len() < 2 {
        return "not enough points".into();
    }
    let (lo, hi) = points.iter().fold((f64::INFINITY, 0f64), |(lo, hi), p| {
        (lo.min(p.1), hi.max(p.1))
    });
    let (first, last) = (points[0], points[points.len() - 1]);
    let range = format!("from {} to {}", x(first.0), x(last.0));
    if hi / lo < NOISE {
        return format!("flat: within {:.2}x {range}", hi / lo);
    }
    let (i, step) = points
        .windows(2)
        .map(|w| w[1].1 / w[0].1)
        .enumerate()
        .max_by(|a, b| a.1.ln().abs().total_cmp(&b.1.ln().abs()))
        .expect("two points");
    if step.max(1.0 / step) < NOISE {
        return format!(
            "no single bend: drifts {:.2}x {range}, no step beyond {NOISE}x",
            last.1 / first.1
        );
    }
    let direction = if step > 1.0 { "bends up" } else { "falls" };
    format!(
        "{direction} between {} and {} ({} → {}, {step:.2}x); {:.2}x {range}",
        x(points[i].0),
        x(points[i + 1].0),
        ns(points[i].1),
        ns(points[i + 1].1),
        last.1 / first.1,
    )
}

fn size_x(v: f64) -> String {
    if v >= 1024.0 {
        format!("{} KiB", v / 1024.0)
    } else {
        format!("{v} B")
    }
}

fn plain_x(v: f64) -> String {
    format!("{v}")
}

/// Everything the sections read, with lookups.
struct View<'r> {
    r: &'r Results,
    plots: &'r Path,
    plot_errors: Vec<String>,
}

impl View<'_> {
    /// Nanoseconds per element of one criterion benchmark.
    fn t(&self, group: &str, function: &str, parameter: &str) -> Option<f64> {
        self.r
            .timings
            .get(group, function, parameter)
            .map(|e| e.per_op())
    }
    /// Instructions per unit of one callgrind count.
    fn ic(&self, table: &str, name: &str) -> Option<f64> {
        self.r
            .instructions
            .iter()
            .find(|c| c.table == table && c.name == name)
            .map(|c| c.per_unit)
    }
    /// A scaling group's curves: function → points (parameter, ns per op), x ascending.
    fn curves(&self, group: &str) -> BTreeMap<String, Vec<(f64, f64)>> {
        let mut curves: BTreeMap<String, Vec<(f64, f64)>> = BTreeMap::new();
        for ((g, function, parameter), estimate) in self.r.timings.all() {
            if g == group
                && let Some(x) = parse_x(parameter)
            {
                curves
                    .entry(function.clone())
                    .or_default()
                    .push((x, estimate.per_op()));
            }
        }
        for points in curves.values_mut() {
            points.sort_by(|a, b| a.0.total_cmp(&b.0));
        }
        curves
    }
    /// Draws a plot; a failure is listed in the report instead of the image.
    fn plot(
        &mut self,
        file: &str,
        alt: &str,
        draw: impl FnOnce(&Path) -> Result<(), Box<dyn std::error::Error>>,
    ) -> String {
        let path = self.plots.join(file);
        match draw(&path) {
            Ok(()) => format!("![{alt}](docs/benchmarks/{file})\n\n"),
            Err(e) => {
                self.plot_errors.push(format!("plot {file}: {e}"));
                format!("(plot {file} failed: {e})\n\n")
            }
        }
    }
}

fn header(out: &mut String, options: &Options, r: &Results) {
    let m = &r.machine;
    out.push_str("# Benchmarks\n\n");
    out.push_str(
        "Generated by `scripts/bench-report.sh` from one run on one machine; do not edit by \
         hand, re-run the command. Every ratio is against a baseline measured in the same \
         run. Wall times come from criterion (short measurement times: `--warm-up-time 1 \
         --measurement-time 2`) and move with the machine's load; instruction counts come \
         from `valgrind --tool=callgrind` and do not, so they are the figure to compare \
         across runs. Memory figures are exact (counting allocator).\n\n",
    );
    if options.mode == Mode::Quick {
        out.push_str(
            "**Quick mode (`--quick`)**: tiny measurement times and a subset of the \
             instruction counts; a smoke test of the pipeline, not figures to quote.\n\n",
        );
    }
    let mut t = Table::new(&["", ""]);
    for (k, v) in [
        ("CPU", m.cpu.clone()),
        ("logical CPUs", m.cores.to_string()),
        ("memory", m.memory.clone()),
        ("OS", m.os.clone()),
        ("load average (1 min) at start", m.load.clone()),
        ("rustc", m.rustc.clone()),
        ("valgrind", m.valgrind.clone()),
        ("date", m.date.clone()),
        ("commit", m.commit.clone()),
        (
            "run time",
            format!("{:.1} min", r.steps.last().map_or(0.0, |s| s.1) / 60.0),
        ),
    ] {
        t.row(vec![k.into(), v]);
    }
    t.render(out);
}

fn failures(out: &mut String, r: &Results, plot_errors: &[String]) {
    if r.failures.is_empty() && plot_errors.is_empty() {
        return;
    }
    out.push_str("## Failures in this run\n\n");
    out.push_str("Cells that depend on these say `missing`.\n\n");
    for f in r.failures.iter().chain(plot_errors) {
        let _ = writeln!(out, "- {f}");
    }
    out.push('\n');
}

fn summary(out: &mut String, v: &View<'_>) {
    out.push_str("## Summary\n\n");
    let mut t = Table::new(&[
        "comparison",
        "evm-pool",
        "baseline",
        "time ratio",
        "instruction ratio",
    ]);
    let pool = "frame acquire+release";
    for (baseline_label, baseline) in [
        ("`Box::new` + drop", "Box::new + drop"),
        (
            "best other pool crate (opool `LocalPool`)",
            "opool LocalPool",
        ),
    ] {
        t.row(vec![
            "frame acquire+release (pool.rs)".into(),
            "`Pool`".into(),
            baseline_label.into(),
            ratio(v.t(pool, "evm-pool Pool", ""), v.t(pool, baseline, "")),
            ratio(v.ic("pool", "evm-pool Pool"), v.ic("pool", baseline)),
        ]);
    }
    for workload in ["mainnet_1000_tx", "chain_1024"] {
        let g = format!("frames/{workload}");
        t.row(vec![
            format!("call frames, {workload} (frames.rs), per frame"),
            "`FramePoolManager` high_performance".into(),
            "disabled (a fresh frame each call)".into(),
            ratio(v.t(&g, "", "high_performance"), v.t(&g, "", "disabled")),
            ratio(v.ic(&g, "high_performance"), v.ic(&g, "disabled")),
        ]);
    }
    // The manager's acquire+release alone: both minus the bench's own walk and
    // per-frame work (`walk_only`, same run). Time: the paired measurement where it ran.
    let frames_paired = frames_paired(&v.r.frames_paired);
    for workload in [
        "acquire_release_1000",
        "siblings_1000",
        "chain_1024",
        "mainnet_1000_tx",
    ] {
        let g = format!("frames/{workload}");
        let net = |value: Option<f64>, walk: Option<f64>| Some(value? - walk?);
        let (walk_time, walk_ic) = (v.t(&g, "", "walk_only"), v.ic(&g, "walk_only"));
        t.row(vec![
            format!("call frames, {workload} (frames.rs), acquire+release net of `walk_only`"),
            "`FramePoolManager` high_performance".into(),
            "disabled (a fresh frame each call)".into(),
            match frames_paired.get(workload) {
                Some(p) => format!("{:.2}x", p.ratio),
                None => ratio(
                    net(v.t(&g, "", "high_performance"), walk_time),
                    net(v.t(&g, "", "disabled"), walk_time),
                ),
            },
            ratio(
                net(v.ic(&g, "high_performance"), walk_ic),
                net(v.ic(&g, "disabled"), walk_ic),
            ),
        ]);
    }
    let churn = "small_object_churn";
    for (base, crit, cg) in [
        ("System", "system", "system"),
        ("mimalloc", "mimalloc", "mimalloc"),
    ] {
        t.row(vec![
            "small-object churn (alloc.rs), per transaction".into(),
            "`EvmAllocator` (statistics compiled out)".into(),
            base.into(),
            ratio(
                v.t(churn, "evm_stats_compiled_out", ""),
                v.t(churn, crit, ""),
            ),
            ratio(
                v.ic("alloc", "evm-optimized-compiled-out"),
                v.ic("alloc", cg),
            ),
        ]);
    }
    for base in ["bumpalo", "typed_arena"] {
        t.row(vec![
            "transaction arena (arena.rs), per transaction".into(),
            "`TxArena`".into(),
            base.into(),
            ratio(
                v.t("tx_arena_workload", "tx_arena", ""),
                v.t("tx_arena_workload", base, ""),
            ),
            ratio(v.ic("arena", "tx_arena"), v.ic("arena", base)),
        ]);
    }
    t.row(vec![
        "`#[derive(Pooled)]` (derive.rs)".into(),
        "generated `ScratchPool`".into(),
        "hand-written `Pool<T>`".into(),
        ratio(
            v.t("acquire_release", "derived ScratchPool", ""),
            v.t("acquire_release", "hand-written Pool<T>", ""),
        ),
        ratio(
            v.ic("derive", "derived ScratchPool"),
            v.ic("derive", "hand-written Pool<T>"),
        ),
    ]);
    let paired = paired_times(&v.r.paired);
    for w in REVM_WORKLOADS {
        // The paired wall time (both EVMs alternating in every round) where it ran.
        let time = match paired.get(w) {
            Some(p) => format!("{:.2}x", p.ratio),
            None => ratio(v.t(w, "pooled", ""), v.t(w, "stock revm", "")),
        };
        t.row(vec![
            format!("revm 43, {w} (revm.rs)"),
            "`PooledEvm`".into(),
            "stock revm".into(),
            time,
            ratio(
                v.ic(&format!("revm/{w}"), "pooled"),
                v.ic(&format!("revm/{w}"), "stock"),
            ),
        ]);
    }
    let fresh = paired_times(&v.r.paired_fresh);
    for w in ["call-chain-1024", "transfers"] {
        t.row(vec![
            format!("revm 43, {w}, a fresh EVM per transaction (revm.rs)"),
            "`PooledEvm` taking over the pools".into(),
            "stock revm built per transaction".into(),
            fresh
                .get(w)
                .map_or("—".into(), |p| format!("{:.2}x", p.ratio)),
            ratio(
                v.ic(&format!("revm-fresh/{w}"), "pooled"),
                v.ic(&format!("revm-fresh/{w}"), "stock"),
            ),
        ]);
    }
    t.render(out);
    out.push_str(
        "Ratios are evm-pool / baseline: below 1.00x evm-pool is faster (fewer instructions), \
         above 1.00x it is slower. The revm rows' time is the paired measurement (stock and \
         pooled alternating in every round, median of the per-round ratios; see the revm \
         section), and so is the time of the call-frame rows net of `walk_only` (see the \
         call-frames section).\n\n",
    );
    let peaks = peak_by_depth(v.r);
    if let (Some(pooled), Some(disabled)) = (
        peaks.get(&("high_performance".to_string(), 1024)),
        peaks.get(&("disabled".to_string(), 1024)),
    ) {
        let _ = writeln!(
            out,
            "Peak heap of a 1024-deep call chain (frames.rs, counting allocator, manager created \
             inside the measurement): {} pooled (`high_performance`) against {} with a fresh \
             frame per call ({:.1}%).\n",
            bytes(pooled.0),
            bytes(disabled.0),
            pooled.0 * 100.0 / disabled.0
        );
    }
    if let Some(c) = &v.r.compile {
        let (a, p) = (median(&c.annotated), median(&c.plain));
        let _ = writeln!(
            out,
            "Compile time of {} structs with `#[optimize_layout]` + `#[derive(Pooled)]`: {:.2} s \
             against {:.2} s without the attributes (+{:.2} s, {:.1} ms per struct; medians of \
             clean debug builds of the crate alone).\n",
            c.structs,
            a,
            p,
            a - p,
            (a - p) * 1000.0 / c.structs as f64
        );
    }
}

/// Contenders of `frame acquire+release` in report order; `true` = evm-pool's own.
const POOLS: [(&str, bool); 9] = [
    ("evm-pool Pool", true),
    ("evm-pool SyncPool", true),
    ("opool LocalPool", false),
    ("lifeguard", false),
    ("object-pool", false),
    ("opool Pool", false),
    ("sharded-slab Pool", false),
    ("evm-pool Pool disabled", true),
    ("Box::new + drop", false),
];

fn pools(out: &mut String, v: &mut View<'_>) {
    out.push_str("## Object pools (`benches/pool.rs`)\n\n");
    out.push_str(
        "Acquire + release of an EVM-sized call frame (4 KiB memory capacity, 1024-word stack), \
         pushing one word and writing one byte in between; every pool resets the frame keeping \
         its capacity. Baseline: `Box::new` of a fresh frame and drop. Instruction counts: \
         `EVM_POOL_BENCH_ONLY=<variant>` at two iteration counts, difference per round trip.\n\n",
    );
    let g = "frame acquire+release";
    let mut t = Table::new(&["pool", "time / op", "vs Box", "instructions / op", "vs Box"]);
    let mut time_bars = Vec::new();
    let mut instr_bars = Vec::new();
    for (name, ours) in POOLS {
        let time = v.t(g, name, "");
        let ic = v.ic("pool", name);
        t.row(vs_baseline_row(
            format!("`{name}`"),
            (time, v.t(g, "Box::new + drop", "")),
            (ic, v.ic("pool", "Box::new + drop")),
        ));
        if let Some(time) = time {
            time_bars.push((name.to_string(), time, ours));
        }
        if let Some(ic) = ic {
            instr_bars.push((name.to_string(), ic, ours));
        }
    }
    t.render(out);
    let link = v.plot("pool-time.svg", "time per acquire+release by pool", |p| {
        plot::bars(
            p,
            "Frame acquire+release: time per operation (lower is better)",
            "ns per acquire+release",
            &time_bars,
        )
    });
    out.push_str(&link);
    if !instr_bars.is_empty() {
        let link = v.plot(
            "pool-instructions.svg",
            "instructions per acquire+release by pool",
            |p| {
                plot::bars(
                    p,
                    "Frame acquire+release: instructions per operation (callgrind)",
                    "instructions per acquire+release",
                    &instr_bars,
                )
            },
        );
        out.push_str(&link);
    }
}

fn frames(out: &mut String, v: &mut View<'_>) {
    out.push_str("## Call frames (`benches/frames.rs`)\n\n");
    out.push_str(
        "Call trees replayed through `FramePoolManager` presets and through \
         `FramePoolConfig::disabled()` (every frame allocated with its own 1024-word stack, as \
         revm does, and dropped), both through the nested API (`CallTree`, `CallFrame::call`; \
         `guard` as a fourth word of `FRAMES_CALLGRIND` measures the `acquire` API). Per frame: acquire, copy call data, push words, grow memory \
         and write a word, open children, release. Instruction counts: `FRAMES_CALLGRIND` at \
         1 and 3 replays, difference per frame. `walk_only` replays the same trees with the \
         same requests, recursion and per-frame work but no manager; the net columns \
         (preset − `walk_only`) are the manager's acquire+release alone, the gross ones \
         include the walk and the work.\n\n",
    );
    let mut t = Table::new(&[
        "workload",
        "preset",
        "time / frame",
        "vs disabled",
        "net time vs disabled",
        "instructions / frame",
        "vs disabled",
        "net instructions / frame",
        "net vs disabled",
    ]);
    let mut bars = Vec::new();
    for workload in FRAME_WORKLOADS {
        let g = format!("frames/{workload}");
        let table = g.clone();
        let net = |value: Option<f64>, walk: Option<f64>| Some(value? - walk?);
        let walk_time = v.t(&g, "", "walk_only");
        let walk_ic = v.ic(&table, "walk_only");
        for preset in [
            "high_performance",
            "balanced",
            "minimal",
            "disabled",
            "walk_only",
        ] {
            let time = v.t(&g, "", preset);
            let ic = v.ic(&table, preset);
            let (net_time, net_ic) = if preset == "walk_only" {
                (None, None)
            } else {
                (net(time, walk_time), net(ic, walk_ic))
            };
            t.row(vec![
                format!("`{workload}`"),
                format!("`{preset}`"),
                or_missing(time, ns),
                ratio(time, v.t(&g, "", "disabled")),
                ratio(net_time, net(v.t(&g, "", "disabled"), walk_time)),
                if FRAME_PRESETS.contains(&preset) {
                    ic.map_or("—".into(), count)
                } else {
                    "—".into()
                },
                ratio(ic, v.ic(&table, "disabled")),
                net_ic.map_or("—".into(), |n| format!("{n:.1}")),
                ratio(net_ic, net(v.ic(&table, "disabled"), walk_ic)),
            ]);
            if workload == "mainnet_1000_tx"
                && preset != "walk_only"
                && let Some(time) = time
            {
                bars.push((preset.to_string(), time, preset != "disabled"));
            }
        }
    }
    t.render(out);
    let link = v.plot(
        "frames-time.svg",
        "time per frame by preset, mainnet-shaped",
        |p| {
            plot::bars(
                p,
                "Mainnet-shaped call trees: time per frame (lower is better)",
                "ns per frame",
                &bars,
            )
        },
    );
    out.push_str(&link);
    frames_paired_table(out, v);
    if let Some((_, printed)) = v.r.printed.iter().find(|(b, _)| b == "frames") {
        out.push_str("Exact counts printed by the bench (counting allocator):\n\n```text\n");
        out.push_str(printed);
        out.push_str("\n```\n\n");
    }
}

/// The paired net wall time (`FRAMES_PAIRED`): criterion times each preset in a block of
/// its own, seconds apart, so on a shared machine the net time ratio above moves with
/// the load; here the three variants alternate within every round.
fn frames_paired_table(out: &mut String, v: &View<'_>) {
    out.push_str(
        "Paired net wall time (`FRAMES_PAIRED`): `high_performance`, `disabled` and \
         `walk_only` timed in alternation, one sample of each per round (about 20,000 frames, \
         order rotating), so a change of load hits all three alike; per round the net ratio \
         (`high_performance` − `walk_only`) / (`disabled` − `walk_only`), then the median of \
         the rounds and its middle half.\n\n",
    );
    let paired = frames_paired(&v.r.frames_paired);
    if paired.is_empty() {
        out.push_str("missing: no paired net wall times\n\n");
        return;
    }
    let mut t = Table::new(&[
        "workload",
        "`walk_only` / frame",
        "`high_performance` / frame",
        "`disabled` / frame",
        "net time vs disabled (median)",
        "middle half",
        "rounds",
    ]);
    for workload in FRAME_WORKLOADS {
        let Some(p) = paired.get(workload) else {
            continue;
        };
        t.row(vec![
            format!("`{workload}`"),
            ns(p.walk_ns),
            ns(p.pooled_ns),
            ns(p.disabled_ns),
            format!("{:.2}x", p.ratio),
            format!("{:.2}x–{:.2}x", p.first_quartile, p.third_quartile),
            p.rounds.to_string(),
        ]);
    }
    t.render(out);
}

fn allocators(out: &mut String, v: &mut View<'_>) {
    out.push_str("## Allocators (`benches/alloc.rs`, `examples/alloc_overhead.rs`)\n\n");
    out.push_str(
        "One EVM-like transaction of small-object churn (20/32/64/256-byte objects with a \
         sliding live set, `Vec<u8>` grown to 1-4 KiB) through `allocator_api2` collections \
         over the same `&dyn GlobalAlloc` adapter for every contender. Instruction counts: the \
         same workload in `examples/alloc_overhead.rs` (`churn`, 200 transactions), collected \
         inside the workload only.\n\n",
    );
    let rows: [(&str, Option<&str>, &str, bool); 7] = [
        ("System", Some("system"), "system", false),
        ("mimalloc", Some("mimalloc"), "mimalloc", false),
        (
            "`EvmAllocator`, statistics compiled out",
            Some("evm_stats_compiled_out"),
            "evm-optimized-compiled-out",
            true,
        ),
        (
            "`EvmAllocator`, statistics off at run time",
            Some("evm_stats_runtime_off"),
            "evm-optimized-runtime-off",
            true,
        ),
        (
            "`EvmAllocator`, statistics on",
            Some("evm_stats_on"),
            "evm-optimized-stats",
            true,
        ),
        (
            "`EvmAllocator` pass-through (`minimal()`), statistics compiled out",
            None,
            "evm-minimal-compiled-out",
            true,
        ),
        (
            "`EvmAllocator` pass-through (`minimal()`), statistics on",
            None,
            "evm-minimal-stats",
            true,
        ),
    ];
    let g = "small_object_churn";
    let mut t = Table::new(&[
        "allocator",
        "time / tx",
        "vs System",
        "instructions / tx",
        "vs System",
    ]);
    let mut bars = Vec::new();
    for (label, crit, cg, ours) in rows {
        let time = crit.and_then(|c| v.t(g, c, ""));
        let mut row = vs_baseline_row(
            label.into(),
            (time, v.t(g, "system", "")),
            (v.ic("alloc", cg), v.ic("alloc", "system")),
        );
        if crit.is_none() {
            row[1] = "—".into(); // not a criterion variant: no time, rather than "missing"
        }
        t.row(row);
        if let Some(time) = time {
            bars.push((label.replace('`', ""), time, ours));
        }
    }
    t.render(out);
    if let Some((_, printed)) = v.r.printed.iter().find(|(b, _)| b == "alloc") {
        let _ = writeln!(out, "Printed by the bench: `{printed}`\n");
    }
    let link = v.plot("alloc-time.svg", "time per transaction by allocator", |p| {
        plot::bars(
            p,
            "Small-object churn: time per transaction (lower is better)",
            "ns per transaction",
            &bars,
        )
    });
    out.push_str(&link);

    out.push_str("### Transaction arena (`benches/arena.rs`)\n\n");
    out.push_str(
        "Per transaction: 64 words, 16 addresses, 8 byte slices of 68-964 bytes, a reverted \
         call's 32 words (rewound by `TxArena`'s checkpoint; bumpalo keeps them until reset), \
         then reset. typed-arena has no reset: a new set of arenas per transaction.\n\n",
    );
    vs_baseline_table(
        out,
        v,
        ("tx_arena_workload", "arena"),
        &[
            "arena",
            "time / tx",
            "vs bumpalo",
            "instructions / tx",
            "vs bumpalo",
        ],
        &["tx_arena", "bumpalo", "typed_arena"],
        "bumpalo",
    );
    if let Some((_, printed)) = v.r.printed.iter().find(|(b, _)| b == "arena") {
        let _ = writeln!(out, "Printed by the bench: `{printed}`\n");
    }

    out.push_str("### `#[derive(Pooled)]` (`benches/derive.rs`)\n\n");
    vs_baseline_table(
        out,
        v,
        ("acquire_release", "derive"),
        &[
            "pool",
            "time / op",
            "vs hand-written",
            "instructions / op",
            "vs hand-written",
        ],
        &["derived ScratchPool", "hand-written Pool<T>"],
        "hand-written Pool<T>",
    );
}

fn revm(out: &mut String, v: &mut View<'_>) {
    out.push_str(
        "## revm 43 (`benches/revm.rs`, `benches/revm_evm_allocator.rs`, \
         `benches/revm_evm_allocator_stats.rs`)\n\n",
    );
    out.push_str(
        "Stock revm against `PooledEvm` on the main job's workloads, on the system allocator \
         and with `EvmAllocator` (statistics compiled out) as global allocator (a second bench \
         binary, same run). Time is per run of the workload (all its transactions); \
         instructions are per transaction, collected inside the measured loop only \
         (`EVM_POOL_CALLGRIND=<stock|pooled>:<workload>:<runs>`), from the same benches \
         built in the `measure` profile (release with one codegen unit and fat LTO, as EVM \
         users ship for speed; with 16 units revm's own code moved by up to 4% between \
         builds).\n\n",
    );
    for (title, time) in [
        ("Time per workload run", true),
        ("Instructions per transaction", false),
    ] {
        let _ = writeln!(out, "{title}:\n");
        let mut t = Table::new(&[
            "workload",
            "stock",
            "pooled",
            "pooled / stock",
            "stock + EvmAllocator",
            "pooled + EvmAllocator",
            "pooled + EvmAllocator / stock",
        ]);
        for w in REVM_WORKLOADS {
            let ea = format!("{w} + EvmAllocator");
            let (s, p, se, pe) = if time {
                (
                    v.t(w, "stock revm", ""),
                    v.t(w, "pooled", ""),
                    v.t(&ea, "stock revm", ""),
                    v.t(&ea, "pooled", ""),
                )
            } else {
                let (a, b) = (format!("revm/{w}"), format!("revm_evm_allocator/{w}"));
                (
                    v.ic(&a, "stock"),
                    v.ic(&a, "pooled"),
                    v.ic(&b, "stock"),
                    v.ic(&b, "pooled"),
                )
            };
            let f = if time { ns } else { count };
            let cell = |x: Option<f64>| x.map_or("—".into(), f);
            t.row(vec![
                format!("`{w}`"),
                cell(s),
                cell(p),
                ratio(p, s),
                cell(se),
                cell(pe),
                ratio(pe, s),
            ]);
        }
        t.render(out);
    }
    out.push_str(
        "Paired wall time (`EVM_POOL_PAIRED=all:31`, `measure` build, system allocator): \
         stock and pooled alternate inside every round, the order flipping each round, so \
         both see the same machine load; the ratio is the median of the per-round ratios, \
         with the middle half of them beside it. On this shared machine it is the wall-time \
         figure to trust over the separate criterion groups above.\n\n",
    );
    let paired = paired_times(&v.r.paired);
    if paired.is_empty() {
        out.push_str("missing: no paired wall times\n\n");
    } else {
        let mut t = Table::new(&[
            "workload",
            "stock",
            "pooled",
            "pooled / stock",
            "middle half of the ratios",
            "rounds",
        ]);
        for w in REVM_WORKLOADS {
            let Some(p) = paired.get(w) else { continue };
            t.row(vec![
                format!("`{w}`"),
                ns(p.stock_ns),
                ns(p.pooled_ns),
                format!("{:.2}x", p.ratio),
                format!("{:.2}x – {:.2}x", p.first_quartile, p.third_quartile),
                p.rounds.to_string(),
            ]);
        }
        t.render(out);
    }
    out.push_str(
        "A fresh EVM per transaction, as an RPC server answering `eth_call` builds one per \
         request (`measure::FreshEvm`): stock revm builds its EVM (frame stack, 32 KiB operand \
         stacks, shared memory) for every transaction and drops it after; the pooled EVM is \
         built around the pools the previous one left (`PooledEvm::with_pools`, \
         `into_pools`). Contexts are cloned before the measurement; building and dropping the \
         EVM are measured. Instructions per transaction (`EVM_POOL_CALLGRIND=<kind>-fresh:...`) \
         and paired wall time (`EVM_POOL_PAIRED=all:31:fresh`).\n\n",
    );
    let fresh = paired_times(&v.r.paired_fresh);
    let mut t = Table::new(&[
        "workload",
        "stock, instructions",
        "pooled, instructions",
        "pooled / stock",
        "stock, time",
        "pooled, time",
        "pooled / stock (paired)",
        "middle half of the ratios",
    ]);
    for w in REVM_WORKLOADS {
        let table = format!("revm-fresh/{w}");
        let (s, p) = (v.ic(&table, "stock"), v.ic(&table, "pooled"));
        let cell = |x: Option<f64>| x.map_or("—".into(), count);
        let (st, pt, r, mid) = match fresh.get(w) {
            Some(f) => (
                ns(f.stock_ns),
                ns(f.pooled_ns),
                format!("{:.2}x", f.ratio),
                format!("{:.2}x – {:.2}x", f.first_quartile, f.third_quartile),
            ),
            None => ("—".into(), "—".into(), "—".into(), "—".into()),
        };
        t.row(vec![
            format!("`{w}`"),
            cell(s),
            cell(p),
            ratio(p, s),
            st,
            pt,
            r,
            mid,
        ]);
    }
    t.render(out);
    out.push_str(
        "What exact allocation statistics cost on these workloads: `EvmAllocator` with \
         statistics on (`benches/revm_evm_allocator_stats.rs`) against statistics compiled \
         out (`benches/revm_evm_allocator.rs`), instructions per transaction. Differences \
         under about 0.5% are within the code-layout drift between two binaries.\n\n",
    );
    let mut t = Table::new(&[
        "workload",
        "stock, statistics compiled out",
        "stock, statistics on",
        "on / compiled out",
        "pooled, statistics compiled out",
        "pooled, statistics on",
        "on / compiled out",
    ]);
    for w in REVM_WORKLOADS {
        let (off, on) = (
            format!("revm_evm_allocator/{w}"),
            format!("revm_evm_allocator_stats/{w}"),
        );
        let (so, sn, po, pn) = (
            v.ic(&off, "stock"),
            v.ic(&on, "stock"),
            v.ic(&off, "pooled"),
            v.ic(&on, "pooled"),
        );
        let cell = |x: Option<f64>| x.map_or("—".into(), count);
        t.row(vec![
            format!("`{w}`"),
            cell(so),
            cell(sn),
            ratio(sn, so),
            cell(po),
            cell(pn),
            ratio(pn, po),
        ]);
    }
    t.render(out);
}

fn scaling(out: &mut String, v: &mut View<'_>) {
    out.push_str("## Scaling\n\n");
    out.push_str(
        "Cost per operation as one dimension grows, with the other held. Each curve's bend \
         is where cost per operation changes most between neighbouring points (computed from \
         this run's figures). Steps under 1.5x are not called bends: wall times on this shared \
         machine move that much between runs; \"flat\" = within 1.5x over the whole range.\n\n",
    );
    // (criterion group, title, what it measures, x axis, x formatter, plot file)
    type Section = (
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        fn(f64) -> String,
        &'static str,
    );
    let sections: [Section; 3] = [
        (
            "scaling/objects held",
            "Pooled objects held at once (`benches/pool.rs`)",
            "Acquire `n` frames, then release them all; per acquire+release. `balanced` keeps at most 512 idle frames and `high_performance` 1024: past that, the extra frames are allocated and dropped.",
            "frames held at once",
            plain_x,
            "scaling-objects-held.svg",
        ),
        (
            "scaling/call depth",
            "Call depth (`benches/frames.rs`)",
            "A chain of `n` nested CALL frames (10 words, 64 bytes of memory each), per frame.",
            "call depth (frames)",
            plain_x,
            "scaling-call-depth.svg",
        ),
        (
            "scaling/object size",
            "Object size (`benches/pool.rs`)",
            "EVM memory of `n` bytes capacity, 64 bytes touched: `BufferPool` (classes of 256 B, 1 KiB, 4 KiB; larger requests are allocated) against a fresh `Vec` (`Vec::with_capacity`, which leaves the bytes untouched). Above its largest class `BufferPool` hands out a plain allocation of `capacity` zeroed bytes, so its cost grows with the size there. glibc serves blocks above 128 KiB with mmap.",
            "buffer capacity (bytes)",
            size_x,
            "scaling-object-size.svg",
        ),
    ];
    for (group, title, about, x_desc, fmt_x, file) in sections {
        let _ = writeln!(out, "### {title}\n\n{about}\n");
        let curves = v.curves(group);
        if curves.is_empty() {
            let _ = writeln!(out, "missing: no results for `{group}`\n");
            continue;
        }
        let xs: Vec<f64> = {
            let mut xs: Vec<f64> = curves.values().flatten().map(|p| p.0).collect();
            xs.sort_by(f64::total_cmp);
            xs.dedup();
            xs
        };
        let mut header = vec!["contender".to_string()];
        header.extend(xs.iter().map(|x| fmt_x(*x)));
        header.push("where it bends".into());
        let mut t = Table {
            header,
            rows: Vec::new(),
        };
        for (name, points) in &curves {
            let mut row = vec![format!("`{name}`")];
            for x in &xs {
                row.push(
                    points
                        .iter()
                        .find(|p| p.0 == *x)
                        .map_or("—".into(), |p| ns(p.1)),
                );
            }
            row.push(bend(points, fmt_x));
            t.row(row);
        }
        t.render(out);
        let series: Vec<Series> = curves
            .into_iter()
            .map(|(name, points)| Series { name, points })
            .collect();
        let link = v.plot(file, title, |p| {
            plot::lines_log(p, title, x_desc, "ns per operation (log)", &series)
        });
        out.push_str(&link);
    }

    out.push_str("### Threads (`benches/pool.rs`)\n\n");
    out.push_str(
        "The pools threads can share, one shared pool, 1 and 2 threads each doing acquire + \
         release; time per operation on each thread (the slowest thread's). This machine has \
         ",
    );
    let _ = write!(out, "{} logical CPUs", v.r.machine.cores);
    out.push_str(", shared with other work, so 2 threads may not run truly in parallel.\n\n");
    let g = "scaling/threads";
    let mut t = Table::new(&[
        "pool",
        "1 thread",
        "2 threads",
        "2 threads / 1 thread",
        "vs Box, 2 threads",
    ]);
    let names: Vec<String> = v.curves(g).keys().cloned().collect();
    let mut bars = Vec::new();
    for name in &names {
        let (one, two) = (v.t(g, name, "1"), v.t(g, name, "2"));
        t.row(vec![
            format!("`{name}`"),
            or_missing(one, ns),
            or_missing(two, ns),
            ratio(two, one),
            ratio(two, v.t(g, "Box::new + drop", "2")),
        ]);
        for (threads, time) in [(1, one), (2, two)] {
            if let Some(time) = time {
                bars.push((
                    format!(
                        "{name}, {threads} thread{}",
                        if threads == 1 { "" } else { "s" }
                    ),
                    time,
                    name.starts_with("evm-pool"),
                ));
            }
        }
    }
    if names.is_empty() {
        out.push_str("missing: no results for `scaling/threads`\n\n");
    } else {
        t.render(out);
        let link = v.plot(
            "scaling-threads.svg",
            "time per operation on 1 and 2 threads",
            |p| {
                plot::bars(
                    p,
                    "Shared pools on 1 and 2 threads: time per acquire+release",
                    "ns per acquire+release (per thread)",
                    &bars,
                )
            },
        );
        out.push_str(&link);
    }
}

/// One workload's paired wall time (`EVM_POOL_PAIRED`).
struct Paired {
    stock_ns: f64,
    pooled_ns: f64,
    ratio: f64,
    first_quartile: f64,
    third_quartile: f64,
    rounds: u64,
}

/// Paired wall times by workload.
fn paired_times(lines: &[Vec<String>]) -> BTreeMap<String, Paired> {
    workload_lines(
        lines,
        |[stock_ns, pooled_ns, ratio, first_quartile, third_quartile], rounds| Paired {
            stock_ns,
            pooled_ns,
            ratio,
            first_quartile,
            third_quartile,
            rounds,
        },
    )
}

/// Lines of a workload name, `N` numbers and a round count (as the paired modes print
/// them), by workload; a line of another length or with a field that does not parse is
/// skipped.
fn workload_lines<const N: usize, T>(
    lines: &[Vec<String>],
    make: impl Fn([f64; N], u64) -> T,
) -> BTreeMap<String, T> {
    lines
        .iter()
        .filter(|l| l.len() == N + 2)
        .filter_map(|l| {
            let numbers: Vec<f64> = l[1..=N]
                .iter()
                .map(|f| f.parse().ok())
                .collect::<Option<_>>()?;
            Some((
                l[0].clone(),
                make(numbers.try_into().ok()?, l[N + 1].parse().ok()?),
            ))
        })
        .collect()
}

/// One frames workload's paired net wall time (`FRAMES_PAIRED`), ns per frame.
struct FramesPaired {
    walk_ns: f64,
    pooled_ns: f64,
    disabled_ns: f64,
    ratio: f64,
    first_quartile: f64,
    third_quartile: f64,
    rounds: u64,
}

/// Paired net wall times by frames workload.
fn frames_paired(lines: &[Vec<String>]) -> BTreeMap<String, FramesPaired> {
    workload_lines(
        lines,
        |[
            walk_ns,
            pooled_ns,
            disabled_ns,
            ratio,
            first_quartile,
            third_quartile,
        ],
         rounds| {
            FramesPaired {
                walk_ns,
                pooled_ns,
                disabled_ns,
                ratio,
                first_quartile,
                third_quartile,
                rounds,
            }
        },
    )
}

/// Exact peak heap by (preset, depth): (cold, warm) bytes.
fn peak_by_depth(r: &Results) -> BTreeMap<(String, u64), (f64, f64)> {
    r.exact
        .iter()
        .filter(|l| l.first().is_some_and(|k| k == "peak_by_depth") && l.len() == 5)
        .filter_map(|l| {
            Some((
                (l[1].clone(), l[2].parse().ok()?),
                (l[3].parse().ok()?, l[4].parse().ok()?),
            ))
        })
        .collect()
}

fn memory(out: &mut String, v: &mut View<'_>) {
    out.push_str(
        "## Memory\n\n### Peak heap by call depth (`benches/frames.rs`, `FRAMES_EXACT`)\n\n",
    );
    out.push_str(
        "A chain `n` frames deep (10 words and 64 bytes of memory per frame), peak of live \
         heap bytes counted by a counting global allocator. Cold: the manager is created \
         inside the measurement, so its prewarmed pools count. Warm: what a second chain adds \
         on a manager that already ran one. `disabled` allocates each frame's 1024-word stack \
         (32 KiB), as revm does.\n\n",
    );
    let peaks = peak_by_depth(v.r);
    if peaks.is_empty() {
        out.push_str("missing: no exact figures\n\n");
    } else {
        let presets: Vec<String> = {
            let mut p: Vec<String> = Vec::new();
            for (preset, _) in peaks.keys() {
                if !p.contains(preset) {
                    p.push(preset.clone());
                }
            }
            p
        };
        let depths: Vec<u64> = {
            let mut d: Vec<u64> = peaks.keys().map(|k| k.1).collect();
            d.sort();
            d.dedup();
            d
        };
        let mut header = vec!["preset".to_string()];
        header.extend(depths.iter().map(|d| format!("depth {d}: cold / warm")));
        let mut t = Table {
            header,
            rows: Vec::new(),
        };
        let mut series = Vec::new();
        for preset in &presets {
            let mut row = vec![format!("`{preset}`")];
            let mut points = Vec::new();
            for d in &depths {
                match peaks.get(&(preset.clone(), *d)) {
                    Some((cold, warm)) => {
                        row.push(format!("{} / {}", bytes(*cold), bytes(*warm)));
                        points.push((*d as f64, cold.max(1.0) / 1024.0));
                    }
                    None => row.push("—".into()),
                }
            }
            t.row(row);
            series.push(Series {
                name: preset.clone(),
                points,
            });
        }
        t.render(out);
        let link = v.plot("peak-memory-by-depth.svg", "peak heap by call depth", |p| {
            plot::lines_log(
                p,
                "Peak heap of a call chain by depth (cold manager)",
                "call depth (frames)",
                "peak heap, KiB (log)",
                &series,
            )
        });
        out.push_str(&link);
    }

    out.push_str("### Hit rate and memory held over a long run with auto-tuning\n\n");
    out.push_str(
        "The shifting workload of `tests/stress.rs` (`tests/common/shifting_workload.rs`): \
         phases of 100 transactions each (transfers, DeFi fan-out, 200-deep proxies, 48 KiB \
         call data, idle), four cycles, on a fake clock advanced one second per transaction so \
         maintenance (auto-tuning, idle cleanup, pressure) runs on the presets' schedules. \
         Sampled every 10 transactions: hit rate over those 10, bytes the manager holds (idle \
         frames and spare buffers).\n\n",
    );
    let long: Vec<&Vec<String>> =
        v.r.exact
            .iter()
            .filter(|l| l.first().is_some_and(|k| k == "long_run") && l.len() == 6)
            .collect();
    if long.is_empty() {
        out.push_str("missing: no exact figures\n\n");
        return;
    }
    let mut hit: BTreeMap<String, Vec<(f64, f64)>> = BTreeMap::new();
    let mut held: BTreeMap<String, Vec<(f64, f64)>> = BTreeMap::new();
    // (preset, phase) -> (sum of hit rates, samples, max bytes held)
    let mut per_phase: BTreeMap<(String, String), (f64, u32, f64)> = BTreeMap::new();
    let mut phases: Vec<String> = Vec::new();
    for l in &long {
        let (Ok(tx), Ok(rate), Ok(b)) = (
            l[2].parse::<f64>(),
            l[4].parse::<f64>(),
            l[5].parse::<f64>(),
        ) else {
            continue;
        };
        hit.entry(l[1].clone())
            .or_default()
            .push((tx, rate * 100.0));
        held.entry(l[1].clone()).or_default().push((tx, b / 1024.0));
        let e = per_phase.entry((l[1].clone(), l[3].clone())).or_default();
        e.0 += rate;
        e.1 += 1;
        e.2 = e.2.max(b);
        if !phases.contains(&l[3]) {
            phases.push(l[3].clone());
        }
    }
    let mut header = vec!["preset".to_string()];
    header.extend(phases.iter().map(|p| format!("{p}: hit rate / max held")));
    let mut t = Table {
        header,
        rows: Vec::new(),
    };
    for preset in hit.keys() {
        let mut row = vec![format!("`{preset}`")];
        for phase in &phases {
            row.push(
                per_phase
                    .get(&(preset.clone(), phase.clone()))
                    .map_or("—".into(), |(sum, n, max)| {
                        format!("{:.1}% / {}", sum * 100.0 / *n as f64, bytes(*max))
                    }),
            );
        }
        t.row(row);
    }
    t.render(out);
    let to_series = |m: BTreeMap<String, Vec<(f64, f64)>>| -> Vec<Series> {
        m.into_iter()
            .map(|(name, points)| Series { name, points })
            .collect()
    };
    let (hit, held) = (to_series(hit), to_series(held));
    let link = v.plot(
        "long-run-hit-rate.svg",
        "hit rate over a long auto-tuned run",
        |p| {
            plot::lines_linear(
                p,
                "Hit rate over a long shifting run (every 10 transactions)",
                "transaction",
                "hit rate, %",
                &hit,
            )
        },
    );
    out.push_str(&link);
    let link = v.plot(
        "long-run-memory-held.svg",
        "memory held over a long auto-tuned run",
        |p| {
            plot::lines_linear(
                p,
                "Memory held by the frame manager over a long shifting run",
                "transaction",
                "bytes held, KiB",
                &held,
            )
        },
    );
    out.push_str(&link);
}

fn compile(out: &mut String, r: &Results) {
    out.push_str("## Compile time of the macros\n\n");
    let Some(c) = &r.compile else {
        out.push_str("Not measured in this run (`--skip-compile-time` or a failure above).\n\n");
        return;
    };
    let _ = writeln!(
        out,
        "A generated crate of {} structs (8 fields each: `bool`, `[u64; 4]`, `u32`, `Vec<u8>`, \
         `u8`, `u64`, `[u8; 32]`, `u16`), each with `#[optimize_layout]` and \
         `#[derive(Pooled, Default)]`, against the same structs with `#[derive(Default)]` only; \
         both depend on `evm-pool`. Dependencies built once first ({:.0} s); then `cargo clean \
         -p` and `cargo build` (debug) of the crate alone, {} times each, alternating.\n",
        c.structs,
        c.dependencies,
        c.annotated.len()
    );
    let mut t = Table::new(&["crate", "median", "runs (s)"]);
    for (name, runs) in [("with the attributes", &c.annotated), ("without", &c.plain)] {
        t.row(vec![
            name.into(),
            format!("{:.2} s", median(runs)),
            runs.iter()
                .map(|s| format!("{s:.2}"))
                .collect::<Vec<_>>()
                .join(", "),
        ]);
    }
    t.render(out);
    let (a, p) = (median(&c.annotated), median(&c.plain));
    let _ = writeln!(
        out,
        "Difference: +{:.2} s for {} structs ({:.1} ms per struct, {:.2}x the plain crate's build).\n",
        a - p,
        c.structs,
        (a - p) * 1000.0 / c.structs as f64,
        a / p
    );
}

fn appendix(out: &mut String, r: &Results) {
    out.push_str("## Appendix: every criterion estimate of this run\n\n");
    if r.timings.is_empty() {
        out.push_str("missing: no criterion results\n\n");
    } else {
        let mut t = Table::new(&[
            "group",
            "benchmark",
            "parameter",
            "time / iteration",
            "95% interval",
            "elements",
            "time / element",
        ]);
        for ((g, f, p), e) in r.timings.all() {
            t.row(vec![
                g.clone(),
                f.clone(),
                p.clone(),
                ns(e.per_iteration_ns),
                format!("{} – {}", ns(e.interval_ns.0), ns(e.interval_ns.1)),
                e.elements.to_string(),
                ns(e.per_op()),
            ]);
        }
        t.render(out);
    }
    out.push_str("Step times of this run:\n\n");
    let mut t = Table::new(&["step", "time"]);
    for (name, s) in &r.steps {
        t.row(vec![name.clone(), format!("{:.0} s", s)]);
    }
    t.render(out);
}

/// Writes `BENCHMARKS.md` and the plots (old plots are removed first); returns the plots
/// that failed (also listed in the report).
pub fn write_report(options: &Options, r: &Results) -> Result<Vec<String>, String> {
    let base = options
        .output
        .parent()
        .unwrap_or(&options.root)
        .to_path_buf();
    let plots = base.join("docs/benchmarks");
    if plots.exists() {
        for entry in std::fs::read_dir(&plots)
            .map_err(|e| e.to_string())?
            .flatten()
        {
            if entry.path().extension().is_some_and(|x| x == "svg") {
                std::fs::remove_file(entry.path()).map_err(|e| e.to_string())?;
            }
        }
    }
    std::fs::create_dir_all(&plots).map_err(|e| format!("{}: {e}", plots.display()))?;
    let mut v = View {
        r,
        plots: &plots,
        plot_errors: Vec::new(),
    };
    let mut headline = String::new();
    summary(&mut headline, &v);
    let mut body = headline.clone();
    pools(&mut body, &mut v);
    frames(&mut body, &mut v);
    allocators(&mut body, &mut v);
    revm(&mut body, &mut v);
    scaling(&mut body, &mut v);
    memory(&mut body, &mut v);
    compile(&mut body, r);
    appendix(&mut body, r);

    let mut out = String::new();
    header(&mut out, options, r);
    failures(&mut out, r, &v.plot_errors);
    out.push_str(&body);
    std::fs::write(&options.output, out)
        .map_err(|e| format!("{}: {e}", options.output.display()))?;
    let mut problems = v.plot_errors;
    // README's table of measured results is this run's summary, so every figure in it
    // comes from the same run as BENCHMARKS.md. Only a full run into the default file
    // may touch README (a quick run or `--output elsewhere.md` is a trial).
    if options.mode == Mode::Full
        && options.output == options.root.join("BENCHMARKS.md")
        && let Err(e) = sync_readme(&options.root.join("README.md"), &headline, &r.machine)
    {
        problems.push(e);
    }
    Ok(problems)
}

/// Marks the part of README.md that [`sync_readme`] rewrites.
const README_BEGIN: &str = "<!-- bench-report:summary:begin -->";
/// Ends it.
const README_END: &str = "<!-- bench-report:summary:end -->";

/// Replaces README's text between [`README_BEGIN`] and [`README_END`] with `summary`
/// (without its heading) and a line naming the run it came from.
fn sync_readme(readme: &Path, summary: &str, machine: &Machine) -> Result<(), String> {
    let text = std::fs::read_to_string(readme).map_err(|e| format!("{}: {e}", readme.display()))?;
    let replaced = splice_summary(&text, summary, machine).ok_or_else(|| {
        format!(
            "{}: markers {README_BEGIN} / {README_END} not found; README's results table \
             was not updated",
            readme.display()
        )
    })?;
    std::fs::write(readme, replaced).map_err(|e| format!("{}: {e}", readme.display()))
}

/// `text` with the part between the markers replaced, or `None` without both markers.
fn splice_summary(text: &str, summary: &str, machine: &Machine) -> Option<String> {
    let begin = text.find(README_BEGIN)? + README_BEGIN.len();
    let end = begin + text[begin..].find(README_END)?;
    let table = summary.strip_prefix("## Summary\n\n").unwrap_or(summary);
    Some(format!(
        "{}\n\nFrom [BENCHMARKS.md](BENCHMARKS.md) (`scripts/bench-report.sh`, {}, commit {}, \
         {} logical CPUs):\n\n{}\n{}",
        &text[..begin],
        machine.date,
        machine.commit,
        machine.cores,
        table.trim_end(),
        &text[end..]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paired_lines_as_the_revm_bench_prints_them_are_read() {
        // `EVM_POOL_PAIRED` prints `paired\t<workload>\t<stock ns>\t<pooled ns>\t<ratio>\t
        // <q1>\t<q3>\t<rounds>`; `run_paired` drops the first field.
        let line = "paired\tcall-chain-1024\t298090\t265290\t0.912\t0.873\t0.94\t31";
        let results = Results {
            paired: vec![line.split('\t').skip(1).map(str::to_string).collect()],
            ..Results::default()
        };
        let paired = paired_times(&results.paired);
        let p = &paired["call-chain-1024"];
        assert_eq!(
            (p.stock_ns, p.pooled_ns, p.rounds),
            (298_090.0, 265_290.0, 31)
        );
        assert_eq!(
            (p.ratio, p.first_quartile, p.third_quartile),
            (0.912, 0.873, 0.94)
        );
        // A short or garbled line is skipped, not misread.
        let results = Results {
            paired: vec![vec!["transfers".into(), "12".into()]],
            ..Results::default()
        };
        assert!(paired_times(&results.paired).is_empty());
    }

    #[test]
    fn readme_summary_is_spliced_between_the_markers_only() {
        let machine = Machine {
            date: "2026-11-29 09:00 UTC".into(),
            commit: "abc123".into(),
            cores: 2,
            ..Machine::default()
        };
        let readme = format!("intro\n{README_BEGIN}\nold table\n{README_END}\nrest\n");
        let new = splice_summary(&readme, "## Summary\n\n| a |\n", &machine).unwrap();
        assert_eq!(
            new,
            format!(
                "intro\n{README_BEGIN}\n\nFrom [BENCHMARKS.md](BENCHMARKS.md) \
                 (`scripts/bench-report.sh`, 2026-11-29 09:00 UTC, commit abc123, 2 logical \
                 CPUs):\n\n| a |\n{README_END}\nrest\n"
            )
        );
        // Splicing again replaces, never accumulates.
        assert_eq!(
            splice_summary(&new, "## Summary\n\n| a |\n", &machine).unwrap(),
            new
        );
        assert_eq!(splice_summary("no markers", "x", &machine), None);
    }

    /// The frames table's net columns (preset − `walk_only`), from criterion files as the
    /// frames bench writes them (captured from a run) and callgrind counts.
    #[test]
    fn revm_section_has_the_fresh_evm_table() {
        let count = |name: &str, per_unit: f64| crate::callgrind::Count {
            table: "revm-fresh/call-chain-1024".into(),
            name: name.into(),
            per_unit,
            unit: "transaction",
        };
        // As the revm bench prints it (`paired-fresh` dropped by `run_paired`).
        let line = "call-chain-1024\t534775\t389781\t0.634\t0.458\t0.785\t31";
        let results = Results {
            instructions: vec![count("stock", 3_966_620.0), count("pooled", 2_158_539.0)],
            paired_fresh: vec![line.split('\t').map(str::to_string).collect()],
            ..Results::default()
        };
        let dir = std::env::temp_dir();
        let mut v = View {
            r: &results,
            plots: &dir,
            plot_errors: Vec::new(),
        };
        let mut out = String::new();
        revm(&mut out, &mut v);
        let fresh = out
            .split("A fresh EVM per transaction")
            .nth(1)
            .expect("fresh EVM table");
        let row = fresh
            .lines()
            .find(|l| l.contains("`call-chain-1024`"))
            .expect("chain row");
        // 2,158,539 / 3,966,620 = 0.54x by instructions; 0.63x paired wall time.
        for cell in ["0.54x", "0.63x", "0.46x – 0.79x"] {
            assert!(row.contains(cell), "{cell} missing in {row}");
        }
    }

    #[test]
    fn frames_table_reports_gross_and_net_against_walk_only() {
        let dir = std::env::temp_dir().join(format!("bench-report-frames-{}", std::process::id()));
        // Slopes per replay of 1001 frames, from a captured `frames` run.
        for (preset, slope) in [
            ("high_performance", 24658.7),
            ("disabled", 158569.9),
            ("walk_only", 6617.1),
        ] {
            let new = dir.join(format!(
                "criterion/frames_acquire_release_1000/{preset}/new"
            ));
            std::fs::create_dir_all(&new).unwrap();
            std::fs::write(
                new.join("benchmark.json"),
                format!(
                    r#"{{"group_id":"frames/acquire_release_1000","function_id":null,"value_str":"{preset}","throughput":{{"Elements":1001}},"full_id":"frames/acquire_release_1000/{preset}","directory_name":"frames_acquire_release_1000/{preset}","title":"frames/acquire_release_1000/{preset}"}}"#
                ),
            )
            .unwrap();
            std::fs::write(
                new.join("estimates.json"),
                format!(
                    r#"{{"mean":{{"point_estimate":{slope},"confidence_interval":{{"lower_bound":{slope},"upper_bound":{slope}}}}},"slope":{{"point_estimate":{slope},"confidence_interval":{{"lower_bound":{slope},"upper_bound":{slope}}}}}}}"#
                ),
            )
            .unwrap();
        }
        let mut failures = Vec::new();
        let timings = crate::criterion::Timings::load(&dir.join("criterion"), &mut failures);
        assert!(failures.is_empty(), "{failures:?}");
        let instructions = [
            ("high_performance", 257.2),
            ("disabled", 1172.2),
            ("walk_only", 64.0),
        ]
        .map(|(name, per_unit)| crate::callgrind::Count {
            table: "frames/acquire_release_1000".into(),
            name: name.into(),
            per_unit,
            unit: "frame",
        })
        .to_vec();
        let results = Results {
            timings,
            instructions,
            ..Results::default()
        };
        let mut v = View {
            r: &results,
            plots: &dir,
            plot_errors: Vec::new(),
        };
        let mut out = String::new();
        frames(&mut out, &mut v);
        let row = |preset: &str| {
            out.lines()
                .find(|l| {
                    l.contains("`acquire_release_1000`") && l.contains(&format!("`{preset}`"))
                })
                .unwrap_or_else(|| panic!("no {preset} row in\n{out}"))
                .to_string()
        };
        // Gross 257.2 vs 1172.2 (0.22x); net 193.2 vs 1108.2 (0.17x); wall time net
        // (24658.7 - 6617.1) / (158569.9 - 6617.1) = 0.12x.
        let hp = row("high_performance");
        for cell in ["257", "0.22x", "193.2", "0.17x", "0.12x"] {
            assert!(hp.contains(cell), "{cell} missing in {hp}");
        }
        let disabled = row("disabled");
        assert!(
            disabled.contains("1108.2") && disabled.contains("1.00x"),
            "{disabled}"
        );
        let walk = row("walk_only");
        assert!(
            walk.contains("64.0") && walk.ends_with("| — | — |"),
            "no net figures for walk_only itself: {walk}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// `FRAMES_PAIRED` lines as the frames bench prints them (tag dropped by
    /// `tagged_lines`) feed the call-frames section's paired table and the summary's net
    /// time column; a malformed line is skipped.
    #[test]
    fn frames_paired_lines_as_the_frames_bench_prints_them_are_read() {
        let line = "mainnet_1000_tx\t55.81\t80.33\t343.28\t0.076\t0.045\t0.103\t21";
        let results = Results {
            frames_paired: vec![
                line.split('\t').map(str::to_string).collect(),
                vec!["chain_1024".into(), "1.0".into()],
            ],
            ..Results::default()
        };
        let parsed = frames_paired(&results.frames_paired);
        assert_eq!(parsed.len(), 1, "the short line is skipped");
        let p = &parsed["mainnet_1000_tx"];
        assert_eq!((p.ratio, p.rounds), (0.076, 21));
        let dir = std::env::temp_dir().join(format!("bench-report-paired-{}", std::process::id()));
        let mut v = View {
            r: &results,
            plots: &dir,
            plot_errors: Vec::new(),
        };
        let mut out = String::new();
        frames_paired_table(&mut out, &v);
        let row = out
            .lines()
            .find(|l| l.starts_with("| `mainnet_1000_tx`"))
            .unwrap_or_else(|| panic!("no mainnet row in\n{out}"));
        for cell in [
            "55.8 ns",
            "80.3 ns",
            "343.3 ns",
            "0.08x",
            "0.04x–0.10x",
            "| 21 |",
        ] {
            assert!(row.contains(cell), "{cell} missing in {row}");
        }
        let mut summary_out = String::new();
        summary(&mut summary_out, &v);
        let net = summary_out
            .lines()
            .find(|l| l.contains("mainnet_1000_tx (frames.rs), acquire+release net"))
            .expect("net row");
        assert!(
            net.contains("| 0.08x |"),
            "paired time in the summary: {net}"
        );
        let chain = summary_out
            .lines()
            .find(|l| l.contains("chain_1024 (frames.rs), acquire+release net"))
            .expect("net row");
        assert!(
            !chain.contains("0.08x"),
            "no paired line for the chain: {chain}"
        );
        v.plot_errors.clear();
    }

    #[test]
    fn parses_scaling_parameters() {
        assert_eq!(parse_x("1024"), Some(1024.0));
        assert_eq!(parse_x("64 B"), Some(64.0));
        assert_eq!(parse_x("4 KiB"), Some(4096.0));
        assert_eq!(parse_x("evm-pool Pool"), None);
    }

    #[test]
    fn finds_the_step_where_a_curve_bends() {
        let flat = [(1.0, 10.0), (4.0, 11.0), (16.0, 12.0)];
        assert!(bend(&flat, plain_x).starts_with("flat: within 1.20x from 1 to 16"));
        let knee = [(1.0, 10.0), (4.0, 11.0), (16.0, 40.0), (64.0, 44.0)];
        let text = bend(&knee, plain_x);
        assert!(text.starts_with("bends up between 4 and 16"), "{text}");
        assert!(text.contains("3.64x"), "{text}");
        let amortized = [(1.0, 100.0), (4.0, 20.0), (16.0, 18.0)];
        assert!(bend(&amortized, plain_x).starts_with("falls between 1 and 4"));
        let drift = [(1.0, 10.0), (4.0, 13.0), (16.0, 16.0), (64.0, 20.0)];
        let text = bend(&drift, plain_x);
        assert!(text.starts_with("no single bend: drifts 2.00x"), "{text}");
    }

    #[test]
    fn formats_numbers_for_tables() {
        assert_eq!(ns(45.13), "45.1 ns");
        assert_eq!(ns(1234.0), "1.23 µs");
        assert_eq!(count(2_784_366.0), "2,784,366");
        assert_eq!(count(87.04), "87.0");
        assert_eq!(bytes(1536.0), "1.5 KiB");
        assert_eq!(ratio(Some(1.0), Some(4.0)), "0.25x");
        assert_eq!(ratio(None, Some(4.0)), "—");
        assert_eq!(short(1500.0), "1.50k");
    }
}
