# Installed or upgraded: systemd learns about the unit. Nothing is enabled or started: a start
# here would stop keepalived (Conflicts=) and fail the VIPs over.
if [ -d /run/systemd/system ]; then
    systemctl daemon-reload >/dev/null 2>&1 || :
fi
