#!/usr/bin/env bash
# Short cargo-fuzz runs of every target (the packet decoder, the protocol core, the config front
# end), seeded from the committed seeds. FUZZ_SECONDS per target (default 30).
# Installs cargo-fuzz if it is missing. The stable toolchain needs `-s none` (no sanitizer).
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${FUZZ_SECONDS:-30}"

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "== installing cargo-fuzz"
    cargo install cargo-fuzz --locked --quiet
fi

for target in wire_vrrp proto config; do
    corpus="fuzz/corpus/$target"
    mkdir -p "$corpus"
    seeds=()
    [ -d "fuzz/seeds/$target" ] && seeds=("fuzz/seeds/$target")
    echo "== cargo fuzz run $target (${secs}s)"
    log="fuzz/target/smoke-$target.log"
    mkdir -p fuzz/target
    if ! cargo fuzz run -s none "$target" "$corpus" "${seeds[@]}" -- \
        -max_total_time="$secs" -print_final_stats=1 >"$log" 2>&1; then
        tail -n 40 "$log" >&2
        echo "fuzz target $target failed (crash artifacts in fuzz/artifacts/$target)" >&2
        exit 1
    fi
    grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb|Done )" "$log" || true
done
