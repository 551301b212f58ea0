//! Per-instance transition metrics (last transition, transitions by reason, dual master),
//! from the core's transition record.

use super::families::Families;
use crate::daemon::observe::Observed;
use crate::proto::InstanceSnapshot;

/// The transition families of one instance, labelled `labels` (iname, intf, vrid).
pub fn instance(_f: &mut Families, _p: &Observed, _i: &InstanceSnapshot, _labels: &[(&str, &str)]) {
}
