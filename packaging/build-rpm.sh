#!/bin/sh
# Builds the RPM for RHEL/CentOS 7, 8, 9 and their rebuilds: `./packaging/build-rpm.sh` prints
# the package's path on its last line (target/generate-rpm/vrrpd-<version>-1.x86_64.rpm). Extra
# arguments go to `cargo generate-rpm`; cargo-generate-rpm is installed when missing.
#
# It carries the portable binary of packaging/build-portable.sh (glibc >= 2.17, stripped here as
# rpmbuild would), the unit rewritten for RHEL's keepalived names (/etc/sysconfig/keepalived,
# $KEEPALIVED_OPTIONS), the generated man page and completions (packaging/gen-assets.sh) and
# /etc/sysconfig/vrrpd. What goes where: [package.metadata.generate-rpm] in Cargo.toml.
set -eu
cd "$(dirname "$0")/.."
assets=target/rpm-assets

command -v cargo-generate-rpm >/dev/null 2>&1 || {
    echo "== installing cargo-generate-rpm" >&2
    cargo install --quiet --locked cargo-generate-rpm >&2
}
bin=$(./packaging/build-portable.sh | tail -n 1)
./packaging/gen-assets.sh "$assets" >&2
strip -o "$assets/vrrpd" "$bin"
gzip -9n "$assets/vrrpd.8"
# The Debian unit with RHEL's names: keepalived's options are KEEPALIVED_OPTIONS in
# /etc/sysconfig/keepalived there, and vrrpd's own file moves next to it.
sed -e 's|/etc/default/keepalived|/etc/sysconfig/keepalived|g' \
    -e 's|/etc/default/vrrpd|/etc/sysconfig/vrrpd|g' \
    -e 's|DAEMON_ARGS|KEEPALIVED_OPTIONS|g' \
    -e "s|Mirrors Debian's keepalived.service|Mirrors the keepalived.service of RHEL and its rebuilds|" \
    systemd/vrrpd.service >"$assets/vrrpd.service"
grep -q 'EnvironmentFile=-/etc/sysconfig/keepalived' "$assets/vrrpd.service" &&
    ! grep -q '/etc/default\|DAEMON_ARGS' "$assets/vrrpd.service" || {
    echo "error: systemd/vrrpd.service changed: the RHEL rewrite above no longer applies" >&2
    exit 1
}
out=target/generate-rpm
rm -f "$out"/vrrpd-*.rpm
# xz, not the default zstd: the rpm of RHEL 7 (4.11) cannot unpack a zstd payload.
cargo generate-rpm --payload-compress xz "$@" >&2
rpm=$(ls "$out"/vrrpd-*.rpm)
echo "$PWD/$rpm"
