//! The MCP server (the `mcp` function, docs/mcp.md): one endpoint speaking the Model Context
//! Protocol's JSON-RPC over Streamable HTTP. Its tools and their input schemas are listed by the
//! protocol itself (`tools/list`), so this document only says where it is and what HTTP answers.

use serde_json::json;

use super::Operation;

pub fn operations() -> Vec<Operation> {
    let message = json!({
        "type": "object",
        "description": "A JSON-RPC 2.0 message of MCP: `initialize`, `tools/list`, `tools/call`, a notification.",
        "required": ["jsonrpc", "method"],
        "properties": {
            "jsonrpc": { "const": "2.0" },
            "id": { "type": ["string", "integer"] },
            "method": { "type": "string" },
            "params": { "type": "object" },
        },
    });
    let answer = json!({
        "type": "object",
        "description": "The JSON-RPC answer: `result` (a tool's refusal is a result with `isError`), or `error`.",
        "required": ["jsonrpc"],
        "properties": { "jsonrpc": { "const": "2.0" }, "id": {}, "result": { "type": "object" }, "error": { "type": "object" } },
    });
    vec![
        Operation::new("POST /mcp", "agents", "Talk to the MCP server (Streamable HTTP, stateless)")
            .body(message)
            .ok(200, "The answer to a request. Send `Accept: application/json, text/event-stream`.", answer)
            .status(202, "A notification, accepted.")
            .status(406, "The `Accept` header does not take both JSON and an event stream."),
        Operation::new("GET /mcp", "agents", "No event stream: the server is stateless")
            .status(405, "Always: there is no stream to open."),
        Operation::new("DELETE /mcp", "agents", "No session to end: the server is stateless")
            .status(405, "Always: there is no session."),
    ]
}
