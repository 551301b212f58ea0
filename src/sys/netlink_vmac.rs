//! rtnetlink for `use_vmac` (docs/vmac.md): the links with their macvlan parent and mode,
//! and creating, changing, raising and deleting a private-mode macvlan.

use futures::TryStreamExt;
use rtnetlink::packet_core::{NLM_F_CREATE, NLM_F_EXCL};
use rtnetlink::packet_route::link::{
    InfoData, InfoKind, InfoMacVlan, LinkAttribute, LinkFlags, LinkInfo, LinkMessage, MacVlanMode,
};
use rtnetlink::packet_route::RouteNetlinkMessage;

use super::netlink::Netlink;
use super::SysError;

/// What the kernel reports of one link, as far as choosing a vmac needs it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LinkFacts {
    pub name: String,
    pub index: u32,
    pub mac: Option<[u8; 6]>,
    /// Set when the link is a macvlan.
    pub macvlan: Option<Macvlan>,
}

/// A macvlan's parent and mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Macvlan {
    /// IFLA_LINK: the parent's index.
    pub parent: u32,
    /// MACVLAN_MODE_PRIVATE, the mode keepalived creates.
    pub private: bool,
}

impl Netlink {
    /// Every link of this namespace with its macvlan facts.
    pub async fn link_facts(&self) -> Result<Vec<LinkFacts>, SysError> {
        self.handle()
            .link()
            .get()
            .execute()
            .map_err(|e| SysError::Os {
                what: "list interfaces".into(),
                source: std::io::Error::other(e.to_string()),
            })
            .try_filter_map(|m| futures::future::ready(Ok(facts(&m))))
            .try_collect()
            .await
    }

    /// Creates a private-mode macvlan `name` on `parent` with address `mac` (NLM_F_CREATE |
    /// NLM_F_EXCL: an existing link of that name is an error, never changed).
    pub async fn create_macvlan(
        &self,
        name: &str,
        parent: u32,
        mac: [u8; 6],
    ) -> Result<(), SysError> {
        let mut m = macvlan_message(0, mac);
        m.attributes.push(LinkAttribute::Link(parent));
        m.attributes.push(LinkAttribute::IfName(name.to_string()));
        let what = format!("create VMAC interface {name}");
        self.request_with_flags(
            RouteNetlinkMessage::NewLink(m),
            &what,
            NLM_F_CREATE | NLM_F_EXCL,
        )
        .await
    }

    /// Sets the address and private mode of the macvlan with index `index`.
    pub async fn update_macvlan(&self, index: u32, mac: [u8; 6]) -> Result<(), SysError> {
        let what = format!("update VMAC interface index {index}");
        self.request_with_flags(
            RouteNetlinkMessage::NewLink(macvlan_message(index, mac)),
            &what,
            0,
        )
        .await
    }

    /// Sets IFF_UP on link `index`.
    pub async fn set_link_up(&self, index: u32) -> Result<(), SysError> {
        let mut m = LinkMessage::default();
        m.header.index = index;
        m.header.flags = LinkFlags::Up;
        m.header.change_mask = LinkFlags::Up;
        let what = format!("bring up interface index {index}");
        self.request_with_flags(RouteNetlinkMessage::SetLink(m), &what, 0)
            .await
    }

    /// Deletes link `index`; one already gone is not an error.
    pub async fn delete_link(&self, index: u32) -> Result<(), SysError> {
        let mut m = LinkMessage::default();
        m.header.index = index;
        let what = format!("remove interface index {index}");
        match self
            .request_with_flags(RouteNetlinkMessage::DelLink(m), &what, 0)
            .await
        {
            Err(e) if e.errno() == Some(libc::ENODEV) => Ok(()),
            other => other,
        }
    }
}

/// The `RTM_NEWLINK` body keepalived sends for a vmac: kind macvlan, mode private, address.
fn macvlan_message(index: u32, mac: [u8; 6]) -> LinkMessage {
    let mut m = LinkMessage::default();
    m.header.index = index;
    m.attributes.push(LinkAttribute::LinkInfo(vec![
        LinkInfo::Kind(InfoKind::MacVlan),
        LinkInfo::Data(InfoData::MacVlan(vec![InfoMacVlan::Mode(
            MacVlanMode::Private,
        )])),
    ]));
    m.attributes.push(LinkAttribute::Address(mac.to_vec()));
    m
}

fn facts(m: &LinkMessage) -> Option<LinkFacts> {
    let mut f = LinkFacts {
        index: m.header.index,
        ..LinkFacts::default()
    };
    let mut parent = None;
    let mut kind_macvlan = false;
    let mut private = false;
    for a in &m.attributes {
        match a {
            LinkAttribute::IfName(n) => f.name = n.clone(),
            LinkAttribute::Address(hw) => f.mac = <[u8; 6]>::try_from(hw.as_slice()).ok(),
            LinkAttribute::Link(p) => parent = Some(*p),
            LinkAttribute::LinkInfo(infos) => {
                for i in infos {
                    match i {
                        LinkInfo::Kind(InfoKind::MacVlan) => kind_macvlan = true,
                        LinkInfo::Data(InfoData::MacVlan(d)) => {
                            private = d
                                .iter()
                                .any(|x| matches!(x, InfoMacVlan::Mode(MacVlanMode::Private)));
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    if f.name.is_empty() {
        return None;
    }
    if kind_macvlan {
        f.macvlan = Some(Macvlan {
            parent: parent.unwrap_or(0),
            private,
        });
    }
    Some(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_private_macvlan_reads_back_with_its_parent_and_mode() {
        let mut m = macvlan_message(7, [0, 0, 0x5e, 0, 1, 51]);
        m.attributes.push(LinkAttribute::Link(2));
        m.attributes.push(LinkAttribute::IfName("vrrp.51".into()));
        let f = facts(&m).expect("named");
        assert_eq!(f.index, 7);
        assert_eq!(f.mac, Some([0, 0, 0x5e, 0, 1, 51]));
        assert_eq!(
            f.macvlan,
            Some(Macvlan {
                parent: 2,
                private: true
            })
        );
    }
}
