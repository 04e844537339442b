//! Strict query parameters: an unknown or repeated parameter is an error naming it, so a
//! typo (`?sotr=price`) is reported instead of silently ignored.

use std::collections::HashMap;

use bookworm_domain::error::Problems;
use bookworm_domain::query::{MAX_PAGE_SIZE, PageSize};
use bookworm_domain::{Error, Money};
use lambda_http::Request;

/// The query string of a request, checked against the parameters a route accepts.
#[derive(Debug, Default)]
pub struct QueryParams {
    values: HashMap<String, String>,
}

impl QueryParams {
    /// Parses the request's query string. It is read from the URI, which lambda_http fills from
    /// API Gateway's `rawQueryString`, so repeated parameters are seen (the pre-parsed map joins
    /// them with commas).
    pub fn parse(request: &Request, accepted: &[&str]) -> Result<Self, Error> {
        Self::from_query(request.uri().query().unwrap_or(""), accepted)
    }

    pub fn from_query(query: &str, accepted: &[&str]) -> Result<Self, Error> {
        let mut values = HashMap::new();
        let mut problems = Problems::default();
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            if !accepted.contains(&name.as_ref()) {
                problems.add(
                    name.as_ref(),
                    format!("is not a parameter here; accepted: {}", accepted.join(", ")),
                );
            } else if values.insert(name.to_string(), value.into_owned()).is_some() {
                problems.add(name.as_ref(), "must be given at most once");
            }
        }
        problems.into_result()?;
        Ok(Self { values })
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// The `limit` parameter, a page size from 1 to 100, when present.
    pub fn page_size(&self) -> Result<Option<PageSize>, Error> {
        self.parse_with("limit", |text| {
            let size =
                text.parse().map_err(|_| format!("must be a whole number from 1 to {MAX_PAGE_SIZE}"))?;
            PageSize::new(size).map_err(|_| format!("must be from 1 to {MAX_PAGE_SIZE}"))
        })
    }

    /// An id parameter when present, parsed by its type's `parse` (which names the field).
    pub fn id<T>(&self, name: &str, parse: fn(&str, &str) -> Result<T, Error>) -> Result<Option<T>, Error> {
        self.get(name).map(|text| parse(name, text)).transpose()
    }

    /// An amount parameter (`9.99`) when present.
    pub fn money(&self, name: &str) -> Result<Option<Money>, Error> {
        self.parse_with(name, |text| text.parse::<Money>().map_err(|e| e.to_string()))
    }

    /// Parses a parameter when present; `parse` names the problem, this adds the field.
    pub fn parse_with<T>(
        &self,
        name: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<Option<T>, Error> {
        self.get(name).map(|text| parse(text).map_err(|message| Error::invalid(name, message))).transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(error: Error) -> Vec<String> {
        match error {
            Error::Invalid(errors) => errors.into_iter().map(|e| e.field).collect(),
            other => panic!("{other}"),
        }
    }

    #[test]
    fn decodes_accepted_parameters() {
        let params = QueryParams::from_query("q=moby%20dick&limit=7", &["q", "limit"]).unwrap();
        assert_eq!(params.get("q"), Some("moby dick"));
        assert_eq!(
            params.parse_with("limit", |t| t.parse::<u32>().map_err(|e| e.to_string())).unwrap(),
            Some(7)
        );
        assert_eq!(params.get("cursor"), None);
    }

    #[test]
    fn unknown_and_repeated_parameters_are_named() {
        assert_eq!(fields(QueryParams::from_query("sotr=price", &["sort"]).unwrap_err()), ["sotr"]);
        assert_eq!(fields(QueryParams::from_query("sort=a&sort=b", &["sort"]).unwrap_err()), ["sort"]);
    }
}
