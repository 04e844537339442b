//! Reads what the local stack serves out of template.yaml (HTTP routes, WebSocket routes, the
//! authorizer's cache time, the HTTP API's CORS configuration, the SNS subscriptions' filters),
//! so it serves exactly the API that `sam deploy` creates. The template is parsed once, at start.

use serde_yaml_ng::{Mapping, Value};

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

/// Which events an SNS subscription delivers: the `type` message attribute's values in its
/// `FilterPolicy`, each exact or a `prefix`. The only shape the template uses; any other is
/// refused at start rather than delivered differently from SNS.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TypeFilter {
    pub exact: Vec<String>,
    pub prefixes: Vec<String>,
}

impl TypeFilter {
    pub fn accepts(&self, kind: &str) -> bool {
        self.exact.iter().any(|exact| exact == kind)
            || self.prefixes.iter().any(|prefix| kind.starts_with(prefix))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("template.yaml is not valid YAML: {0}")]
    Yaml(#[from] serde_yaml_ng::Error),
    #[error("template.yaml: {0}")]
    Shape(String),
}

/// The HTTP API's `CorsConfiguration`, with parameters replaced by their defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cors {
    pub allow_origins: Vec<String>,
    pub allow_methods: Vec<String>,
    pub allow_headers: Vec<String>,
    pub expose_headers: Vec<String>,
    pub max_age: Option<u64>,
    pub allow_credentials: bool,
}

/// The template's `Resources` and `Parameters`, parsed.
pub struct Template {
    resources: Mapping,
    parameters: Mapping,
}

impl Template {
    pub fn parse(text: &str) -> Result<Self, TemplateError> {
        let root: Value = serde_yaml_ng::from_str(text)?;
        let resources = root.get("Resources").and_then(Value::as_mapping).cloned();
        let parameters = root.get("Parameters").and_then(Value::as_mapping).cloned().unwrap_or_default();
        Ok(Self {
            resources: resources.ok_or_else(|| TemplateError::Shape("has no Resources".into()))?,
            parameters,
        })
    }

    /// The first `AWS::Serverless::HttpApi`'s `CorsConfiguration`, if it has one. A `!Ref` to a
    /// parameter takes the parameter's default, as a deployment that does not override it.
    pub fn http_api_cors(&self) -> Result<Option<Cors>, TemplateError> {
        let Some(config) = self
            .resources("AWS::Serverless::HttpApi")
            .find_map(|(_, api)| api.get("Properties")?.get("CorsConfiguration"))
        else {
            return Ok(None);
        };
        let list = |name: &str| match config.get(name) {
            Some(value) => self.strings(value).ok_or_else(|| {
                TemplateError::Shape(format!("CorsConfiguration.{name} is not a list of strings"))
            }),
            None => Ok(Vec::new()),
        };
        Ok(Some(Cors {
            allow_origins: list("AllowOrigins")?,
            allow_methods: list("AllowMethods")?,
            allow_headers: list("AllowHeaders")?,
            expose_headers: list("ExposeHeaders")?,
            max_age: config.get("MaxAge").and_then(Value::as_u64),
            allow_credentials: config.get("AllowCredentials").and_then(Value::as_bool).unwrap_or(false),
        }))
    }

    /// A list of strings, or a `!Ref` to a `CommaDelimitedList` parameter's default.
    fn strings(&self, value: &Value) -> Option<Vec<String>> {
        if let Value::Tagged(tagged) = value {
            let name = tagged.value.as_str().filter(|_| tagged.tag == "Ref")?;
            let default = self.parameters.get(name)?.get("Default")?.as_str()?;
            return Some(default.split(',').map(|item| item.trim().to_owned()).collect());
        }
        value.as_sequence()?.iter().map(|item| item.as_str().map(str::to_owned)).collect()
    }

    /// Every resource of CloudFormation type `kind`, with its logical id, in template order.
    fn resources<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = (&'a str, &'a Value)> {
        self.resources
            .iter()
            .filter(move |(_, resource)| resource.get("Type").and_then(Value::as_str) == Some(kind))
            .map(|(id, resource)| (id.as_str().unwrap_or_default(), resource))
    }

    /// Every `HttpApi` event of every `AWS::Serverless::Function`, in template order.
    pub fn http_routes(&self) -> Result<Vec<Route>, TemplateError> {
        let mut routes = Vec::new();
        for (logical_id, function) in self.resources("AWS::Serverless::Function") {
            for event in events(function, "HttpApi") {
                let property = |name: &str| {
                    event
                        .get("Properties")
                        .and_then(|p| p.get(name))
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                };
                let missing = |what: &str| {
                    TemplateError::Shape(format!("{logical_id}: an HttpApi event has no {what}"))
                };
                let binary = binary(function)
                    .ok_or_else(|| missing("Metadata.BuildProperties.Binary on its function"))?;
                routes.push(Route {
                    method: property("Method").ok_or_else(|| missing("Method"))?.to_uppercase(),
                    path: property("Path").ok_or_else(|| missing("Path"))?,
                    function: binary.to_owned(),
                    logical_id: logical_id.to_owned(),
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

    /// The route keys of the template's WebSocket API (`AWS::ApiGatewayV2::Route`), e.g. `ping`.
    pub fn websocket_routes(&self) -> Vec<String> {
        self.resources("AWS::ApiGatewayV2::Route")
            .filter_map(|(_, route)| route.get("Properties")?.get("RouteKey")?.as_str().map(str::to_owned))
            .collect()
    }

    /// How long API Gateway caches the HTTP API authorizer's verdict (`ReauthorizeEvery` of the
    /// first `AWS::Serverless::HttpApi` authorizer), in seconds; none given is SAM's default, 300.
    pub fn authorizer_ttl(&self) -> u64 {
        let authorizer = self
            .resources("AWS::Serverless::HttpApi")
            .filter_map(|(_, api)| api.get("Properties")?.get("Auth")?.get("Authorizers")?.as_mapping())
            .flat_map(|authorizers| authorizers.values())
            .next();
        authorizer.and_then(|a| a.get("Identity")?.get("ReauthorizeEvery")?.as_u64()).unwrap_or(300)
    }

    /// The filter of the `SNS` event of the function built as `binary`.
    pub fn sns_filter(&self, binary_name: &str) -> Result<TypeFilter, TemplateError> {
        let shape = |what: String| TemplateError::Shape(format!("{binary_name}'s SNS subscription: {what}"));
        let (_, function) = self
            .resources("AWS::Serverless::Function")
            .find(|(_, function)| binary(function) == Some(binary_name))
            .ok_or_else(|| shape("no function with this binary".into()))?;
        let subscriptions: Vec<&Value> = events(function, "SNS").collect();
        let subscription = match subscriptions.as_slice() {
            [one] => one.get("Properties").ok_or_else(|| shape("no Properties".into()))?,
            [] => return Err(shape("none".into())),
            _ => return Err(shape("more than one; the local bus models one per function".into())),
        };
        if subscription.get("FilterPolicyScope").and_then(Value::as_str) != Some("MessageAttributes") {
            return Err(shape("only FilterPolicyScope: MessageAttributes is modelled".into()));
        }
        let policy = subscription
            .get("FilterPolicy")
            .and_then(Value::as_mapping)
            .ok_or_else(|| shape("no FilterPolicy".into()))?;
        if policy.len() != 1 {
            return Err(shape("only a filter on the `type` attribute is modelled".into()));
        }
        let values = policy
            .get("type")
            .and_then(Value::as_sequence)
            .ok_or_else(|| shape("`type` is not a list".into()))?;
        let mut filter = TypeFilter::default();
        for value in values {
            match (value.as_str(), value.get("prefix").and_then(Value::as_str)) {
                (Some(exact), _) => filter.exact.push(exact.to_owned()),
                (None, Some(prefix)) if value.as_mapping().is_some_and(|m| m.len() == 1) => {
                    filter.prefixes.push(prefix.to_owned())
                }
                _ => {
                    return Err(shape(format!(
                        "`type` value {value:?} is not modelled (a string or a prefix)"
                    )));
                }
            }
        }
        Ok(filter)
    }
}

/// A function's events of type `kind` (`HttpApi`, `SNS`), in template order.
fn events<'a>(function: &'a Value, kind: &'a str) -> impl Iterator<Item = &'a Value> {
    let events = function.get("Properties").and_then(|p| p.get("Events")).and_then(Value::as_mapping);
    events
        .into_iter()
        .flat_map(|events| events.values())
        .filter(move |event| event.get("Type").and_then(Value::as_str) == Some(kind))
}

/// A function's binary name, `Metadata.BuildProperties.Binary`.
fn binary(function: &Value) -> Option<&str> {
    function.get("Metadata")?.get("BuildProperties")?.get("Binary")?.as_str()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template() -> Template {
        Template::parse(include_str!("../../../template.yaml")).unwrap()
    }

    #[test]
    fn reads_the_repository_template() {
        let routes = template().http_routes().unwrap();
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
        assert_eq!(template().authorizer_ttl(), 60);
        assert_eq!(Template::parse("Resources: {}").unwrap().authorizer_ttl(), 300, "SAM's default");
    }

    #[test]
    fn every_route_has_a_rule_and_the_authorizer_it_needs() {
        for route in template().http_routes().unwrap() {
            let key = format!("{} {}", route.method, route.path);
            let access =
                bookworm_apidoc::routes::rule(&key).unwrap_or_else(|| panic!("{key} has no access rule"));
            assert_eq!(
                access == bookworm_http::access::Access::Public,
                route.authorizer.is_none(),
                "{key}: {access:?} / {:?}",
                route.authorizer
            );
        }
    }

    /// The template deploys exactly the routes each function declares, to that function.
    #[test]
    fn the_template_routes_what_each_function_declares() {
        use std::collections::BTreeSet;
        let deployed: BTreeSet<(String, String)> = template()
            .http_routes()
            .unwrap()
            .into_iter()
            .map(|route| (route.function, format!("{} {}", route.method, route.path)))
            .collect();
        let declared: BTreeSet<(String, String)> = bookworm_apidoc::routes::by_function()
            .into_iter()
            .flat_map(|(function, routes)| {
                routes.into_iter().map(move |(key, _)| (function.to_owned(), key.to_owned()))
            })
            .collect();
        let missing: Vec<_> = declared.difference(&deployed).collect();
        let undeclared: Vec<_> = deployed.difference(&declared).collect();
        assert!(
            missing.is_empty() && undeclared.is_empty(),
            "not in the template: {missing:?}; not declared: {undeclared:?}"
        );
    }

    #[test]
    fn reads_the_cors_configuration_with_parameter_defaults() {
        let cors = template().http_api_cors().unwrap().expect("the HttpApi configures CORS");
        assert_eq!(cors.allow_origins, ["*"], "the AllowedOrigins parameter's default");
        assert!(cors.allow_methods.contains(&"POST".to_owned()));
        assert!(cors.allow_headers.contains(&"Idempotency-Key".to_owned()));
        assert_eq!((cors.max_age, cors.allow_credentials), (Some(600), false));
        let api = |cors: &str| {
            format!(
                "Parameters:\n  Origins: {{ Type: CommaDelimitedList, Default: 'https://a.example, https://b.example' }}\nResources:\n  Api:\n    Type: AWS::Serverless::HttpApi\n    Properties: {{ CorsConfiguration: {cors} }}\n"
            )
        };
        let listed =
            Template::parse(&api("{ AllowOrigins: !Ref Origins }")).unwrap().http_api_cors().unwrap();
        assert_eq!(listed.unwrap().allow_origins, ["https://a.example", "https://b.example"]);
        assert!(Template::parse(&api("{ AllowOrigins: !Ref Nowhere }")).unwrap().http_api_cors().is_err());
        assert_eq!(Template::parse("Resources: {}").unwrap().http_api_cors().unwrap(), None);
    }

    #[test]
    fn reads_the_subscription_filters() {
        let template = template();
        let fanout = template.sns_filter("fanout").unwrap();
        assert!(fanout.accepts("com.bookworm.checkout.action") && !fanout.accepts("com.other.thing"));
        let email = template.sns_filter("email").unwrap();
        assert!(
            email.accepts("com.bookworm.checkout.completed") && email.accepts("com.bookworm.order.cancelled")
        );
        assert!(!email.accepts("com.bookworm.checkout.action"), "checkout actions are never mailed");
        assert!(!email.accepts("com.bookworm.checkout.completed.x"), "exact, not a prefix");
    }

    #[test]
    fn a_filter_shape_it_does_not_model_is_an_error() {
        let with = |policy: &str| {
            format!(
                "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Metadata: {{ BuildProperties: {{ Binary: f }} }}\n    Properties:\n      Events:\n        E:\n          Type: SNS\n          Properties: {{ Topic: t, FilterPolicyScope: MessageAttributes, FilterPolicy: {policy} }}\n"
            )
        };
        assert!(Template::parse(&with("{ type: [a, { prefix: b }] }")).unwrap().sns_filter("f").is_ok());
        for policy in ["{ type: [{ anything-but: a }] }", "{ type: [a], shop_id: [b] }", "{ type: a }"] {
            let error = Template::parse(&with(policy)).unwrap().sns_filter("f").unwrap_err().to_string();
            assert!(error.contains("modelled") || error.contains("list"), "{policy}: {error}");
        }
        assert!(Template::parse(&with("{ type: [a] }")).unwrap().sns_filter("f").is_ok());
        assert!(
            Template::parse(&with("{ type: [a] }")).unwrap().sns_filter("g").is_err(),
            "no such function"
        );
        let twice = with("{ type: [a] }")
            .replace("        E:\n", "        D: { Type: SNS, Properties: { Topic: u } }\n        E:\n");
        let error = Template::parse(&twice).unwrap().sns_filter("f").unwrap_err().to_string();
        assert!(error.contains("more than one"), "{error}");
    }

    #[test]
    fn a_route_without_a_binary_is_an_error() {
        let template = "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      Events:\n        E:\n          Type: HttpApi\n          Properties: { Path: /x, Method: get }\n";
        let error = Template::parse(template).unwrap().http_routes().unwrap_err().to_string();
        assert!(error.contains("Binary"), "{error}");
    }
}
