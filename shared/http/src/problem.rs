//! RFC 9457 problem details: every error any function returns has this one shape.

use bookworm_domain::{Error, FieldError};
use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Response};
use schemars::JsonSchema;
use serde::Serialize;

#[derive(Debug, Serialize, JsonSchema)]
pub struct Problem {
    /// `about:blank`: the status code says what kind of problem it is.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub title: &'static str,
    pub status: u16,
    pub detail: String,
    /// For invalid input: every offending field or parameter, by name.
    // `default` changes nothing when serializing; it tells the OpenAPI schema the field may be absent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// For server-side failures: the id to quote when reporting it (it is in our logs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

impl Problem {
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Self {
            kind: "about:blank",
            title: status.canonical_reason().unwrap_or("Error"),
            status: status.as_u16(),
            detail: detail.into(),
            errors: Vec::new(),
            request_id: None,
        }
    }

    pub fn into_response(self) -> Response<Body> {
        // A Problem holds only strings and numbers, so encoding it cannot fail.
        let body = serde_json::to_string(&self).unwrap_or_default();
        let mut response = Response::new(Body::Text(body));
        *response.status_mut() =
            StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        response
    }
}

/// The one mapping from domain errors to HTTP, for every function.
pub fn problem_response(error: &Error, request_id: Option<&str>) -> Response<Body> {
    let problem = match error {
        Error::Invalid(errors) => {
            let mut problem = Problem::new(StatusCode::BAD_REQUEST, detail_for(errors));
            problem.errors = errors.clone();
            problem
        }
        Error::NotFound { kind, id } => {
            Problem::new(StatusCode::NOT_FOUND, format!("No {kind} has id {id}."))
        }
        Error::Unauthenticated => {
            let mut response =
                Problem::new(StatusCode::UNAUTHORIZED, "A valid bearer access token is required.")
                    .into_response();
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            return response;
        }
        Error::Forbidden(detail) => Problem::new(StatusCode::FORBIDDEN, detail.clone()),
        Error::Conflict(detail) => Problem::new(StatusCode::CONFLICT, detail.clone()),
        Error::TooMany { detail, retry_after } => {
            let mut response = Problem::new(StatusCode::TOO_MANY_REQUESTS, detail.clone()).into_response();
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(*retry_after));
            return response;
        }
        Error::TooLarge { field, limit } => {
            let mut problem = Problem::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("The {field} is larger than {limit} bytes."),
            );
            problem.errors = vec![FieldError::new(*field, format!("must be at most {limit} bytes"))];
            problem
        }
        Error::Unavailable { .. } => {
            // The cause goes to the log, never to the caller.
            tracing::error!(request_id, error = %error, "request failed");
            let mut problem = Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "The service could not complete the request. Try again.",
            );
            problem.request_id = request_id.map(str::to_owned);
            problem
        }
    };
    problem.into_response()
}

fn detail_for(errors: &[FieldError]) -> String {
    match errors {
        [one] => format!("Invalid {}: {}.", one.field, one.message),
        many => format!("{} inputs are invalid; see errors.", many.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(response: &Response<Body>) -> serde_json::Value {
        serde_json::from_slice(response.body().as_ref()).unwrap()
    }

    #[test]
    fn invalid_input_names_the_field() {
        let response = problem_response(&Error::invalid("limit", "must be between 1 and 100"), None);
        assert_eq!(response.status(), 400);
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/problem+json");
        let body = body(&response);
        assert_eq!(body["errors"][0]["field"], "limit");
        assert_eq!(body["detail"], "Invalid limit: must be between 1 and 100.");
    }

    #[test]
    fn failures_hide_their_cause_but_give_the_request_id() {
        let error = Error::unavailable("query the catalog", "secret table name");
        let response = problem_response(&error, Some("req-1"));
        assert_eq!(response.status(), 503);
        let text = String::from_utf8(response.body().to_vec()).unwrap();
        assert!(!text.contains("secret"), "{text}");
        assert_eq!(body(&response)["request_id"], "req-1");
    }

    #[test]
    fn each_kind_of_refusal_maps_to_its_code() {
        assert_eq!(problem_response(&Error::not_found("book", "x"), None).status(), 404);
        assert_eq!(problem_response(&Error::Conflict("busy".into()), None).status(), 409);
        assert_eq!(problem_response(&Error::Forbidden("no".into()), None).status(), 403);
        let unauthenticated = problem_response(&Error::Unauthenticated, None);
        assert_eq!(unauthenticated.status(), 401);
        assert_eq!(unauthenticated.headers()[header::WWW_AUTHENTICATE], "Bearer");
        let capped = problem_response(&Error::TooMany { detail: "enough".into(), retry_after: 90 }, None);
        assert_eq!(capped.status(), 429);
        assert_eq!(capped.headers()[header::RETRY_AFTER], "90");
        assert_eq!(capped.headers()[header::CONTENT_TYPE], "application/problem+json");
    }
}
