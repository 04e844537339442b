//! `POST`/`GET /me/devices`, `DELETE /me/devices/{id}`: the caller's phones and tablets that
//! order news is pushed to (when `push_notifications` is on). Each device is a push endpoint
//! (an SNS platform endpoint in AWS). Registering a token the caller already registered gives
//! that device back (200, not 201), so an app may register on every start.

use bookworm_domain::Error;
use bookworm_domain::clock::now_rfc3339;
use bookworm_domain::ids::{DeviceId, UserId};
use bookworm_domain::ports::{DeviceStore, PushGateway};
use bookworm_domain::push::{Device, DeviceView, Devices, Platform};
use lambda_http::http::StatusCode;
use schemars::JsonSchema;
use serde::Deserialize;

/// Saves that lose to another save before one lands: past this the caller is told to retry.
const SAVE_ATTEMPTS: usize = 5;

/// The body of `POST /me/devices`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviceInput {
    /// `apns` (Apple, production), `apns_sandbox` (Apple, development builds) or `fcm` (Android).
    #[schemars(required, with = "Platform")]
    platform: Option<String>,
    /// The push token the platform gave the app: 64 hexadecimal characters for APNs, FCM's
    /// registration token (20 to 4096 characters of letters, digits and `-_:.`) for FCM.
    #[schemars(required, with = "String")]
    token: Option<String>,
}

/// The caller's devices, oldest first.
pub async fn list(store: &dyn DeviceStore, user: &UserId) -> Result<Vec<DeviceView>, Error> {
    Ok(store.devices(user).await?.devices.iter().map(DeviceView::from).collect())
}

/// Registers a device: 201 and the new device, or 200 and the one already registered with
/// this platform and token.
pub async fn register(
    store: &dyn DeviceStore,
    push: &dyn PushGateway,
    user: &UserId,
    input: DeviceInput,
) -> Result<(StatusCode, DeviceView), Error> {
    let (platform, token) = parse(push, input)?;
    let mut endpoint_arn = None;
    for _ in 0..SAVE_ATTEMPTS {
        let current = store.devices(user).await?;
        if let Some(device) = current.find(platform, &token) {
            return Ok((StatusCode::OK, device.into()));
        }
        // Refused before an endpoint is made for it.
        current.room()?;
        let arn = match &endpoint_arn {
            Some(arn) => String::clone(arn),
            None => endpoint_arn.insert(push.create_endpoint(platform, &token, user).await?).clone(),
        };
        let device = Device {
            id: DeviceId::random(),
            platform,
            token: token.clone(),
            endpoint_arn: arn,
            created_at: now_rfc3339(),
        };
        if store.save_devices(&current.with(device.clone())?).await? {
            return Ok((StatusCode::CREATED, (&device).into()));
        }
    }
    Err(busy())
}

/// Removes one of the caller's devices and its endpoint; another buyer's device is not found.
pub async fn remove(
    store: &dyn DeviceStore,
    push: &dyn PushGateway,
    user: &UserId,
    id: &str,
) -> Result<(), Error> {
    let id = DeviceId::parse("id", id)?;
    let removed = forget(store, user, id).await?.ok_or_else(|| Error::not_found("device", id))?;
    // The device is gone for us either way; an endpoint left behind only costs a failed push.
    if let Err(error) = push.delete_endpoint(&removed.endpoint_arn, user).await {
        tracing::warn!(%error, device = %id, "the device is removed, but its push endpoint is not");
    }
    Ok(())
}

/// Removes `id` from the user's devices: the device removed, or `None` when it is not theirs.
pub async fn forget(store: &dyn DeviceStore, user: &UserId, id: DeviceId) -> Result<Option<Device>, Error> {
    for _ in 0..SAVE_ATTEMPTS {
        let current: Devices = store.devices(user).await?;
        let Some(device) = current.devices.iter().find(|device| device.id == id).cloned() else {
            return Ok(None);
        };
        let next = current.without(id).ok_or_else(busy)?;
        if store.save_devices(&next).await? {
            return Ok(Some(device));
        }
    }
    Err(busy())
}

fn parse(push: &dyn PushGateway, input: DeviceInput) -> Result<(Platform, String), Error> {
    let platform = input.platform.ok_or_else(|| Error::invalid("platform", "is required"))?;
    let platform = Platform::ALL
        .into_iter()
        .find(|known| known.as_str() == platform)
        .ok_or_else(|| Error::invalid("platform", "must be one of apns, apns_sandbox, fcm"))?;
    if !push.offers(platform) {
        let offered: Vec<&str> =
            Platform::ALL.into_iter().filter(|p| push.offers(*p)).map(Platform::as_str).collect();
        let offered = if offered.is_empty() { "none".to_owned() } else { offered.join(", ") };
        return Err(Error::invalid(
            "platform",
            format!("{} devices are not offered here (offered: {offered})", platform.as_str()),
        ));
    }
    let token = input.token.ok_or_else(|| Error::invalid("token", "is required"))?;
    Ok((platform, platform.token(&token)?))
}

fn busy() -> Error {
    Error::Conflict("your devices are being changed elsewhere at this moment; try again".into())
}
