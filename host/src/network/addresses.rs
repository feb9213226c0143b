//! Which addresses a host given by name may resolve to. A name that leads to this machine,
//! a private network or a cloud metadata service is refused: DNS is not trusted to say
//! where the CRM lives. A host given as an address literal is the user's own choice and is
//! not checked here.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why an address is not on the public internet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Restricted {
    Unspecified,
    Loopback,
    /// RFC 1918 and IPv6 site-local.
    Private,
    /// 100.64.0.0/10, carrier-grade NAT (Alibaba's metadata service lives here too).
    Shared,
    LinkLocal,
    /// Where clouds and their container runtimes hand out credentials: 169.254.169.254 and
    /// fd00:ec2::254 (AWS, GCP, Azure, …), 169.254.170.2 and 169.254.170.23 / fd00:ec2::23
    /// (AWS container and pod credentials), 100.100.100.200 (Alibaba), 192.0.0.192 (Oracle).
    Metadata,
    /// IPv6 fc00::/7.
    UniqueLocal,
    Multicast,
    Broadcast,
    /// Documentation, benchmarking, protocol assignments and the other blocks no public
    /// server uses.
    Reserved,
}

impl fmt::Display for Restricted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Restricted::Unspecified => "an unspecified address",
            Restricted::Loopback => "a loopback address",
            Restricted::Private => "a private address",
            Restricted::Shared => "a shared (carrier-grade NAT) address",
            Restricted::LinkLocal => "a link-local address",
            Restricted::Metadata => "a cloud metadata address",
            Restricted::UniqueLocal => "a unique-local (private) address",
            Restricted::Multicast => "a multicast address",
            Restricted::Broadcast => "the broadcast address",
            Restricted::Reserved => "a reserved address",
        })
    }
}

impl Restricted {
    /// Where a self-hosted Konecty may live: what `--allow-private-network` lets a name lead
    /// to. Metadata, multicast, broadcast, unspecified and reserved addresses are no
    /// server's, so no flag allows them.
    pub fn is_private_network(self) -> bool {
        matches!(
            self,
            Restricted::Loopback
                | Restricted::Private
                | Restricted::Shared
                | Restricted::LinkLocal
                | Restricted::UniqueLocal
        )
    }
}

/// `None` for a public address.
pub fn restriction(ip: IpAddr) -> Option<Restricted> {
    match ip {
        IpAddr::V4(v4) => restriction_v4(v4),
        IpAddr::V6(v6) => restriction_v6(v6),
    }
}

fn restriction_v4(ip: Ipv4Addr) -> Option<Restricted> {
    let [a, b, c, d] = ip.octets();
    Some(match (a, b, c, d) {
        (0, ..) => Restricted::Unspecified,
        (127, ..) => Restricted::Loopback,
        (10, ..) | (172, 16..=31, ..) | (192, 168, ..) => Restricted::Private,
        (169, 254, 169, 254)
        | (169, 254, 170, 2)
        | (169, 254, 170, 23)
        | (100, 100, 100, 200)
        | (192, 0, 0, 192) => Restricted::Metadata,
        (169, 254, ..) => Restricted::LinkLocal,
        (100, 64..=127, ..) => Restricted::Shared,
        (192, 0, 0, _) | (192, 0, 2, _) | (198, 18..=19, ..) | (198, 51, 100, _) => {
            Restricted::Reserved
        }
        (203, 0, 113, _) => Restricted::Reserved,
        (255, 255, 255, 255) => Restricted::Broadcast,
        (224..=239, ..) => Restricted::Multicast,
        (240..=255, ..) => Restricted::Reserved,
        _ => return None,
    })
}

fn restriction_v6(ip: Ipv6Addr) -> Option<Restricted> {
    // Forms that carry an IPv4 address are judged by that address: IPv4-mapped
    // (::ffff:a.b.c.d), NAT64 (64:ff9b::a.b.c.d) and 6to4 (2002:aabb:ccdd::).
    if let Some(v4) = ip.to_ipv4_mapped() {
        return restriction_v4(v4);
    }
    let s = ip.segments();
    let embedded = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return restriction_v4(embedded(s[6], s[7]));
    }
    if s[0] == 0x2002 {
        return restriction_v4(embedded(s[1], s[2]));
    }
    if ip.is_unspecified() {
        return Some(Restricted::Unspecified);
    }
    if ip.is_loopback() {
        return Some(Restricted::Loopback);
    }
    Some(match s[0] {
        _ if [0x254, 0x23].contains(&s[7]) && s[..7] == [0xfd00, 0xec2, 0, 0, 0, 0, 0] => {
            Restricted::Metadata
        }
        // IPv4-compatible (::a.b.c.d, deprecated) and the rest of ::/8.
        0x0000..=0x00ff => Restricted::Reserved,
        // Discard-only 100::/64.
        0x0100 if s[1..4] == [0, 0, 0] => Restricted::Reserved,
        0x2001 if s[1] == 0x0db8 => Restricted::Reserved,
        0xfc00..=0xfdff => Restricted::UniqueLocal,
        0xfe80..=0xfebf => Restricted::LinkLocal,
        0xfec0..=0xfeff => Restricted::Private,
        0xff00..=0xffff => Restricted::Multicast,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(ip: &str) -> Option<Restricted> {
        restriction(ip.parse().expect("a test address"))
    }

    fn assert_class(expected: Option<Restricted>, ips: &[&str]) {
        for ip in ips {
            assert_eq!(class(ip), expected, "{ip}: expected {expected:?}");
        }
    }

    #[test]
    fn public_addresses_pass() {
        assert_class(
            None,
            &[
                "8.8.8.8",
                "1.1.1.1",
                "172.32.0.1",
                "100.128.0.1",
                "2606:4700::1111",
            ],
        );
    }

    #[test]
    fn loopback_is_restricted_in_every_spelling() {
        assert_class(
            Some(Restricted::Loopback),
            &[
                "127.0.0.1",
                "127.255.0.9",
                "::1",
                "::ffff:127.0.0.1",
                "64:ff9b::7f00:1",
                "2002:7f00:1::",
            ],
        );
    }

    #[test]
    fn private_ranges_are_restricted() {
        assert_class(
            Some(Restricted::Private),
            &[
                "10.0.0.1",
                "172.16.0.1",
                "172.31.255.255",
                "192.168.1.1",
                "::ffff:10.1.2.3",
                "fec0::1",
            ],
        );
    }

    #[test]
    fn metadata_services_are_named() {
        assert_class(
            Some(Restricted::Metadata),
            &[
                "169.254.169.254",
                "::ffff:169.254.169.254",
                "fd00:ec2::254",
                "192.0.0.192",
                "169.254.170.2",
                "169.254.170.23",
                "fd00:ec2::23",
                "100.100.100.200",
            ],
        );
    }

    #[test]
    fn link_local_is_restricted() {
        assert_class(Some(Restricted::LinkLocal), &["169.254.1.1", "fe80::1"]);
    }

    #[test]
    fn shared_address_space_is_restricted() {
        assert_class(Some(Restricted::Shared), &["100.64.0.1", "100.100.100.201"]);
    }

    #[test]
    fn unique_local_is_restricted() {
        assert_class(Some(Restricted::UniqueLocal), &["fd00::1", "fc12::9"]);
    }

    #[test]
    fn unspecified_is_restricted() {
        assert_class(Some(Restricted::Unspecified), &["0.0.0.0", "0.1.2.3", "::"]);
    }

    #[test]
    fn multicast_and_broadcast_are_restricted() {
        assert_class(Some(Restricted::Multicast), &["224.0.0.1", "ff02::1"]);
        assert_class(Some(Restricted::Broadcast), &["255.255.255.255"]);
    }

    #[test]
    fn only_networks_a_server_can_sit_on_count_as_private_networks() {
        for ip in [
            "127.0.0.1",
            "10.0.0.1",
            "100.64.0.1",
            "169.254.1.1",
            "fd00::1",
            "::1",
        ] {
            assert!(
                class(ip).is_some_and(Restricted::is_private_network),
                "{ip} should be a private network"
            );
        }
        for ip in [
            "169.254.169.254",
            "fd00:ec2::254",
            "192.0.0.192",
            "0.0.0.0",
            "224.0.0.1",
        ] {
            assert!(
                !class(ip).is_some_and(Restricted::is_private_network),
                "{ip} must not be allowed by --allow-private-network"
            );
        }
    }

    #[test]
    fn reserved_blocks_are_restricted() {
        assert_class(
            Some(Restricted::Reserved),
            &[
                "192.0.2.1",
                "198.18.0.1",
                "203.0.113.7",
                "240.0.0.1",
                "2001:db8::1",
                "100::1",
                "::1.2.3.4",
            ],
        );
    }
}
