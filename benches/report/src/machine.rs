//! The machine and toolchain a report was measured on.

use std::path::Path;
use std::process::Command;

/// What the report's header says about where the numbers come from.
#[derive(Debug, Default)]
pub struct Machine {
    /// CPU model name from `/proc/cpuinfo`.
    pub cpu: String,
    /// Logical CPUs available to this process.
    pub cores: usize,
    /// Total memory from `/proc/meminfo`.
    pub memory: String,
    /// Kernel (`uname -sr`).
    pub os: String,
    /// `rustc --version` and its LLVM version.
    pub rustc: String,
    /// `valgrind --version`, or why it is missing.
    pub valgrind: String,
    /// When the run started (UTC).
    pub date: String,
    /// The commit measured, with `-dirty` when the tree had changes.
    pub commit: String,
    /// One-minute load average when the run started (the machine may be shared).
    pub load: String,
}

/// The trimmed stdout of a command, or `None` if it could not run or failed.
pub fn output_of(program: &str, args: &[&str], dir: &Path) -> Option<String> {
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

impl Machine {
    /// Reads the machine's description; anything unreadable says so instead.
    pub fn detect(root: &Path) -> Machine {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu = cpuinfo
            .lines()
            .find_map(|l| l.strip_prefix("model name"))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_else(|| "unknown CPU".into());
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let memory = meminfo
            .lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
            .map(|kib| format!("{:.1} GiB", kib / 1024.0 / 1024.0))
            .unwrap_or_else(|| "unknown".into());
        let rustc_verbose = output_of("rustc", &["-vV"], root).unwrap_or_default();
        let rustc = match (
            rustc_verbose.lines().next(),
            rustc_verbose
                .lines()
                .find_map(|l| l.strip_prefix("LLVM version: ")),
        ) {
            (Some(version), Some(llvm)) => format!("{version} (LLVM {llvm})"),
            (Some(version), None) => version.to_string(),
            _ => "rustc not found".into(),
        };
        let commit = output_of("git", &["rev-parse", "--short=12", "HEAD"], root)
            .map(|hash| {
                let dirty = output_of(
                    "git",
                    &["status", "--porcelain", "--untracked-files=no"],
                    root,
                )
                .is_some_and(|s| !s.is_empty());
                if dirty { format!("{hash}-dirty") } else { hash }
            })
            .unwrap_or_else(|| "not a git checkout".into());
        Machine {
            cpu,
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            memory,
            os: output_of("uname", &["-sr"], root).unwrap_or_else(|| "unknown".into()),
            rustc,
            valgrind: output_of("valgrind", &["--version"], root)
                .unwrap_or_else(|| "not installed (instruction counts skipped)".into()),
            date: output_of("date", &["-u", "+%Y-%m-%d %H:%M UTC"], root)
                .unwrap_or_else(|| "unknown".into()),
            commit,
            load: std::fs::read_to_string("/proc/loadavg")
                .ok()
                .and_then(|l| l.split_whitespace().next().map(str::to_string))
                .unwrap_or_else(|| "unknown".into()),
        }
    }
}
