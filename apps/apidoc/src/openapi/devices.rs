//! The buyer's push devices (the `account` function): `POST`/`GET /me/devices`, `DELETE /me/devices/{id}`.

use account::devices::DeviceInput;
use bookworm_domain::push::DeviceView;
use schemars::SchemaGenerator;

use super::{Operation, Refusal};

pub fn operations(schemas: &mut SchemaGenerator) -> Vec<Operation> {
    use Refusal::{Conflict, NotFound};
    let device = schemas.subschema_for::<DeviceView>().to_value();
    let devices = schemas.subschema_for::<Vec<DeviceView>>().to_value();
    vec![
        Operation::new("GET /me/devices", "account", "List the devices order news is pushed to").ok(
            200,
            "The caller's devices, oldest first (at most 10).",
            devices,
        ),
        Operation::new("POST /me/devices", "account", "Register a device for push notifications")
            .body(schemas.subschema_for::<DeviceInput>().to_value())
            .ok(201, "The new device.", device.clone())
            .ok(200, "The device already registered with this platform and token.", device)
            .refusing(&[Conflict]),
        Operation::new(
            "DELETE /me/devices/{id}",
            "account",
            "Remove a device; nothing is pushed to it again",
        )
        .no_content("Removed, with its push endpoint.")
        .refusing(&[NotFound]),
    ]
}
