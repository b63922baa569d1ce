#!/usr/bin/env bash
# Runs every example (release build) under valgrind's memcheck and fails on any leaked
# block ("definitely lost") or memory error. Examples listed in SKIP are left out with
# the reason printed. Then runs the revm workloads (stock and pooled EVM, each once,
# and a few generated programs) the same way, through tests/revm_equivalence.rs.
# Prints one line per run: its heap summary.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v valgrind >/dev/null 2>&1; then
    echo "leak check skipped: valgrind is not installed"
    exit 0
fi

# name -> why it is not run under valgrind.
declare -A SKIP=(
    [evm_workload]="it repeats every revm workload hundreds of times (snailtracer included), hours under valgrind; the same workloads run once each under valgrind below"
)
# name -> the argument lists to run it with, separated by `;` (default: one run, no
# arguments). alloc_overhead needs a workload and an allocator variant: run both
# workloads on the EvmAllocator with statistics on (its most stateful variant).
declare -A RUNS=(
    [alloc_overhead]="calls evm-optimized-stats;churn evm-optimized-stats"
)

examples=()
for file in examples/*.rs; do
    name=$(basename "$file" .rs)
    if [[ -n "${SKIP[$name]:-}" ]]; then
        echo "-- $name: skipped (${SKIP[$name]})"
        continue
    fi
    examples+=("$name")
done

build_args=()
for name in "${examples[@]}"; do build_args+=(--example "$name"); done
cargo build --release --quiet "${build_args[@]}"

log=$(mktemp)
for name in "${examples[@]}"; do
    IFS=';' read -r -a runs <<<"${RUNS[$name]:-}"
    [[ ${#runs[@]} -eq 0 ]] && runs=("")
    for run in "${runs[@]}"; do
        start=$SECONDS
        # shellcheck disable=SC2086 # the argument list is split on purpose
        if ! valgrind --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=1 \
            "target/release/examples/$name" $run >/dev/null 2>"$log"; then
            echo "-- $name $run: valgrind found a leak or a memory error"
            cat "$log"
            exit 1
        fi
        summary=$(grep -E 'total heap usage|definitely lost|All heap blocks were freed' "$log" \
            | sed -E 's/^==[0-9]+== +//' | tr '\n' ' ')
        echo "-- $name${run:+ $run} ($((SECONDS - start)) s): $summary"
    done
done

# The revm workloads: call loop, call chain to depth 1024, transfers, analysis,
# snailtracer, and generated call-heavy programs, each on stock revm and on the pooled
# EVM, in one release test binary.
revm_test=$(cargo test --release --quiet --test revm_equivalence --no-run --message-format=json 2>/dev/null \
    | grep -o '"executable":"[^"]*revm_equivalence[^"]*"' | head -n 1 | cut -d'"' -f4)
if [[ -z "$revm_test" ]]; then
    echo "-- revm workloads: could not build tests/revm_equivalence.rs"
    exit 1
fi
start=$SECONDS
if ! EVM_POOL_DIFF_PROGRAMS="${LEAK_CHECK_PROGRAMS:-20}" valgrind --leak-check=full \
    --errors-for-leak-kinds=definite --error-exitcode=1 "$revm_test" --test-threads=1 \
    >/dev/null 2>"$log"; then
    echo "-- revm workloads: valgrind found a leak or a memory error (or a test failed)"
    tail -n 80 "$log"
    exit 1
fi
summary=$(grep -E 'total heap usage|definitely lost|All heap blocks were freed' "$log" \
    | sed -E 's/^==[0-9]+== +//' | tr '\n' ' ')
echo "-- revm workloads, ${LEAK_CHECK_PROGRAMS:-20} generated programs ($((SECONDS - start)) s): $summary"
