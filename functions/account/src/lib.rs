//! The signed-in caller. `GET /me`: user id, username, email, name, roles and shops, exactly
//! as every other function sees them. `GET`/`PUT /me/preferences`: notification choices
//! (`{"sms_notifications": true}` for text messages about orders, to the phone number the
//! caller signs in with; `"push_notifications": true` for pushes to their devices; both off
//! unless asked for). `GET`/`PUT /me/profile`: the buyer's display
//! name, phone and addresses (the ones checkout delivers to), written whole. `POST`/`GET
//! /me/devices`, `DELETE /me/devices/{id}`: the devices order news is pushed to ([`devices`]).

pub mod devices;

use bookworm_domain::Error;
use bookworm_domain::ids::UserId;
use bookworm_domain::mail::{PreferenceStore, Preferences, is_e164};
use bookworm_domain::ports::{DeviceStore, ProfileStore, PushGateway};
use bookworm_domain::profile::{Profile, ProfileInput};
use bookworm_http::access::Access;
use bookworm_http::{Outcome, Routes, json, json_body, no_content, path_parameter, respond, route};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use schemars::JsonSchema;
use serde::Deserialize;

#[derive(Debug, Clone, Copy)]
pub enum Op {
    Me,
    GetPreferences,
    SetPreferences,
    GetProfile,
    SetProfile,
    ListDevices,
    RegisterDevice,
    RemoveDevice,
}

pub const ROUTES: Routes<Op> = Routes::new(&[
    route("GET /me", Access::SignedIn, Op::Me),
    route("GET /me/preferences", Access::SignedIn, Op::GetPreferences),
    route("PUT /me/preferences", Access::SignedIn, Op::SetPreferences),
    route("GET /me/profile", Access::SignedIn, Op::GetProfile),
    route("PUT /me/profile", Access::SignedIn, Op::SetProfile),
    route("GET /me/devices", Access::SignedIn, Op::ListDevices),
    route("POST /me/devices", Access::SignedIn, Op::RegisterDevice),
    route("DELETE /me/devices/{id}", Access::SignedIn, Op::RemoveDevice),
]);

/// Saves that lose to another save before one lands: past this the caller is told to retry.
const SAVE_ATTEMPTS: usize = 5;

/// The stores the account routes read and write.
pub struct Stores<'a> {
    pub preferences: &'a dyn PreferenceStore,
    pub profiles: &'a dyn ProfileStore,
    pub devices: &'a dyn DeviceStore,
    /// Makes and deletes each device's push endpoint.
    pub push: &'a dyn PushGateway,
}

pub async fn handle(stores: &Stores<'_>, request: Request) -> Response<Body> {
    let outcome = dispatch(stores, &request).await;
    respond(&request, outcome)
}

async fn dispatch(stores: &Stores<'_>, request: &Request) -> Outcome {
    let call = ROUTES.resolve(request)?;
    let principal = call.caller()?;
    let preferences = stores.preferences;
    match call.op {
        Op::Me => json(StatusCode::OK, principal),
        Op::GetPreferences => json(StatusCode::OK, &preferences.preferences(&principal.user_id).await?),
        Op::SetPreferences => {
            let input: PreferencesInput = json_body(request)?;
            let sms =
                input.sms_notifications.ok_or_else(|| Error::invalid("sms_notifications", "is required"))?;
            if sms && !principal.username.as_deref().is_some_and(is_e164) {
                return Err(Error::invalid(
                    "sms_notifications",
                    "needs a phone number (E.164, like +14155552671) as your username",
                ));
            }
            // Left out, push keeps its current setting: clients from before it existed send only sms.
            let push = match input.push_notifications {
                Some(push) => push,
                None => preferences.preferences(&principal.user_id).await?.push_notifications,
            };
            let chosen = Preferences { sms_notifications: sms, push_notifications: push };
            preferences.set_preferences(&principal.user_id, &chosen).await?;
            json(StatusCode::OK, &preferences.preferences(&principal.user_id).await?)
        }
        Op::GetProfile => json(StatusCode::OK, &profile(stores.profiles, &principal.user_id).await?),
        Op::SetProfile => {
            let input: ProfileInput = json_body(request)?;
            json(StatusCode::OK, &save_profile(stores.profiles, &principal.user_id, input).await?)
        }
        Op::ListDevices => json(StatusCode::OK, &devices::list(stores.devices, &principal.user_id).await?),
        Op::RegisterDevice => {
            let input: devices::DeviceInput = json_body(request)?;
            let (status, device) =
                devices::register(stores.devices, stores.push, &principal.user_id, input).await?;
            json(status, &device)
        }
        Op::RemoveDevice => {
            let id = path_parameter(request, "id").unwrap_or_default();
            devices::remove(stores.devices, stores.push, &principal.user_id, id).await?;
            Ok(no_content())
        }
    }
}

/// The user's profile; an empty one (version 0) when they never saved one.
async fn profile(profiles: &dyn ProfileStore, user: &UserId) -> Result<Profile, Error> {
    Ok(profiles.profile(user).await?.unwrap_or_else(|| Profile::empty(user)))
}

/// Applies `input` over the stored profile and saves it over that version. A save that lost
/// to another is applied again over the winner: without a `version` the last write wins;
/// with one, the input now names a version that is gone, and [`ProfileInput::apply`] answers 409.
async fn save_profile(
    profiles: &dyn ProfileStore,
    user: &UserId,
    input: ProfileInput,
) -> Result<Profile, Error> {
    for _ in 0..SAVE_ATTEMPTS {
        let current = profile(profiles, user).await?;
        let next = input.clone().apply(&current, bookworm_domain::clock::now_rfc3339())?;
        if profiles.save_profile(&next).await? {
            return Ok(next);
        }
    }
    Err(Error::Conflict("the profile is being changed elsewhere at this moment; try again".into()))
}

/// The body of `PUT /me/preferences`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PreferencesInput {
    /// Text messages about orders, to the phone number the caller signs in with (their
    /// username must be one, in E.164 form).
    #[schemars(required, with = "bool")]
    sms_notifications: Option<bool>,
    /// Pushes about orders to the caller's registered devices (`/me/devices`); left out, the
    /// current setting stays.
    push_notifications: Option<bool>,
}
