//! The signed-in caller. `GET /me`: user id, username, email, name, roles and shops, exactly
//! as every other function sees them. `GET`/`PUT /me/preferences`: notification choices
//! (`{"sms_notifications": true}` for text messages about orders, to the phone number the
//! caller signs in with; off unless asked for).

use bookworm_domain::Error;
use bookworm_domain::mail::{PreferenceStore, Preferences, is_e164};
use bookworm_http::access::Access;
use bookworm_http::{Outcome, Routes, json, json_body, respond, route};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use schemars::JsonSchema;
use serde::Deserialize;

#[derive(Debug, Clone, Copy)]
pub enum Op {
    Me,
    GetPreferences,
    SetPreferences,
}

pub const ROUTES: Routes<Op> = Routes::new(&[
    route("GET /me", Access::SignedIn, Op::Me),
    route("GET /me/preferences", Access::SignedIn, Op::GetPreferences),
    route("PUT /me/preferences", Access::SignedIn, Op::SetPreferences),
]);

pub async fn handle(preferences: &dyn PreferenceStore, request: Request) -> Response<Body> {
    let outcome = dispatch(preferences, &request).await;
    respond(&request, outcome)
}

async fn dispatch(preferences: &dyn PreferenceStore, request: &Request) -> Outcome {
    let call = ROUTES.resolve(request)?;
    let principal = call.caller()?;
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
            preferences.set_preferences(&principal.user_id, &Preferences { sms_notifications: sms }).await?;
            json(StatusCode::OK, &preferences.preferences(&principal.user_id).await?)
        }
    }
}

/// The body of `PUT /me/preferences`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PreferencesInput {
    /// Text messages about orders, to the phone number the caller signs in with (their
    /// username must be one, in E.164 form).
    #[schemars(required, with = "bool")]
    sms_notifications: Option<bool>,
}
