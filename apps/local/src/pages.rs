//! The browser pages, their files compiled into the binary: the merchant dashboard at
//! `/merchant/`, the support console at `/support/`, the customers' chat at `/chat/` and the
//! back office at `/admin/`, each
//! with a `config.json` naming this stack's API, WebSocket API and development issuer, and the
//! modules and styles they share at `/common/`. Deployed elsewhere, the same folders
//! (`apps/local/pages/`) are served with a config.json naming the real API and identity
//! provider (docs/real-time.md, "The merchant dashboard").

use axum::Router;
use axum::extract::{Request, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

/// A folder of `apps/local/pages/`: where it is served, and its files (the first is its index).
struct Folder {
    name: &'static str,
    files: &'static [(&'static str, &'static str)],
    /// Whether it is a page (an index, a redirect to it and a config.json) or modules for pages.
    page: bool,
}

macro_rules! files {
    ($folder:literal: $($file:literal),+) => {
        &[$(($file, include_str!(concat!("../pages/", $folder, "/", $file)))),+]
    };
}

const FOLDERS: [Folder; 5] = [
    Folder { name: "merchant", files: files!("merchant": "index.html", "app.js", "style.css"), page: true },
    Folder { name: "support", files: files!("support": "index.html", "app.js"), page: true },
    Folder { name: "chat", files: files!("chat": "index.html", "app.js"), page: true },
    Folder {
        name: "admin",
        files: files!(
            "admin": "index.html", "app.js", "style.css", "forms.js", "readers.js", "chart.js", "overview.js",
            "catalog.js", "names.js", "orders.js", "customers.js", "reviews.js"
        ),
        page: true,
    },
    Folder {
        name: "common",
        files: files!("common": "session.js", "live.js", "conversation.js", "dom.js", "base.css", "chat.css"),
        page: false,
    },
];

/// Scripts, styles and connections from this origin only (`'self'` covers its WebSocket).
const POLICY: &str = "default-src 'self'; img-src 'self' data:; \
                      frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// Every folder's files; `client_id` is the identity provider's id for the pages (the stack's
/// audience).
pub fn routes(client_id: String) -> Router {
    let mut router = Router::new();
    for folder in &FOLDERS {
        let name = folder.name;
        for &(file, body) in folder.files {
            let kind = content_type(file);
            router = router.route(&format!("/{name}/{file}"), get(move || async move { served(kind, body) }));
        }
        if folder.page {
            let index = folder.files[0].1;
            router = router
                .route(
                    &format!("/{name}"),
                    get(move || async move { Redirect::permanent(&format!("/{name}/")) }),
                )
                .route(
                    &format!("/{name}/"),
                    get(move || async move { served("text/html; charset=utf-8", index) }),
                )
                .route(&format!("/{name}/config.json"), get(config).with_state(client_id.clone()));
        }
    }
    router
}

fn content_type(file: &str) -> &'static str {
    match file.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn served(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
            (header::CONTENT_SECURITY_POLICY, POLICY),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        body,
    )
        .into_response()
}

/// A page's settings, for the origin the browser reached this stack at.
async fn config(State(client_id): State<String>, request: Request) -> Response {
    let host = request.headers().get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("127.0.0.1:3000");
    let body = serde_json::json!({
        "api_url": format!("http://{host}"),
        "websocket_url": format!("ws://{host}/ws"),
        "authorization_endpoint": format!("http://{host}/oauth2/authorize"),
        "token_endpoint": format!("http://{host}/oauth2/token"),
        "client_id": client_id,
        "scope": "openid",
    });
    ([(header::CACHE_CONTROL, "no-cache")], axum::Json(body)).into_response()
}

#[cfg(test)]
mod tests {
    use axum::body::{Body, to_bytes};
    use axum::http::{Request, StatusCode};
    use tower::ServiceExt;

    use super::*;

    async fn get(path: &str) -> (StatusCode, axum::http::HeaderMap, String) {
        let request = Request::get(path).header(header::HOST, "127.0.0.1:4000").body(Body::empty()).unwrap();
        let response = routes("bookworm-local".into()).oneshot(request).await.unwrap();
        let (parts, body) = response.into_parts();
        let body = to_bytes(body, usize::MAX).await.unwrap();
        (parts.status, parts.headers, String::from_utf8_lossy(&body).into_owned())
    }

    /// What a file loads: `src="…"` and `href="…"` in pages, `from "…"` in modules.
    fn references(text: &str) -> Vec<&str> {
        ["src=\"", "href=\"", "from \""]
            .iter()
            .flat_map(|opening| text.split(opening).skip(1).filter_map(|rest| rest.split('"').next()))
            .collect()
    }

    /// `reference` as seen from a file of `folder`: `../other/file` or `file`.
    fn resolve(folder: &str, reference: &str) -> String {
        match reference.strip_prefix("../") {
            Some(elsewhere) => format!("/{elsewhere}"),
            None => format!("/{folder}/{}", reference.trim_start_matches("./")),
        }
    }

    #[tokio::test]
    async fn every_file_a_page_loads_is_served_under_the_policy() {
        let mut checked = 0;
        for folder in &FOLDERS {
            for &(_, text) in folder.files {
                for reference in references(text) {
                    let path = resolve(folder.name, reference);
                    let (status, headers, _) = get(&path).await;
                    assert_eq!(status, StatusCode::OK, "{path}, loaded by {}", folder.name);
                    assert_eq!(headers[header::CONTENT_SECURITY_POLICY], POLICY, "{path}");
                    assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{path}");
                    checked += 1;
                }
            }
        }
        assert!(checked >= 12, "pages load their scripts and styles ({checked} checked)");
    }

    #[tokio::test]
    async fn each_page_has_an_index_a_redirect_to_it_and_its_settings() {
        for page in ["merchant", "support", "chat", "admin"] {
            let (status, headers, body) = get(&format!("/{page}/")).await;
            assert_eq!(status, StatusCode::OK, "{page}");
            assert_eq!(headers[header::CONTENT_TYPE], "text/html; charset=utf-8");
            assert!(body.contains(r#"<script type="module" src="app.js">"#), "{page}");
            let (status, headers, _) = get(&format!("/{page}")).await;
            assert_eq!(status, StatusCode::PERMANENT_REDIRECT, "{page}");
            assert_eq!(headers[header::LOCATION], format!("/{page}/").as_str());
            let (_, _, config) = get(&format!("/{page}/config.json")).await;
            let config: serde_json::Value = serde_json::from_str(&config).unwrap();
            assert_eq!(config["client_id"], "bookworm-local");
            assert_eq!(config["websocket_url"], "ws://127.0.0.1:4000/ws", "the origin the browser reached");
        }
        assert_eq!(get("/common/config.json").await.0, StatusCode::NOT_FOUND, "modules are no page");
        assert_eq!(get("/common/").await.0, StatusCode::NOT_FOUND);
    }
}
