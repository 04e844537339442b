//! Strict JSON request bodies: a problem names the offending field, never a 5xx.

use bookworm_domain::error::Problems;
use bookworm_domain::{Error, FieldError};
use lambda_http::Request;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// The largest JSON body any route takes: a support message of 4,000 characters is under 49 KB
/// even when every one is a four-byte character sent as two `\u` escapes (12 bytes).
/// Larger ones are refused before they are parsed (413), so a hostile size costs nothing.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Parses the request body as JSON into `T`. Bad JSON, a wrong type, an unknown or missing
/// field: each is a 400 naming the field (`body` when the JSON itself is broken); a body over
/// [`MAX_BODY_BYTES`] is a 413.
pub fn json_body<T: DeserializeOwned>(request: &Request) -> Result<T, Error> {
    parse(checked_bytes(request)?)
}

/// Like [`json_body`], but a field whose value does not fit does not end the reading: each is
/// reported, and `T` is read without it (so its fields should be `Option`s or defaulted), for
/// the caller to add its own rules' problems to. serde alone stops at the first.
pub fn json_body_with_problems<T: DeserializeOwned>(request: &Request) -> Result<(T, Problems), Error> {
    let mut object: Map<String, Value> = parse(checked_bytes(request)?)?;
    let mut problems = Problems::default();
    loop {
        let error = match serde_path_to_error::deserialize(Value::Object(object.clone())) {
            Ok(value) => return Ok((value, problems)),
            Err(error) => error,
        };
        let path = error.path().to_string();
        let found = field_error(error);
        // The top-level field it is in; a missing one cannot be taken out: report what we have.
        let key = path.split(['.', '[']).next().filter(|key| !key.is_empty()).unwrap_or(&found.field);
        let taken_out = object.remove(key).is_some();
        problems.add(found.field, found.message);
        if !taken_out {
            return Err(problems.into_error());
        }
    }
}

/// The body, if it is not too large and is sent as JSON.
fn checked_bytes(request: &Request) -> Result<&[u8], Error> {
    if request.body().len() > MAX_BODY_BYTES {
        return Err(Error::TooLarge { field: "body", limit: MAX_BODY_BYTES });
    }
    if let Some(content_type) = request.headers().get("content-type") {
        let content_type = content_type.to_str().unwrap_or_default().to_ascii_lowercase();
        if !content_type.starts_with("application/json") && !content_type.contains("+json") {
            return Err(Error::invalid("body", "must be JSON sent as Content-Type: application/json"));
        }
    }
    Ok(request.body().as_ref())
}

/// Every body a route takes is a JSON object. serde would also fill a struct from an array of
/// its fields in order (`[4, "title", "text"]`), a form no client is meant to send: refused.
fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    match bytes.iter().find(|byte| !byte.is_ascii_whitespace()) {
        None => return Err(Error::invalid("body", "is required: a JSON object")),
        Some(b'{') => {}
        Some(_) if serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_err() => {
            return Err(Error::invalid("body", "is not valid JSON"));
        }
        Some(_) => return Err(Error::invalid("body", "must be a JSON object")),
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer)
        .map_err(|error| Error::Invalid(vec![field_error(error)]))?;
    deserializer.end().map_err(|_| Error::invalid("body", "has trailing characters after the JSON value"))?;
    Ok(value)
}

/// A serde error as a problem naming its field.
fn field_error(error: serde_path_to_error::Error<serde_json::Error>) -> FieldError {
    let path = error.path().to_string();
    let inner = error.into_inner();
    if inner.is_syntax() || inner.is_eof() {
        return FieldError::new("body", "is not valid JSON");
    }
    let message = strip_position(&inner.to_string());
    // Serde reports a missing or unknown field at the enclosing object; name the field.
    let named = backticked(&message)
        .filter(|_| message.starts_with("missing field") || message.starts_with("unknown field"));
    let field = match (named, path.as_str()) {
        // An unknown field's path already ends with its name.
        (Some(name), path) if path == name || path.ends_with(&format!(".{name}")) => path.to_owned(),
        (Some(name), "." | "") => name.to_owned(),
        (Some(name), parent) => format!("{parent}.{name}"),
        (None, "." | "") => "body".to_owned(),
        (None, path) => path.to_owned(),
    };
    let message = match named {
        Some(_) if message.starts_with("missing field") => "is required".to_owned(),
        Some(_) => "is not a field here".to_owned(),
        None => message,
    };
    FieldError::new(field, message)
}

/// serde_json appends " at line L column C"; the field name says more to an API client.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

fn backticked(message: &str) -> Option<&str> {
    let start = message.find('`')? + 1;
    let end = start + message[start..].find('`')?;
    Some(&message[start..end])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Input {
        name: String,
        count: u8,
        tags: Option<Vec<String>>,
    }

    fn field(body: &str) -> (String, String) {
        match parse::<Input>(body.as_bytes()) {
            Err(Error::Invalid(errors)) => (errors[0].field.clone(), errors[0].message.clone()),
            other => panic!("{body}: {other:?}"),
        }
    }

    #[test]
    fn names_the_field_of_every_kind_of_mistake() {
        assert_eq!(field(r#"{"name": "a"}"#), ("count".into(), "is required".into()));
        assert_eq!(
            field(r#"{"name": "a", "count": 1, "colour": 2}"#),
            ("colour".into(), "is not a field here".into())
        );
        assert_eq!(field(r#"{"name": 5, "count": 1}"#).0, "name");
        assert_eq!(field(r#"{"name": "a", "count": 300}"#).0, "count");
        assert_eq!(field(r#"{"name": "a", "count": 1, "tags": [1]}"#).0, "tags[0]");
        assert_eq!(field(r#"{"name": "a", "#), ("body".into(), "is not valid JSON".into()));
        assert_eq!(field("  ").0, "body");
        assert_eq!(field(r#"{"name": "a", "count": 1} x"#).0, "body");
        assert!(parse::<Input>(br#"{"name": "a", "count": 1}"#).is_ok());
    }

    #[test]
    fn only_an_object_is_a_body() {
        assert_eq!(
            field(r#"["a", 1]"#),
            ("body".into(), "must be a JSON object".into()),
            "serde's sequence form"
        );
        assert_eq!(field(r#" [1]"#), ("body".into(), "must be a JSON object".into()));
        assert_eq!(field(r#""a""#), ("body".into(), "must be a JSON object".into()));
        assert_eq!(field("null"), ("body".into(), "must be a JSON object".into()));
        assert_eq!(field("[1,"), ("body".into(), "is not valid JSON".into()));
    }

    /// JSON Schema's `integer` is any number with a zero fraction: fields documented as
    /// integers take `4.0` as 4, and refuse `4.5` with a problem naming the field.
    #[test]
    fn integral_numbers_are_integers_and_fractions_name_their_field() {
        use bookworm_domain::publish::CheckoutAction;
        use bookworm_domain::reviews::ReviewInput;
        for body in [r#"{"rating": 4.0}"#, r#"{"rating": 4e0}"#, r#"{"rating": 4}"#] {
            let review = parse::<ReviewInput>(body.as_bytes()).unwrap().validate().unwrap();
            assert_eq!(review.rating, 4, "{body}");
        }
        for (body, message) in [
            (r#"{"rating": 4.5}"#, "floating point `4.5`"),
            (r#"{"rating": 256}"#, "integer `256`"),
            (r#"{"rating": "4"}"#, "string \"4\""),
        ] {
            let Err(Error::Invalid(errors)) = parse::<ReviewInput>(body.as_bytes()) else { panic!("{body}") };
            assert_eq!(errors[0].field, "rating", "{body}");
            assert!(errors[0].message.contains(message), "{body}: {}", errors[0].message);
            assert!(errors[0].message.contains("a whole number"), "{body}: {}", errors[0].message);
        }
        let Err(Error::Invalid(errors)) = parse::<ReviewInput>(br#"{"title": "t"}"#) else { panic!() };
        assert_eq!((errors[0].field.as_str(), errors[0].message.as_str()), ("rating", "is required"));

        let action = |action_id: &str| {
            format!(
                r#"{{"session_id": "123e4567-e89b-42d3-a456-426614174000",
                    "shop_id": "123e4567-e89b-42d3-a456-426614174000",
                    "shopper_id": "123e4567-e89b-42d3-a456-426614174000", "action_id": {action_id},
                    "create_time": "2023-12-18T10:30:00.000Z", "action": "ADD", "product_name": "Emma",
                    "product_id": 7.0, "product_price": 9.99, "UPC": "123", "category_id": "c",
                    "basket_total": 9.99}}"#
            )
        };
        assert_eq!(parse::<CheckoutAction>(action("12.0").as_bytes()).unwrap().action_id, 12);
        let Err(Error::Invalid(errors)) = parse::<CheckoutAction>(action("12.5").as_bytes()) else {
            panic!()
        };
        assert_eq!(errors[0].field, "action_id");
    }
}
