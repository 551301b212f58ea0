#!/bin/sh
# Builds target/debian/vrrpd_<version>_<arch>.deb: `./packaging/build-deb.sh` (extra arguments go
# to `cargo deb`). Needs cargo-deb (`cargo install --locked cargo-deb`).
#
# The package carries the portable binary of packaging/build-portable.sh (glibc >= 2.17), the
# same one the RPM carries; the man page and the completions are generated first
# (packaging/gen-assets.sh).
set -eu
cd "$(dirname "$0")/.."

command -v cargo-deb >/dev/null 2>&1 || {
    echo "error: cargo-deb not found: cargo install --locked cargo-deb" >&2
    exit 1
}
./packaging/build-portable.sh >/dev/null
./packaging/gen-assets.sh target/deb-assets
# --target makes cargo-deb take target/x86_64-unknown-linux-gnu/release/vrrpd for the
# `target/release/vrrpd` asset, which build-portable.sh has just built.
# --strip: the package gets the binary without its debug info, as the RPM (lintian wants it).
exec cargo deb --no-build --strip --target x86_64-unknown-linux-gnu "$@"
