//! From a tracker's health to its effect on an instance (docs/keepalived-compat.md#weights-and-effective-priority).
//!
//! The core ([`crate::proto::Router`]) adds the `Weight`s to the base priority, clamps to
//! 1..=254 and logs `(VI) Changing effective priority from A to B`; a `Down` makes the
//! instance FAULT. This file only reduces "healthy or not" (or a track_file value) plus the
//! weight and `reverse` flag to that [`TrackerState`].

use crate::proto::TrackerState;

/// The effect of a boolean tracker (script, interface, process quorum) that is `up`, with
/// weight `weight` and `reverse` (docs/keepalived-compat.md#weights-and-effective-priority table):
///
/// | W | up | down |
/// |---|---|---|
/// | W > 0 | +W·m | 0 |
/// | W < 0 | 0 | +W·m |
/// | W = 0 | no change | FAULT (with `reverse`: FAULT when up) |
///
/// where m = −1 with `reverse`, else +1.
pub fn bool_effect(up: bool, weight: i32, reverse: bool) -> TrackerState {
    let m = if reverse { -1 } else { 1 };
    match weight.signum() {
        0 => {
            if up != reverse {
                TrackerState::Up
            } else {
                TrackerState::Down
            }
        }
        1 if up => TrackerState::Weight(weight.saturating_mul(m)),
        -1 if !up => TrackerState::Weight(weight.saturating_mul(m)),
        _ => TrackerState::Weight(0),
    }
}

/// The effect of a `track_file` holding `value` (docs/keepalived-compat.md#weights-and-effective-priority): weight 0 ⇒
/// any non-zero value is FAULT; otherwise value × weight (× −1 with `reverse`) clamped to
/// −254..=253, and −254 (or less before clamping) is FAULT.
pub fn file_effect(value: i64, weight: i32, reverse: bool) -> TrackerState {
    if weight == 0 {
        return if value == 0 {
            TrackerState::Up
        } else {
            TrackerState::Down
        };
    }
    let m: i64 = if reverse { -1 } else { 1 };
    let c = value
        .saturating_mul(i64::from(weight))
        .saturating_mul(m)
        .clamp(-254, 253);
    if c <= -254 {
        TrackerState::Down
    } else {
        // In range by the clamp above.
        TrackerState::Weight(i32::try_from(c).unwrap_or(0))
    }
}

/// `track_interface` weights of ±254 are accepted and clamped to ±253 (docs/keepalived-compat.md#weights-and-effective-priority).
pub fn interface_weight(weight: i32) -> i32 {
    weight.clamp(-253, 253)
}

/// keepalived's effective priority (docs/keepalived-compat.md#weights-and-effective-priority): base + Σ weights clamped to 1..=254; an address
/// owner (255) never changes. The core computes the same; this is for tests and tooling.
pub fn effective_priority(base: u8, effects: &[TrackerState]) -> u8 {
    if base == 255 {
        return 255;
    }
    let sum: i64 = effects
        .iter()
        .map(|e| match e {
            TrackerState::Weight(w) => i64::from(*w),
            _ => 0,
        })
        .sum();
    u8::try_from((i64::from(base) + sum).clamp(1, 254)).unwrap_or(254)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::TrackerState::{Down, Up, Weight};

    #[test]
    fn the_weight_table() {
        // W > 0
        assert_eq!(bool_effect(true, 10, false), Weight(10));
        assert_eq!(bool_effect(false, 10, false), Weight(0));
        assert_eq!(bool_effect(true, 10, true), Weight(-10));
        assert_eq!(bool_effect(false, 10, true), Weight(0));
        // W < 0
        assert_eq!(bool_effect(true, -7, false), Weight(0));
        assert_eq!(bool_effect(false, -7, false), Weight(-7));
        assert_eq!(bool_effect(true, -7, true), Weight(0));
        assert_eq!(bool_effect(false, -7, true), Weight(7));
        // W = 0
        assert_eq!(bool_effect(true, 0, false), Up);
        assert_eq!(bool_effect(false, 0, false), Down);
        assert_eq!(bool_effect(true, 0, true), Down);
        assert_eq!(bool_effect(false, 0, true), Up);
    }

    #[test]
    fn observed_priorities() {
        // base 100, `ok weight 10 reverse` (OK) → 90.
        assert_eq!(effective_priority(100, &[bool_effect(true, 10, true)]), 90);
        // `bad` (default weight −7 as configured, failing) → 93.
        assert_eq!(
            effective_priority(100, &[bool_effect(false, -7, false)]),
            93
        );
        // priority 150, chk_ok +10 (ok), chk_file −30 ok → 160; failing → 130.
        let ok = bool_effect(true, 10, false);
        assert_eq!(
            effective_priority(150, &[ok, bool_effect(true, -30, false)]),
            160
        );
        assert_eq!(
            effective_priority(150, &[ok, bool_effect(false, -30, false)]),
            130
        );
        // Out-of-range script weight 300 is still applied (docs/keepalived-compat.md#vrrp_script-keywords quirk) and clamped.
        assert_eq!(
            effective_priority(100, &[bool_effect(true, 300, false)]),
            254
        );
        assert_eq!(effective_priority(5, &[bool_effect(false, -100, false)]), 1);
        assert_eq!(
            effective_priority(255, &[bool_effect(false, -100, false)]),
            255
        );
    }

    #[test]
    fn track_file_values() {
        assert_eq!(file_effect(0, 1, false), Weight(0));
        assert_eq!(file_effect(5, 1, false), Weight(5));
        assert_eq!(file_effect(5, 10, false), Weight(50));
        assert_eq!(file_effect(5, 10, true), Weight(-50));
        assert_eq!(file_effect(-3, -2, false), Weight(6));
        assert_eq!(file_effect(1000, 1, false), Weight(253));
        assert_eq!(file_effect(-253, 1, false), Weight(-253));
        assert_eq!(file_effect(-254, 1, false), Down);
        assert_eq!(file_effect(-100, 10, false), Down);
        assert_eq!(file_effect(i64::MIN, -1, false), Weight(253));
        assert_eq!(file_effect(0, 0, false), Up);
        assert_eq!(file_effect(3, 0, false), Down);
        assert_eq!(file_effect(-1, 0, true), Down);
    }

    #[test]
    fn interface_weights_clamp() {
        assert_eq!(interface_weight(254), 253);
        assert_eq!(interface_weight(-254), -253);
        assert_eq!(interface_weight(20), 20);
    }
}
