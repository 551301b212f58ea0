//! The shell's two inputs about sockets: `Input::Sockets` holds an instance (and its sync
//! group) in FAULT while its sockets cannot be opened; `Input::Ifindex` moves an instance to
//! the new index of a re-created interface (adverts it hears on the new index reach it).

use crate::common;

use common::*;
use vrrpd::proto::{Action, Input, InstanceSettings, RouterSettings, State, SyncGroupSettings};

fn pair_in_a_group() -> Rig {
    let mut s = RouterSettings::new(vec![
        InstanceSettings::backup("VI_1", 51).vip("10.0.0.100/24"),
        InstanceSettings::backup("VI_2", 52).vip("10.0.0.101/24"),
    ]);
    s.groups.push(SyncGroupSettings {
        name: "G".into(),
        members: vec!["VI_1".into(), "VI_2".into()],
    });
    Rig::new(s)
}

fn sockets(instance: &str, open: bool) -> Input {
    Input::Sockets {
        instance: instance.into(),
        open,
    }
}

#[test]
fn an_instance_without_sockets_holds_its_group_in_fault_until_they_open() {
    let mut rig = pair_in_a_group();
    rig.advance_to(ms(4000));
    assert_eq!(rig.state("VI_1"), State::Master);
    rig.input_at(ms(5000), sockets("VI_2", false));
    assert_eq!(
        (rig.state("VI_1"), rig.state("VI_2")),
        (State::Fault, State::Fault)
    );
    assert!(rig
        .logs()
        .iter()
        .any(|l| l == "(VI_2) entering FAULT state (VRRP socket unavailable)"));
    // A repeat changes nothing; the other instance's "open" neither.
    rig.clear();
    rig.input_at(ms(5500), sockets("VI_2", false));
    rig.input_at(ms(5600), sockets("VI_1", true));
    assert!(rig.out.is_empty(), "{:?}", rig.out);
    rig.input_at(ms(6000), sockets("VI_2", true));
    assert_eq!(
        (rig.state("VI_1"), rig.state("VI_2")),
        (State::Backup, State::Backup)
    );
    rig.advance_to(ms(10_000));
    assert_eq!(rig.state("VI_2"), State::Master);
}

#[test]
fn after_a_new_ifindex_adverts_are_heard_on_it_and_sent_on_it() {
    let inst = InstanceSettings::backup("VI_1", 51)
        .priority(100)
        .vip("10.0.0.100/24");
    let mut rig = Rig::one(inst.clone());
    rig.input_at(
        ms(500),
        Input::Ifindex {
            ifname: inst.ifname.clone(),
            ifindex: 9,
        },
    );
    // A higher-priority master heard on the new index keeps it a backup past its
    // master-down interval (3.6 s).
    let adv = advert_like(&inst, 200);
    let bytes = encode(
        &adv,
        "10.0.0.2".parse().unwrap(),
        "224.0.0.18".parse().unwrap(),
    );
    for t in (1000..6000).step_by(1000) {
        rig.input_at(
            ms(t),
            Input::Packet {
                ifindex: 9,
                src: "10.0.0.2".parse().unwrap(),
                dst: "224.0.0.18".parse().unwrap(),
                ttl: 255,
                bytes: bytes.clone(),
            },
        );
    }
    assert_eq!(rig.state("VI_1"), State::Backup);
    // Silence: it takes over and advertises on index 9.
    rig.advance_to(ms(10_000));
    assert_eq!(rig.state("VI_1"), State::Master);
    let on: Vec<u32> = rig
        .out
        .iter()
        .filter_map(|t| match &t.action {
            Action::SendAdvert { ifindex, .. } => Some(*ifindex),
            _ => None,
        })
        .collect();
    assert!(!on.is_empty() && on.iter().all(|i| *i == 9), "{on:?}");
}
