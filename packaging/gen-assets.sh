#!/bin/sh
# Writes the generated files every package carries into DIR (`./packaging/gen-assets.sh DIR`):
# the man page and the bash/zsh/fish completions from the clap definition
# (examples/gen-docs.rs, so they always match `vrrpd --help`), and the README's "Differences
# from keepalived" section on its own, for /usr/share/doc/vrrpd.
set -eu
cd "$(dirname "$0")/.."
assets="$1"
rm -rf "$assets"
cargo run --quiet --example gen-docs -- "$assets"
awk '/^## Differences from keepalived/ { on = 1; print; next }
     on && /^## / { exit }
     on { print }' README.md >"$assets/differences.md"
test -s "$assets/differences.md" || {
    echo "error: README.md has no '## Differences from keepalived' section" >&2
    exit 1
}
