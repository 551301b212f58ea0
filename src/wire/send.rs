//! Whole IPv4 advert packets as keepalived sends them on its `IP_HDRINCL` raw socket
//! (keepalived-behaviour.md §6.1): a 20-byte header (TOS 0xC0, ID from the caller's
//! per-instance counter, DF clear, TTL 255 or `unicast_ttl`, protocol 112) then the message.

use super::ip::{Ipv4Repr, HEADER_LEN};
use super::types::{Advert, Checksum};
use super::vrrp::EmitError;

/// Length of the IPv4 packet carrying `advert`.
pub fn ipv4_advert_len(advert: &Advert) -> usize {
    HEADER_LEN + advert.buffer_len()
}

/// Writes the IPv4 header `ip` (its `payload_len` is replaced by the advert's length) and the
/// advert, checksummed per `csum` (use [`Checksum::ipv4`]), into the start of `buf`. Returns
/// the packet length. Never panics; on an error nothing is written.
///
/// For unicast, call once per peer with that peer as `ip.dst` (and in `csum`), as keepalived
/// sends one copy per peer with the v3 checksum adjusted for each (§6.7).
pub fn emit_ipv4_advert(
    advert: &Advert,
    ip: &Ipv4Repr,
    csum: Checksum,
    buf: &mut [u8],
) -> Result<usize, EmitError> {
    let need = ipv4_advert_len(advert);
    let got = buf.len();
    let Some(packet) = buf.get_mut(..need) else {
        return Err(EmitError::BufferTooSmall { need, got });
    };
    let header = Ipv4Repr {
        payload_len: advert.buffer_len(),
        ..*ip
    };
    let Some((hdr, msg)) = packet.split_at_mut_checked(HEADER_LEN) else {
        return Err(EmitError::BufferTooSmall { need, got });
    };
    // Emit the advert first: it validates the advert, so an error leaves `buf` untouched.
    advert.emit(msg, csum)?;
    header.emit(hdr)?;
    Ok(need)
}
