//! A function's routes, declared once: the API Gateway route key, who may call it, and which of
//! the function's operations answers it. Every HTTP function dispatches through
//! [`Routes::resolve`], so the access rule is applied on every route before its handler runs;
//! the API documents, the local stack and the template check are all read from these tables
//! (`apps/apidoc`'s `routes` lists them per function).

use bookworm_domain::Error;
use bookworm_domain::identity::Principal;
use lambda_http::Request;

use crate::access::Access;

/// One route: `GET /books/{id}` answered by `op` for callers `access` lets through.
#[derive(Debug, Clone, Copy)]
pub struct Route<Op: 'static> {
    pub key: &'static str,
    pub access: Access,
    pub op: Op,
}

/// Declares a route; used in a function's `ROUTES` table.
pub const fn route<Op>(key: &'static str, access: Access, op: Op) -> Route<Op> {
    Route { key, access, op }
}

/// A function's routes. Its operations are an enum the function matches on exhaustively, so a
/// declared route without a handler does not compile.
#[derive(Debug)]
pub struct Routes<Op: 'static>(&'static [Route<Op>]);

/// A route key and its rule, whatever the function's operations are.
pub type RouteRule = (&'static str, Access);

impl<Op: Copy> Routes<Op> {
    pub const fn new(routes: &'static [Route<Op>]) -> Self {
        Routes(routes)
    }

    /// The request's operation and its caller, once the route's rule has let the caller
    /// through. A route the function does not declare is a 404.
    pub fn resolve(&self, request: &Request) -> Result<Call<Op>, Error> {
        let key = crate::route_key(request).unwrap_or_default();
        let route =
            self.0.iter().find(|route| route.key == key).ok_or_else(|| Error::not_found("route", &key))?;
        let caller = route.access.admit(request)?;
        Ok(Call { op: route.op, caller })
    }

    /// Each route's key and rule.
    pub fn rules(&self) -> Vec<RouteRule> {
        self.0.iter().map(|route| (route.key, route.access)).collect()
    }
}

/// A request let through its route's rule.
#[derive(Debug)]
pub struct Call<Op> {
    pub op: Op,
    /// The caller; always present unless the route is public and the request carries no token.
    pub caller: Option<Principal>,
}

impl<Op> Call<Op> {
    /// The signed-in caller (any route but a public one has one).
    pub fn caller(&self) -> Result<&Principal, Error> {
        self.caller.as_ref().ok_or(Error::Unauthenticated)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bookworm_domain::identity::Role;
    use lambda_http::RequestExt;
    use lambda_http::request::RequestContext;

    #[derive(Debug, Clone, Copy, PartialEq)]
    enum Op {
        Read,
        Write,
    }

    const ROUTES: Routes<Op> = Routes::new(&[
        route("GET /things", Access::Public, Op::Read),
        route("POST /things", Access::AnyOf(&[Role::Admin]), Op::Write),
    ]);

    fn request(key: &str, roles: &str) -> Request {
        let mut context = lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequestContext::default();
        context.route_key = Some(key.to_owned());
        if !roles.is_empty() {
            let mut authorizer =
                lambda_http::aws_lambda_events::apigw::ApiGatewayRequestAuthorizer::default();
            authorizer.fields = serde_json::from_value(serde_json::json!({
                "user_id": "u-1", "roles": roles, "expires_at": "99999999999",
            }))
            .unwrap();
            context.authorizer = Some(authorizer);
        }
        Request::default().with_request_context(RequestContext::ApiGatewayV2(context))
    }

    #[test]
    fn a_route_runs_only_for_callers_its_rule_admits() {
        assert_eq!(ROUTES.resolve(&request("GET /things", "")).unwrap().op, Op::Read);
        assert!(matches!(ROUTES.resolve(&request("POST /things", "")), Err(Error::Unauthenticated)));
        assert!(matches!(ROUTES.resolve(&request("POST /things", "customer")), Err(Error::Forbidden(_))));
        let call = ROUTES.resolve(&request("POST /things", "admin")).unwrap();
        assert_eq!((call.op, call.caller().unwrap().user_id.as_str()), (Op::Write, "u-1"));
    }

    #[test]
    fn an_undeclared_route_is_not_found() {
        assert!(matches!(ROUTES.resolve(&request("DELETE /things", "admin")), Err(Error::NotFound { .. })));
    }
}
