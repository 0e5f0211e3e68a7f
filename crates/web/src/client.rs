//! Who is asking: the client's address behind a reverse proxy.
//!
//! Several nodes stand behind a load balancer or a reverse proxy, and then
//! every connection comes from the proxy: the verify page's rate limit, the
//! login's limit by address and the logs would all see one client. The
//! addresses (or networks) given as `trusted_proxies` are believed when
//! they say, in `X-Forwarded-For`, whom they forward: the list is read
//! from the right (the hop nearest to us) past every trusted address, and
//! the first address that is not trusted is the client. An address that is
//! not trusted is never believed, so a client cannot name itself someone
//! else; an entry that is not an address ends the walk at the last trusted
//! hop. Without trusted proxies the header is ignored.

use crate::AppState;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;
use ipnet::IpNet;
use std::net::{IpAddr, SocketAddr};

/// The header a proxy names the client in.
pub const FORWARDED_FOR: &str = "x-forwarded-for";

/// The client of a request that came from `peer` with `headers`.
///
/// Addresses are compared as IPv4 where they are IPv4-mapped IPv6
/// (`::ffff:10.0.0.1`, as a server bound on `[::]` sees IPv4 peers), so
/// that a trusted `10.0.0.0/8` matches them.
pub fn client_of(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let peer = peer.to_canonical();
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    // Several headers are one list, in order. Split as bytes: what a
    // client wrote may not be text, and only its own hops are at stake
    // (the proxy's entries to the right of them are read first).
    let mut hops: Vec<&[u8]> = Vec::new();
    for v in headers.get_all(FORWARDED_FOR) {
        hops.extend(v.as_bytes().split(|b| *b == b','));
    }
    let mut client = peer;
    for hop in hops.iter().rev() {
        let hop = std::str::from_utf8(hop).map(str::trim);
        let Some(ip) = hop.ok().and_then(parse_hop).map(|ip| ip.to_canonical()) else {
            break;
        };
        client = ip;
        if !is_trusted(&ip) {
            break;
        }
    }
    client
}

/// One hop of `X-Forwarded-For`: an address, with a port or (IPv6) in
/// brackets as some proxies write it.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(ip) = hop.parse() {
        return Some(ip);
    }
    if let Ok(sock) = hop.parse::<SocketAddr>() {
        return Some(sock.ip());
    }
    hop.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .and_then(|h| h.parse().ok())
}

/// Puts the client's address where the handlers read the peer's
/// (`ConnectInfo`), when the peer is a trusted proxy.
pub async fn layer(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let trusted = state.trusted_proxies();
    if !trusted.is_empty() {
        if let Some(ConnectInfo(peer)) = req.extensions().get::<ConnectInfo<SocketAddr>>().copied()
        {
            let client = client_of(peer.ip(), req.headers(), trusted);
            if client != peer.ip() {
                req.extensions_mut()
                    .insert(ConnectInfo(SocketAddr::new(client, 0)));
            }
        }
    }
    next.run(req).await
}

/// Reads a trusted proxy as configured: an address (`10.0.0.5`, `::1`) or a
/// network (`10.0.0.0/8`).
pub fn parse_trusted(s: &str) -> Result<IpNet, String> {
    let s = s.trim();
    // A network is its prefix (`10.0.0.5/8` is all of 10/8), in IPv4 where
    // it is IPv4-mapped, as addresses are compared.
    s.parse::<IpNet>()
        .map(|n| match n {
            IpNet::V6(v6) if v6.prefix_len() >= 96 => match v6.addr().to_ipv4_mapped() {
                Some(v4) => ipnet::Ipv4Net::new(v4, v6.prefix_len() - 96)
                    .map(IpNet::V4)
                    .unwrap_or(n),
                None => n,
            },
            n => n,
        })
        .map(|n| n.trunc())
        .or_else(|_| s.parse::<IpAddr>().map(|ip| IpNet::from(ip.to_canonical())))
        .map_err(|_| {
            format!("{s:?} is not an IP address or network (e.g. 10.0.0.5, 10.0.0.0/8, ::1)")
        })
}

/// The unit a per-address limit counts: an IPv4 address, or an IPv6
/// address's /64. One subscriber, one home network, usually has a whole
/// /64 to take addresses from, so counting each IPv6 address alone would
/// give such a client a fresh budget with every address it takes.
pub fn limit_unit(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(bits.into())
        }
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn an_ipv6_client_is_limited_by_its_64_and_ipv4_by_its_address() {
        let unit = |s: &str| limit_unit(s.parse().unwrap()).to_string();
        assert_eq!(unit("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::");
        assert_eq!(unit("2001:db8:1:2:ffff:ffff:ffff:ffff"), "2001:db8:1:2::");
        assert_ne!(unit("2001:db8:1:3::1"), unit("2001:db8:1:2::1"));
        assert_eq!(unit("10.0.0.7"), "10.0.0.7");
        assert_ne!(unit("10.0.0.7"), unit("10.0.0.8"));
        // IPv4-mapped (a server bound on [::]) is the IPv4 address itself.
        assert_eq!(unit("::ffff:10.0.0.7"), "10.0.0.7");
    }

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|s| parse_trusted(s).unwrap()).collect()
    }

    fn headers(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(FORWARDED_FOR, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_says() {
        let trusted = nets(&["10.0.0.0/8"]);
        let h = headers(&["203.0.113.7"]);
        assert_eq!(
            client_of(ip("198.51.100.1"), &h, &trusted),
            ip("198.51.100.1")
        );
        assert_eq!(client_of(ip("198.51.100.1"), &h, &[]), ip("198.51.100.1"));
    }

    #[test]
    fn a_trusted_proxy_names_the_client() {
        let trusted = nets(&["10.0.0.0/8", "127.0.0.1"]);
        let peer = ip("10.1.2.3");
        assert_eq!(
            client_of(peer, &headers(&["203.0.113.7"]), &trusted),
            ip("203.0.113.7")
        );
        // The client's own claim on the left is not believed: the first
        // untrusted hop from the right is.
        let h = headers(&["1.2.3.4, 203.0.113.7, 10.9.9.9"]);
        assert_eq!(client_of(peer, &h, &trusted), ip("203.0.113.7"));
        // Two headers are one list.
        let h = headers(&["1.2.3.4", "203.0.113.7"]);
        assert_eq!(client_of(peer, &h, &trusted), ip("203.0.113.7"));
        // Ports and brackets as some proxies write them.
        let h = headers(&["[2001:db8::1]:4711"]);
        assert_eq!(client_of(peer, &h, &trusted), ip("2001:db8::1"));
        let h = headers(&["[2001:db8::2]"]);
        assert_eq!(client_of(peer, &h, &trusted), ip("2001:db8::2"));
        let h = headers(&["203.0.113.8:80"]);
        assert_eq!(client_of(peer, &h, &trusted), ip("203.0.113.8"));
    }

    #[test]
    fn ipv4_mapped_addresses_are_ipv4() {
        let trusted = nets(&["10.0.0.0/8"]);
        let h = headers(&["::ffff:203.0.113.7"]);
        assert_eq!(
            client_of(ip("::ffff:10.1.2.3"), &h, &trusted),
            ip("203.0.113.7")
        );
        let h = headers(&["203.0.113.7, ::ffff:10.4.4.4"]);
        assert_eq!(client_of(ip("10.1.2.3"), &h, &trusted), ip("203.0.113.7"));
    }

    #[test]
    fn without_a_header_or_with_garbage_the_last_trusted_hop_is_the_client() {
        let trusted = nets(&["10.0.0.0/8"]);
        let peer = ip("10.1.2.3");
        assert_eq!(client_of(peer, &HeaderMap::new(), &trusted), peer);
        assert_eq!(client_of(peer, &headers(&["unknown"]), &trusted), peer);
        let h = headers(&["203.0.113.7, garbage, 10.4.4.4"]);
        assert_eq!(client_of(peer, &h, &trusted), ip("10.4.4.4"));
        // Every hop trusted: the farthest one.
        let h = headers(&["10.5.5.5, 10.4.4.4"]);
        assert_eq!(client_of(peer, &h, &trusted), ip("10.5.5.5"));
    }

    #[test]
    fn a_hop_that_is_not_text_is_garbage_not_the_whole_header() {
        let trusted = nets(&["10.0.0.0/8"]);
        let mut h = HeaderMap::new();
        // What the client sent, with the proxy's entry appended.
        h.append(
            FORWARDED_FOR,
            HeaderValue::from_bytes(b"\xd0\x94, 203.0.113.7").unwrap(),
        );
        assert_eq!(client_of(ip("10.1.2.3"), &h, &trusted), ip("203.0.113.7"));
    }

    #[test]
    fn trusted_proxies_are_addresses_or_networks() {
        assert_eq!(
            parse_trusted("10.0.0.5").unwrap().to_string(),
            "10.0.0.5/32"
        );
        assert_eq!(
            parse_trusted(" 10.0.0.0/8 ").unwrap().to_string(),
            "10.0.0.0/8"
        );
        assert_eq!(parse_trusted("::1").unwrap().to_string(), "::1/128");
        let e = parse_trusted("proxy.internal").unwrap_err();
        assert!(e.contains("not an IP address or network"), "{e}");
        assert!(parse_trusted("10.0.0.0/33").is_err());
        assert_eq!(
            parse_trusted("10.0.0.5/8").unwrap().to_string(),
            "10.0.0.0/8"
        );
        assert_eq!(
            parse_trusted("::ffff:10.0.0.0/104").unwrap().to_string(),
            "10.0.0.0/8"
        );
        assert_eq!(
            parse_trusted("::ffff:10.0.0.5").unwrap().to_string(),
            "10.0.0.5/32"
        );
    }
}
