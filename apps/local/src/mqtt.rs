//! The local stack's MQTT broker for in-store devices, standing in for AWS IoT Core: rmqtt
//! (MQTT 3.1, 3.1.1 and 5) embedded, with three hooks that do what the custom authorizer, the
//! device policy and the topic rule do in AWS:
//! - connect: the password is the device's token, checked by `bookworm_auth::authorize_device`
//!   (the code the `device-authorizer` Lambda runs), and the client id must be the device's id;
//! - publish: allowed on the device's own `shops/{shop_id}/actions` only (anything else is
//!   refused and the device disconnected, as IoT Core does), then handed to
//!   `publish::device::handle` (the code the `device-actions` Lambda runs), so the action goes
//!   into the same outbox as `POST /publish/{shop_id}` and reaches the shop's merchant sockets;
//! - subscribe: refused (a device's policy grants none), and the connection ends at the token's
//!   `exp`.
//!
//! Why rmqtt: a maintained broker whose hooks see who publishes on which topic and can refuse
//! it; rumqttd authenticates connections but has no per-topic publish check.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use bookworm_auth::{DeviceGrant, authorize_device};
use publish::device::Outcome;
use rmqtt::acl::AuthInfo;
use rmqtt::codec::v5::SubscribeAckReason;
use rmqtt::context::ServerContext;
use rmqtt::hook::{Handler, HookResult, Parameter, ReturnType, Type};
use rmqtt::net::Builder;
use rmqtt::server::MqttServer;
use rmqtt::session::Session;
use rmqtt::types::{AuthResult, Disconnect, Id, Message, PublishAclResult, Reason, SubscribeReturn};

use crate::stack::Stack;

/// MQTT's registered port, where devices look first.
pub const DEFAULT_PORT: u16 = 1883;

/// IoT Core's largest message: bigger packets end the connection at the protocol level. Those
/// under it but over the publish path's 64 KiB reach the handler, which drops and counts them.
const MAX_PACKET_BYTES: u32 = 128 * 1024;

/// The address a broker listens on.
pub struct Broker {
    pub address: SocketAddr,
}

/// Binds the broker to `address` (port 0: any free port) and serves it on a task of its own.
pub async fn start(stack: Arc<Stack>, address: SocketAddr) -> Result<Broker, rmqtt::Error> {
    let scx = ServerContext::new().build().await;
    let devices = Arc::new(Devices { stack, grants: Mutex::default(), scx: scx.clone() });
    let register = scx.extends.hook_mgr().register();
    for hook in [
        Type::ClientAuthenticate,
        Type::ClientConnected,
        Type::ClientDisconnected,
        Type::ClientSubscribeCheckAcl,
        Type::MessagePublishCheckAcl,
    ] {
        register.add(hook, Box::new(Hooks(devices.clone()))).await;
    }
    register.start().await;
    let listener = Builder::new()
        .name("devices/tcp")
        .laddr(address)
        .allow_anonymous(false)
        .max_packet_size(MAX_PACKET_BYTES)
        .bind()?
        .tcp()?;
    let address = listener.local_addr()?;
    let server = MqttServer::new(scx).listener(listener).build();
    tokio::spawn(async move {
        if let Err(error) = server.run().await {
            tracing::error!(%error, "the MQTT broker stopped");
        }
    });
    Ok(Broker { address })
}

/// The connected devices' grants, by connection.
struct Devices {
    stack: Arc<Stack>,
    grants: Mutex<HashMap<Id, DeviceGrant>>,
    scx: ServerContext,
}

impl Devices {
    fn grant(&self, id: &Id) -> Option<DeviceGrant> {
        self.grants.lock().unwrap_or_else(PoisonError::into_inner).get(id).cloned()
    }

    async fn authenticate(&self, id: &Id, client_id: &str, password: Option<&[u8]>) -> AuthResult {
        let token = password.map(String::from_utf8_lossy);
        let verified = self.stack.record(authorize_device(&self.stack.verifier, token.as_deref())).await;
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |since| since.as_secs());
        let refusal = match verified {
            // Past `exp` but within the verifier's clock-skew leeway: it would be disconnected at
            // once, and reconnect, in a loop.
            Ok(grant) if grant.seconds_left(now) == 0 => "the token has expired".to_owned(),
            Ok(grant) if grant.device_id.as_str() == client_id => {
                let expire_at = Some(Duration::from_secs(grant.expires_at));
                self.grants.lock().unwrap_or_else(PoisonError::into_inner).insert(id.clone(), grant);
                return AuthResult::Allow(
                    false,
                    Some(AuthInfo { superuser: false, expire_at, rules: vec![] }),
                );
            }
            Ok(_) => "the client id is not the device's id".to_owned(),
            Err(rejection) => rejection.to_string(),
        };
        tracing::info!(reason = refusal, client_id, "device connection refused");
        self.stack
            .record(bookworm_metrics::scope("device-authorizer", None, async {
                bookworm_metrics::count("DeviceAuthRejected", 1.0);
            }))
            .await;
        AuthResult::NotAuthorized
    }

    /// Ends the connection when its token expires, as IoT Core's `disconnectAfterInSeconds`.
    fn disconnect_at_expiry(self: &Arc<Self>, session: &Session) {
        let Some(grant) = self.grant(&session.id) else { return };
        let (devices, id) = (self.clone(), session.id.clone());
        tokio::spawn(async move {
            let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |since| since.as_secs());
            tokio::time::sleep(Duration::from_secs(grant.seconds_left(now))).await;
            // Still this connection (not one that came after it with the same client id).
            if devices.grant(&id).is_none() {
                return;
            }
            tracing::info!(device = grant.device_id.as_str(), "device token expired: disconnecting");
            if let Some(tx) = devices.scx.extends.shared().await.entry(id.clone()).tx() {
                let reason = Reason::ConnectDisconnect(Some(Disconnect::Other("token expired".into())));
                let _ = tx.unbounded_send(Message::Closed(reason));
            }
        });
    }

    async fn publish(&self, session: &Session, topic: &str, payload: &[u8]) -> PublishAclResult {
        let Some(grant) = self.grant(&session.id).filter(|grant| grant.may_publish(topic)) else {
            tracing::info!(client_id = %session.id.client_id, topic, "publish refused: not the device's topic");
            return PublishAclResult::rejected(true, Some("only shops/{your shop}/actions".into()));
        };
        let device = grant.device_id.as_str();
        let events = self.stack.stores.shop.as_ref();
        let handled = bookworm_metrics::scope(
            "device-actions",
            None,
            publish::device::handle(events, topic, payload, Some(device)),
        );
        match self.stack.record(handled).await {
            Ok(Outcome::Published(_) | Outcome::Dropped(_)) => {}
            // In AWS the invocation is retried, then dead-lettered; here it is logged.
            Err(error) => {
                tracing::error!(%error, device, "device action not stored (AWS: retried, then the DLQ)")
            }
        }
        // Acknowledged either way, as IoT Core acknowledges before its rule runs.
        PublishAclResult::allow()
    }
}

struct Hooks(Arc<Devices>);

#[async_trait]
impl Handler for Hooks {
    async fn hook(&self, param: &Parameter, acc: Option<HookResult>) -> ReturnType {
        let devices = &self.0;
        match param {
            Parameter::ClientAuthenticate(connect) => {
                let password = connect.password().map(|password| password.as_ref());
                let result = devices.authenticate(connect.id(), connect.client_id(), password).await;
                (false, Some(HookResult::AuthResult(result)))
            }
            Parameter::ClientConnected(session) => {
                devices.disconnect_at_expiry(session);
                (true, acc)
            }
            Parameter::ClientDisconnected(session, _) => {
                devices.grants.lock().unwrap_or_else(PoisonError::into_inner).remove(&session.id);
                (true, acc)
            }
            Parameter::ClientSubscribeCheckAcl(..) => {
                let refused = SubscribeReturn::new_failure(SubscribeAckReason::NotAuthorized);
                (false, Some(HookResult::SubscribeAclResult(refused)))
            }
            Parameter::MessagePublishCheckAcl(session, message) => {
                let result = devices.publish(session, &message.topic, &message.payload).await;
                (false, Some(HookResult::PublishAclResult(result)))
            }
            _ => (true, acc),
        }
    }
}
