//! The contract of the device store: a buyer's devices read back as saved, each save only over
//! the version it was made from (one winner among racing registrations, so none goes past the
//! limit or loses another's device), and one buyer's devices are theirs.

use uuid::Uuid;

use super::user;
use crate::ids::{DeviceId, UserId};
use crate::ports::DeviceStore;
use crate::push::{DEVICES_MAX, Device, Devices, FCM_TOKEN_MAX, Platform};

fn device(n: usize, platform: Platform) -> Device {
    Device {
        id: DeviceId::random(),
        platform,
        token: format!("{n:064x}"),
        endpoint_arn: format!("arn:aws:sns:eu-west-1:123456789012:endpoint/APNS/bookworm/{n}"),
        created_at: format!("2026-12-07T20:00:{:02}.000Z", n % 60),
    }
}

/// `count` devices, as a first save (version 1).
fn registered(user: &UserId, count: usize) -> Devices {
    let mut devices = Devices::empty(user);
    for n in 0..count {
        devices = devices.with(device(n, Platform::ALL[n % 3])).expect("under the limit");
    }
    Devices { version: 1, ..devices }
}

/// Runs every check against one store (any contents: its users are new).
pub async fn device_store<S: DeviceStore>(store: &S) {
    let ann = user(&format!("ann-{}", Uuid::new_v4()));
    let bob = user(&format!("bob-{}", Uuid::new_v4()));
    assert_eq!(store.devices(&ann).await.expect("read"), Devices::empty(&ann), "never registered");

    let one = registered(&ann, 1);
    assert!(store.save_devices(&one).await.expect("save"), "the first save");
    assert_eq!(store.devices(&ann).await.expect("read"), one);
    assert_eq!(
        store.devices(&bob).await.expect("read"),
        Devices::empty(&bob),
        "one buyer's devices are theirs"
    );

    let again = Devices { version: 1, ..registered(&ann, 2) };
    assert!(!store.save_devices(&again).await.expect("save"), "a second first save loses");
    let skipped = Devices { version: 3, ..one.clone() };
    assert!(!store.save_devices(&skipped).await.expect("save"), "not over version 2, which is not there");
    let zero = Devices::empty(&ann);
    assert!(!store.save_devices(&zero).await.expect("save"), "version 0 is never a save");
    assert_eq!(store.devices(&ann).await.expect("read"), one, "losers wrote nothing");

    // Racing registrations over one version: exactly one device is added.
    let racers: Vec<Devices> =
        (0..8).map(|n| one.with(device(100 + n, Platform::Fcm)).expect("add")).collect();
    let outcomes = futures::future::join_all(racers.iter().map(|racer| store.save_devices(racer))).await;
    let winners: Vec<&Devices> = racers
        .iter()
        .zip(&outcomes)
        .filter(|(_, saved)| *saved.as_ref().expect("save"))
        .map(|(racer, _)| racer)
        .collect();
    assert_eq!(winners.len(), 1, "one winner among racing saves");
    let two = store.devices(&ann).await.expect("read");
    assert_eq!(&two, winners[0]);

    // Removing the last device keeps the version going: an old save cannot bring one back.
    let removed = Devices { devices: Vec::new(), version: two.version + 1, ..two.clone() };
    assert!(store.save_devices(&removed).await.expect("save"));
    assert_eq!(store.devices(&ann).await.expect("read"), removed);
    assert!(!store.save_devices(&two.with(device(7, Platform::Apns)).expect("add")).await.expect("save"));

    // The most devices, with the longest tokens FCM may have, read back intact.
    let mut full = Devices::empty(&bob);
    for n in 0..DEVICES_MAX {
        let token = format!("{n:02}{}", "x".repeat(FCM_TOKEN_MAX - 2));
        full = full.with(Device { token, ..device(n, Platform::Fcm) }).expect("under the limit");
    }
    let full = Devices { version: 1, ..full };
    assert!(store.save_devices(&full).await.expect("save the largest list"));
    assert_eq!(store.devices(&bob).await.expect("read"), full);
}
