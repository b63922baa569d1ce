#!/usr/bin/env bash
# Lists the documented public items that have no runnable example, per crate and file,
# with rustdoc's example coverage (nightly: `--show-coverage` and the unstable
# `missing_doc_code_examples` lint). Items listed in /tmp/doc-audit-<crate>.txt.
#
#   bash scripts/doc-examples-audit.sh                      # every library crate
#   bash scripts/doc-examples-audit.sh evm-pool-runtime
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target/doc-audit}"
crates=("$@")
[ ${#crates[@]} -gt 0 ] || crates=(evm-pool evm-pool-runtime evm-pool-macros evm-pool-revm)
for crate in "${crates[@]}"; do
    cargo +nightly rustdoc -q -p "$crate" --lib -- -Zunstable-options --show-coverage | tail -n 2
    # A distinct flag set so the lint run is not a cached no-op.
    cargo +nightly rustdoc -q -p "$crate" --lib -- \
        -Zcrate-attr='feature(rustdoc_missing_doc_code_examples)' \
        -Wrustdoc::missing_doc_code_examples 2>&1 \
        | grep -A1 '^warning: missing code example' | grep -- '-->' | sed 's/.*--> //' \
        | sort -t: -k1,1 -k2,2n > "/tmp/doc-audit-$crate.txt" || true
    echo "== $crate: $(wc -l < "/tmp/doc-audit-$crate.txt") items without an example"
    cut -d: -f1 "/tmp/doc-audit-$crate.txt" | sort | uniq -c | sort -rn
done
