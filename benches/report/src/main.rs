//! `bench-report`: runs every benchmark of evm-pool and regenerates `BENCHMARKS.md` and
//! its plots (`docs/benchmarks/*.svg`) from scratch. Run it through
//! `scripts/bench-report.sh` (which builds it in release mode).
//!
//! What one run does, in order, each step's failure recorded in the report (and the exit
//! status) rather than skipped silently:
//!
//! 1. notes the machine and toolchain (CPU, cores, rustc, date, commit);
//! 2. builds every criterion bench once (`cargo bench --no-run`), clears
//!    `target/criterion`, runs each bench with short measurement times and reads
//!    criterion's `new/estimates.json` files;
//! 3. counts instructions with `valgrind --tool=callgrind` through the benches' own
//!    callgrind modes (two repetition counts, so start-up cancels out);
//! 4. runs the frames bench's exact mode (peak heap by call depth; hit rate and memory
//!    held over a long auto-tuned run) and the revm bench's paired wall-clock mode (stock
//!    and pooled alternating in each round);
//! 5. times clean builds of a generated crate of 100 structs with and without
//!    `#[optimize_layout]` + `#[derive(Pooled)]`;
//! 6. writes `BENCHMARKS.md` (tables of ratios against baselines of the same run, where
//!    each scaling curve bends) and the SVG plots.
//!
//! ```text
//! scripts/bench-report.sh            # full run (about 20 minutes on 2 cores)
//! scripts/bench-report.sh --quick    # smoke test: tiny measurement times, fewer runs,
//!                                    # written to target/bench-report/quick/ only
//! ```

mod callgrind;
mod cargo;
mod compile_time;
mod criterion;
mod machine;
mod plot;
mod write;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

/// How much to measure: the full report, or a smoke test of the whole pipeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Every bench with `--warm-up-time 1 --measurement-time 2`, every callgrind count.
    Full,
    /// Tiny measurement times and a subset of callgrind counts; numbers are not meant
    /// to be read, only to prove each step works.
    Quick,
}

/// The options of one run.
#[derive(Debug)]
pub struct Options {
    /// Full or quick.
    pub mode: Mode,
    /// The workspace root.
    pub root: PathBuf,
    /// Where `BENCHMARKS.md` goes (the plots go to `docs/benchmarks/` beside it).
    pub output: PathBuf,
    /// Skip the compile-time experiment (it needs a few minutes of clean builds).
    pub skip_compile_time: bool,
}

/// Everything one run measured, and what went wrong.
#[derive(Debug, Default)]
pub struct Results {
    /// Machine and toolchain.
    pub machine: machine::Machine,
    /// Criterion estimates, by (group, benchmark, parameter).
    pub timings: criterion::Timings,
    /// Callgrind instruction counts per unit of work.
    pub instructions: Vec<callgrind::Count>,
    /// Exact lines from the frames bench (`FRAMES_EXACT`).
    pub exact: Vec<Vec<String>>,
    /// Paired wall times of the revm workloads (`EVM_POOL_PAIRED`): workload, stock ns,
    /// pooled ns, median ratio, first and third quartile, rounds.
    pub paired: Vec<Vec<String>>,
    /// The same with a fresh EVM per transaction (`EVM_POOL_PAIRED=...:fresh`).
    pub paired_fresh: Vec<Vec<String>>,
    /// Paired net wall times of the frames workloads (`FRAMES_PAIRED`): workload,
    /// walk_only, high_performance and disabled ns per frame, median net ratio, first and
    /// third quartile, rounds.
    pub frames_paired: Vec<Vec<String>>,
    /// What the benches printed besides criterion's lines (exact counts).
    pub printed: Vec<(String, String)>,
    /// Clean-build times of the generated crates.
    pub compile: Option<compile_time::CompileTimes>,
    /// Each step's wall time.
    pub steps: Vec<(String, f64)>,
    /// Failures: each says what failed and where its log is.
    pub failures: Vec<String>,
}

fn parse_args() -> Result<Options, String> {
    let root = std::env::current_dir().map_err(|e| format!("current directory: {e}"))?;
    let mut options = Options {
        mode: Mode::Full,
        output: root.join("BENCHMARKS.md"),
        root,
        skip_compile_time: false,
    };
    let mut args = std::env::args().skip(1);
    let mut output = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => options.mode = Mode::Quick,
            "--skip-compile-time" => options.skip_compile_time = true,
            "--output" => {
                let path = args.next().ok_or("--output needs a path")?;
                output = Some(options.root.join(path));
            }
            "-h" | "--help" => {
                return Err(
                    "usage: bench-report [--quick] [--skip-compile-time] [--output BENCHMARKS.md]\n\
                     run from the workspace root (scripts/bench-report.sh does)"
                        .into(),
                );
            }
            other => return Err(format!("unknown argument {other:?} (try --help)")),
        }
    }
    if !options.root.join("benches/report").is_dir() {
        return Err("run from the evm-pool workspace root (scripts/bench-report.sh does)".into());
    }
    // A quick run is a smoke test: unless told otherwise it writes under target/, so it
    // never replaces the tracked BENCHMARKS.md, its plots or README's table.
    options.output = match (output, options.mode) {
        (Some(path), _) => path,
        (None, Mode::Quick) => options.root.join("target/bench-report/quick/BENCHMARKS.md"),
        (None, Mode::Full) => options.output,
    };
    Ok(options)
}

/// Prints a progress line to stderr (stdout stays free for nothing else; the report is
/// the file).
pub fn progress(message: impl AsRef<str>) {
    eprintln!("[bench-report] {}", message.as_ref());
}

/// The directory of this run's logs and scratch files.
pub fn work_dir(root: &Path) -> PathBuf {
    root.join("target/bench-report")
}

fn main() -> ExitCode {
    let options = match parse_args() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let began = Instant::now();
    let mut results = Results {
        machine: machine::Machine::detect(&options.root),
        ..Results::default()
    };
    let logs = work_dir(&options.root).join("logs");
    if let Err(e) = std::fs::create_dir_all(&logs) {
        eprintln!("cannot create {}: {e}", logs.display());
        return ExitCode::FAILURE;
    }

    let step = |results: &mut Results, name: &str, began: Instant| {
        let seconds = began.elapsed().as_secs_f64();
        progress(format!("{name}: {seconds:.0} s"));
        results.steps.push((name.to_string(), seconds));
    };

    let t = Instant::now();
    let binaries = match cargo::build_benches(&options, &logs) {
        Ok(binaries) => Some(binaries),
        Err(e) => {
            results.failures.push(e);
            None
        }
    };
    step(&mut results, "build benches (cargo bench --no-run)", t);

    if let Some(binaries) = &binaries {
        let t = Instant::now();
        cargo::run_benches(&options, binaries, &logs, &mut results);
        results.timings = criterion::Timings::load(
            &options.root.join("target/criterion"),
            &mut results.failures,
        );
        step(&mut results, "criterion benches", t);

        let t = Instant::now();
        results.exact = cargo::run_exact(binaries, &logs, &mut results.failures);
        step(&mut results, "exact memory figures (frames bench)", t);

        let t = Instant::now();
        results.frames_paired =
            cargo::run_frames_paired(&options, binaries, &logs, &mut results.failures);
        step(&mut results, "paired net wall time (frames bench)", t);

        let t = Instant::now();
        results.paired = cargo::run_paired(&options, binaries, &logs, false, &mut results.failures);
        results.paired_fresh =
            cargo::run_paired(&options, binaries, &logs, true, &mut results.failures);
        step(&mut results, "paired wall time (revm bench)", t);

        let t = Instant::now();
        results.instructions = callgrind::run_all(&options, binaries, &logs, &mut results.failures);
        step(&mut results, "callgrind instruction counts", t);
    }

    if !options.skip_compile_time {
        let t = Instant::now();
        match compile_time::measure(&options, &logs) {
            Ok(times) => results.compile = Some(times),
            Err(e) => results.failures.push(e),
        }
        step(&mut results, "compile time of the macros", t);
    }

    results
        .steps
        .push(("total".into(), began.elapsed().as_secs_f64()));
    match write::write_report(&options, &results) {
        Ok(plot_errors) => results.failures.extend(plot_errors),
        Err(e) => {
            eprintln!("writing the report failed: {e}");
            return ExitCode::FAILURE;
        }
    }
    progress(format!(
        "wrote {} in {:.1} min",
        options.output.display(),
        began.elapsed().as_secs_f64() / 60.0
    ));
    if results.failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        for failure in &results.failures {
            eprintln!("FAILED: {failure}");
        }
        ExitCode::FAILURE
    }
}
