//! Facts about the host the daemon or `--check-interfaces` runs on (shell side: reads the OS).

/// keepalived's default config id: the node name up to the first dot (`uname -n`).
pub fn default_config_id() -> String {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let name = name.trim();
    name.split('.').next().unwrap_or(name).to_string()
}
