//! Pushes to WebSocket clients through API Gateway's management API (`@connections`), with
//! the AWS SDK. The local stack serves the same API, so this client runs unchanged there.

use async_trait::async_trait;
use aws_sdk_apigatewaymanagement::Client;
use aws_sdk_apigatewaymanagement::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_apigatewaymanagement::error::DisplayErrorContext;
use aws_sdk_apigatewaymanagement::operation::delete_connection::DeleteConnectionError;
use aws_sdk_apigatewaymanagement::operation::post_to_connection::PostToConnectionError;
use aws_sdk_apigatewaymanagement::primitives::Blob;
use bookworm_domain::Error;
use bookworm_domain::ids::ConnectionId;
use bookworm_domain::ports::{Delivery, Push};

#[derive(Clone)]
pub struct ManagementPush {
    client: Client,
}

impl ManagementPush {
    /// For Lambda: region and credentials from the environment; `endpoint` is the WebSocket
    /// API's `https://{api-id}.execute-api.{region}.amazonaws.com/{stage}`.
    pub fn new(config: &bookworm_aws::SdkConfig, endpoint: &str) -> Self {
        let config =
            aws_sdk_apigatewaymanagement::config::Builder::from(config).endpoint_url(endpoint).build();
        Self { client: Client::from_conf(config) }
    }

    /// For the local stack and tests: fixed dummy credentials, for endpoints that do not check
    /// signatures (the local stack, moto).
    pub fn local(endpoint: &str) -> Self {
        let config = aws_sdk_apigatewaymanagement::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("local", "local", None, None, "local"))
            .endpoint_url(endpoint)
            .build();
        Self { client: Client::from_conf(config) }
    }
}

#[async_trait]
impl Push for ManagementPush {
    async fn push(&self, connection_id: &ConnectionId, message: &[u8]) -> Result<Delivery, Error> {
        let sent = self
            .client
            .post_to_connection()
            .connection_id(connection_id.as_str())
            .data(Blob::new(message))
            .send()
            .await;
        match sent {
            Ok(_) => Ok(Delivery::Delivered),
            Err(error)
                if matches!(error.as_service_error(), Some(PostToConnectionError::GoneException(_))) =>
            {
                Ok(Delivery::Gone)
            }
            Err(error) => {
                Err(Error::unavailable("post to a connection", DisplayErrorContext(error).to_string()))
            }
        }
    }

    async fn disconnect(&self, connection_id: &ConnectionId) -> Result<(), Error> {
        match self.client.delete_connection().connection_id(connection_id.as_str()).send().await {
            Ok(_) => Ok(()),
            Err(error)
                if matches!(error.as_service_error(), Some(DeleteConnectionError::GoneException(_))) =>
            {
                Ok(())
            }
            Err(error) => {
                Err(Error::unavailable("close a connection", DisplayErrorContext(error).to_string()))
            }
        }
    }
}
