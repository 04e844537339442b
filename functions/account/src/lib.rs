//! The signed-in caller. `GET /me`: user id, username, email, name, roles and shops, exactly
//! as every other function sees them. `GET`/`PUT /me/preferences`: notification choices
//! (`{"sms_notifications": true}` for text messages about orders, to the phone number the
//! caller signs in with; off unless asked for).

use bookworm_domain::Error;
use bookworm_domain::mail::{PreferenceStore, Preferences, is_e164};
use bookworm_http::access::caller;
use bookworm_http::{json, json_body, respond};
use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use schemars::JsonSchema;
use serde::Deserialize;

pub async fn handle(preferences: &dyn PreferenceStore, request: Request) -> Response<Body> {
    let outcome = async {
        let principal = caller(&request)?;
        if !request.uri().path().ends_with("/preferences") {
            return json(StatusCode::OK, &principal);
        }
        if request.method() == Method::PUT {
            let input: PreferencesInput = json_body(&request)?;
            let sms =
                input.sms_notifications.ok_or_else(|| Error::invalid("sms_notifications", "is required"))?;
            if sms && !principal.username.as_deref().is_some_and(is_e164) {
                return Err(Error::invalid(
                    "sms_notifications",
                    "needs a phone number (E.164, like +14155552671) as your username",
                ));
            }
            preferences.set_preferences(&principal.user_id, &Preferences { sms_notifications: sms }).await?;
        }
        json(StatusCode::OK, &preferences.preferences(&principal.user_id).await?)
    }
    .await;
    respond(&request, outcome)
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
