#!/usr/bin/env bash
# The whole test suite: formatting, lints, unit/integration/replay/simulation tests, the
# namespace tests against real keepalived, and short fuzz runs. Run as root from the repo root:
#     ./tests/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."

./tests/setup-deps.sh

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --all-targets --all-features -- -D warnings
echo "== cargo test"
cargo test --no-fail-fast --features netns-tests
if [ -x tests/fuzz-smoke.sh ]; then
    echo "== fuzz smoke runs"
    ./tests/fuzz-smoke.sh
fi
