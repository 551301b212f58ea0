//! Skew_Time and Master_Down_Interval in exact integer units.
//!
//! RFC 5798 §6.1: `Skew_Time = ((256 - Priority) * Master_Adver_Interval) / 256` and
//! `Master_Down_Interval = 3 * Master_Adver_Interval + Skew_Time`; keepalived replaces the 3
//! with `down_timer_adverts` (docs/keepalived-compat.md#timers-and-start-up). RFC 3768 (v2) defines
//! `Skew_Time = (256 - Priority) / 256` seconds, independent of the interval.
//!
//! The division is done in integer nanoseconds, not in centiseconds: keepalived keeps its
//! timers in microseconds, and the observed v3 start-up (0.5 s, priority 100 → MASTER after
//! 1.5 + 0.305 s, docs/keepalived-compat.md#timers-and-start-up) shows that the skew is not truncated to whole centiseconds.
//! (Truncating the fractional skew, as one implementation does, would break the tie order.)

use std::time::Duration;

use super::settings::Centisecs;
use crate::wire::Version;

const NANOS_PER_CS: u64 = 10_000_000;
const NANOS_PER_SEC: u64 = 1_000_000_000;

/// Skew_Time for `priority` (the effective priority) and the master advert interval.
pub fn skew(version: Version, priority: u8, master_adver_int: Centisecs) -> Duration {
    let weight = 256 - u64::from(priority);
    let nanos = match version {
        Version::V2 => weight * NANOS_PER_SEC / 256,
        Version::V3 => {
            weight
                .saturating_mul(u64::from(master_adver_int.0))
                .saturating_mul(NANOS_PER_CS)
                / 256
        }
    };
    Duration::from_nanos(nanos)
}

/// Master_Down_Interval = down_timer_adverts × Master_Adver_Interval + Skew_Time.
pub fn master_down(
    version: Version,
    priority: u8,
    master_adver_int: Centisecs,
    down_timer_adverts: u32,
) -> Duration {
    let adverts = u64::from(down_timer_adverts)
        .saturating_mul(u64::from(master_adver_int.0))
        .saturating_mul(NANOS_PER_CS);
    Duration::from_nanos(adverts).saturating_add(skew(version, priority, master_adver_int))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn us(d: Duration) -> u128 {
        d.as_nanos()
    }

    /// Table test: v2 with advert_int 1 s (skew independent of the interval).
    #[test]
    fn v2_skew_and_master_down_table() {
        let one = Centisecs::from_secs(1);
        // (priority, skew ns, master-down ns)
        let table = [
            (1u8, 996_093_750u128, 3_996_093_750u128),
            (100, 609_375_000, 3_609_375_000),
            (254, 7_812_500, 3_007_812_500),
            (255, 3_906_250, 3_003_906_250),
        ];
        for (prio, sk, md) in table {
            assert_eq!(us(skew(Version::V2, prio, one)), sk, "skew prio {prio}");
            assert_eq!(
                us(master_down(Version::V2, prio, one, 3)),
                md,
                "master-down prio {prio}"
            );
        }
        // v2 skew does not scale with the interval.
        assert_eq!(
            skew(Version::V2, 100, Centisecs::from_secs(3)),
            skew(Version::V2, 100, one)
        );
    }

    /// Table test: v3 at 100 cs and 50 cs.
    #[test]
    fn v3_skew_and_master_down_table() {
        let table = [
            // (interval cs, priority, skew ns, master-down ns)
            (100u32, 1u8, 996_093_750u128, 3_996_093_750u128),
            (100, 100, 609_375_000, 3_609_375_000),
            (100, 254, 7_812_500, 3_007_812_500),
            (100, 255, 3_906_250, 3_003_906_250),
            (50, 1, 498_046_875, 1_998_046_875),
            (50, 100, 304_687_500, 1_804_687_500),
            (50, 254, 3_906_250, 1_503_906_250),
            (50, 255, 1_953_125, 1_501_953_125),
        ];
        for (cs, prio, sk, md) in table {
            let int = Centisecs(cs);
            assert_eq!(
                us(skew(Version::V3, prio, int)),
                sk,
                "skew {cs}cs prio {prio}"
            );
            assert_eq!(
                us(master_down(Version::V3, prio, int, 3)),
                md,
                "master-down {cs}cs prio {prio}"
            );
        }
    }

    #[test]
    fn down_timer_adverts_multiplies_the_interval_only() {
        let md = master_down(Version::V3, 100, Centisecs(100), 5);
        assert_eq!(md.as_nanos(), 5_609_375_000);
    }

    #[test]
    fn extreme_values_do_not_overflow() {
        let md = master_down(Version::V3, 0, Centisecs(u32::MAX), 100);
        assert!(md > Duration::from_secs(1));
        let md = master_down(Version::V3, 0, Centisecs(u32::MAX), u32::MAX);
        assert!(md > Duration::from_secs(1));
    }
}
