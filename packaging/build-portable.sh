#!/bin/sh
# Builds the release binary every package carries, linked against glibc 2.17 so it runs on
# glibc >= 2.17 and Linux >= 3.10 (RHEL/CentOS 7, 8, 9, Debian 11+, Ubuntu 20.04+; README
# "Support floor"): `./packaging/build-portable.sh`. The binary's path is the last line printed
# (target/x86_64-unknown-linux-gnu/release/vrrpd); extra arguments go to `cargo zigbuild`.
#
# cargo-zigbuild links with zig, which brings the glibc 2.17 symbol stubs, so the host's
# glibc does not matter. Missing tools are installed first: zig from PyPI (`pip install
# ziglang`, into the python3 found first on PATH) and `cargo install --locked cargo-zigbuild`.
# Newer system calls the code makes go through syscall(2) with a fallback
# (src/sys/kernel_floor.rs); tests/portable.rs checks the symbol versions.
set -eu
cd "$(dirname "$0")/.."
# The glibc version is part of the target name; the output directory drops it.
target=x86_64-unknown-linux-gnu
glibc=2.17

python3 -m ziglang version >/dev/null 2>&1 || {
    echo "== installing zig: pip install ziglang" >&2
    PIP_BREAK_SYSTEM_PACKAGES=1 python3 -m pip install --quiet ziglang >&2
}
command -v cargo-zigbuild >/dev/null 2>&1 || {
    echo "== installing cargo-zigbuild" >&2
    cargo install --quiet --locked cargo-zigbuild >&2
}
rustup target list --installed 2>/dev/null | grep -qx "$target" || rustup target add "$target" >&2

cargo zigbuild --release --bin vrrpd --target "$target.$glibc" "$@" >&2
bin="target/$target/release/vrrpd"
test -x "$bin" || {
    echo "error: $bin was not built" >&2
    exit 1
}
echo "$PWD/$bin"
