//! Who may reach the local stack's development-only routes: `/_local/*` (the outbox of sent
//! mail, `invoke` on the stack's stores), `/@connections/*` (the WebSocket management API) and `/oauth2/*` (the development
//! issuer's sign-in, which lets anyone pick any identity). None has any authentication
//! (in AWS there is no `/_local`, and `@connections` wants IAM-signed requests), so this module
//! decides whether a listen address serves them at all, checks the Host and Origin of every
//! request to them, and words what `serve` prints about it.
//!
//! On a loopback address they are served; on any other only with `--expose-dev-routes` (off,
//! they answer 404 saying so). Either way they answer only requests whose Host is `localhost`,
//! a loopback address or the listen address, and none that a page of another origin sends.

use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::Response;

/// What each development-only route gives whoever reaches it: for the banner and the warning.
pub const ROUTES: [(&str, &str, &str); 5] = [
    ("GET", "/_local/outbox", "every mail and text the stack sent"),
    ("GET", "/_local/push", "every push to a buyer's device the stack sent"),
    ("POST", "/_local/invoke/{function}", "run any function on any event, as anyone"),
    ("POST/GET/DELETE", "/@connections/{id}", "post to, inspect or close any merchant's WebSocket"),
    ("GET/POST", "/oauth2/*", "sign in as anyone, with any role and shop (the development issuer)"),
];

/// The flag that serves them on a non-loopback address.
pub const EXPOSE_FLAG: &str = "--expose-dev-routes";

/// Whether a path is development-only. By prefix rather than by route, so that a route added
/// under `/_local/` later is guarded without anyone remembering to.
pub fn is_dev_path(path: &str) -> bool {
    ["/_local", "/@connections", "/oauth2"]
        .iter()
        .any(|prefix| path.strip_prefix(prefix).is_some_and(|rest| rest.is_empty() || rest.starts_with('/')))
}

/// The development-only routes of one `serve`: whether they are served, and for which address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DevRoutes {
    served: bool,
    listen: IpAddr,
}

impl DevRoutes {
    /// For a stack listening on `listen`: on loopback always served; elsewhere only when
    /// `expose` (the flag) says so, since they would be open to the whole network.
    pub fn new(listen: IpAddr, expose: bool) -> Self {
        Self { served: expose || listen.is_loopback(), listen }
    }

    pub fn served(&self) -> bool {
        self.served
    }

    /// Whether a Host header (or an Origin's authority) names this stack: `localhost`, a
    /// loopback address or the listen address, with any port. DNS rebinding gives a page on
    /// `evil.example` this machine's address, but its requests still say `Host: evil.example`;
    /// an IP literal or `localhost` (which browsers resolve to loopback themselves) is never a
    /// name an attacker controls.
    pub fn allows_host(&self, authority: &str) -> bool {
        let Some(host) = host_of(authority) else {
            return false;
        };
        if host.eq_ignore_ascii_case("localhost") {
            return true;
        }
        match host.parse::<IpAddr>().map(|ip| ip.to_canonical()) {
            // A wildcard listen address is every address of this machine, which cannot be
            // listed without asking the OS for its interfaces; any IP literal is as safe.
            Ok(ip) => ip.is_loopback() || ip == self.listen.to_canonical() || self.listen.is_unspecified(),
            Err(_) => false,
        }
    }

    /// The Hosts [`Self::allows_host`] accepts, in words.
    fn allowed_hosts(&self) -> String {
        let listen = match self.listen {
            ip if ip.is_loopback() => return "localhost, 127.0.0.1 or [::1] (any port)".to_owned(),
            ip if ip.is_unspecified() => "an IP address of this machine".to_owned(),
            IpAddr::V4(ip) => ip.to_string(),
            IpAddr::V6(ip) => format!("[{ip}]"),
        };
        format!("localhost, 127.0.0.1, [::1] or {listen} (any port)")
    }

    /// Why a request to a development-only route is refused, if it is: its Host (and the URI's
    /// authority, when a client sends one) must be allowed, and a browser's `Origin` too.
    fn refusal(&self, path: &str, headers: &HeaderMap, uri: &Uri) -> Option<String> {
        let host = headers.get(header::HOST).map(|value| String::from_utf8_lossy(value.as_bytes()));
        let authority = uri.authority().map(|authority| authority.as_str());
        let names = host.as_deref().into_iter().chain(authority);
        let mut present = false;
        for name in names {
            present = true;
            if !self.allows_host(name) {
                return Some(format!(
                    "Host check: {path} is a development-only route of the local stack and answers only \
                     Host {}; this request's Host is `{name}`. (A guard against DNS rebinding: a web page \
                     whose own name resolves to this machine.)",
                    self.allowed_hosts()
                ));
            }
        }
        if !present {
            return Some(format!(
                "Host check: {path} is a development-only route of the local stack and answers only \
                 Host {}; this request has no Host header.",
                self.allowed_hosts()
            ));
        }
        // A page on another site can still send a request a browser does not preflight (a
        // POST of text, say) to http://127.0.0.1:3000, whose Host then passes; browsers say
        // where it comes from in `Origin`, which curl and the AWS SDK do not send.
        let origin = headers.get(header::ORIGIN)?;
        let origin = String::from_utf8_lossy(origin.as_bytes());
        let allowed = origin.split_once("://").is_some_and(|(_, authority)| self.allows_host(authority));
        (!allowed).then(|| {
            format!(
                "Origin check: {path} is a development-only route of the local stack and answers no \
                 request from a web page of another origin; this one comes from `{origin}`."
            )
        })
    }

    /// What `serve` prints on stderr before it serves, when the listen address is not loopback.
    pub fn notice(&self, address: SocketAddr) -> Option<String> {
        if self.listen.is_loopback() {
            return None;
        }
        let mut notice = String::new();
        if self.served {
            let warn = "WARNING:";
            let _ = writeln!(
                notice,
                "{warn} bookworm-local listens on {address}, not a loopback address, with {EXPOSE_FLAG}:"
            );
            let _ = writeln!(
                notice,
                "{warn} anyone who can reach this port can use these development-only routes, which have \
                 no authentication:"
            );
            for (method, path, what) in ROUTES {
                let _ = writeln!(notice, "{warn}   {method:<15} {path:<20} {what}");
            }
            let _ = writeln!(
                notice,
                "{warn} use it only on a network you trust. They answer only Host {}.",
                self.allowed_hosts()
            );
        } else {
            let _ = writeln!(
                notice,
                "bookworm-local: listening on {address}, not a loopback address: the API is served, but the \
                 development-only routes /_local/*, /@connections/* and /oauth2/* are off (they answer 404), since \
                 they have no authentication. Pass {EXPOSE_FLAG} to serve them on this address too."
            );
        }
        Some(notice)
    }
}

/// `Host` or an authority without its port (`[::1]:3000` → `::1`); `None` when it is not one.
fn host_of(authority: &str) -> Option<&str> {
    let port_is_valid = |port: &str| port.bytes().all(|byte| byte.is_ascii_digit());
    if let Some(bracketed) = authority.strip_prefix('[') {
        let (ip, rest) = bracketed.split_once(']')?;
        return (rest.is_empty() || rest.strip_prefix(':').is_some_and(port_is_valid)).then_some(ip);
    }
    let (host, port) = authority.split_once(':').unwrap_or((authority, ""));
    // No user info (`user@host`) and no second colon: browsers send neither.
    let valid = !host.is_empty() && !host.contains('@') && port_is_valid(port);
    valid.then_some(host)
}

/// The middleware in front of every route: development-only paths pass only when served and
/// when the request passes [`DevRoutes::refusal`]'s checks; other paths always pass.
///
/// The API itself gets no Host check, on loopback either. A page that rebinds its name to
/// 127.0.0.1 can read what the deployed API also gives every origin (the catalog); everything
/// else needs a bearer token, which a browser does not attach by itself as it would a cookie.
/// And other names for this machine are legitimate there: `host.docker.internal` from a
/// container, a name in /etc/hosts, a tunnel, authorizers fetching `/.well-known/jwks.json`.
/// The WebSocket API (`/ws`) likewise wants a token before it upgrades.
pub async fn guard(State(dev): State<DevRoutes>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if !is_dev_path(path) {
        return next.run(request).await;
    }
    if !dev.served {
        let detail = format!(
            "{path} is a development-only route of the local stack, off because the stack listens on \
             {}, not a loopback address. Restart it with {EXPOSE_FLAG} to serve it there.",
            dev.listen
        );
        return crate::answers::drained(
            request.into_body(),
            crate::answers::problem(StatusCode::NOT_FOUND, &detail),
        )
        .await;
    }
    if let Some(detail) = dev.refusal(path, request.headers(), request.uri()) {
        tracing::warn!(%path, "refused a development-only request: {detail}");
        let refusal = crate::answers::problem(StatusCode::FORBIDDEN, &detail);
        return crate::answers::drained(request.into_body(), refusal).await;
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use std::net::{Ipv4Addr, Ipv6Addr};

    use super::*;

    const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
    const WILDCARD: IpAddr = IpAddr::V4(Ipv4Addr::UNSPECIFIED);

    #[test]
    fn loopback_names_and_the_listen_address_pass_other_names_do_not() {
        let lan = DevRoutes::new(IpAddr::V4(Ipv4Addr::new(192, 168, 1, 5)), true);
        for host in ["localhost", "LOCALHOST:3000", "127.0.0.1", "127.0.0.1:3000", "[::1]", "[::1]:80"] {
            assert!(lan.allows_host(host), "{host}");
        }
        assert!(lan.allows_host("192.168.1.5:3000"));
        for host in [
            "evil.example",
            "evil.example:3000",
            "localhost.evil.example",
            "192.168.1.6:3000",
            "",
            ":3000",
            "::1",
            "[::1]x",
            "127.0.0.1:3000x",
            "evil@127.0.0.1",
            "localhost:3000@evil.example",
        ] {
            assert!(!lan.allows_host(host), "{host:?}");
        }
    }

    #[test]
    fn a_wildcard_listen_address_accepts_any_ip_literal_but_no_other_name() {
        let wildcard = DevRoutes::new(WILDCARD, true);
        assert!(wildcard.allows_host("10.0.0.7:3000"));
        assert!(wildcard.allows_host("[fe80::1]:3000"));
        assert!(!wildcard.allows_host("evil.example"));
        let v6 = DevRoutes::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), true);
        assert!(v6.allows_host("10.0.0.7") && !v6.allows_host("host.docker.internal"));
        let loopback = DevRoutes::new(LOOPBACK, false);
        assert!(!loopback.allows_host("10.0.0.7:3000"), "a loopback stack is not reached by LAN address");
    }

    #[test]
    fn only_loopback_serves_them_without_the_flag() {
        assert!(DevRoutes::new(LOOPBACK, false).served());
        assert!(DevRoutes::new(IpAddr::V6(Ipv6Addr::LOCALHOST), false).served());
        assert!(!DevRoutes::new(WILDCARD, false).served());
        let notice = |dev: DevRoutes| dev.notice(SocketAddr::new(dev.listen, 3000)).unwrap_or_default();
        assert!(notice(DevRoutes::new(WILDCARD, true)).starts_with("WARNING:"));
        assert!(notice(DevRoutes::new(WILDCARD, false)).contains("are off"));
        assert_eq!(notice(DevRoutes::new(LOOPBACK, true)), "", "loopback needs no notice");
    }

    #[test]
    fn the_refusal_names_the_hosts_it_takes() {
        let lan = DevRoutes::new(IpAddr::V4(Ipv4Addr::new(192, 168, 1, 5)), true);
        assert_eq!(lan.allowed_hosts(), "localhost, 127.0.0.1, [::1] or 192.168.1.5 (any port)");
        assert_eq!(
            DevRoutes::new(LOOPBACK, false).allowed_hosts(),
            "localhost, 127.0.0.1 or [::1] (any port)"
        );
        let v6 = DevRoutes::new(IpAddr::V6(Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 5)), true);
        assert!(v6.allowed_hosts().contains("or [fd00::5]"));
    }

    #[test]
    fn dev_paths_are_matched_by_prefix_only_at_a_segment() {
        for path in ["/_local", "/_local/outbox", "/_local/anything", "/@connections/abc"] {
            assert!(is_dev_path(path), "{path}");
        }
        for path in ["/_localish", "/books", "/@connectionsx/abc", "/health", "/x/_local/outbox"] {
            assert!(!is_dev_path(path), "{path}");
        }
    }

    #[test]
    fn a_cross_site_origin_is_refused_and_a_local_one_is_not() {
        let dev = DevRoutes::new(LOOPBACK, false);
        let uri = Uri::from_static("/_local/outbox");
        let headers = |origin: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::HOST, "127.0.0.1:3000".parse().unwrap());
            if !origin.is_empty() {
                headers.insert(header::ORIGIN, origin.parse().unwrap());
            }
            headers
        };
        assert_eq!(dev.refusal("/_local/outbox", &headers(""), &uri), None);
        assert_eq!(dev.refusal("/_local/outbox", &headers("http://localhost:5173"), &uri), None);
        for origin in ["https://evil.example", "null", "http://127.0.0.1.evil.example"] {
            let refusal = dev.refusal("/_local/outbox", &headers(origin), &uri);
            assert!(refusal.is_some_and(|detail| detail.contains("Origin")), "{origin}");
        }
        let absolute = Uri::from_static("http://evil.example/_local/outbox");
        assert!(dev.refusal("/_local/outbox", &headers(""), &absolute).is_some(), "the URI's authority too");
    }
}
