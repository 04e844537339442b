//! Answers the stack makes itself (refusals, problem+json), as axum responses.

use axum::body::{Body as AxumBody, to_bytes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response as AxumResponse;
use bookworm_http::Problem;
use lambda_http::{Body, Response};

/// What an early answer reads of a body it does not need, so the connection stays usable.
const DRAIN_BYTES: usize = 64 * 1024;

/// `response`, sent after reading what is left of the request's body. Answering before the
/// body is read leaves it in the connection: the server then drops the connection, and a
/// client that already sent its next request on it sees it closed without an answer. A body
/// too long to drain is not read: the answer says `Connection: close` instead.
pub(crate) async fn drained(body: AxumBody, mut response: AxumResponse) -> AxumResponse {
    if to_bytes(body, DRAIN_BYTES).await.is_err() {
        response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// A function's answer as axum sends it.
pub(crate) fn to_axum(response: Response<Body>) -> AxumResponse {
    let (parts, body) = response.into_parts();
    let body = match body {
        Body::Empty => AxumBody::empty(),
        Body::Text(text) => AxumBody::from(text),
        Body::Binary(bytes) => AxumBody::from(bytes),
        _ => AxumBody::empty(),
    };
    AxumResponse::from_parts(parts, body)
}

/// A problem+json answer.
pub(crate) fn problem(status: StatusCode, detail: &str) -> AxumResponse {
    to_axum(Problem::new(status, detail).into_response())
}
