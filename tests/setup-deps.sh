#!/usr/bin/env bash
# Installs what vrrpd's tests, benchmarks and demo need on a fresh Debian machine.
# Idempotent: only missing packages are installed. Must run as root.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
    echo "error: $0 must run as root (it installs packages and the tests create network namespaces)" >&2
    exit 1
fi

# prometheus (promtool and the server): tests/daemon/metrics.rs.
# lintian, man-db and groff-base: the package test (tests/package.rs; it installs cargo-deb itself
# when missing).
# systemd (systemd-analyze), util-linux (unshare, nsenter) and init-system-helpers (service):
# the sandboxed-host tests of keepalived's names (tests/compat_*.rs).
# python3-aiosmtpd: the SMTP server of the alert tests (tests/daemon/smtp.rs).
# iputils-ping: the strict-mode tests ping the VIP (tests/daemon/firewall.rs).
# rpm, rpmlint and binutils (objdump, readelf, strip): the RPM and the portable binary's symbol
# versions (tests/package/); python3-pip for zig below.
packages=(keepalived tshark tcpdump iproute2 nftables iputils-ping nginx-light curl psmisc procps
    time systemd util-linux init-system-helpers prometheus lintian man-db groff-base
    python3-aiosmtpd rpm rpmlint binutils python3-pip)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    echo "== installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Debian starts services on install where it can; the tests run their own daemons only.
pkill -x keepalived 2>/dev/null || true
pkill -x nginx 2>/dev/null || true

if ! command -v cargo >/dev/null 2>&1; then
    echo "error: cargo (Rust toolchain) not found" >&2
    exit 1
fi

# The portable binary (packaging/build-portable.sh) links with zig from PyPI through
# cargo-zigbuild; the packages are built by cargo-deb and cargo-generate-rpm. python3 is the
# first one on PATH, the one build-portable.sh runs.
if ! python3 -m ziglang version >/dev/null 2>&1; then
    echo "== installing zig (pip install ziglang)"
    # (Debian's own python3 refuses pip installs without this; pyenv's ignores it.)
    PIP_BREAK_SYSTEM_PACKAGES=1 python3 -m pip install --quiet ziglang
fi
for tool in cargo-zigbuild cargo-generate-rpm cargo-deb; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "== installing $tool"
        cargo install --quiet --locked "$tool"
    fi
done
