//! Rate limits kept in memory: sign-in attempts per client address and SMS codes per phone.
//! (Lockouts after failed passwords are in the database: they must survive a restart.)

use governor::clock::DefaultClock;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

type Keyed<K> = RateLimiter<K, DefaultKeyedStateStore<K>, DefaultClock>;

#[derive(Debug)]
pub struct Limits {
    sign_in_per_address: Keyed<IpAddr>,
    sms_per_phone: Keyed<String>,
}

impl Limits {
    pub fn new(sign_in_per_minute: u32, sms_per_hour: u32) -> Self {
        let per_minute = NonZeroU32::new(sign_in_per_minute).unwrap_or(NonZeroU32::MIN);
        let per_hour = NonZeroU32::new(sms_per_hour).unwrap_or(NonZeroU32::MIN);
        Self {
            sign_in_per_address: RateLimiter::keyed(Quota::per_minute(per_minute)),
            sms_per_phone: RateLimiter::keyed(
                Quota::with_period(Duration::from_secs(3600) / per_hour.get())
                    .unwrap_or_else(|| Quota::per_hour(per_hour))
                    .allow_burst(per_hour),
            ),
        }
    }

    /// `Err(seconds to wait)` when the address has used its sign-ins for now. An IPv6 client
    /// is counted by its /64: one host is given a whole /64 and could otherwise take a new key
    /// for every request.
    pub fn sign_in(&self, addr: IpAddr) -> Result<(), u64> {
        self.sign_in_per_address
            .check_key(&network_of(addr))
            .map_err(|not_until| wait_secs(&not_until))
    }

    pub fn sms(&self, phone: &str) -> Result<(), u64> {
        self.sms_per_phone
            .check_key(&phone.to_string())
            .map_err(|not_until| wait_secs(&not_until))
    }

    /// Drops the state of keys that are back to full quota (called now and then).
    pub fn shrink(&self) {
        self.sign_in_per_address.retain_recent();
        self.sms_per_phone.retain_recent();
    }
}

fn network_of(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V4(_) => addr,
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
    }
}

fn wait_secs(not_until: &governor::NotUntil<governor::clock::QuantaInstant>) -> u64 {
    use governor::clock::Clock;
    not_until
        .wait_time_from(DefaultClock::default().now())
        .as_secs()
        .max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_key_has_its_own_quota() {
        let limits = Limits::new(3, 2);
        let a: IpAddr = "127.0.0.1".parse().unwrap();
        let b: IpAddr = "127.0.0.2".parse().unwrap();
        for _ in 0..3 {
            assert!(limits.sign_in(a).is_ok());
        }
        assert!(limits.sign_in(a).is_err());
        assert!(limits.sign_in(b).is_ok());
        assert!(limits.sms("13800000001").is_ok());
        assert!(limits.sms("13800000001").is_ok());
        let wait = limits.sms("13800000001").unwrap_err();
        assert!(wait >= 1);
        assert!(limits.sms("13800000002").is_ok());
        // One IPv6 /64 is one client.
        let limits = Limits::new(2, 2);
        assert!(limits.sign_in("2001:db8:1:2::1".parse().unwrap()).is_ok());
        assert!(
            limits
                .sign_in("2001:db8:1:2::ffff".parse().unwrap())
                .is_ok()
        );
        assert!(
            limits
                .sign_in("2001:db8:1:2:abcd::9".parse().unwrap())
                .is_err()
        );
        assert!(limits.sign_in("2001:db8:1:3::1".parse().unwrap()).is_ok());
    }
}
