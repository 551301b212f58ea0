#!/usr/bin/env bash
# The main job. Today: `vrrpd --check-config` on the real-world keepalived configurations in
# examples/ (the configs of the deployment tutorials vrrpd is checked against), then on a broken
# one, to show what CI sees. The two-node load-balancer demo on network namespaces replaces this
# once the daemon exists (issue #4).
# Run as root from anywhere:  sudo ./examples/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."

./tests/setup-deps.sh
cargo build --release --quiet
vrrpd=target/release/vrrpd

echo "== vrrpd --check-config on the tutorials' configurations"
for f in examples/*.conf; do
    printf '%-50s ' "$f"
    if out=$("$vrrpd" --check-config -f "$f" 2>&1); then
        echo "ok   ($(echo "$out" | tail -n 1 | sed 's/.*: //'))"
    else
        echo "FAILED"
        echo "$out"
        exit 1
    fi
done

echo
echo "== keepalived -t on the same files, for comparison"
for f in examples/*.conf; do
    printf '%-50s ' "$f"
    keepalived -t -f "$f" >/dev/null 2>&1 && echo "rc 0" || echo "rc $?"
done

echo
echo "== a broken configuration: what CI shows"
broken=$(mktemp --suffix=.conf)
trap 'rm -f "$broken"' EXIT
cat > "$broken" <<'CONF'
vrrp_instance VI_1 {
    state MASTER
    interface eth0
    virtual_router_id 51
    prority 150
    nopreempt
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass averylongpassword
    }
    virtual_ipaddress {
        192.168.200.16/33
    }
}
CONF
"$vrrpd" --check-config -f "$broken" || echo "(exit status $?)"
