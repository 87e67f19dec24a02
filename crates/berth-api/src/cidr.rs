//! [`Ipv4Cidr`]: an IPv4 network such as the Service CIDR `10.43.0.0/16`, parsed once.

use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv4Cidr {
    network: u32,
    prefix: u8,
}

impl Ipv4Cidr {
    pub fn network(&self) -> Ipv4Addr {
        Ipv4Addr::from(self.network)
    }

    pub fn prefix(&self) -> u8 {
        self.prefix
    }

    /// Addresses in the network, including its network and broadcast addresses.
    pub fn size(&self) -> u64 {
        1u64 << (32 - u32::from(self.prefix))
    }

    /// The `n`th address (0 is the network address), if inside.
    pub fn nth(&self, n: u64) -> Option<Ipv4Addr> {
        (n < self.size()).then(|| Ipv4Addr::from(self.network.wrapping_add(n as u32)))
    }

    pub fn contains(&self, ip: Ipv4Addr) -> bool {
        let mask = if self.prefix == 0 {
            0
        } else {
            u32::MAX << (32 - u32::from(self.prefix))
        };
        u32::from(ip) & mask == self.network
    }

    /// The `n`th subnet of prefix length `prefix` inside this network (`10.42.0.0/16`,
    /// 24, 3 → `10.42.3.0/24`), if there is one.
    pub fn subnet(&self, prefix: u8, n: u64) -> Option<Ipv4Cidr> {
        if prefix < self.prefix || prefix > 32 {
            return None;
        }
        let count = 1u64 << (prefix - self.prefix);
        if n >= count {
            return None;
        }
        let step = 1u64 << (32 - u32::from(prefix));
        let network = u64::from(self.network) + n * step;
        Some(Ipv4Cidr {
            network: u32::try_from(network).ok()?,
            prefix,
        })
    }

    /// The position of `ip` in the network.
    pub fn offset(&self, ip: Ipv4Addr) -> Option<u64> {
        self.contains(ip)
            .then(|| u64::from(u32::from(ip) - self.network))
    }
}

impl FromStr for Ipv4Cidr {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (address, bits) = text
            .split_once('/')
            .ok_or_else(|| format!("{text:?} is not a CIDR like 10.43.0.0/16"))?;
        let address: Ipv4Addr = address
            .parse()
            .map_err(|_| format!("{text:?}: {address:?} is not an IPv4 address"))?;
        let prefix: u8 = bits
            .parse()
            .ok()
            .filter(|b| (8..=30).contains(b))
            .ok_or_else(|| format!("{text:?}: the prefix length must be 8 to 30"))?;
        let mask = u32::MAX << (32 - u32::from(prefix));
        Ok(Ipv4Cidr {
            network: u32::from(address) & mask,
            prefix,
        })
    }
}

impl fmt::Display for Ipv4Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network(), self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subnets_are_carved_in_order() {
        let cluster: Ipv4Cidr = "10.42.0.0/16".parse().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            cluster.subnet(24, 3).map(|c| c.to_string()),
            Some("10.42.3.0/24".into())
        );
        assert_eq!(cluster.subnet(24, 256), None);
        assert_eq!(cluster.subnet(8, 0), None);
    }

    #[test]
    fn parses_and_indexes() {
        let cidr: Ipv4Cidr = "10.43.7.9/16".parse().expect("cidr");
        assert_eq!(cidr.to_string(), "10.43.0.0/16");
        assert_eq!(cidr.nth(1), Some(Ipv4Addr::new(10, 43, 0, 1)));
        assert_eq!(cidr.nth(65536), None);
        assert!(cidr.contains(Ipv4Addr::new(10, 43, 255, 1)));
        assert!(!cidr.contains(Ipv4Addr::new(10, 44, 0, 1)));
        assert_eq!(cidr.offset(Ipv4Addr::new(10, 43, 1, 0)), Some(256));
        for bad in [
            "10.43.0.0",
            "10.43.0.0/33",
            "x/16",
            "fd00::/64",
            "10.0.0.0/4",
        ] {
            assert!(bad.parse::<Ipv4Cidr>().is_err(), "{bad}");
        }
    }
}
