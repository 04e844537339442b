//! Every function's entry point, so each `main.rs` says only what it builds at init and which
//! handler answers: [`init`] first, then [`serve`] (API Gateway requests) or [`serve_events`]
//! (any other Lambda event), each invocation metered (`bookworm_metrics`).

use std::convert::Infallible;
use std::sync::Arc;

use lambda_http::lambda_runtime::{self, LambdaEvent};
use lambda_http::{Body, Request, Response, service_fn};
use serde::Serialize;
use serde::de::DeserializeOwned;

pub use lambda_http::Error;

/// Notes the process start (for `InitDuration`) and sets up logs and metrics: first thing in
/// `main`, before the function reads its settings and builds its clients.
pub fn init() {
    bookworm_metrics::init(Arc::new(bookworm_metrics::Stdout), true);
    lambda_http::tracing::init_default_subscriber();
}

/// Answers API Gateway requests with `handle`, each a metered invocation of `function`.
pub async fn serve<F, Fut>(function: &'static str, handle: F) -> Result<(), Error>
where
    F: Fn(Request) -> Fut + Sync,
    Fut: Future<Output = Response<Body>> + Send,
{
    let handle = &handle;
    lambda_http::run(service_fn(move |request| async move {
        Ok::<_, Infallible>(crate::metered(function, request, handle).await)
    }))
    .await
}

/// Answers Lambda events of type `E` with `handle`, each a metered invocation of `function`
/// carrying its request and trace ids. An error fails the invocation (Lambda retries it or
/// hands it to the function's destination, as configured).
pub async fn serve_events<E, R, F, Fut>(function: &'static str, handle: F) -> Result<(), Error>
where
    E: DeserializeOwned,
    R: Serialize,
    F: Fn(LambdaEvent<E>) -> Fut + Sync,
    Fut: Future<Output = Result<R, Error>> + Send,
{
    let handle = &handle;
    lambda_runtime::run(lambda_runtime::service_fn(move |event: LambdaEvent<E>| {
        let (request_id, trace_id) = (event.context.request_id.clone(), event.context.xray_trace_id.clone());
        bookworm_metrics::invocation(function, request_id, trace_id, handle(event))
    }))
    .await
}
