//! The MCP handler the SDK calls for each request: server info, `tools/list`, `tools/call`.

use bookworm_http::problem_response;
use rmcp::ErrorData;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, Implementation, ListToolsResult,
    PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::{RequestContext, RoleServer};
use rmcp::{ServerHandler, model::JsonObject};
use serde_json::Value;

use crate::Stores;
use crate::caller::Caller;
use crate::tools;

const INSTRUCTIONS: &str = "BookWorm's bookshop catalog. Find books with search_catalog, then \
    get_book and get_book_reviews by the ids it gives; list_categories and list_authors give the \
    ids search_catalog's filters take. get_basket and add_to_basket act for the signed-in customer \
    (a bearer token on the connection) in one shop.";

/// The tools over the stores. Cloned per request by the stateless transport (cheap: `Arc`s).
#[derive(Clone)]
pub struct Catalog {
    stores: Stores,
}

impl Catalog {
    pub fn new(stores: Stores) -> Self {
        Self { stores }
    }

    /// Runs a tool. A refusal (bad input, not found, no token) is a tool error the agent reads:
    /// the API's problem details as structured content. Only a tool that does not exist is a
    /// protocol error, as MCP asks.
    pub async fn call(
        &self,
        name: &str,
        arguments: JsonObject,
        caller: &Caller,
    ) -> Result<CallToolResult, ErrorData> {
        if !tools::NAMES.contains(&name) {
            return Err(ErrorData::invalid_params(format!("no tool is named {name}"), None));
        }
        match tools::run(&self.stores, caller, name, arguments).await {
            Ok(value) => Ok(CallToolResult::structured(value)),
            Err(error) => {
                let response = problem_response(&error, None);
                let problem: Value = serde_json::from_slice(response.body().as_ref()).unwrap_or_default();
                Ok(CallToolResult::structured_error(problem))
            }
        }
    }
}

impl ServerHandler for Catalog {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("bookworm", env!("CARGO_PKG_VERSION")))
            .with_instructions(INSTRUCTIONS)
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(tools::listed().as_ref().clone()))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        tools::listed().iter().find(|tool| tool.name == name).cloned()
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        // The HTTP edge put the caller in the request's extensions; the SDK hands those on.
        let caller = context
            .extensions
            .get::<lambda_http::http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<Caller>())
            .cloned()
            .unwrap_or_default();
        let arguments = request.arguments.unwrap_or_default();
        Ok(self.call(&request.name, arguments, &caller).await?.into())
    }
}
