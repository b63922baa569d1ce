#!/usr/bin/env bash
# Instruction counts (valgrind --tool=callgrind) of two fixed workloads on System,
# mimalloc and EvmAllocator variants; see examples/alloc_overhead.rs.
#
# `calls`: raw GlobalAlloc calls, counted per call. `churn`: the small-object churn of
# benches/alloc.rs, counted per transaction. Prints both tables, the cost of
# statistics, and the pooling tier's ratio to System. Fails if compiling statistics out
# does not make the allocator cheaper than switching them off at run time (which would
# mean counting code survived). Skips (exit 0) when valgrind is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v valgrind >/dev/null 2>&1; then
    echo "callgrind overhead check skipped: valgrind is not installed"
    exit 0
fi

# ALLOC_OVERHEAD_BIN measures an already built binary (e.g. a copy from before a change).
bin=${ALLOC_OVERHEAD_BIN:-}
if [[ -z $bin ]]; then
    cargo build --release --quiet --example alloc_overhead
    bin=target/release/examples/alloc_overhead
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

variants=(system mimalloc evm-minimal-compiled-out evm-minimal-stats evm-optimized-compiled-out evm-optimized-runtime-off evm-optimized-stats)
declare -A ir al
# Instructions inside the allocator: the inclusive cost of the `GlobalAlloc` methods the
# workload calls through `dyn GlobalAlloc` (System's include malloc/free).
allocator_ir() {
    callgrind_annotate --inclusive=yes "$1" 2>/dev/null |
        awk '/as core::alloc::global::GlobalAlloc>::/ { gsub(",", "", $1); s += $1 } END { print s + 0 }'
}
for workload in calls churn; do
    units=""
    for v in "${variants[@]}"; do
        units=$(valgrind --tool=callgrind --toggle-collect=evm_pool_overhead_workload \
            --callgrind-out-file="$out/$workload-$v.out" "$bin" "$workload" "$v" 2>/dev/null | awk '{print $3}')
        ir[$workload-$v]=$(awk '/^(summary|totals):/ {print $2; exit}' "$out/$workload-$v.out")
        al[$workload-$v]=$(allocator_ir "$out/$workload-$v.out")
    done
    unit=$([[ $workload == calls ]] && echo call || echo tx)
    printf '\n%s workload (%s %ss)\n' "$workload" "$units" "$unit"
    printf '%-28s %14s %12s %10s %14s %10s\n' variant instructions "per $unit" "vs system" \
        "in allocator" "vs system"
    for v in "${variants[@]}"; do
        awk -v n="$v" -v i="${ir[$workload-$v]}" -v s="${ir[$workload-system]}" -v u="$units" \
            -v a="${al[$workload-$v]}" -v sa="${al[$workload-system]}" \
            'BEGIN { printf "%-28s %14d %12.1f %9.3fx %14d %9.3fx\n", n, i, i / u, i / s, a, (sa > 0 ? a / sa : 0) }'
    done
    ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%+.2f%%", (a - b) * 100 / b }'; }
    echo "statistics on vs compiled out (pooling on):  $(ratio "${ir[$workload-evm-optimized-stats]}" "${ir[$workload-evm-optimized-compiled-out]}")"
    echo "statistics on vs compiled out (pooling off): $(ratio "${ir[$workload-evm-minimal-stats]}" "${ir[$workload-evm-minimal-compiled-out]}")"
    echo "pass-through, statistics compiled out, vs System: $(ratio "${ir[$workload-evm-minimal-compiled-out]}" "${ir[$workload-system]}")"
    echo "statistics on vs compiled out, instructions in the allocator: $(ratio "${al[$workload-evm-optimized-stats]}" "${al[$workload-evm-optimized-compiled-out]}")"
    awk -v s="${al[$workload-system]}" -v e="${al[$workload-evm-optimized-compiled-out]}" -v t="${al[$workload-evm-optimized-stats]}" \
        'BEGIN { if (e > 0 && t > 0) printf "pooling tier vs System, instructions in the allocator: %.2fx fewer (stats compiled out), %.2fx fewer (stats on)\n", s / e, s / t }'
    if (( ${ir[$workload-evm-optimized-compiled-out]} >= ${ir[$workload-evm-optimized-runtime-off]} )); then
        echo "FAIL: statistics compiled out cost as much as statistics switched off at run time"
        exit 1
    fi
done
