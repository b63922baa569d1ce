#!/usr/bin/env bash
# Compares the layout reports of `examples/layout_report.rs` (built from offset_of!/size_of
# by #[optimize_layout] and layout_of!) with rustc's own view, `-Zprint-type-sizes`
# (nightly only): same size, alignment, field order, field sizes and padding for every
# reported struct. Skipped, with a line saying so, when nightly is not installed.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! cargo +nightly --version >/dev/null 2>&1; then
    echo "layout reports vs rustc -Zprint-type-sizes: skipped (no nightly toolchain)"
    exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
target=target/nightly-type-sizes

# rustc prints type sizes only when it compiles (and, with incremental compilation, only
# for what it recompiles): rebuild the example, without incremental compilation.
touch examples/layout_report.rs
CARGO_INCREMENTAL=0 cargo +nightly rustc --quiet --example layout_report --target-dir "$target" \
    -- -Zprint-type-sizes >"$tmp/rustc.txt"
"$target/debug/examples/layout_report" >"$tmp/reports.txt"

# Both sides as lines: "Name size align", "Name field name size", "Name padding len".
awk '
    /^layout of `/ {
        name = $3; gsub(/`/, "", name)
        sub(/.*\): /, ""); size = $1; align = $4; sub(/,/, "", align)
        print name, size, align; next
    }
    name != "" && /\(padding\)$/ { print name, "padding", $2; next }
    name != "" && /^ +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+  / {
        field = $5; sub(/:$/, "", field); print name, "field", field, $2; next
    }
    /^$/ { name = "" }
' "$tmp/reports.txt" | sort >"$tmp/ours.txt"

cut -d' ' -f1 "$tmp/ours.txt" | sort -u >"$tmp/names.txt"
awk -v names="$tmp/names.txt" '
    BEGIN { while ((getline line < names) > 0) wanted[line] = 1 }
    /^print-type-size type: `/ {
        name = $3; gsub(/`|:$/, "", name); gsub(/`/, "", name)
        if (!(name in wanted)) { name = ""; next }
        print name, $4, $7; next
    }
    name != "" && /^print-type-size +field `\./ {
        field = $3; gsub(/`|\.|:/, "", field); print name, "field", field, $4; next
    }
    name != "" && /^print-type-size +(end )?padding: / {
        print name, "padding", $(NF - 1); next
    }
    name != "" && /^print-type-size +(variant|discriminant)/ { name = "" }
' "$tmp/rustc.txt" | sort >"$tmp/theirs.txt"

if ! diff -u "$tmp/theirs.txt" "$tmp/ours.txt"; then
    echo "layout reports DISAGREE with rustc -Zprint-type-sizes (- rustc, + reports)"
    exit 1
fi
echo "layout reports agree with rustc -Zprint-type-sizes: $(wc -l <"$tmp/names.txt") structs, $(wc -l <"$tmp/ours.txt") facts compared"
if [ "${KEEP_TYPE_SIZES:-}" ]; then cp "$tmp/ours.txt" "$tmp/theirs.txt" "$KEEP_TYPE_SIZES"; fi
