//! The per-interface sysctls under /proc/sys/net/ipv{4,6}/conf that a vmac and its parent
//! need (docs/vmac.md#sysctls). Values are small integers; reads are bounded.

use std::io::{Read, Write};
use std::path::PathBuf;

use super::{Privilege, SysError};

/// Which tree a setting lives in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tree {
    Ipv4,
    Ipv6,
}

/// /proc/sys/net/ipv4/conf/IF/PARAM, or `None` for a name that is not one path component
/// (`all` and `default` are allowed: they are directories there too).
fn path(tree: Tree, ifname: &str, param: &str) -> Option<PathBuf> {
    let plain = |s: &str| !s.is_empty() && s != "." && s != ".." && !s.contains('/');
    if !plain(ifname) || !plain(param) {
        return None;
    }
    let t = match tree {
        Tree::Ipv4 => "ipv4",
        Tree::Ipv6 => "ipv6",
    };
    Some(PathBuf::from(format!(
        "/proc/sys/net/{t}/conf/{ifname}/{param}"
    )))
}

/// The value of one setting, or `None` when it cannot be read or is not a number.
pub fn read(tree: Tree, ifname: &str, param: &str) -> Option<u32> {
    let p = path(tree, ifname, param)?;
    let mut buf = [0u8; 32];
    let mut f = std::fs::File::open(p).ok()?;
    let n = f.read(&mut buf).ok()?;
    std::str::from_utf8(buf.get(..n)?).ok()?.trim().parse().ok()
}

/// Sets one setting.
pub fn write(tree: Tree, ifname: &str, param: &str, value: u32) -> Result<(), SysError> {
    let what = format!("set {param} on {ifname}");
    let Some(p) = path(tree, ifname, param) else {
        return Err(SysError::Os {
            what,
            source: std::io::Error::from(std::io::ErrorKind::InvalidInput),
        });
    };
    std::fs::OpenOptions::new()
        .write(true)
        .open(&p)
        .and_then(|mut f| f.write_all(value.to_string().as_bytes()))
        .map_err(|e| SysError::os(&what, Privilege::NetAdmin, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_are_not_one_path_component_are_refused() {
        assert!(path(Tree::Ipv4, "../x", "rp_filter").is_none());
        assert!(path(Tree::Ipv4, "..", "rp_filter").is_none());
        assert!(path(Tree::Ipv6, "eth0", "").is_none());
        assert_eq!(
            path(Tree::Ipv6, "vrrp.51", "addr_gen_mode"),
            Some(PathBuf::from(
                "/proc/sys/net/ipv6/conf/vrrp.51/addr_gen_mode"
            ))
        );
    }
}
