//! Virtual time: a clock that moves only when told.

use std::fmt;
use std::time::Duration;

/// A point on the virtual clock, in microseconds since the simulation started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct VirtualTime(pub u64);

impl VirtualTime {
    /// The start of every run.
    pub const ZERO: VirtualTime = VirtualTime(0);

    /// Microseconds since the start.
    pub fn as_us(self) -> u64 {
        self.0
    }

    /// This instant as a `Duration` since the start.
    pub fn as_duration(self) -> Duration {
        Duration::from_micros(self.0)
    }

    /// `self + d`, saturating at the end of time.
    ///
    /// ```
    /// use qwave_sim::model::VirtualTime;
    /// use std::time::Duration;
    /// let t = VirtualTime::ZERO.plus(Duration::from_millis(5));
    /// assert_eq!(t.as_us(), 5_000);
    /// assert_eq!(t.plus(Duration::MAX), VirtualTime(u64::MAX));
    /// ```
    pub fn plus(self, d: Duration) -> VirtualTime {
        VirtualTime(self.0.saturating_add(duration_us(d)))
    }

    /// `self + us` microseconds, saturating.
    pub fn plus_us(self, us: u64) -> VirtualTime {
        VirtualTime(self.0.saturating_add(us))
    }
}

/// A `Duration` in whole microseconds, saturating at `u64::MAX`.
pub fn duration_us(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

impl fmt::Display for VirtualTime {
    /// `12.345678s`: seconds with six decimals, fixed width after the point.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:06}s", self.0 / 1_000_000, self.0 % 1_000_000)
    }
}
