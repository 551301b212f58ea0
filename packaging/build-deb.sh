#!/bin/sh
# Builds target/debian/vrrpd_<version>_<arch>.deb: `./packaging/build-deb.sh` (extra arguments go
# to `cargo deb`). Needs cargo-deb (`cargo install --locked cargo-deb`).
#
# The man page and the completions are generated first from the clap definition
# (examples/gen-docs.rs), so they always match `vrrpd --help` of the packaged binary.
# VRRPD_DEB_PROFILE picks the cargo profile (release by default; the tests use dev to save a
# release build).
set -eu
cd "$(dirname "$0")/.."
profile="${VRRPD_DEB_PROFILE:-release}"
assets=target/deb-assets

command -v cargo-deb >/dev/null 2>&1 || {
    echo "error: cargo-deb not found: cargo install --locked cargo-deb" >&2
    exit 1
}
rm -rf "$assets"
cargo run --quiet --example gen-docs -- "$assets"
# The README's "Differences from keepalived" section, on its own for /usr/share/doc/vrrpd.
awk '/^## Differences from keepalived/ { on = 1; print; next }
     on && /^## / { exit }
     on { print }' README.md >"$assets/differences.md"
test -s "$assets/differences.md" || {
    echo "error: README.md has no '## Differences from keepalived' section" >&2
    exit 1
}
exec cargo deb --profile "$profile" "$@"
