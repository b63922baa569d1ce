#!/usr/bin/env bash
# Runs every benchmark and regenerates BENCHMARKS.md and its plots (docs/benchmarks/*.svg)
# from scratch: criterion timings against the baselines of the same run, callgrind
# instruction counts, scaling curves, exact memory figures and the macros' compile time.
# See benches/report/src/main.rs for what each step does.
#
#   scripts/bench-report.sh                      # full report (~20 min on 2 cores)
#   scripts/bench-report.sh --quick              # smoke test (writes under target/ only)
#   scripts/bench-report.sh --skip-compile-time  # without the compile-time experiment
#
# Exits non-zero if any bench, count or plot failed; the report still gets written, with
# the failures listed at its top. Logs: target/bench-report/logs/.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet -p evm-pool-bench-report
exec target/release/bench-report "$@"
