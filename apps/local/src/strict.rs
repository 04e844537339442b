//! Requests API Gateway refuses before any route sees them, refused here too, in front of
//! every route: a request line and headers over 10 KB (431), and more than one `Host` or
//! `Origin` (400), which would let a check read one value and the application another.

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderName, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use bookworm_domain::FieldError;
use bookworm_http::Problem;

/// API Gateway's limit on a request line and its headers together.
pub const MAX_HEAD_BYTES: usize = 10 * 1024;

/// The headers a request may carry once at most.
const SINGLE: [HeaderName; 2] = [header::HOST, header::ORIGIN];

pub async fn guard(request: Request, next: Next) -> Response {
    match refusal(&request) {
        Some(problem) => {
            crate::answers::drained(request.into_body(), crate::answers::to_axum(problem.into_response()))
                .await
        }
        None => next.run(request).await,
    }
}

fn refusal(request: &Request) -> Option<Problem> {
    let head = head_bytes(request);
    if head > MAX_HEAD_BYTES {
        let detail =
            format!("The request line and headers are {head} bytes; at most {MAX_HEAD_BYTES} are accepted.");
        let mut problem = Problem::new(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, detail);
        problem.errors = vec![FieldError::new("headers", format!("must be at most {MAX_HEAD_BYTES} bytes"))];
        return Some(problem);
    }
    let repeated = SINGLE.iter().find(|name| request.headers().get_all(*name).iter().nth(1).is_some())?;
    let mut problem =
        Problem::new(StatusCode::BAD_REQUEST, format!("The request has more than one {repeated} header."));
    problem.errors = vec![FieldError::new(repeated.as_str(), "must be given once")];
    Some(problem)
}

/// The request's size on the wire as HTTP/1.1 sends it: `METHOD target HTTP/1.1` and one
/// `name: value` line per header.
fn head_bytes(request: &Request) -> usize {
    let uri = request.uri();
    let target = uri.authority().map_or(0, |a| a.as_str().len())
        + uri.path_and_query().map_or(1, |p| p.as_str().len());
    request.method().as_str().len() + 1 + target + " HTTP/1.1\r\n".len() + headers_bytes(request.headers())
}

fn headers_bytes(headers: &HeaderMap) -> usize {
    headers.iter().map(|(name, value)| name.as_str().len() + ": ".len() + value.len() + "\r\n".len()).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(headers: &[(&str, &str)]) -> Request {
        let mut builder = Request::builder().uri("/books?limit=5");
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(axum::body::Body::empty()).unwrap()
    }

    #[test]
    fn the_head_is_measured_as_sent() {
        let sent = "GET /books?limit=5 HTTP/1.1\r\nhost: a\r\nx-pad: bb\r\n";
        assert_eq!(head_bytes(&request(&[("host", "a"), ("x-pad", "bb")])), sent.len());
    }

    #[test]
    fn one_host_and_one_origin_pass_two_of_either_do_not() {
        assert!(refusal(&request(&[("host", "a"), ("origin", "http://a")])).is_none());
        let two_hosts = refusal(&request(&[("host", "a"), ("host", "b")])).unwrap();
        assert_eq!((two_hosts.status, two_hosts.errors[0].field.as_str()), (400, "host"));
        let two_origins = refusal(&request(&[("origin", "http://a"), ("origin", "http://b")])).unwrap();
        assert_eq!(two_origins.errors[0].field, "origin");
    }

    #[test]
    fn a_head_over_10_kb_is_431() {
        let pad = "x".repeat(MAX_HEAD_BYTES);
        assert_eq!(refusal(&request(&[("x-pad", &pad)])).map(|p| p.status), Some(431));
        assert!(refusal(&request(&[("x-pad", &pad[..MAX_HEAD_BYTES - 100])])).is_none());
    }
}
