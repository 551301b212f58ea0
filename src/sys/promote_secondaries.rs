//! `promote_secondaries` (docs/keywords.md): keepalived 2.2.7 turns on the interface's
//! `net.ipv4.conf.IF.promote_secondaries` when it is off, so that deleting a VIP which
//! happens to be the primary address of its subnet promotes the next address of that subnet
//! instead of deleting all of them, and turns it off again when it stops.

use std::fs::OpenOptions;
use std::io::{Read, Seek, SeekFrom, Write};

/// The interfaces switched on; dropping it switches them off again.
#[derive(Debug, Default)]
pub struct PromoteSecondaries {
    switched: Vec<String>,
}

fn path(ifname: &str) -> Option<String> {
    // An interface name is at most 15 bytes and never a path component of its own.
    let ok = !ifname.is_empty()
        && ifname.len() < 16
        && ifname != "."
        && ifname != ".."
        && !ifname.contains('/');
    ok.then(|| format!("/proc/sys/net/ipv4/conf/{ifname}/promote_secondaries"))
}

/// Turns the setting on for each of `ifnames` where it is off; returns the guard and one
/// line to log per failure (the daemon carries on).
pub fn enable(ifnames: &[String]) -> (PromoteSecondaries, Vec<String>) {
    let mut guard = PromoteSecondaries::default();
    let mut failed = Vec::new();
    for ifname in ifnames {
        let Some(p) = path(ifname) else {
            failed.push(format!("Unable to set promote_secondaries on {ifname:?}"));
            continue;
        };
        let res = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&p)
            .and_then(|mut f| {
                let mut b = [0u8; 1];
                f.read_exact(&mut b)?;
                if b == *b"0" {
                    f.seek(SeekFrom::Start(0))?;
                    f.write_all(b"1")?;
                    return Ok(true);
                }
                Ok(false)
            });
        match res {
            Ok(true) => guard.switched.push(ifname.clone()),
            Ok(false) => {}
            Err(e) => failed.push(format!(
                "Unable to set promote_secondaries on {ifname} - {e}"
            )),
        }
    }
    (guard, failed)
}

impl Drop for PromoteSecondaries {
    fn drop(&mut self) {
        for ifname in &self.switched {
            let Some(p) = path(ifname) else { continue };
            let res = OpenOptions::new()
                .write(true)
                .open(&p)
                .and_then(|mut f| f.write_all(b"0"));
            if let Err(e) = res {
                tracing::info!(target: "vrrpd", "Unable to reset promote_secondaries on {ifname} - {e}");
            }
        }
    }
}
