//! The development issuer's sign-in: OpenID Connect authorization code with PKCE (S256), the
//! flow Keycloak and Cognito run for a browser app, so a page signs in locally exactly as it
//! will in production. Discovery (`/.well-known/openid-configuration`) names these endpoints.
//!
//! - `GET /oauth2/authorize`: checks the app's request, then shows a form where a developer
//!   picks who to be (user id, name, email, roles, shops; the defaults fit the page signing in);
//! - `POST /oauth2/authorize`: that pick becomes a one-time code (60 s), sent back to the app's
//!   `redirect_uri` with its `state`;
//! - `POST /oauth2/token`: the code and its PKCE `code_verifier` (or a refresh token) for an
//!   access token, an ID token and a refresh token.
//!
//! The client id is the stack's audience. Redirects go only to this stack's own origin or to a
//! loopback one. Codes and refresh tokens live in memory: after a restart an app signs in again
//! when its access token runs out. Like `scripts/token`, this signs anyone in as anyone: these
//! routes are development-only (see `dev_routes`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use askama::Template;
use aws_lc_rs::digest;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bookworm_auth::dev_issuer::TokenRequest;
use serde_json::json;

use crate::stack::Stack;

/// How long an authorization code may wait for its exchange.
const CODE_TTL: Duration = Duration::from_secs(60);
/// How long a refresh token may wait for its use: a day, so an app left open overnight signs
/// in again. Each use gives a new one, so the tokens held are those of the last day's sign-ins.
const REFRESH_TTL: Duration = Duration::from_secs(24 * 3600);
const ROLES: [&str; 4] = ["customer", "merchant", "support", "admin"];

/// The development issuer's sign-in routes (`/oauth2/authorize`, `/oauth2/token`), with the
/// codes and refresh tokens they hold.
pub fn routes(stack: Arc<Stack>) -> Router {
    let issuer = Arc::new(Issuer { stack, sign_ins: SignIns::default() });
    Router::new()
        .route("/oauth2/authorize", get(authorize_page).post(authorize_submit))
        .route("/oauth2/token", post(token))
        .with_state(issuer)
}

/// What the sign-in routes work with: the stack's issuer and settings, and the sign-ins.
struct Issuer {
    stack: Arc<Stack>,
    sign_ins: SignIns,
}

/// Codes waiting for their exchange, and refresh tokens.
#[derive(Default)]
struct SignIns {
    codes: Mutex<HashMap<String, Pending>>,
    refresh: Mutex<HashMap<String, Refresh>>,
}

struct Refresh {
    identity: Identity,
    issued: Instant,
}

impl SignIns {
    /// Remembers `token` for `identity`, forgetting the expired ones (used ones are already gone).
    fn remember_refresh(&self, token: String, identity: Identity) {
        let mut tokens = self.refresh.lock().unwrap_or_else(|p| p.into_inner());
        tokens.retain(|_, refresh| refresh.issued.elapsed() < REFRESH_TTL);
        tokens.insert(token, Refresh { identity, issued: Instant::now() });
    }

    /// The identity `token` was issued for, if it is known and not expired; it is used up.
    /// Taken out under the lock: of two requests with one refresh token, one gets tokens.
    fn take_refresh(&self, token: &str) -> Option<Identity> {
        let taken = self.refresh.lock().unwrap_or_else(|p| p.into_inner()).remove(token);
        taken.filter(|refresh| refresh.issued.elapsed() < REFRESH_TTL).map(|refresh| refresh.identity)
    }
}

struct Pending {
    request: AppRequest,
    identity: Identity,
    issued: Instant,
}

/// Who the developer chose to be.
#[derive(Debug, Clone)]
struct Identity {
    sub: String,
    name: String,
    /// Vouched for as verified, as a real issuer does once it is confirmed (chat transcripts
    /// go to it); empty for none.
    email: String,
    roles: Vec<String>,
    shops: Vec<String>,
}

/// Who the sign-in form suggests, by the page signing in (the end of its redirect path): the
/// role the page is for, and a user of it.
struct Suggestion {
    page: &'static str,
    role: &'static str,
    sub: &'static str,
    name: &'static str,
}

const SUGGESTIONS: [Suggestion; 4] = [
    Suggestion { page: "/support/", role: "support", sub: "agent-1", name: "Sam Support" },
    Suggestion { page: "/chat/", role: "customer", sub: "customer-1", name: "Cleo Customer" },
    Suggestion { page: "/admin/", role: "admin", sub: "admin-1", name: "Ada Admin" },
    // Anything else: the merchant dashboard, the first page there was.
    Suggestion { page: "", role: "merchant", sub: "merchant-1", name: "Morgan Merchant" },
];

fn suggestion(redirect_uri: &str) -> &'static Suggestion {
    let path = redirect_uri.split('?').next().unwrap_or_default();
    SUGGESTIONS.iter().find(|s| path.ends_with(s.page)).unwrap_or(&SUGGESTIONS[SUGGESTIONS.len() - 1])
}

/// What an app sends to `/oauth2/authorize`, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
struct AppRequest {
    client_id: String,
    redirect_uri: String,
    state: String,
    challenge: String,
    nonce: Option<String>,
}

#[derive(Template)]
#[template(
    ext = "html",
    source = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in — BookWorm development issuer</title>
<style>
body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem;color:#111;background:#fff}
label{display:block;margin:.75rem 0 .25rem;font-weight:600}
input[type=text],input[type=email]{width:100%;padding:.5rem;font-size:1rem;border:1px solid #555;border-radius:4px}
fieldset{border:1px solid #555;border-radius:4px;margin-top:1rem}
button{margin-top:1.25rem;padding:.6rem 1.2rem;font-size:1rem;background:#0b4f9c;color:#fff;border:0;border-radius:4px}
:focus-visible{outline:3px solid #c25e00;outline-offset:2px}
p.note{color:#333;font-size:.9rem}
</style></head>
<body><main>
<h1>Sign in to {{ client_id }}</h1>
<p class="note">Development issuer of the local stack: pick who to be. Production uses your real identity provider.</p>
<form method="post" action="/oauth2/authorize">
<input type="hidden" name="client_id" value="{{ client_id }}">
<input type="hidden" name="redirect_uri" value="{{ redirect_uri }}">
<input type="hidden" name="state" value="{{ state }}">
<input type="hidden" name="code_challenge" value="{{ challenge }}">
<input type="hidden" name="code_challenge_method" value="S256">
<input type="hidden" name="response_type" value="code">
<input type="hidden" name="nonce" value="{{ nonce }}">
<label for="sub">User id</label><input type="text" id="sub" name="sub" value="{{ suggested.sub }}" required>
<label for="name">Name</label><input type="text" id="name" name="name" value="{{ suggested.name }}">
<label for="email">Email (optional: where mail such as chat transcripts goes)</label><input type="email" id="email" name="email" value="">
<fieldset><legend>Roles</legend>
{% for role in roles %}<label><input type="checkbox" name="role" value="{{ role.name }}"{% if role.checked %} checked{% endif %}> {{ role.name }}</label>
{% endfor %}</fieldset>
<label for="shops">Shops (ids, separated by spaces or commas)</label>
<input type="text" id="shops" name="shops" value="123e4567-e89b-42d3-a456-426614174000">
<button type="submit">Sign in</button>
</form></main></body></html>"#
)]
struct SignInPage<'a> {
    client_id: &'a str,
    redirect_uri: &'a str,
    state: &'a str,
    challenge: &'a str,
    nonce: &'a str,
    suggested: &'static Suggestion,
    roles: Vec<RoleChoice>,
}

struct RoleChoice {
    name: &'static str,
    /// Ticked to start with: the role the page signing in is for.
    checked: bool,
}

async fn authorize_page(
    State(issuer): State<Arc<Issuer>>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let request = match app_request(&issuer.stack, &headers, &params) {
        Ok(request) => request,
        Err(message) => return refusal(&message),
    };
    let suggested = suggestion(&request.redirect_uri);
    let page = SignInPage {
        client_id: &request.client_id,
        redirect_uri: &request.redirect_uri,
        state: &request.state,
        challenge: &request.challenge,
        nonce: request.nonce.as_deref().unwrap_or_default(),
        suggested,
        roles: ROLES.iter().map(|&name| RoleChoice { name, checked: name == suggested.role }).collect(),
    };
    match page.render() {
        Ok(html) => Html(html).into_response(),
        Err(error) => (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response(),
    }
}

async fn authorize_submit(State(issuer): State<Arc<Issuer>>, headers: HeaderMap, body: Bytes) -> Response {
    let form = form(&body);
    let request = match app_request(&issuer.stack, &headers, &single(&form)) {
        Ok(request) => request,
        Err(message) => return refusal(&message),
    };
    let identity = match identity(&form) {
        Ok(identity) => identity,
        Err(message) => return refusal(&message),
    };
    let code = random_token();
    let location = with_query(&request.redirect_uri, &[("code", &code), ("state", &request.state)]);
    let mut codes = issuer.sign_ins.codes.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    codes.retain(|_, pending| pending.issued.elapsed() < CODE_TTL);
    codes.insert(code, Pending { request, identity, issued: Instant::now() });
    Redirect::to(&location).into_response()
}

async fn token(State(issuer): State<Arc<Issuer>>, body: Bytes) -> Response {
    let form = single(&form(&body));
    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or_default();
    let (identity, nonce) = match field("grant_type") {
        "authorization_code" if field("code").is_empty() => {
            return oauth_error("invalid_request", "code is required");
        }
        "authorization_code" => {
            let pending =
                issuer.sign_ins.codes.lock().unwrap_or_else(|p| p.into_inner()).remove(field("code"));
            let Some(pending) = pending.filter(|p| p.issued.elapsed() < CODE_TTL) else {
                return oauth_error("invalid_grant", "unknown, used or expired code");
            };
            if field("client_id") != pending.request.client_id
                || field("redirect_uri") != pending.request.redirect_uri
            {
                return oauth_error("invalid_grant", "the code was issued to another client or redirect_uri");
            }
            if !verifier_matches(field("code_verifier"), &pending.request.challenge) {
                return oauth_error("invalid_grant", "code_verifier does not match the code_challenge");
            }
            (pending.identity, pending.request.nonce)
        }
        "refresh_token" => {
            if field("client_id") != issuer.stack.auth.audience {
                return oauth_error("invalid_client", "unknown client_id");
            }
            match issuer.sign_ins.take_refresh(field("refresh_token")) {
                Some(identity) => (identity, None),
                None => {
                    return oauth_error(
                        "invalid_grant",
                        "unknown, used or expired refresh token (the stack restarted?)",
                    );
                }
            }
        }
        "" => return oauth_error("invalid_request", "grant_type is required"),
        _ => return oauth_error("unsupported_grant_type", "authorization_code or refresh_token"),
    };
    issue(&issuer, identity, nonce)
}

fn issue(issuer: &Issuer, identity: Identity, nonce: Option<String>) -> Response {
    let stack = &issuer.stack;
    let ttl = stack.auth.token_ttl;
    let request = TokenRequest {
        sub: identity.sub.clone(),
        roles: identity.roles.clone(),
        shop_ids: identity.shops.clone(),
        name: Some(identity.name.clone()).filter(|name| !name.is_empty()),
        email: Some(identity.email.clone()).filter(|email| !email.is_empty()),
        ttl_seconds: ttl,
        ..TokenRequest::default()
    };
    let access = stack.issuer.token(&stack.auth.issuer, &stack.auth.audience, &request);
    let now = bookworm_domain::clock::unix_now();
    let mut claims = json!({
        "iss": stack.auth.issuer, "aud": stack.auth.audience, "sub": identity.sub,
        "iat": now, "exp": now + ttl, "name": identity.name, "token_use": "id",
    });
    if let Some(nonce) = nonce {
        claims["nonce"] = json!(nonce);
    }
    if !identity.email.is_empty() {
        claims["email"] = json!(identity.email);
        claims["email_verified"] = json!(true);
    }
    let id = stack.issuer.sign(&claims);
    let (Ok(access), Ok(id)) = (access, id) else {
        return oauth_error("server_error", "could not sign the tokens");
    };
    let refresh = random_token();
    issuer.sign_ins.remember_refresh(refresh.clone(), identity);
    let body = json!({
        "access_token": access, "id_token": id, "refresh_token": refresh,
        "token_type": "Bearer", "expires_in": ttl, "scope": "openid",
    });
    ([(header::CACHE_CONTROL, "no-store")], axum::Json(body)).into_response()
}

/// The app's request, checked: a known client, a redirect to this stack or loopback, a state,
/// and an S256 challenge. Anything else is an error page, never a redirect (RFC 6749 4.1.2.1).
fn app_request(
    stack: &Stack,
    headers: &HeaderMap,
    params: &HashMap<String, String>,
) -> Result<AppRequest, String> {
    let field = |name: &str| params.get(name).map(String::as_str).unwrap_or_default();
    let refuse = |message: &str| Err(message.to_owned());
    if field("client_id") != stack.auth.audience {
        return refuse("unknown client_id: the local stack's is its audience (AUTH_AUDIENCE)");
    }
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or_default();
    if !redirect_allowed(field("redirect_uri"), host) {
        return refuse("redirect_uri must be an http(s) URL on this stack's origin or on loopback");
    }
    if field("response_type") != "code" {
        return refuse("response_type must be code");
    }
    if field("code_challenge_method") != "S256" || !is_verifier_shaped(field("code_challenge")) {
        return refuse(
            "PKCE is required: code_challenge (base64url SHA-256) with code_challenge_method=S256",
        );
    }
    if field("state").is_empty() || field("state").len() > 512 {
        return refuse("state is required (at most 512 characters)");
    }
    Ok(AppRequest {
        client_id: field("client_id").to_owned(),
        redirect_uri: field("redirect_uri").to_owned(),
        state: field("state").to_owned(),
        challenge: field("code_challenge").to_owned(),
        nonce: Some(field("nonce").to_owned()).filter(|nonce| !nonce.is_empty() && nonce.len() <= 512),
    })
}

fn identity(form: &[(String, String)]) -> Result<Identity, String> {
    let first = |name: &str| {
        form.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim().to_owned()).unwrap_or_default()
    };
    let sub = first("sub");
    if sub.is_empty() || sub.len() > 128 || sub.chars().any(char::is_control) {
        return Err("a user id of 1 to 128 printable characters is required".into());
    }
    let roles: Vec<String> = form.iter().filter(|(k, _)| k == "role").map(|(_, v)| v.clone()).collect();
    if roles.is_empty() || roles.iter().any(|role| !ROLES.contains(&role.as_str())) {
        return Err(format!("pick one or more roles of {}", ROLES.join(", ")));
    }
    let shops: Vec<String> =
        first("shops").split([' ', ',']).filter(|s| !s.is_empty()).map(str::to_owned).collect();
    if let Some(bad) = shops.iter().find(|shop| bookworm_domain::ids::parse_hyphenated(shop).is_none()) {
        return Err(format!("{bad} is not a shop id (a UUID)"));
    }
    let email = first("email");
    if !email.is_empty() && !is_email_shaped(&email) {
        return Err(format!("{email} is not an email address"));
    }
    Ok(Identity { sub, name: first("name").chars().take(80).collect(), email, roles, shops })
}

/// `local@domain`, printable, at most 254 characters: enough to tell a typo from an address.
fn is_email_shaped(text: &str) -> bool {
    let printable = text.len() <= 254 && !text.chars().any(|c| c.is_whitespace() || c.is_control());
    matches!(text.split_once('@'), Some((local, domain)) if !local.is_empty() && domain.contains('.') && !domain.contains('@'))
        && printable
}

/// `http(s)://` on the stack's own host (any port) or on a loopback host. Host names are
/// compared ignoring case, as DNS does (`http://LOCALHOST/` is loopback).
fn redirect_allowed(uri: &str, stack_host: &str) -> bool {
    // No fragment (RFC 6749 3.1.2): the code would land in it, out of the server's sight.
    if uri.contains('#') {
        return false;
    }
    let Ok(uri) = uri.parse::<axum::http::Uri>() else { return false };
    let (Some(scheme), Some(host)) = (uri.scheme_str(), uri.host()) else { return false };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let own = match stack_host.parse::<axum::http::uri::Authority>() {
        Ok(authority) => authority.host().trim_start_matches('[').trim_end_matches(']').to_owned(),
        Err(_) => return false,
    };
    matches!(scheme, "http" | "https")
        && (host.eq_ignore_ascii_case(&own)
            || host.eq_ignore_ascii_case("localhost")
            || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback()))
}

/// RFC 7636: 43–128 characters of the unreserved set. Challenges have the same shape.
fn is_verifier_shaped(text: &str) -> bool {
    (43..=128).contains(&text.len())
        && text.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

/// Whether `BASE64URL(SHA-256(verifier))` is the challenge.
fn verifier_matches(verifier: &str, challenge: &str) -> bool {
    is_verifier_shaped(verifier)
        && URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA256, verifier.as_bytes())) == challenge
}

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    // aws-lc's generator; it only fails if the system has no entropy at all.
    aws_lc_rs::rand::fill(&mut bytes).unwrap_or_default();
    URL_SAFE_NO_PAD.encode(bytes)
}

fn form(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body).into_owned().collect()
}

fn single(form: &[(String, String)]) -> HashMap<String, String> {
    form.iter().cloned().collect()
}

fn with_query(uri: &str, pairs: &[(&str, &str)]) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (key, value) in pairs {
        query.append_pair(key, value);
    }
    let separator = if uri.contains('?') { '&' } else { '?' };
    format!("{uri}{separator}{}", query.finish())
}

fn oauth_error(code: &str, description: &str) -> Response {
    let body = json!({ "error": code, "error_description": description });
    (StatusCode::BAD_REQUEST, [(header::CACHE_CONTROL, "no-store")], axum::Json(body)).into_response()
}

/// An error page: a request that cannot be trusted is never redirected.
fn refusal(message: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Html(format!("<!doctype html><title>Sign-in refused</title><p>{}</p>", escape(message))),
    )
        .into_response()
}

fn escape(text: &str) -> String {
    askama::filters::escape(text, askama::filters::Html).map(|s| s.to_string()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rfc_7636_example_verifier_matches_its_challenge() {
        // RFC 7636, appendix B.
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        assert!(verifier_matches(verifier, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"));
        assert!(!verifier_matches(verifier, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cN"));
        assert!(!verifier_matches("short", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"));
    }

    #[test]
    fn redirects_go_to_this_stack_or_loopback_only() {
        assert!(redirect_allowed("http://127.0.0.1:3000/merchant/", "127.0.0.1:3000"));
        assert!(redirect_allowed("http://localhost:8080/cb", "example.test:3000"));
        assert!(redirect_allowed("https://shop.test/merchant/", "shop.test"));
        assert!(!redirect_allowed("https://evil.example/steal", "127.0.0.1:3000"));
        assert!(!redirect_allowed("javascript:alert(1)", "127.0.0.1:3000"));
        assert!(!redirect_allowed("/relative", "127.0.0.1:3000"));
        assert!(!redirect_allowed("http://127.0.0.1:3000/merchant/#x", "127.0.0.1:3000"), "no fragment");
        assert!(redirect_allowed("http://[fd00::5]:3000/merchant/", "[fd00::5]:3000"), "its own IPv6 origin");
        assert!(redirect_allowed("http://LOCALHOST/", "127.0.0.1:3000"), "host names ignore case");
        assert!(redirect_allowed("https://Shop.Test/merchant/", "shop.test"));
    }

    #[test]
    fn the_form_suggests_whoever_the_page_signing_in_is_for() {
        assert_eq!(suggestion("http://127.0.0.1:3000/support/").role, "support");
        assert_eq!(suggestion("http://127.0.0.1:3000/chat/").role, "customer");
        assert_eq!(suggestion("http://127.0.0.1:3000/admin/").role, "admin");
        assert_eq!(suggestion("http://127.0.0.1:3000/merchant/").role, "merchant");
        assert_eq!(suggestion("http://localhost:8080/cb?chat/").role, "merchant", "the path, not the query");
    }

    #[test]
    fn an_email_is_optional_but_must_look_like_one() {
        let form = |email: &str| {
            [("sub", "cleo"), ("role", "customer"), ("email", email)]
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .to_vec()
        };
        assert_eq!(identity(&form("")).map(|identity| identity.email), Ok(String::new()));
        assert_eq!(identity(&form(" cleo@example.com ")).map(|i| i.email), Ok("cleo@example.com".into()));
        for bad in ["cleo", "cleo@", "@example.com", "cleo@localhost", "cl eo@example.com", "a@b@c.com"] {
            assert!(identity(&form(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn expired_refresh_tokens_are_refused_and_pruned() {
        let sign_ins = SignIns::default();
        let identity = Identity {
            sub: "ann".into(),
            name: String::new(),
            email: String::new(),
            roles: vec![],
            shops: vec![],
        };
        let Some(long_ago) = Instant::now().checked_sub(REFRESH_TTL) else { return };
        let old = |token: &str| {
            let refresh = Refresh { identity: identity.clone(), issued: long_ago };
            sign_ins.refresh.lock().unwrap().insert(token.to_owned(), refresh);
        };
        old("expired");
        assert!(sign_ins.take_refresh("expired").is_none(), "refused");
        old("forgotten");
        sign_ins.remember_refresh("fresh".into(), identity.clone());
        let held: Vec<String> = sign_ins.refresh.lock().unwrap().keys().cloned().collect();
        assert_eq!(held, ["fresh"], "the expired one was pruned");
        assert_eq!(sign_ins.take_refresh("fresh").map(|identity| identity.sub), Some("ann".into()));
        assert!(sign_ins.take_refresh("fresh").is_none(), "used up");
    }
}
