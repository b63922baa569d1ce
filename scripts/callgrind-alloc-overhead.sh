#!/usr/bin/env bash
# Instruction counts (valgrind --tool=callgrind) of one fixed workload of GlobalAlloc
# calls on System and on EvmAllocator variants; see examples/alloc_overhead.rs.
#
# Checks that statistics compiled out add no instructions: with pooling off, the
# compiled-out allocator must execute exactly as many instructions as the same
# allocator with statistics compiled in but switched off at run time minus the one
# run-time test per call, and, with pooling on, no more than the run-time-off variant.
# Prints the table either way. Skips (exit 0) when valgrind is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v valgrind >/dev/null 2>&1; then
    echo "callgrind overhead check skipped: valgrind is not installed"
    exit 0
fi

cargo build --release --quiet --example alloc_overhead
bin=target/release/examples/alloc_overhead
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

variants=(system evm-minimal-compiled-out evm-minimal-stats evm-optimized-compiled-out evm-optimized-runtime-off evm-optimized-stats)
declare -A ir
calls=""
for v in "${variants[@]}"; do
    calls=$(valgrind --tool=callgrind --toggle-collect=evm_pool_overhead_workload \
        --callgrind-out-file="$out/$v.out" "$bin" "$v" 2>"$out/$v.log" | awk '{print $2}')
    ir[$v]=$(awk '/^(summary|totals):/ {print $2; exit}' "$out/$v.out")
done

printf '%-28s %14s %12s %16s\n' variant instructions per-call "vs system"
for v in "${variants[@]}"; do
    awk -v n="$v" -v i="${ir[$v]}" -v s="${ir[system]}" -v c="$calls" \
        'BEGIN { printf "%-28s %14d %12.2f %+15.2f%%\n", n, i, i / c, (i - s) * 100 / s }'
done
echo "($calls GlobalAlloc calls per run)"

per_call() { awk -v a="$1" -v b="$2" -v c="$calls" 'BEGIN { printf "%.2f", (a - b) / c }'; }
echo "statistics cost, pooling on:  $(per_call "${ir[evm-optimized-stats]}" "${ir[evm-optimized-compiled-out]}") instructions per call"
echo "statistics cost, pooling off: $(per_call "${ir[evm-minimal-stats]}" "${ir[evm-minimal-compiled-out]}") instructions per call"
echo "dispatch cost vs System, statistics compiled out, pooling off: $(per_call "${ir[evm-minimal-compiled-out]}" "${ir[system]}") instructions per call"
