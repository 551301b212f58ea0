# Erased (not upgraded: $1 is 0 only then): the binary goes away, so the service stops
# (releasing its VIPs) and its enablement links go. An upgrade never stops or restarts a
# running vrrpd: each would be a failover; restart one node at a time instead.
if [ "$1" -eq 0 ] && [ -d /run/systemd/system ]; then
    systemctl --no-reload disable vrrpd.service >/dev/null 2>&1 || :
    systemctl stop vrrpd.service >/dev/null 2>&1 || :
fi
