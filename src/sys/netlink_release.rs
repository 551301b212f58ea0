//! Last-resort VIP removal for the panic hook: RTM_DELADDR requests on a fresh, blocking
//! NETLINK_ROUTE socket, each acknowledgement awaited for at most 250 ms. Nothing async and
//! nothing shared with the runtime that panicked (its netlink connection may be mid-request);
//! the messages are the ones `Netlink::del_vip` sends (`Vip::message`).

use std::time::Duration;

use nix::sys::socket::{
    recv, sendto, setsockopt, socket, sockopt, AddressFamily, MsgFlags, NetlinkAddr, SockFlag,
    SockProtocol, SockType,
};
use nix::sys::time::TimeVal;
use rtnetlink::packet_core::{NetlinkMessage, NetlinkPayload, NLM_F_ACK, NLM_F_REQUEST};
use rtnetlink::packet_route::RouteNetlinkMessage;

use super::netlink::Vip;

/// How long to wait for each acknowledgement.
const ACK_WAIT: Duration = Duration::from_millis(250);

/// Deletes `vips`; returns how many the kernel acknowledged (an address already gone counts
/// as not acknowledged). Never panics: any failure just skips that address.
pub fn delete_now(vips: &[Vip]) -> usize {
    if vips.is_empty() {
        return 0;
    }
    let Ok(fd) = socket(
        AddressFamily::Netlink,
        SockType::Raw,
        SockFlag::SOCK_CLOEXEC,
        SockProtocol::NetlinkRoute,
    ) else {
        return 0;
    };
    let wait = TimeVal::new(0, ACK_WAIT.as_micros().try_into().unwrap_or(250_000));
    if setsockopt(&fd, sockopt::ReceiveTimeout, &wait).is_err() {
        return 0;
    }
    let kernel = NetlinkAddr::new(0, 0);
    let mut acked = 0;
    for (seq, vip) in (1u32..).zip(vips) {
        let mut msg = NetlinkMessage::from(RouteNetlinkMessage::DelAddress(vip.message(false)));
        msg.header.flags = NLM_F_REQUEST | NLM_F_ACK;
        msg.header.sequence_number = seq;
        msg.finalize();
        let mut buf = vec![0u8; msg.buffer_len()];
        msg.serialize(&mut buf);
        if sendto(
            std::os::fd::AsRawFd::as_raw_fd(&fd),
            &buf,
            &kernel,
            MsgFlags::empty(),
        )
        .is_err()
        {
            continue;
        }
        let mut reply = [0u8; 4096];
        let Ok(n) = recv(
            std::os::fd::AsRawFd::as_raw_fd(&fd),
            &mut reply,
            MsgFlags::empty(),
        ) else {
            continue;
        };
        let ok = reply
            .get(..n)
            .and_then(|r| NetlinkMessage::<RouteNetlinkMessage>::deserialize(r).ok());
        if let Some(NetlinkMessage {
            payload: NetlinkPayload::Error(e),
            ..
        }) = ok
        {
            if e.code.is_none() {
                acked += 1;
            }
        }
    }
    acked
}
