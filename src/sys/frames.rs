//! Raw Ethernet frames through AF_PACKET: gratuitous ARP and unsolicited neighbour adverts
//! (docs/keepalived-compat.md#gratuitous-arp-and-unsolicited-na, "Sent via a packet socket").
//!
//! The frames themselves are built by the pure codec (`wire::garp`); this file only puts bytes
//! on a wire. One pnet datalink channel is opened per interface on first use and cached, as
//! keepalived registers one "gratuitous ARP shared channel".
//!
//! The packet socket handed to pnet only transmits. It is bound with protocol 0, so the kernel
//! hands it no frame at all: a socket bound with ETH_P_ALL (pnet's default) is a tap that the
//! kernel copies every frame sent or received on the interface to, each advert and, on a load
//! balancer, every client packet, only for a filter to drop it. `packet(7)`: "if protocol is
//! set to zero, no packets are received". The frames it sends carry their own EtherType, which
//! the kernel reads from the header. The drop-all BPF filter and minimal receive buffer stay as
//! a second guard.
//! Sends never wait: the runtime has one thread, and a transmit queue that is full (a
//! saturated or shaped link) must not hold up adverts and received packets behind a GARP.
//! A frame that finds the socket's send buffer full is dropped and reported as
//! [`SysError::FrameDropped`]; the channel stays open for the next one.

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::io;
use std::os::fd::IntoRawFd;
use std::time::Duration;

use pnet_datalink::{Channel, ChannelType, Config, DataLinkSender, NetworkInterface};
use socket2::{Domain, Protocol, SockFilter, Socket, Type};

use super::{Privilege, SysError};

/// BPF `ret #0`: drop every packet.
const BPF_RET_K: u16 = 0x06;
/// pnet polls the socket for room before each send for this long; zero makes a full send
/// buffer an immediate `TimedOut` (pnet treats no timeout as "wait for ever").
const WRITE_TIMEOUT: Duration = Duration::ZERO;

/// Per-interface cache of transmit channels.
#[derive(Default)]
pub struct FrameSender {
    channels: HashMap<u32, (String, Box<dyn DataLinkSender>)>,
}

impl std::fmt::Debug for FrameSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut ifs: Vec<_> = self.channels.keys().collect();
        ifs.sort();
        f.debug_struct("FrameSender")
            .field("ifindexes", &ifs)
            .finish()
    }
}

impl FrameSender {
    pub fn new() -> FrameSender {
        FrameSender::default()
    }

    /// Sends one complete Ethernet frame (destination MAC first) on interface `ifindex`.
    pub fn send(&mut self, ifindex: u32, frame: &[u8]) -> Result<(), SysError> {
        let (name, tx) = match self.channels.entry(ifindex) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => e.insert(open_channel(ifindex)?),
        };
        let what = || format!("send a frame on {name}");
        let result = match tx.send_to(frame, None) {
            Some(r) => r,
            None => Err(io::Error::other("the datalink channel refused the frame")),
        };
        if let Err(e) = result {
            if matches!(
                e.kind(),
                io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
            ) {
                // No room in the send buffer: the link is not keeping up. Drop this frame and
                // keep the channel (it is not broken).
                return Err(SysError::FrameDropped {
                    ifname: name.clone(),
                });
            }
            let err = SysError::os(what(), Privilege::NetRaw, e);
            // The interface may have been deleted and re-created: reopen next time.
            self.channels.remove(&ifindex);
            return Err(err);
        }
        Ok(())
    }

    /// Drops the cached channel of `ifindex` (interface deleted, or no VIPs on it any more).
    pub fn forget(&mut self, ifindex: u32) {
        self.channels.remove(&ifindex);
    }
}

fn open_channel(ifindex: u32) -> Result<(String, Box<dyn DataLinkSender>), SysError> {
    let iface: NetworkInterface = pnet_datalink::interfaces()
        .into_iter()
        .find(|i| i.index == ifindex)
        .ok_or_else(|| SysError::NoSuchInterface {
            name: format!("index {ifindex}"),
        })?;
    let what = |op: &str| format!("{op} on {}", iface.name);
    let fail = |op: &str| {
        let what = what(op);
        move |e| SysError::os(what, Privilege::NetRaw, e)
    };
    // Protocol 0 from the start: the socket never receives a frame (see the module comment).
    let sock = Socket::new(Domain::PACKET, Type::RAW, Some(Protocol::from(0)))
        .map_err(fail("open a packet socket"))?;
    sock.attach_filter(&[SockFilter::new(BPF_RET_K, 0, 0, 0)])
        .map_err(fail("attach the drop-all filter to the packet socket"))?;
    sock.set_recv_buffer_size(0)
        .map_err(fail("shrink the packet socket's receive buffer"))?;
    let config = Config {
        // Bound and addressed with EtherType 0: transmit only (see the module comment).
        channel_type: ChannelType::Layer3(0),
        write_timeout: Some(WRITE_TIMEOUT),
        promiscuous: false,
        socket_fd: Some(sock.into_raw_fd()),
        ..Config::default()
    };
    match pnet_datalink::channel(&iface, config) {
        Ok(Channel::Ethernet(tx, _rx)) => Ok((iface.name.clone(), tx)),
        Ok(_) => Err(SysError::Os {
            what: what("open a datalink channel"),
            source: io::Error::other("not an Ethernet channel"),
        }),
        Err(e) => Err(fail("open a datalink channel")(e)),
    }
}
