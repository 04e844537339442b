//! Lambda wiring for account: nothing to build at init.

use std::convert::Infallible;

use lambda_http::{Error, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_http::tracing::init_default_subscriber();
    lambda_http::run(service_fn(|request| async move { Ok::<_, Infallible>(account::handle(request).await) }))
        .await
}
