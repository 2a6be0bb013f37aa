//! Which addresses an outbound webhook may reach (SSRF protection).
//!
//! An endpoint URL must be `http` or `https` with a host. Its host's addresses must all be public: loopback,
//! private (RFC 1918, fc00::/7), link-local (169.254/16, fe80::/10, where cloud metadata services live), shared
//! (100.64/10), unspecified, broadcast, multicast, documentation, benchmarking and reserved ranges are refused, also
//! inside IPv4-mapped and NAT64 IPv6 addresses. The check runs when an endpoint is added and again at every delivery,
//! where digest-sender's resolver checks every address of the host and hands only those to the connection (so a
//! DNS answer cannot change between check and connect). `allow_private` (`PATHFINDER_OUTBOUND__ALLOW_PRIVATE_TARGETS`)
//! turns the address check off for tests and private networks.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use url::{Host, Url};

use super::OutboundError;

/// The longest endpoint URL accepted.
pub const MAX_URL_CHARS: usize = 2048;

/// Parses an endpoint URL: `http(s)://host[:port]/...`, no fragment. Addresses are not checked here.
pub fn parse_url(url: &str) -> Result<Url, OutboundError> {
    let invalid = |why: &str| OutboundError::InvalidUrl(format!("endpoint URL {why}"));
    if url.chars().count() > MAX_URL_CHARS {
        return Err(invalid(&format!("is longer than {MAX_URL_CHARS} characters")));
    }
    let parsed = Url::parse(url.trim()).map_err(|e| invalid(&format!("is not a URL ({e})")))?;
    if parsed.scheme() != "http" && parsed.scheme() != "https" {
        return Err(invalid("must start with http:// or https://"));
    }
    if parsed.host().is_none() {
        return Err(invalid("has no host"));
    }
    if parsed.fragment().is_some() {
        return Err(invalid("must not have a #fragment"));
    }
    Ok(parsed)
}

/// Whether `ip` is an address outbound webhooks must not reach (anything but a public unicast address).
pub fn is_forbidden(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return forbidden_v4(v4);
            }
            let segments = v6.segments();
            // NAT64 (64:ff9b::/96) carries an IPv4 address in its last 32 bits.
            if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
                let [.., hi, lo] = segments;
                return forbidden_v4(Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo)));
            }
            forbidden_v6(v6)
        }
    }
}

fn forbidden_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0 // "this network"
        || (a == 100 && (64..128).contains(&b)) // shared address space (carrier-grade NAT)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240 // reserved
}

fn forbidden_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local
        || (first & 0xffc0) == 0xfe80 // link-local
        || (first & 0xffc0) == 0xfec0 // site-local (deprecated)
        || (first == 0x2001 && ip.segments()[1] == 0x0db8) // documentation
        || ip.to_ipv4().is_some() // IPv4-compatible (deprecated)
}

/// Every address of `host` (a name or an IP literal), checked: all of them must be allowed, or none is returned.
pub async fn resolve_checked(host: &str, port: u16, allow_private: bool) -> Result<Vec<SocketAddr>, OutboundError> {
    let literal = host.trim_start_matches('[').trim_end_matches(']');
    let addrs: Vec<SocketAddr> = match literal.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) => tokio::net::lookup_host((host, port))
            .await
            .map_err(|e| OutboundError::Unresolvable(format!("{host} does not resolve ({e})")))?
            .collect(),
    };
    if addrs.is_empty() {
        return Err(OutboundError::Unresolvable(format!("{host} has no address")));
    }
    if !allow_private && let Some(bad) = addrs.iter().find(|a| is_forbidden(a.ip())) {
        return Err(OutboundError::PrivateTarget(format!(
            "{host} resolves to {}, a loopback, private, link-local or reserved address; outbound webhooks \
             only reach public addresses unless PATHFINDER_OUTBOUND__ALLOW_PRIVATE_TARGETS=true",
            bad.ip()
        )));
    }
    Ok(addrs)
}

/// Parses `url` and checks every address its host resolves to (when an endpoint is added).
pub async fn check_url(url: &str, allow_private: bool) -> Result<Url, OutboundError> {
    let parsed = parse_url(url)?;
    let host = match parsed.host() {
        Some(Host::Domain(name)) => name.to_owned(),
        Some(Host::Ipv4(ip)) => ip.to_string(),
        Some(Host::Ipv6(ip)) => ip.to_string(),
        None => return Err(OutboundError::InvalidUrl("endpoint URL has no host".into())),
    };
    resolve_checked(&host, parsed.port_or_known_default().unwrap_or(443), allow_private).await?;
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use super::{is_forbidden, parse_url};

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("ip")
    }

    #[test]
    fn private_and_special_addresses_are_forbidden() {
        for bad in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "0.1.2.3",
            "255.255.255.255",
            "224.0.0.1",
            "198.18.0.1",
            "240.0.0.1",
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2001:db8::1",
            "ff02::1",
        ] {
            assert!(is_forbidden(ip(bad)), "{bad} must be refused");
        }
        for good in ["93.184.215.14", "8.8.8.8", "172.32.0.1", "100.128.0.1", "2606:4700::1111", "64:ff9b::808:808"] {
            assert!(!is_forbidden(ip(good)), "{good} is public");
        }
    }

    #[test]
    fn urls_need_http_and_a_host() {
        assert!(parse_url("https://hooks.zapier.com/hooks/catch/1/abc/").is_ok());
        for bad in ["ftp://example.com/", "example.com/hook", "https://", "https://example.com/#x", "mailto:a@b.c"] {
            assert_eq!(parse_url(bad).expect_err(bad).code(), "invalid-endpoint-url", "{bad}");
        }
    }
}
