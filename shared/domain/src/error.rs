//! One error type for the whole domain. The HTTP glue maps each variant to a status code.

use std::fmt;

/// A problem with one named input (a query parameter, a body field, a path segment).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The caller sent something invalid; every problem found is listed, not just the first.
    #[error("invalid input: {}", join(.0))]
    Invalid(Vec<FieldError>),

    /// The thing asked for does not exist (or is not visible to the caller).
    #[error("{kind} {id} not found")]
    NotFound { kind: &'static str, id: String },

    /// No valid access token: the caller must sign in (again).
    #[error("not signed in")]
    Unauthenticated,

    /// Signed in, but this caller may not do this.
    #[error("forbidden: {0}")]
    Forbidden(String),

    /// The request (its body, `field`) is larger than the `limit` in bytes anyone needs.
    #[error("{field} is larger than {limit} bytes")]
    TooLarge { field: &'static str, limit: usize },

    /// The caller did this too often; they may try again after `retry_after` seconds.
    #[error("too many requests: {detail}")]
    TooMany { detail: String, retry_after: u64 },

    /// The request is valid but clashes with the current state.
    #[error("conflict: {0}")]
    Conflict(String),

    /// A store or other dependency failed; the caller did nothing wrong.
    #[error("{context}: {source}")]
    Unavailable {
        context: &'static str,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl Error {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid(vec![FieldError::new(field, message)])
    }

    pub fn not_found(kind: &'static str, id: impl fmt::Display) -> Self {
        Self::NotFound { kind, id: id.to_string() }
    }

    pub fn unavailable(
        context: &'static str,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Self::Unavailable { context, source: source.into() }
    }
}

fn join(errors: &[FieldError]) -> String {
    errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
}

/// Collects field errors so validation reports every problem at once.
#[derive(Debug, Default)]
pub struct Problems(Vec<FieldError>);

impl Problems {
    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError::new(field, message));
    }

    /// Whether `field`, or a part of it (`field.x`, `field[0]`), has a problem already.
    pub fn has(&self, field: &str) -> bool {
        self.0.iter().any(|error| {
            error
                .field
                .strip_prefix(field)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
        })
    }

    /// Keeps the value of a successful check, records the field errors of a failed one.
    pub fn check<T>(&mut self, result: Result<T, Error>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(Error::Invalid(errors)) => {
                self.0.extend(errors);
                None
            }
            Err(other) => {
                self.add("", other.to_string());
                None
            }
        }
    }

    /// The problems as one error (a 400 naming each field), whether or not there are any.
    pub fn into_error(self) -> Error {
        Error::Invalid(self.0)
    }

    pub fn into_result(self) -> Result<(), Error> {
        if self.0.is_empty() { Ok(()) } else { Err(Error::Invalid(self.0)) }
    }
}
