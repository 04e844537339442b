//! The template's CORS configuration, served as API Gateway serves it for an HTTP API: it
//! answers preflight `OPTIONS` requests itself (no route, no authorizer) and adds the
//! `Access-Control-*` headers to the answers of requests from an allowed origin.

use std::time::Duration;

use axum::http::{HeaderName, HeaderValue, Method};
use tower_http::cors::{AllowHeaders, AllowMethods, AllowOrigin, CorsLayer, ExposeHeaders};

use crate::template::{Cors, TemplateError};

/// The layer for `cors`; an error for a configuration API Gateway would not deploy either.
pub fn layer(cors: &Cors) -> Result<CorsLayer, TemplateError> {
    let invalid =
        |what: &str, value: &str| TemplateError::Shape(format!("CorsConfiguration: {what} `{value}`"));
    let any = |list: &[String]| list.iter().any(|item| item == "*");
    if cors.allow_credentials
        && (any(&cors.allow_origins) || any(&cors.allow_headers) || any(&cors.allow_methods))
    {
        return Err(TemplateError::Shape("CorsConfiguration: AllowCredentials cannot go with `*`".into()));
    }
    let origins = if any(&cors.allow_origins) {
        AllowOrigin::any()
    } else {
        let origins = cors.allow_origins.iter().map(|origin| {
            HeaderValue::from_str(origin)
                .map_err(|_| invalid("an origin that is not a header value:", origin))
        });
        AllowOrigin::list(origins.collect::<Result<Vec<_>, _>>()?)
    };
    let methods = if any(&cors.allow_methods) {
        AllowMethods::any()
    } else {
        let methods = cors.allow_methods.iter().map(|method| {
            Method::from_bytes(method.as_bytes()).map_err(|_| invalid("no such method:", method))
        });
        AllowMethods::list(methods.collect::<Result<Vec<_>, _>>()?)
    };
    let names = |list: &[String]| {
        list.iter()
            .map(|name| {
                HeaderName::from_bytes(name.as_bytes()).map_err(|_| invalid("no such header name:", name))
            })
            .collect::<Result<Vec<_>, _>>()
    };
    let headers = if any(&cors.allow_headers) {
        AllowHeaders::any()
    } else {
        AllowHeaders::list(names(&cors.allow_headers)?)
    };
    let exposed = if any(&cors.expose_headers) {
        ExposeHeaders::any()
    } else {
        ExposeHeaders::list(names(&cors.expose_headers)?)
    };
    let mut layer = CorsLayer::new()
        .allow_origin(origins)
        .allow_methods(methods)
        .allow_headers(headers)
        .expose_headers(exposed)
        .allow_credentials(cors.allow_credentials);
    if let Some(seconds) = cors.max_age {
        layer = layer.max_age(Duration::from_secs(seconds));
    }
    Ok(layer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_with_a_wildcard_are_refused_as_api_gateway_refuses_them() {
        let wildcard = Cors { allow_origins: vec!["*".into()], allow_credentials: true, ..Cors::default() };
        assert!(layer(&wildcard).is_err());
        let listed = Cors { allow_origins: vec!["https://a.example".into()], ..wildcard };
        assert!(layer(&listed).is_ok());
        let bad = Cors { allow_methods: vec!["GET POST".into()], ..Cors::default() };
        assert!(layer(&bad).is_err());
    }
}
