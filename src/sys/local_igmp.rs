//! `disable_local_igmp` (docs/keywords.md): keepalived 2.2.7 sets
//! `net.ipv4.igmp_link_local_mcast_reports` to 0 while it runs, so the host sends no IGMP
//! reports for link-local groups such as 224.0.0.18 (some switches mishandle them), and puts
//! the 1 back when it stops. It does so only when the value was 1; a reload does not change it.

use std::fs::OpenOptions;
use std::io::{Read, Seek, SeekFrom, Write};

const PATH: &str = "/proc/sys/net/ipv4/igmp_link_local_mcast_reports";

/// The setting while it is switched off; dropping it switches it back on.
#[derive(Debug)]
pub struct LocalIgmpOff {
    _private: (),
}

/// Switches the reports off when they are on. `Ok(None)`: already off, nothing to restore.
/// `Err`: the line to log, in keepalived's words (the daemon carries on).
pub fn disable() -> Result<Option<LocalIgmpOff>, String> {
    let mut f = OpenOptions::new()
        .read(true)
        .write(true)
        .open(PATH)
        .map_err(|e| format!("Unable to open {PATH} - {e}"))?;
    let mut b = [0u8; 1];
    f.read_exact(&mut b)
        .map_err(|e| format!("Unable to read {PATH} - {e}"))?;
    if b != *b"1" {
        return Ok(None);
    }
    f.seek(SeekFrom::Start(0))
        .and_then(|_| f.write_all(b"0"))
        .map_err(|e| format!("Unable to write {PATH} - {e}"))?;
    Ok(Some(LocalIgmpOff { _private: () }))
}

impl Drop for LocalIgmpOff {
    fn drop(&mut self) {
        let res = OpenOptions::new()
            .write(true)
            .open(PATH)
            .and_then(|mut f| f.write_all(b"1"));
        if let Err(e) = res {
            tracing::info!(target: "vrrpd", "Unable to write {PATH} - {e}");
        }
    }
}
