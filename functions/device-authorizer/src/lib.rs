//! The AWS IoT Core custom authorizer for in-store devices.
//!
//! A device connects over MQTT with its access token as the password (signing disabled: the
//! token is a JWT the issuer signed, verified against the issuer's keys like every other) and
//! its device id (the token's `sub`) as the MQTT client id. The answer allows `iot:Connect` as
//! that client and `iot:Publish` on its one shop's actions topic, nothing else, and ends the
//! connection when the token expires. The decision itself is `bookworm_auth::authorize_device`,
//! which the local stack's broker uses too.

use aws_lambda_events::event::iam::{IamPolicyDocument, IamPolicyEffect, IamPolicyStatement};
use aws_lambda_events::event::iot::{IoTCoreCustomAuthorizerRequest, IoTCoreCustomAuthorizerResponse};
use bookworm_auth::{DeviceGrant, Rejection, Verifier, authorize_device};

/// IoT Core's bounds for `disconnectAfterInSeconds` and `refreshAfterInSeconds`: a token with
/// less time left than the minimum cannot be honoured, so it is refused (the device fetches a
/// fresh one first).
pub const MIN_SECONDS: u64 = 300;
pub const MAX_SECONDS: u64 = 86_400;

/// Why a connection was refused, for the log only.
enum Refusal {
    Token(Rejection),
    /// The client id must be the device's id: a device cannot take over (and so disconnect)
    /// another device's session, and nothing in it reads as a policy wildcard.
    ClientId,
    ExpiresTooSoon(u64),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Token(rejection) => write!(f, "token refused: {rejection}"),
            Self::ClientId => f.write_str("the client id is not the device's id"),
            Self::ExpiresTooSoon(left) => {
                write!(f, "the token expires in {left} s, under IoT Core's {MIN_SECONDS} s minimum")
            }
        }
    }
}

/// Where the policy's resources live: `arn:<partition>:iot:<region>:<account>`.
pub struct IotArns {
    pub prefix: String,
}

impl IotArns {
    fn client(&self, client_id: &str) -> String {
        format!("{}:client/{client_id}", self.prefix)
    }

    fn topic(&self, topic: &str) -> String {
        format!("{}:topic/{topic}", self.prefix)
    }
}

/// The answer to one connection attempt, `now` in Unix seconds.
pub async fn answer(
    verifier: &Verifier,
    arns: &IotArns,
    now: u64,
    event: IoTCoreCustomAuthorizerRequest,
) -> IoTCoreCustomAuthorizerResponse {
    let mqtt = event.protocol_data.as_ref().and_then(|data| data.mqtt.as_ref());
    let client_id = mqtt.and_then(|mqtt| mqtt.client_id.clone()).unwrap_or_default();
    // The MQTT password (IoT Core passes it base64-encoded, decoded by the event type), or a
    // token IoT Core took from the query string or a header (MQTT over WebSocket).
    let password = mqtt.map(|mqtt| String::from_utf8_lossy(&mqtt.password.0).into_owned());
    let token = event.token.or(password);
    match decide(verifier, now, &client_id, token.as_deref()).await {
        Ok(grant) => allowed(arns, &client_id, &grant, now),
        Err(refusal) => {
            // The reason goes to the log; the token never does.
            tracing::info!(reason = %refusal, client_id, "device connection refused");
            bookworm_metrics::count("DeviceAuthRejected", 1.0);
            if let Refusal::Token(rejection) = &refusal {
                bookworm_metrics::count(authorizer::rejection_metric(rejection), 1.0);
            }
            denied()
        }
    }
}

async fn decide(
    verifier: &Verifier,
    now: u64,
    client_id: &str,
    token: Option<&str>,
) -> Result<DeviceGrant, Refusal> {
    let grant = authorize_device(verifier, token).await.map_err(Refusal::Token)?;
    if !is_plain_client_id(client_id) || client_id != grant.device_id.as_str() {
        return Err(Refusal::ClientId);
    }
    let left = grant.seconds_left(now);
    if left < MIN_SECONDS {
        return Err(Refusal::ExpiresTooSoon(left));
    }
    Ok(grant)
}

/// Letters, digits and `-_.:`: what device ids are made of, and nothing a policy reads as a
/// wildcard (`*`, `?`) or a variable (`${…}`).
fn is_plain_client_id(client_id: &str) -> bool {
    !client_id.is_empty()
        && client_id.len() <= 128
        && client_id.chars().all(|c| c.is_ascii_alphanumeric() || "-_.:".contains(c))
}

fn allowed(
    arns: &IotArns,
    client_id: &str,
    grant: &DeviceGrant,
    now: u64,
) -> IoTCoreCustomAuthorizerResponse {
    let statement = |action: &str, resource: String| {
        let mut statement = IamPolicyStatement::default();
        statement.action = vec![action.to_owned()];
        statement.effect = IamPolicyEffect::Allow;
        statement.resource = vec![resource];
        statement
    };
    let mut policy = IamPolicyDocument::default();
    policy.version = Some("2012-10-17".to_owned());
    policy.statement = vec![
        statement("iot:Connect", arns.client(client_id)),
        statement("iot:Publish", arns.topic(&grant.topic())),
    ];
    // Within IoT Core's bounds; never past the token's expiry (checked to be at least the minimum).
    let left = grant.seconds_left(now).min(MAX_SECONDS) as u32;
    let mut response = IoTCoreCustomAuthorizerResponse::default();
    response.is_authenticated = true;
    response.principal_id = Some(principal_id(grant));
    response.disconnect_after_in_seconds = left;
    response.refresh_after_in_seconds = left;
    response.policy_documents = vec![Some(policy)];
    response
}

fn denied() -> IoTCoreCustomAuthorizerResponse {
    let mut response = IoTCoreCustomAuthorizerResponse::default();
    response.is_authenticated = false;
    response.disconnect_after_in_seconds = MIN_SECONDS as u32;
    response.refresh_after_in_seconds = MIN_SECONDS as u32;
    response
}

/// IoT Core wants 1 to 128 letters and digits: the device id without its punctuation.
fn principal_id(grant: &DeviceGrant) -> String {
    let id: String = grant.device_id.as_str().chars().filter(char::is_ascii_alphanumeric).take(128).collect();
    if id.is_empty() { "device".to_owned() } else { id }
}

#[cfg(test)]
mod tests;
