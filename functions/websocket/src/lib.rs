//! The WebSocket API's routes. `$connect` admits merchants of the shop named by `?shop_id=`
//! (and admins), as vouched for by the authorizer; any other answer refuses the upgrade.
//! `$disconnect` forgets the connection; `ping` answers `{"type":"pong"}`.

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use aws_lambda_events::encodings::Body;
use bookworm_domain::Error;
use bookworm_domain::clock::now_rfc3339;
use bookworm_domain::ids::{ConnectionId, ShopId};
use bookworm_domain::ports::{Connection, Connections};
use bookworm_http::access::{principal_from_context, token_expiry};
use serde_json::json;

pub async fn handle(
    connections: &dyn Connections,
    event: ApiGatewayWebsocketProxyRequest,
) -> ApiGatewayProxyResponse {
    let outcome = route(connections, &event).await;
    let context = &event.request_context;
    match outcome {
        Ok(body) => response(200, body),
        // The one mapping from errors to answers every HTTP function uses (problem+json).
        Err(error) => {
            let problem = bookworm_http::problem_response(&error, context.request_id.as_deref());
            let status = i64::from(problem.status().as_u16());
            let mut answer =
                response(status, Some(String::from_utf8_lossy(problem.body().as_ref()).into_owned()));
            answer.headers = problem.headers().clone();
            answer
        }
    }
}

async fn route(
    connections: &dyn Connections,
    event: &ApiGatewayWebsocketProxyRequest,
) -> Result<Option<String>, Error> {
    // API Gateway names the connection of every `$connect` and `$disconnect`.
    let connection_id = || {
        ConnectionId::parse(
            "connectionId",
            event.request_context.connection_id.as_deref().unwrap_or_default(),
        )
    };
    match event.request_context.route_key.as_deref() {
        Some("$connect") => connect(connections, event, connection_id()?).await,
        Some("$disconnect") => connections.remove(&connection_id()?).await.map(|()| None),
        Some("ping") => Ok(Some(json!({"type": "pong"}).to_string())),
        other => Err(Error::invalid("action", format!("no route {}", other.unwrap_or("")))),
    }
}

async fn connect(
    connections: &dyn Connections,
    event: &ApiGatewayWebsocketProxyRequest,
    connection_id: ConnectionId,
) -> Result<Option<String>, Error> {
    let fields = &event.request_context.authorizer.fields;
    let principal = principal_from_context(fields)?;
    let shop: ShopId = event
        .query_string_parameters
        .first("shop_id")
        .and_then(|text| text.parse().ok())
        .ok_or_else(|| Error::invalid("shop_id", "must name the shop to watch (a UUID)"))?;
    if !principal.works_for(shop) {
        return Err(Error::Forbidden("only this shop's merchants and admins may watch it".into()));
    }
    let connection = Connection {
        id: connection_id,
        shop_id: shop,
        user_id: principal.user_id,
        connected_at: now_rfc3339(),
        // Fan-out ends the socket when the token does (principal_from_context checked it is set).
        token_expires_at: token_expiry(fields).unwrap_or_default(),
    };
    connections.add(&connection).await?;
    tracing::info!(shop = %shop, connection = %connection.id, "merchant connected");
    Ok(None)
}

fn response(status: i64, body: Option<String>) -> ApiGatewayProxyResponse {
    let mut response = ApiGatewayProxyResponse::default();
    response.status_code = status;
    response.body = body.map(Body::Text);
    response
}
