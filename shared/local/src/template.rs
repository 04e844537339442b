//! Reads the HTTP routes out of template.yaml, so the local stack serves exactly the API
//! that `sam deploy` creates.

use serde_yaml_ng::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// Upper-case HTTP method, as in the template (`GET`).
    pub method: String,
    /// API Gateway path template (`/books/{id}`).
    pub path: String,
    /// The function's binary name (`Metadata.BuildProperties.Binary`), e.g. `catalog-books`.
    pub function: String,
    /// The function's logical id in the template, e.g. `CatalogBooksFunction`.
    pub logical_id: String,
    /// The authorizer API Gateway runs first (`Auth.Authorizer`), if any.
    pub authorizer: Option<String>,
}

/// The route keys of the template's WebSocket API (`AWS::ApiGatewayV2::Route`), e.g. `ping`.
pub fn websocket_routes(template: &str) -> Result<Vec<String>, TemplateError> {
    let root: Value = serde_yaml_ng::from_str(template)?;
    let resources = root.get("Resources").and_then(Value::as_mapping);
    Ok(resources
        .into_iter()
        .flat_map(|resources| resources.values())
        .filter(|resource| resource.get("Type").and_then(Value::as_str) == Some("AWS::ApiGatewayV2::Route"))
        .filter_map(|route| route.get("Properties")?.get("RouteKey")?.as_str().map(str::to_owned))
        .collect())
}

/// How long API Gateway caches the HTTP API authorizer's verdict (`ReauthorizeEvery` of the
/// first `AWS::Serverless::HttpApi` authorizer), in seconds; none given is SAM's default, 300.
pub fn authorizer_ttl(template: &str) -> Result<u64, TemplateError> {
    let root: Value = serde_yaml_ng::from_str(template)?;
    let resources = root.get("Resources").and_then(Value::as_mapping);
    let authorizer = resources
        .into_iter()
        .flat_map(|resources| resources.values())
        .filter(|resource| resource.get("Type").and_then(Value::as_str) == Some("AWS::Serverless::HttpApi"))
        .filter_map(|api| api.get("Properties")?.get("Auth")?.get("Authorizers")?.as_mapping())
        .flat_map(|authorizers| authorizers.values())
        .next();
    Ok(authorizer.and_then(|a| a.get("Identity")?.get("ReauthorizeEvery")?.as_u64()).unwrap_or(300))
}

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("template.yaml is not valid YAML: {0}")]
    Yaml(#[from] serde_yaml_ng::Error),
    #[error("template.yaml: {0}")]
    Shape(String),
}

/// Every `HttpApi` event of every `AWS::Serverless::Function`, in template order.
pub fn http_routes(template: &str) -> Result<Vec<Route>, TemplateError> {
    let root: Value = serde_yaml_ng::from_str(template)?;
    let resources = root
        .get("Resources")
        .and_then(Value::as_mapping)
        .ok_or_else(|| TemplateError::Shape("has no Resources".into()))?;
    let mut routes = Vec::new();
    for (logical_id, resource) in resources {
        if resource.get("Type").and_then(Value::as_str) != Some("AWS::Serverless::Function") {
            continue;
        }
        let logical_id = logical_id.as_str().unwrap_or_default().to_owned();
        let events = resource.get("Properties").and_then(|p| p.get("Events")).and_then(Value::as_mapping);
        for event in events.into_iter().flat_map(|events| events.values()) {
            if event.get("Type").and_then(Value::as_str) != Some("HttpApi") {
                continue;
            }
            let property = |name: &str| {
                event.get("Properties").and_then(|p| p.get(name)).and_then(Value::as_str).map(str::to_owned)
            };
            let missing =
                |what: &str| TemplateError::Shape(format!("{logical_id}: an HttpApi event has no {what}"));
            let function = resource
                .get("Metadata")
                .and_then(|m| m.get("BuildProperties"))
                .and_then(|b| b.get("Binary"))
                .and_then(Value::as_str)
                .ok_or_else(|| missing("Metadata.BuildProperties.Binary on its function"))?;
            routes.push(Route {
                method: property("Method").ok_or_else(|| missing("Method"))?.to_uppercase(),
                path: property("Path").ok_or_else(|| missing("Path"))?,
                function: function.to_owned(),
                logical_id: logical_id.clone(),
                authorizer: event
                    .get("Properties")
                    .and_then(|p| p.get("Auth"))
                    .and_then(|a| a.get("Authorizer"))
                    .and_then(Value::as_str)
                    .filter(|name| *name != "NONE")
                    .map(str::to_owned),
            });
        }
    }
    Ok(routes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_repository_template() {
        let routes = http_routes(include_str!("../../../template.yaml")).unwrap();
        let find = |method: &str, path: &str| routes.iter().find(|r| r.method == method && r.path == path);
        let get_book = find("GET", "/books/{id}").expect("GET /books/{id} is declared");
        assert_eq!(get_book.function, "catalog-books");
        assert_eq!(get_book.logical_id, "CatalogBooksFunction");
        assert_eq!(find("GET", "/authors").map(|r| r.function.as_str()), Some("catalog-lookups"));
        assert_eq!(get_book.authorizer, None);
        let create = find("POST", "/books").expect("POST /books is declared");
        assert_eq!(create.authorizer.as_deref(), Some("BearerAuthorizer"));
    }

    /// The template and the access rules must agree: a public route has no authorizer, every
    /// other route has one, and no route lacks a rule.
    #[test]
    fn reads_the_authorizer_cache_time() {
        assert_eq!(authorizer_ttl(include_str!("../../../template.yaml")).unwrap(), 60);
        assert_eq!(authorizer_ttl("Resources: {}").unwrap(), 300, "SAM's default");
    }

    #[test]
    fn every_route_has_a_rule_and_the_authorizer_it_needs() {
        use bookworm_http::access::{Access, rule};
        for route in http_routes(include_str!("../../../template.yaml")).unwrap() {
            let key = format!("{} {}", route.method, route.path);
            let access = rule(&key).unwrap_or_else(|| panic!("{key} has no access rule"));
            assert_eq!(
                access == Access::Public,
                route.authorizer.is_none(),
                "{key}: {access:?} / {:?}",
                route.authorizer
            );
        }
    }

    #[test]
    fn a_route_without_a_binary_is_an_error() {
        let template = "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      Events:\n        E:\n          Type: HttpApi\n          Properties: { Path: /x, Method: get }\n";
        let error = http_routes(template).unwrap_err().to_string();
        assert!(error.contains("Binary"), "{error}");
    }
}
