//! `use_vmac` in the shell (docs/vmac.md): performs what `plan::vmac_resolve` decided
//! (create, adopt, update or replace each macvlan), configures it as keepalived does, and
//! removes what it owns at a clean stop.

use tracing::{debug, info, warn};

use super::vmac_conf::Sysctls;
use crate::plan::vmac::VmacWant;
use crate::plan::vmac_resolve::{resolve, Step, VmacPlan};
use crate::plan::Vmacs;
use crate::sys::netlink::{Netlink, Vip};
use crate::sys::vmac_sysctl::{self, Tree};
use crate::sys::SysError;
use crate::wire::Family;

/// One vmac this daemon created or adopted, which it removes at a clean stop.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Owned {
    instance: String,
    name: String,
    index: u32,
    parent: String,
    family: Family,
    /// What it was made from, to make it again (docs/vmac.md#deleted-by-hand).
    want: VmacWant,
}

/// The vmacs of this daemon and the sysctls it changed for them.
#[derive(Debug)]
pub struct VmacHost {
    netlink: Netlink,
    owned: Vec<Owned>,
    sysctls: Sysctls,
}

impl VmacHost {
    pub fn new(netlink: Netlink) -> VmacHost {
        VmacHost {
            netlink,
            owned: Vec::new(),
            sysctls: Sysctls::default(),
        }
    }

    /// Sets up every wanted vmac and returns their names by instance; an instance whose
    /// vmac could not be set up is left out (it then runs on its parent, with a warning).
    /// Owned vmacs no longer wanted stay until [`VmacHost::prune`].
    pub async fn ensure(&mut self, wants: Vec<VmacWant>) -> Result<Vmacs, SysError> {
        let links = self.netlink.link_facts().await?;
        let plans = resolve(&wants, &links);
        let mut names = Vmacs::new();
        for p in plans {
            for n in &p.notes {
                info!(target: "vrrpd", "{n}");
            }
            match self.set_up(&p).await {
                Ok(index) => {
                    let o = Owned {
                        instance: p.want.instance.clone(),
                        name: p.name.clone(),
                        index,
                        parent: p.want.parent.clone(),
                        family: p.want.family,
                        want: p.want.clone(),
                    };
                    if !self.owned.contains(&o) {
                        self.owned.retain(|x| x.name != o.name);
                        self.owned.push(o);
                    }
                    names.insert(p.want.key.clone(), p.name);
                }
                Err(e) => {
                    warn!(target: "vrrpd", "({}): Unable to create VMAC interface {}", p.want.instance, p.name);
                    warn!(target: "vrrpd", "({}) {e}; the instance runs on {} with its MAC", p.want.instance, p.want.parent);
                }
            }
        }
        Ok(names)
    }

    /// Removes the owned vmacs not named in `keep` (after a reload is applied).
    pub async fn prune(&mut self, keep: &[String]) {
        let gone: Vec<Owned> = self
            .owned
            .iter()
            .filter(|o| !keep.contains(&o.name))
            .cloned()
            .collect();
        for o in gone {
            info!(target: "vrrpd", "({}) Deleting old VMAC interface {}", o.instance, o.name);
            self.remove(&o).await;
        }
    }

    /// Creates again the owned vmacs that are missing, named `link` or hanging off `link`,
    /// when their parent exists (its index may be new).
    pub async fn heal(&mut self, link: &str) {
        let todo: Vec<Owned> = self
            .owned
            .iter()
            .filter(|o| o.name == link || o.parent == link)
            .cloned()
            .collect();
        for o in todo {
            if !matches!(self.netlink.link_by_name(&o.name).await, Ok(None)) {
                continue;
            }
            let Ok(Some(parent)) = self.netlink.link_by_name(&o.parent).await else {
                continue;
            };
            let mut want = o.want.clone();
            want.parent_index = parent.index;
            let plan = VmacPlan {
                want: want.clone(),
                name: o.name.clone(),
                step: Step::Create,
                notes: Vec::new(),
            };
            match self.set_up(&plan).await {
                Ok(index) => {
                    if let Some(x) = self.owned.iter_mut().find(|x| x.name == o.name) {
                        x.index = index;
                        x.want = want;
                    }
                }
                Err(e) => {
                    warn!(target: "vrrpd", "({}): Unable to create VMAC interface {}: {e}", o.instance, o.name)
                }
            }
        }
    }

    /// Removes every owned vmac and puts back the sysctls changed for them (the clean stop).
    pub async fn teardown(&mut self) {
        self.sysctls.restore_rp_filter();
        for o in std::mem::take(&mut self.owned) {
            self.remove(&o).await;
        }
    }

    async fn remove(&mut self, o: &Owned) {
        self.owned.retain(|x| x.name != o.name);
        if o.family == Family::V4 {
            let still = self
                .owned
                .iter()
                .any(|x| x.parent == o.parent && x.family == Family::V4);
            if !still {
                self.sysctls.reset_parent(&o.parent);
            }
        }
        match self.netlink.delete_link(o.index).await {
            Ok(()) => {
                debug!(target: "vrrpd", "({}) Success removing VMAC interface {}", o.instance, o.name)
            }
            Err(e) => {
                warn!(target: "vrrpd", "({}) Error removing VMAC interface {}: {e}", o.instance, o.name)
            }
        }
    }

    /// Performs one plan's step and configures the link; returns its index.
    async fn set_up(&mut self, p: &VmacPlan) -> Result<u32, SysError> {
        let w = &p.want;
        let (iname, name) = (&w.instance, &p.name);
        match p.step {
            Step::Adopt { .. } => {}
            Step::Create => {
                self.netlink
                    .create_macvlan(name, w.parent_index, w.mac)
                    .await?
            }
            Step::Update { index } => {
                info!(target: "vrrpd", "({iname}) Update old VMAC interface {name} due to wrong MAC/mode ");
                self.netlink.update_macvlan(index, w.mac).await?;
            }
            Step::Replace { index } => {
                info!(target: "vrrpd", "({iname}) Removing old VMAC interface {name} due to conflicting interface");
                self.netlink.delete_link(index).await?;
                self.netlink
                    .create_macvlan(name, w.parent_index, w.mac)
                    .await?;
            }
        }
        if !matches!(p.step, Step::Adopt { .. }) {
            debug!(target: "vrrpd", "({iname}): Success creating VMAC interface {name}");
        }
        let index = match self.netlink.link_by_name(name).await? {
            Some(l) => l.index,
            None => return Err(SysError::NoSuchInterface { name: name.clone() }),
        };
        if w.family == Family::V4 {
            let names: Vec<String> = self
                .netlink
                .link_facts()
                .await?
                .into_iter()
                .map(|l| l.name)
                .collect();
            self.sysctls.clear_rp_filter(&names);
            self.sysctls.set_vmac(name);
            let already = self
                .owned
                .iter()
                .any(|x| x.parent == w.parent && x.family == Family::V4 && x.name != *name);
            if !already {
                self.sysctls.set_parent(&w.parent, name);
            }
        }
        // docs/vmac.md#ipv6: no IPv6 on an IPv4 vmac, and never an address made from its MAC.
        let ipv6_off = w.family == Family::V4 && !w.other_family_evips;
        let _ = vmac_sysctl::write(Tree::Ipv6, name, "disable_ipv6", u32::from(ipv6_off));
        if vmac_sysctl::write(Tree::Ipv6, name, "addr_gen_mode", 1).is_err() && !ipv6_off {
            info!(target: "vrrpd", "({iname}) Error setting ADDR_GEN_MODE to NONE on {name}");
        }
        self.netlink.set_link_up(index).await?;
        if let Some(ll) = w.link_local {
            let vip = Vip::new(index, std::net::IpAddr::V6(ll), 64);
            if self.netlink.add_vip(&vip).await.is_err() {
                info!(target: "vrrpd", "({iname}) adding link-local address to {name} failed");
            }
        }
        Ok(index)
    }
}
