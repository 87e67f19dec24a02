//! The machine's own IPv4 addresses, for the serving certificate: agents and users on other
//! machines reach the API server by one of them. Read from `/proc/net/fib_trie`, where each
//! local address is a `/32 host LOCAL` entry.

use std::net::Ipv4Addr;

/// Local, non-loopback IPv4 addresses, in the order the kernel lists them, without repeats.
pub fn local_ipv4() -> Vec<Ipv4Addr> {
    std::fs::read_to_string("/proc/net/fib_trie")
        .map(|text| parse_fib_trie(&text))
        .unwrap_or_default()
}

fn parse_fib_trie(text: &str) -> Vec<Ipv4Addr> {
    let mut found = Vec::new();
    let mut last: Option<Ipv4Addr> = None;
    for line in text.lines() {
        let line = line.trim();
        if let Some(address) = line.strip_prefix("|-- ") {
            last = address.trim().parse().ok();
        } else if line.ends_with("host LOCAL")
            && let Some(ip) = last.take()
            && !ip.is_loopback()
            && !found.contains(&ip)
        {
            found.push(ip);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_local_addresses() {
        let sample = "Main:\n  +-- 0.0.0.0/0 3 0 5\n     |-- 0.0.0.0\n        /0 universe UNICAST\n     +-- 127.0.0.0/8 2 0 2\n           |-- 127.0.0.1\n              /32 host LOCAL\n     +-- 192.0.2.0/24 2 0 2\n           |-- 192.0.2.0\n              /24 link UNICAST\n           |-- 192.0.2.2\n              /32 host LOCAL\n        |-- 192.0.2.255\n           /32 link BROADCAST\nLocal:\n           |-- 192.0.2.2\n              /32 host LOCAL\n           |-- 10.42.0.1\n              /32 host LOCAL\n";
        assert_eq!(
            parse_fib_trie(sample),
            vec![Ipv4Addr::new(192, 0, 2, 2), Ipv4Addr::new(10, 42, 0, 1)]
        );
    }
}
