//! Building the benches once and running them: criterion runs through `cargo bench`,
//! the exact and callgrind modes run the built executables directly.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::{Mode, Options, Results, progress};

/// The executables a run uses, by target name (`pool`, `frames`, ..., `alloc_overhead`).
#[derive(Debug, Default)]
pub struct Binaries {
    /// Criterion benches of the root package, in the order they run.
    pub benches: BTreeMap<String, PathBuf>,
    /// Examples used for instruction counts.
    pub examples: BTreeMap<String, PathBuf>,
    /// The revm benches built in the `measure` profile (one codegen unit, fat LTO), for
    /// their instruction counts; see [`MEASURE_BENCHES`].
    pub measure: BTreeMap<String, PathBuf>,
}

/// Benches whose instruction counts come from the `measure` profile (root `Cargo.toml`):
/// with the release profile's 16 codegen units, revm's generic code is inlined
/// differently whenever our crates' partitioning changes, which moved stock revm's own
/// count by up to 4% between builds of unchanged stock code.
pub const MEASURE_BENCHES: [&str; 3] = ["revm", "revm_evm_allocator", "revm_evm_allocator_stats"];

/// The order benches run and appear in: headline comparisons first. Benches not listed
/// (added later) run after these, so a new bench is never left out.
pub const BENCH_ORDER: [&str; 8] = [
    "pool",
    "frames",
    "alloc",
    "arena",
    "derive",
    "revm",
    "revm_evm_allocator",
    "revm_evm_allocator_stats",
];

/// Runs `command` with stdout+stderr into `log`; `Err` names the log on failure.
pub fn run_logged(command: &mut Command, log: &Path, what: &str) -> Result<(), String> {
    let file =
        File::create(log).map_err(|e| format!("{what}: cannot create {}: {e}", log.display()))?;
    let err = file.try_clone().map_err(|e| format!("{what}: {e}"))?;
    let status = command
        .stdout(Stdio::from(file))
        .stderr(Stdio::from(err))
        .status()
        .map_err(|e| format!("{what}: cannot start: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{what} failed ({status}); log: {}", log.display()))
    }
}

/// Compiler artifacts (`--message-format=json`) of the given kind, by target name.
fn executables(json: &str, kind: &str) -> BTreeMap<String, PathBuf> {
    json.lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|m| m["reason"] == "compiler-artifact")
        .filter(|m| {
            m["target"]["kind"]
                .as_array()
                .is_some_and(|kinds| kinds.iter().any(|k| k == kind))
        })
        .filter_map(|m| {
            Some((
                m["target"]["name"].as_str()?.to_string(),
                PathBuf::from(m["executable"].as_str()?),
            ))
        })
        .collect()
}

/// Builds every bench of the root package and the `alloc_overhead` example in the
/// `bench` profile (one set of dependencies for both), and the revm benches again in the
/// `measure` profile for their instruction counts.
pub fn build_benches(options: &Options, logs: &Path) -> Result<Binaries, String> {
    progress("building benches (cargo bench --no-run; the first build takes several minutes)");
    let mut binaries = Binaries::default();
    let mut measure_args = vec!["bench", "--profile", "measure", "-p", "evm-pool"];
    for bench in MEASURE_BENCHES {
        measure_args.extend(["--bench", bench]);
    }
    measure_args.push("--no-run");
    for (args, kind) in [
        (
            &["bench", "-p", "evm-pool", "--benches", "--no-run"][..],
            "bench",
        ),
        (&measure_args[..], "measure"),
        (
            &[
                "build",
                "--profile",
                "bench",
                "-p",
                "evm-pool",
                "--example",
                "alloc_overhead",
            ][..],
            "example",
        ),
    ] {
        let log = logs.join(format!("build-{kind}.log"));
        let out = Command::new("cargo")
            .args(args)
            .arg("--message-format=json-render-diagnostics")
            .current_dir(&options.root)
            .stderr(Stdio::from(
                File::create(&log).map_err(|e| format!("cannot create {}: {e}", log.display()))?,
            ))
            .output()
            .map_err(|e| format!("cargo {}: cannot start: {e}", args.join(" ")))?;
        if !out.status.success() {
            return Err(format!(
                "cargo {} failed ({}); log: {}",
                args.join(" "),
                out.status,
                log.display()
            ));
        }
        let artifact = if kind == "measure" { "bench" } else { kind };
        let found = executables(&String::from_utf8_lossy(&out.stdout), artifact);
        match kind {
            "bench" => binaries.benches = found,
            "measure" => binaries.measure = found,
            _ => binaries.examples = found,
        }
    }
    for name in MEASURE_BENCHES {
        if !binaries.measure.contains_key(name) {
            return Err(format!(
                "bench `{name}` was not built in the measure profile (renamed or removed?)"
            ));
        }
    }
    for name in BENCH_ORDER {
        if !binaries.benches.contains_key(name) {
            return Err(format!(
                "bench `{name}` was not built (renamed or removed?)"
            ));
        }
    }
    Ok(binaries)
}

/// The criterion arguments of a mode.
fn criterion_args(mode: Mode) -> &'static [&'static str] {
    match mode {
        Mode::Full => &["--warm-up-time", "1", "--measurement-time", "2", "--noplot"],
        Mode::Quick => &[
            "--warm-up-time",
            "0.05",
            "--measurement-time",
            "0.1",
            "--sample-size",
            "10",
            "--noplot",
        ],
    }
}

/// Lines a bench prints besides criterion's results, kept for the report: where they
/// start, and the prefix of the line that ends them (exclusive; `None` = that line only).
const PRINTED: [(&str, &str, Option<&str>); 3] = [
    ("frames", "== frames: exact counts", Some("frames/")),
    ("arena", "backing allocations per transaction", None),
    ("alloc", "evm_stats_on totals", None),
];

/// Runs every built bench under criterion, in [`BENCH_ORDER`] then the rest; a failing
/// bench is recorded with its log and the others still run.
pub fn run_benches(options: &Options, binaries: &Binaries, logs: &Path, results: &mut Results) {
    let criterion_dir = options.root.join("target/criterion");
    if criterion_dir.exists()
        && let Err(e) = std::fs::remove_dir_all(&criterion_dir)
    {
        results.failures.push(format!(
            "cannot clear {} (old estimates could leak into the report): {e}",
            criterion_dir.display()
        ));
        return;
    }
    let mut names: Vec<&str> = BENCH_ORDER.to_vec();
    names.extend(
        binaries
            .benches
            .keys()
            .map(String::as_str)
            .filter(|n| !BENCH_ORDER.contains(n)),
    );
    for name in names {
        progress(format!("criterion: cargo bench --bench {name}"));
        let log = logs.join(format!("bench-{name}.log"));
        let outcome = run_logged(
            Command::new("cargo")
                .args(["bench", "-p", "evm-pool", "--bench", name, "--"])
                .args(criterion_args(options.mode))
                .current_dir(&options.root),
            &log,
            &format!("cargo bench --bench {name}"),
        );
        if let Err(e) = outcome {
            results.failures.push(e);
        }
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        for (bench, start, end) in PRINTED {
            if bench != name {
                continue;
            }
            let mut lines = text.lines().skip_while(|l| !l.contains(start));
            let block: Vec<&str> = match end {
                None => lines.next().into_iter().collect(),
                // Criterion's progress lines (stderr, in the same log) also end a block.
                Some(end) => lines
                    .take_while(|l| !l.starts_with(end) && !l.starts_with("Benchmarking "))
                    .collect(),
            };
            if block.is_empty() {
                results.failures.push(format!(
                    "bench `{name}` did not print `{start}`; log: {}",
                    log.display()
                ));
            } else {
                results
                    .printed
                    .push((name.to_string(), block.join("\n").trim().to_string()));
            }
        }
    }
}

/// Runs the frames bench's exact mode and returns its `exact` lines split on tabs.
pub fn run_exact(binaries: &Binaries, logs: &Path, failures: &mut Vec<String>) -> Vec<Vec<String>> {
    progress("exact figures: FRAMES_EXACT=1 frames bench");
    let log = logs.join("exact-frames.log");
    let Some(frames) = binaries.benches.get("frames") else {
        failures.push("frames bench missing: no exact memory figures".into());
        return Vec::new();
    };
    tagged_lines(
        Command::new(frames).env("FRAMES_EXACT", "1"),
        &log,
        "FRAMES_EXACT=1 frames",
        "exact",
        failures,
    )
}

/// Runs the frames bench's paired wall-clock mode (`FRAMES_PAIRED`: high_performance,
/// disabled and walk_only alternating) and returns its `frames-paired` lines split on
/// tabs.
pub fn run_frames_paired(
    options: &Options,
    binaries: &Binaries,
    logs: &Path,
    failures: &mut Vec<String>,
) -> Vec<Vec<String>> {
    let rounds = match options.mode {
        Mode::Full => "101",
        Mode::Quick => "11",
    };
    progress(format!(
        "paired net wall time: FRAMES_PAIRED={rounds} frames bench"
    ));
    let Some(frames) = binaries.benches.get("frames") else {
        failures.push("frames bench missing: no paired net wall times".into());
        return Vec::new();
    };
    tagged_lines(
        Command::new(frames).env("FRAMES_PAIRED", rounds),
        &logs.join("frames-paired.log"),
        "FRAMES_PAIRED frames",
        "frames-paired",
        failures,
    )
}

/// Runs the revm bench's paired wall-clock mode (`EVM_POOL_PAIRED`, `measure` build)
/// and returns its `paired` lines split on tabs; with `fresh`, its mode with a fresh EVM
/// per transaction (`<spec>:fresh`, `paired-fresh` lines).
pub fn run_paired(
    options: &Options,
    binaries: &Binaries,
    logs: &Path,
    fresh: bool,
    failures: &mut Vec<String>,
) -> Vec<Vec<String>> {
    let spec = match options.mode {
        Mode::Full => "all:31",
        Mode::Quick => "transfers:3",
    };
    let (spec, tag) = if fresh {
        (format!("{spec}:fresh"), "paired-fresh")
    } else {
        (spec.to_string(), "paired")
    };
    progress(format!(
        "paired wall time: EVM_POOL_PAIRED={spec} revm bench"
    ));
    let log = logs.join(format!("{tag}-revm.log"));
    let Some(revm) = binaries.measure.get("revm") else {
        failures.push("revm bench (measure profile) missing: no paired wall times".into());
        return Vec::new();
    };
    tagged_lines(
        Command::new(revm).env("EVM_POOL_PAIRED", &spec),
        &log,
        "EVM_POOL_PAIRED revm",
        tag,
        failures,
    )
}

/// Runs `command` into `log` and returns the lines it printed that start with `tag` and
/// a tab, split on tabs without the tag; a failed run, or one that printed no such line,
/// is recorded in `failures`.
fn tagged_lines(
    command: &mut Command,
    log: &Path,
    what: &str,
    tag: &str,
    failures: &mut Vec<String>,
) -> Vec<Vec<String>> {
    if let Err(e) = run_logged(command, log, what) {
        failures.push(e);
        return Vec::new();
    }
    let lines: Vec<Vec<String>> = std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.strip_prefix(tag)?.strip_prefix('\t'))
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect();
    if lines.is_empty() {
        failures.push(format!(
            "{what} printed no `{tag}` lines; log: {}",
            log.display()
        ));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tagged_lines_are_split_without_their_tag() {
        let log = std::env::temp_dir().join(format!("tagged-lines-{}.log", std::process::id()));
        let mut failures = Vec::new();
        let lines = tagged_lines(
            Command::new("sh").args([
                "-c",
                "printf 'progress\\npaired\\ta\\t1\\npairedx\\tb\\nexact\\tc\\n'",
            ]),
            &log,
            "sh",
            "paired",
            &mut failures,
        );
        assert_eq!(lines, [["a", "1"]]);
        assert!(failures.is_empty());
        // No line with the tag: recorded as a failure, not an empty table in silence.
        let none = tagged_lines(
            &mut Command::new("true"),
            &log,
            "true",
            "paired",
            &mut failures,
        );
        assert!(none.is_empty());
        assert_eq!(failures.len(), 1);
        let _ = std::fs::remove_file(&log);
    }

    #[test]
    fn finds_executables_of_a_kind_in_cargo_messages() {
        let json = r#"{"reason":"compiler-artifact","target":{"name":"pool","kind":["bench"]},"executable":"/t/pool-1"}
{"reason":"compiler-artifact","target":{"name":"evm_pool","kind":["lib"]},"executable":null}
{"reason":"build-finished","success":true}"#;
        let found = executables(json, "bench");
        assert_eq!(found.len(), 1);
        assert_eq!(found["pool"], PathBuf::from("/t/pool-1"));
        assert!(executables(json, "example").is_empty());
    }
}
