#!/usr/bin/env bash
# The main job: the first tutorial of examples/ (seed 000) live, on network namespaces.
#
#   client ──┐                          VIP 192.168.175.100
#   web01  ──┤  bridge "lan"      nginx01 .101 (MASTER, priority 100)
#   web02  ──┤ 192.168.175.0/24   nginx02 .102 (BACKUP, priority 80)
#   nginx01 ─┤
#   nginx02 ─┘
#
# web01 (.121) and web02 (.122) serve "web01"/"web02"; nginx01 and nginx02 reverse-proxy to them
# with the tutorial's upstream block and add an `X-Load-Balancer` header naming themselves. The two
# load balancers run the VRRP daemon with the tutorial's keepalived.conf files, unchanged
# (examples/seed000-nginx0[12].conf: `interface ens33`, so the namespaces name their port ens33).
#
# The demo shows the client answered through the VIP, crashes the master (SIGKILL to the daemon and
# to nginx on nginx01), shows the client answered by nginx02 with the longest gap a client probing
# every ~10 ms saw, then brings nginx01 back (preempt: the VIP returns) and cleans up everything.
#
# Run as root from anywhere:
#   ./examples/demo.sh                       # vrrpd on both load balancers
#   DAEMON=keepalived ./examples/demo.sh     # Debian's keepalived 2.2.7, for comparison
#   DAEMON=mixed ./examples/demo.sh          # vrrpd on nginx01, keepalived on nginx02
#   CONFIG=unicast ./examples/demo.sh        # the tutorial's unicast variant
set -euo pipefail
cd "$(dirname "$0")/.."

DAEMON=${DAEMON:-vrrpd}
CONFIG=${CONFIG:-multicast}
case "$CONFIG" in
    multicast) conf_prefix=examples/seed000- ;;
    unicast) conf_prefix=examples/seed000-unicast- ;;
    *) echo "CONFIG must be multicast or unicast" >&2; exit 2 ;;
esac

./tests/setup-deps.sh

declare -A daemon_of # node -> vrrpd | keepalived
case "$DAEMON" in
    vrrpd | keepalived) daemon_of=([nginx01]=$DAEMON [nginx02]=$DAEMON) ;;
    mixed) daemon_of=([nginx01]=vrrpd [nginx02]=keepalived) ;;
    *) echo "DAEMON must be vrrpd, keepalived or mixed" >&2; exit 2 ;;
esac
if [ "$DAEMON" != keepalived ]; then
    echo "== building vrrpd (release)"
    cargo build --release --quiet
fi
declare -A bin=([vrrpd]=$PWD/target/release/vrrpd [keepalived]=$(command -v keepalived))

VIP=192.168.175.100
P="vdemo$$"                      # unique namespace prefix
dir=$(mktemp -d "/tmp/vrrpd-demo.XXXXXX")
chmod 755 "$dir"
hosts=(nginx01 nginx02 web01 web02 client)
declare -A ip=([nginx01]=101 [nginx02]=102 [web01]=121 [web02]=122 [client]=50)
declare -A daemon_pid=()

cleanup() {
    set +e
    trap '' PIPE INT TERM # finish cleaning up even when the output pipe is gone
    for h in "${hosts[@]}" lan; do
        for pid in $(ip netns pids "$P$h" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
        ip netns del "$P$h" 2>/dev/null
    done
    rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

nsx() { local h=$1; shift; ip netns exec "$P$h" "$@"; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# ---------------------------------------------------------------------------------------------
echo "== topology: namespaces $P{lan,${hosts[*]// /,}}"
ip netns add "${P}lan"
ip -n "${P}lan" link add br0 type bridge
ip -n "${P}lan" link set br0 up
for h in "${hosts[@]}"; do
    ip netns add "$P$h"
    ip -n "$P$h" link set lo up
    ip link add ens33 netns "$P$h" type veth peer name "p$h" netns "${P}lan"
    ip -n "${P}lan" link set "p$h" master br0 up
    ip -n "$P$h" addr add "192.168.175.${ip[$h]}/24" dev ens33
    ip -n "$P$h" link set ens33 up
done

# nginx with everything it writes in the temp dir.
nginx_conf() { # name, http-server-body
    cat > "$dir/$1.nginx.conf" <<EOF
user root;
worker_processes 1;
pid $dir/$1.nginx.pid;
error_log $dir/$1.nginx.error.log;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path $dir/$1.body;
    proxy_temp_path $dir/$1.proxy;
    fastcgi_temp_path $dir/$1.fastcgi;
    uwsgi_temp_path $dir/$1.uwsgi;
    scgi_temp_path $dir/$1.scgi;
$2
}
EOF
}
start_nginx() { nsx "$1" nginx -c "$dir/$1.nginx.conf"; } # daemonizes; killed at cleanup

for w in web01 web02; do
    nginx_conf "$w" "    server { listen 80; location / { default_type text/plain; return 200 \"$w\\n\"; } }"
    start_nginx "$w"
done
for n in nginx01 nginx02; do
    # The tutorial's upstream and location blocks, plus a header naming the load balancer.
    nginx_conf "$n" "    upstream WebServer {
        server 192.168.175.121 weight=1 max_fails=2 fail_timeout=5s;
        server 192.168.175.122 weight=1 max_fails=2 fail_timeout=5s;
    }
    server {
        listen 80;
        location / {
            proxy_set_header Host \$host;
            proxy_set_header X-Real-IP \$remote_addr;
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
            proxy_pass http://WebServer;
            add_header X-Load-Balancer $n;
        }
    }"
    start_nginx "$n"
done
sleep 0.3
echo "== the tutorial's check: each load balancer proxies to both web servers"
for n in nginx01 nginx02; do
    printf '%s: ' "$n"
    for i in 1 2; do nsx client curl -s -m 2 "http://192.168.175.${ip[$n]}/" | tr '\n' ' '; done
    echo
done

# ---------------------------------------------------------------------------------------------
start_daemon() { # node
    local n=$1 conf="${conf_prefix}$1.conf"
    # keepalived's command line for both daemons: foreground, log to stderr in detail, no syslog,
    # pid files in the temp dir (keepalived refuses to start when /run/keepalived.pid is alive).
    setsid ip netns exec "$P$n" "${bin[${daemon_of[$n]}]}" -f "$conf" -n -l -D -G \
        -p "$dir/$n.pid" -r "$dir/$n.vrrp.pid" >>"$dir/$n.log" 2>&1 &
    daemon_pid[$n]=$!
    disown "$!"
}
vip_holder() {
    local h
    for h in nginx01 nginx02; do
        if ip -n "$P$h" -br addr show dev ens33 | grep -qw "$VIP"; then printf '%s ' "$h"; fi
    done
}
wait_vip_on() { # node, seconds, [alone]; prints how long it took
    local n=$1 t0 deadline
    t0=$(now_ms); deadline=$((t0 + $2 * 1000))
    until case "$(vip_holder)" in "$n ") true ;; *"$n "*) [ -z "${3:-}" ] ;; *) false ;; esac; do
        if [ "$(now_ms)" -gt "$deadline" ]; then
            echo "FAILED: $VIP not on $n ${3:-} after $2 s (holders: $(vip_holder))" >&2
            tail -n 30 "$dir"/nginx0?.log >&2
            exit 1
        fi
        sleep 0.01
    done
    echo $(($(now_ms) - t0))
}

echo
echo "== starting ${daemon_of[nginx01]} on nginx01 and ${daemon_of[nginx02]} on nginx02 with ${conf_prefix}nginx0{1,2}.conf ($CONFIG)"
for d in $(printf '%s\n' "${daemon_of[@]}" | sort -u); do "${bin[$d]}" --version 2>&1 | head -n 1 || true; done
start_daemon nginx01
start_daemon nginx02
ms=$(wait_vip_on nginx01 20 alone)
echo "VIP $VIP is on nginx01 after $ms ms (master-down of a fresh start: 3 x advert_int + skew)"
nsx nginx01 ip -br addr show dev ens33

echo
echo "== the client through the VIP"
for i in 1 2 3 4; do
    nsx client curl -s -m 2 -w '  (via %header{x-load-balancer})\n' "http://$VIP/" | tr -d '\n'
    echo
done

# A client asking every ~10 ms; one line per request: <ms> ok <load balancer> | <ms> fail
cat > "$dir/probe.sh" <<EOF
#!/usr/bin/env bash
while [ ! -e "$dir/stop" ]; do
    t=\$(( \$(date +%s%N) / 1000000 ))
    if lb=\$(curl -s -m 0.25 -o /dev/null -w '%header{x-load-balancer}' "http://$VIP/") && [ -n "\$lb" ]; then
        echo "\$t ok \$lb"
    else
        echo "\$t fail"
    fi
    sleep 0.01
done
EOF
chmod +x "$dir/probe.sh"
probe_start() { rm -f "$dir/stop"; nsx client "$dir/probe.sh" >"$dir/probe.$1" 2>&1 & probe_pid=$!; }
probe_stop() { touch "$dir/stop"; wait "$probe_pid" || true; }
probe_report() { # log, t_event
    awk -v t0="$2" '
        $2 == "ok" { if (last && $1 - last > gap) { gap = $1 - last; from = last; to = $1 }
                     last = $1; n_ok++; if ($1 > t0) { after[$3]++ } }
        $2 == "fail" { n_fail++ }
        END {
            printf "requests: %d answered, %d failed\n", n_ok, n_fail
            printf "LONGEST GAP without an answer: %d ms (from %+d ms to %+d ms around the event)\n", gap, from - t0, to - t0
            for (lb in after) printf "answered after the event by %s: %d\n", lb, after[lb]
        }' "$1"
}

echo
echo "== crash of the master: SIGKILL to every process of nginx01 (${daemon_of[nginx01]} and nginx; no priority-0 advert)"
probe_start crash
sleep 1
t_kill=$(now_ms)
# Every process of the node at once: the daemon (keepalived's parent and VRRP child) and nginx.
kill -KILL $(ip netns pids "${P}nginx01") 2>/dev/null || true
wait_vip_on nginx02 20 >/dev/null
echo "nginx02 holds the VIP $(( $(now_ms) - t_kill )) ms after the kill (nginx01's killed daemon left its copy behind)"
sleep 1
probe_stop
probe_report "$dir/probe.crash" "$t_kill"
echo "(the target: the backup's master-down interval, 3 x 1 s + (256 - 80)/256 s = 3.69 s)"
nsx client ip neigh show "$VIP"
echo "(the client's ARP entry for the VIP now has nginx02's MAC: $(nsx nginx02 cat /sys/class/net/ens33/address), from its gratuitous ARP)"

echo
echo "== nginx01 comes back (nginx, then ${daemon_of[nginx01]}): priority 100 > 80 preempts, the VIP returns"
if [ "${daemon_of[nginx01]}" = vrrpd ]; then
    echo "(vrrpd preempts a skew time after the first lower-priority advert; keepalived waits its full master-down interval)"
fi
start_nginx nginx01
probe_start back
sleep 0.5
t_back=$(now_ms)
start_daemon nginx01
ms=$(wait_vip_on nginx01 20 alone)
echo "the VIP is back on nginx01 $ms ms after its ${daemon_of[nginx01]} started"
sleep 1
probe_stop
probe_report "$dir/probe.back" "$t_back"

echo
echo "== the daemons' logs (state changes)"
for n in nginx01 nginx02; do
    grep -hE 'Entering|priority 0|received lower|higher priority' "$dir/$n.log" | sed "s/^/$n (${daemon_of[$n]}): /" || true
done
echo
echo "== done ($DAEMON); cleaning up namespaces, processes and $dir"
