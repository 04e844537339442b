//! `GET /me`: the signed-in caller — user id, username, email, roles and shops — exactly as
//! every other function sees them, so apps can show who is signed in and what they may do.

use bookworm_http::access::caller;
use bookworm_http::{json, respond};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

pub async fn handle(request: Request) -> Response<Body> {
    let outcome = caller(&request).and_then(|principal| json(StatusCode::OK, &principal));
    respond(&request, outcome)
}
