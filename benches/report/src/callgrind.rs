//! Instruction counts with `valgrind --tool=callgrind`, through the benches' callgrind
//! modes. Wall time on a shared machine is noisy; instruction counts are not.
//!
//! Where a mode repeats a fixed workload `n` times, two runs at different `n` are
//! subtracted, so start-up and setup cancel out and what remains is exactly the work of
//! the extra repetitions. Where a mode collects only inside a measured function
//! (`--toggle-collect`), one run suffices.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use crate::cargo::Binaries;
use crate::{Mode, Options, progress};

/// One instruction count per unit of work.
#[derive(Clone, Debug)]
pub struct Count {
    /// The table it belongs to (`pool`, `frames/<workload>`, `alloc`, `revm`, ...).
    pub table: String,
    /// The contender (`evm-pool Pool`, `high_performance`, `stock`, ...).
    pub name: String,
    /// Instructions per unit.
    pub per_unit: f64,
    /// The unit (`acquire+release`, `frame`, `transaction`, ...).
    pub unit: &'static str,
}

/// One valgrind invocation.
#[derive(Clone, Debug)]
struct Run {
    binary: PathBuf,
    args: Vec<String>,
    env: Vec<(&'static str, String)>,
    /// Collect only inside functions matching this (callgrind `--toggle-collect`).
    toggle: Option<&'static str>,
}

/// What a finished run gives: total instructions collected, and its stdout.
type Outcome = (u64, String);

/// How a count is computed from its runs' outcomes: instructions per unit.
type Compute = Box<dyn Fn(&[Outcome]) -> Option<f64> + Send + Sync>;

struct Job {
    table: String,
    name: String,
    unit: &'static str,
    runs: Vec<Run>,
    compute: Compute,
}

fn run_of(binary: &Path, env: Vec<(&'static str, String)>) -> Run {
    Run {
        binary: binary.to_path_buf(),
        args: Vec::new(),
        env,
        toggle: None,
    }
}

/// A job of two runs at `n1` and `n2` repetitions: (I2 - I1) / ((n2 - n1) x units per
/// repetition). `units` reads the units per repetition from a run's stdout (or is 1).
fn difference(
    table: &str,
    name: &str,
    unit: &'static str,
    (n1, n2): (u64, u64),
    make: impl Fn(u64) -> Run,
    units: fn(&str) -> Option<f64>,
) -> Job {
    Job {
        table: table.to_string(),
        name: name.to_string(),
        unit,
        runs: vec![make(n1), make(n2)],
        compute: Box::new(move |outcomes| {
            let [(i1, _), (i2, out)] = outcomes else {
                return None;
            };
            let per_repetition = units(out)?;
            Some((*i2 as f64 - *i1 as f64) / ((n2 - n1) as f64 * per_repetition))
        }),
    }
}

/// A number printed after `label` on some line of `out`.
fn number_after(out: &str, label: &str) -> Option<f64> {
    out.lines().find_map(|l| {
        let rest = &l[l.find(label)? + label.len()..];
        rest.trim_start()
            .split(|c: char| !c.is_ascii_digit() && c != '.')
            .next()?
            .parse()
            .ok()
    })
}

/// The pool variants counted; the first three are the headline (also in quick mode).
const POOL_VARIANTS: [&str; 9] = [
    "evm-pool Pool",
    "Box::new + drop",
    "opool LocalPool",
    "evm-pool SyncPool",
    "evm-pool Pool disabled",
    "object-pool",
    "opool Pool",
    "sharded-slab Pool",
    "lifeguard",
];

/// Buffer variants counted (object size): pooled against allocated at two sizes.
const BUFFER_VARIANTS: [&str; 4] = [
    "BufferPool 4 KiB",
    "Vec 4 KiB",
    "BufferPool 64 KiB",
    "Vec 64 KiB",
];

/// Frame workloads and presets counted.
pub const FRAME_WORKLOADS: [&str; 4] = [
    "acquire_release_1000",
    "siblings_1000",
    "chain_1024",
    "mainnet_1000_tx",
];
/// Frame presets counted (`walk_only`: the same walk and per-frame workload without a
/// manager, subtracted for the net acquire+release figures).
pub const FRAME_PRESETS: [&str; 4] = ["high_performance", "balanced", "disabled", "walk_only"];

/// `alloc_overhead` variants counted on the churn workload.
pub const ALLOC_VARIANTS: [&str; 7] = [
    "system",
    "mimalloc",
    "evm-optimized-compiled-out",
    "evm-optimized-runtime-off",
    "evm-optimized-stats",
    "evm-minimal-compiled-out",
    "evm-minimal-stats",
];

/// revm workloads counted.
pub const REVM_WORKLOADS: [&str; 5] = [
    "call-loop-1000",
    "call-chain-1024",
    "transfers",
    "analysis",
    "snailtracer",
];

fn jobs(mode: Mode, binaries: &Binaries) -> Vec<Job> {
    let quick = mode == Mode::Quick;
    let mut jobs = Vec::new();
    let take = |n: usize, all: usize| if quick { n } else { all };

    if let Some(pool) = binaries.benches.get("pool") {
        let ns = if quick { (100, 1100) } else { (1000, 11000) };
        let variants = POOL_VARIANTS.iter().take(take(3, POOL_VARIANTS.len()));
        for (table, variant) in variants.map(|v| ("pool", v)).chain(
            BUFFER_VARIANTS
                .iter()
                .take(take(2, 4))
                .map(|v| ("buffers", v)),
        ) {
            jobs.push(difference(
                table,
                variant,
                "acquire+release",
                ns,
                |n| {
                    run_of(
                        pool,
                        vec![
                            ("EVM_POOL_BENCH_ONLY", variant.to_string()),
                            ("EVM_POOL_BENCH_ITERS", n.to_string()),
                        ],
                    )
                },
                |_| Some(1.0),
            ));
        }
    }

    if let Some(frames) = binaries.benches.get("frames") {
        for workload in FRAME_WORKLOADS.iter().take(take(1, FRAME_WORKLOADS.len())) {
            for preset in FRAME_PRESETS {
                if quick && preset == "balanced" {
                    continue;
                }
                jobs.push(difference(
                    &format!("frames/{workload}"),
                    preset,
                    "frame",
                    (1, 3),
                    |n| {
                        run_of(
                            frames,
                            vec![("FRAMES_CALLGRIND", format!("{preset} {workload} {n}"))],
                        )
                    },
                    |out| number_after(out, "frames per replay:"),
                ));
            }
        }
    }

    if let Some(derive) = binaries.benches.get("derive") {
        let ns = if quick { (0, 10_000) } else { (0, 100_000) };
        for (which, name) in [
            ("derived", "derived ScratchPool"),
            ("hand", "hand-written Pool<T>"),
        ] {
            jobs.push(difference(
                "derive",
                name,
                "acquire+release",
                ns,
                |n| run_of(derive, vec![("EVM_POOL_CALLGRIND", format!("{which}:{n}"))]),
                |_| Some(1.0),
            ));
        }
    }

    if let Some(arena) = binaries.benches.get("arena") {
        let ns = if quick { (10, 110) } else { (100, 1100) };
        for which in ["tx_arena", "bumpalo", "typed_arena"] {
            jobs.push(difference(
                "arena",
                which,
                "transaction",
                ns,
                |n| run_of(arena, vec![("EVM_POOL_CALLGRIND", format!("{which}:{n}"))]),
                |_| Some(1.0),
            ));
        }
    }

    if let Some(example) = binaries.examples.get("alloc_overhead") {
        let variants: &[&str] = if quick {
            &["system", "mimalloc", "evm-optimized-compiled-out"]
        } else {
            &ALLOC_VARIANTS
        };
        for variant in variants {
            jobs.push(Job {
                table: "alloc".into(),
                name: variant.to_string(),
                unit: "transaction",
                runs: vec![Run {
                    binary: example.clone(),
                    args: vec!["churn".into(), variant.to_string()],
                    env: Vec::new(),
                    toggle: Some("evm_pool_overhead_workload"),
                }],
                compute: Box::new(|outcomes| {
                    let [(instructions, out)] = outcomes else {
                        return None;
                    };
                    Some(*instructions as f64 / number_after(out, ":")?)
                }),
            });
        }
    }

    for bench in crate::cargo::MEASURE_BENCHES {
        if quick && bench != "revm" {
            continue;
        }
        // The `measure` profile's build: stable code layout for revm's generics.
        let Some(binary) = binaries.measure.get(bench) else {
            continue;
        };
        let workloads = if quick {
            &REVM_WORKLOADS[..1]
        } else {
            &REVM_WORKLOADS[..]
        };
        // A fresh EVM per transaction (`<kind>-fresh`): the revm bench only.
        let kinds: &[&str] = if bench == "revm" {
            &["stock", "pooled", "stock-fresh", "pooled-fresh"]
        } else {
            &["stock", "pooled"]
        };
        for workload in workloads {
            for &kind in kinds {
                let runs = if *workload == "snailtracer" { 1 } else { 3 };
                let (kind, table) = match kind.strip_suffix("-fresh") {
                    Some(base) => (base, format!("{bench}-fresh/{workload}")),
                    None => (kind, format!("{bench}/{workload}")),
                };
                let env_kind = if table.contains("-fresh/") {
                    format!("{kind}-fresh")
                } else {
                    kind.to_string()
                };
                jobs.push(Job {
                    table,
                    name: kind.to_string(),
                    unit: "transaction",
                    runs: vec![Run {
                        binary: binary.clone(),
                        args: Vec::new(),
                        env: vec![(
                            "EVM_POOL_CALLGRIND",
                            format!("{env_kind}:{workload}:{runs}"),
                        )],
                        toggle: Some("*measured_loop*"),
                    }],
                    compute: Box::new(move |outcomes| {
                        let [(instructions, out)] = outcomes else {
                            return None;
                        };
                        let txs = number_after(out, "transactions per run:")?;
                        Some(*instructions as f64 / (txs * runs as f64))
                    }),
                });
            }
        }
    }
    jobs
}

/// Total instructions collected, from a callgrind output file.
fn total_instructions(file: &Path) -> Result<u64, String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
    text.lines()
        .find_map(|l| {
            l.strip_prefix("summary:")
                .or_else(|| l.strip_prefix("totals:"))
                .and_then(|v| v.split_whitespace().next()?.parse().ok())
        })
        .ok_or_else(|| format!("{}: no summary/totals line", file.display()))
}

fn valgrind(run: &Run, out_file: &Path, log: &Path) -> Result<Outcome, String> {
    let mut command = Command::new("valgrind");
    command
        .arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", out_file.display()));
    if let Some(toggle) = run.toggle {
        command
            .arg("--collect-atstart=no")
            .arg(format!("--toggle-collect={toggle}"));
    }
    command
        .arg(&run.binary)
        .args(&run.args)
        .envs(run.env.iter().map(|(k, v)| (k, v)));
    let what = format!(
        "callgrind {} {} {}",
        run.env
            .iter()
            .map(|(k, v)| format!("{k}={v:?}"))
            .collect::<Vec<_>>()
            .join(" "),
        run.binary.file_name().unwrap_or_default().to_string_lossy(),
        run.args.join(" ")
    );
    let output = command
        .output()
        .map_err(|e| format!("{what}: cannot start valgrind: {e}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    if !output.status.success() {
        let _ = std::fs::write(
            log,
            format!(
                "{what}\n{stdout}\n{}",
                String::from_utf8_lossy(&output.stderr)
            ),
        );
        return Err(format!(
            "{what} failed ({}); log: {}",
            output.status,
            log.display()
        ));
    }
    Ok((total_instructions(out_file)?, stdout))
}

/// Runs every callgrind job (two at a time: counts do not depend on load) and returns
/// the counts; failed jobs are recorded.
pub fn run_all(
    options: &Options,
    binaries: &Binaries,
    logs: &Path,
    failures: &mut Vec<String>,
) -> Vec<Count> {
    if crate::machine::output_of("valgrind", &["--version"], &options.root).is_none() {
        failures.push("valgrind is not installed: no instruction counts in this report".into());
        return Vec::new();
    }
    let dir = crate::work_dir(&options.root).join("callgrind");
    let _ = std::fs::remove_dir_all(&dir);
    if let Err(e) = std::fs::create_dir_all(&dir) {
        failures.push(format!("cannot create {}: {e}", dir.display()));
        return Vec::new();
    }
    let jobs = jobs(options.mode, binaries);
    let runs: Vec<(usize, usize, Run)> = jobs
        .iter()
        .enumerate()
        .flat_map(|(j, job)| {
            job.runs
                .iter()
                .cloned()
                .enumerate()
                .map(move |(r, run)| (j, r, run))
        })
        .collect();
    progress(format!(
        "callgrind: {} jobs, {} valgrind runs",
        jobs.len(),
        runs.len()
    ));
    let queue = Mutex::new(runs.into_iter());
    // (job, run within the job, outcome)
    type Finished = (usize, usize, Result<Outcome, String>);
    let outcomes: Mutex<Vec<Finished>> = Mutex::new(Vec::new());
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(2);
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                loop {
                    let next = queue.lock().unwrap().next();
                    let Some((j, r, run)) = next else { break };
                    let out_file = dir.join(format!("job{j}-run{r}.out"));
                    let log = logs.join(format!("callgrind-job{j}-run{r}.log"));
                    let outcome = valgrind(&run, &out_file, &log);
                    outcomes.lock().unwrap().push((j, r, outcome));
                }
            });
        }
    });
    let mut per_job: Vec<Vec<Option<Result<Outcome, String>>>> =
        jobs.iter().map(|job| vec![None; job.runs.len()]).collect();
    for (j, r, outcome) in outcomes.into_inner().unwrap() {
        per_job[j][r] = Some(outcome);
    }
    let mut counts = Vec::new();
    for (job, outcomes) in jobs.iter().zip(per_job) {
        let mut ok = Vec::new();
        let mut failed = false;
        for outcome in outcomes {
            match outcome {
                Some(Ok(o)) => ok.push(o),
                Some(Err(e)) => {
                    failures.push(e);
                    failed = true;
                }
                None => {
                    failures.push(format!("callgrind {} / {}: run lost", job.table, job.name));
                    failed = true;
                }
            }
        }
        if failed {
            continue;
        }
        match (job.compute)(&ok) {
            Some(per_unit) => counts.push(Count {
                table: job.table.clone(),
                name: job.name.clone(),
                per_unit,
                unit: job.unit,
            }),
            None => failures.push(format!(
                "callgrind {} / {}: could not compute instructions per {} from the output",
                job.table, job.name, job.unit
            )),
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_units_from_mode_output() {
        assert_eq!(
            number_after("frames per replay: 1025\n", "frames per replay:"),
            Some(1025.0)
        );
        assert_eq!(
            number_after("churn system: 200 units, checksum 5", ":"),
            Some(200.0)
        );
        assert_eq!(number_after("nothing here", "frames per replay:"), None);
    }

    #[test]
    fn reads_callgrind_totals() {
        let dir = std::env::temp_dir().join(format!("bench-report-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("callgrind.out");
        std::fs::write(&file, "events: Ir\nfl=x\n1 2\ntotals: 12345\n").unwrap();
        assert_eq!(total_instructions(&file), Ok(12345));
        std::fs::write(&file, "events: Ir\n").unwrap();
        assert!(total_instructions(&file).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
