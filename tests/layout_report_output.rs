//! `#[optimize_layout(report)]` prints its table in cargo's compile output, with the
//! same text as the run-time `LayoutReport`, and `EVM_POOL_LAYOUT_REPORT=1` reports every
//! annotated struct (and cargo rebuilds when the variable changes).
//!
//! Builds the user crate `tests/fixtures/layout-report` (outside the workspace: its
//! reports are warnings on purpose) with its own target directory and `--locked`, so the
//! tracked fixture lock file is never rewritten by a test run.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/layout-report")
}

fn cargo(args: &[&str], report_all: bool) -> Output {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    command
        .args(args)
        // The fixture's Cargo.lock is tracked: never let a build rewrite it. When the
        // workspace's dependencies change, refresh it on purpose (see the message below).
        .arg("--locked")
        .arg("--color=never")
        .current_dir(fixture())
        .env(
            "CARGO_TARGET_DIR",
            Path::new(env!("CARGO_TARGET_TMPDIR")).join("layout-report-fixture"),
        )
        // The fixture's reports are warnings: flags that deny warnings would fail it.
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("EVM_POOL_LAYOUT_REPORT");
    if report_all {
        command.env("EVM_POOL_LAYOUT_REPORT", "1");
    }
    let output = command.output().expect("cargo runs");
    assert!(
        output.status.success(),
        "cargo {args:?} --locked failed:\n{}\nIf the lock file needs updating because the \
         workspace's dependencies changed, refresh it with `cargo update --workspace \
         --manifest-path tests/fixtures/layout-report/Cargo.toml` and commit it.",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// The reports in the compile output, unindented: each is the text after
/// "use of deprecated unit struct `_::optimize_layout_report`:" up to the ` --> ` line.
fn compile_reports(stderr: &[u8]) -> Vec<String> {
    let stderr = String::from_utf8_lossy(stderr);
    let mut reports = Vec::new();
    let mut lines = stderr.lines();
    while let Some(line) = lines.next() {
        if !line.contains("optimize_layout_report") {
            continue;
        }
        let body: Vec<&str> = lines
            .by_ref()
            .take_while(|line| !line.trim_start().starts_with("-->"))
            .map(|line| line.strip_prefix("         ").unwrap_or(line))
            .collect();
        reports.push(body.join("\n"));
    }
    reports
}

fn named<'a>(reports: &'a [String], name: &str) -> Option<&'a String> {
    let header = format!("layout of `{name}` ");
    reports.iter().find(|report| report.starts_with(&header))
}

#[test]
#[cfg_attr(miri, ignore = "runs cargo")]
fn report_appears_in_compile_output_and_matches_run_time() {
    let build = cargo(&["build"], false);
    let reports = compile_reports(&build.stderr);
    assert_eq!(
        reports.len(),
        3,
        "{}",
        String::from_utf8_lossy(&build.stderr)
    );

    let frame = named(&reports, "Frame").expect("Frame is reported");
    assert!(frame.starts_with("layout of `Frame` (optimized, repr(C)): 72 bytes, align 8"));
    assert!(
        frame.contains("       0     8      8     0  gas_limit: u64\n"),
        "{frame}"
    );
    assert!(
        frame.contains("      40    24      8     0  memory: Vec<u8>\n"),
        "{frame}"
    );
    assert!(frame.ends_with(
        "declared order would be 88 bytes (20 bytes of padding); optimized: 4 bytes of \
         padding, saves 16 bytes"
    ));
    let header = named(&reports, "LogHeader").expect("LogHeader is reported");
    assert!(
        header.contains("       1     7                (padding)"),
        "{header}"
    );
    assert!(header.ends_with("descending alignment would be 32 bytes, saving 8 bytes"));
    let registers = named(&reports, "Registers").expect("Registers is reported");
    assert!(
        registers.contains("       0     4      4     0  pc: u32  [hot]\n"),
        "{registers}"
    );
    // depth and is_static fill the gap between pc and the 8-aligned fields.
    assert!(
        registers.contains("       4     2      2     0  depth: u16\n"),
        "{registers}"
    );
    assert!(registers.contains("saves 8 bytes"), "{registers}");
    assert!(named(&reports, "Gas").is_none(), "Gas asked for no report");

    // The run-time reports print the same text.
    let run = cargo(&["run", "--quiet"], false);
    let stdout = String::from_utf8_lossy(&run.stdout);
    for report in &reports {
        assert!(stdout.contains(report.as_str()), "{report}\n---\n{stdout}");
    }
}

#[test]
#[cfg_attr(miri, ignore = "runs cargo")]
fn environment_variable_reports_every_struct_and_triggers_a_rebuild() {
    // Both tests share the fixture's target directory; cargo's lock serializes them.
    let all = compile_reports(&cargo(&["build"], true).stderr);
    let gas = named(&all, "Gas").expect("EVM_POOL_LAYOUT_REPORT=1 reports Gas");
    assert!(gas.starts_with("layout of `Gas` (optimized, repr(C)): 24 bytes, align 8"));
    assert_eq!(all.len(), 4);

    let again = compile_reports(&cargo(&["build"], false).stderr);
    assert!(
        named(&again, "Gas").is_none(),
        "unsetting the variable rebuilds"
    );
    assert_eq!(again.len(), 3);
}
