//! The contract of the profile store: a profile reads back as saved, each save only over the
//! version it was made from (one winner among racing saves), and one user's profile is theirs.

use uuid::Uuid;

use super::user;
use crate::ids::{AddressId, UserId};
use crate::ports::ProfileStore;
use crate::profile::{ADDRESSES_MAX, Address, CITY_MAX, LINE_MAX, Profile, RECIPIENT_MAX};

fn address(n: usize) -> Address {
    Address {
        id: AddressId::random(),
        label: Some(format!("Address {n}")),
        recipient: "Ann Reader".into(),
        line1: format!("{n} High Street"),
        line2: None,
        city: "Oxford".into(),
        region: Some("Oxfordshire".into()),
        postal_code: Some("OX1 1AA".into()),
        country: "GB".into(),
    }
}

fn profile(user: &UserId, version: u64, addresses: Vec<Address>) -> Profile {
    Profile {
        default_address_id: addresses.first().map(|address| address.id),
        display_name: Some(format!("Ann, version {version}")),
        phone: Some("+14155552671".into()),
        addresses,
        version,
        updated_at: Some(format!("2026-12-07T17:00:{version:02}.000Z")),
        ..Profile::empty(user)
    }
}

/// Runs every check against one store (any contents: its users are new).
pub async fn profile_store<S: ProfileStore>(store: &S) {
    let ann = user(&format!("ann-{}", Uuid::new_v4()));
    let bob = user(&format!("bob-{}", Uuid::new_v4()));
    assert_eq!(store.profile(&ann).await.expect("read"), None, "never saved");

    let first = profile(&ann, 1, vec![address(1), address(2)]);
    assert!(store.save_profile(&first).await.expect("save"), "the first save");
    assert_eq!(store.profile(&ann).await.expect("read"), Some(first.clone()));
    assert_eq!(store.profile(&bob).await.expect("read"), None, "one user's profile is theirs");

    let again = profile(&ann, 1, vec![]);
    assert!(!store.save_profile(&again).await.expect("save"), "a second first save loses");
    let skipped = profile(&ann, 3, vec![]);
    assert!(!store.save_profile(&skipped).await.expect("save"), "not over version 2, which is not there");
    assert_eq!(store.profile(&ann).await.expect("read"), Some(first.clone()), "losers wrote nothing");

    // An address deleted, one edited: the stored profile is the new one, whole.
    let mut edited = first.addresses[1].clone();
    edited.line1 = "2 Broad Street".into();
    let second = profile(&ann, 2, vec![edited]);
    assert!(store.save_profile(&second).await.expect("save"));
    assert_eq!(store.profile(&ann).await.expect("read"), Some(second.clone()));

    // Racing saves over one version: exactly one is stored.
    let racers: Vec<Profile> = (0..8).map(|n| profile(&ann, 3, vec![address(n)])).collect();
    let outcomes = futures::future::join_all(racers.iter().map(|racer| store.save_profile(racer))).await;
    let winners: Vec<&Profile> = racers
        .iter()
        .zip(&outcomes)
        .filter(|(_, saved)| *saved.as_ref().expect("save"))
        .map(|(racer, _)| racer)
        .collect();
    assert_eq!(winners.len(), 1, "one winner among racing saves");
    assert_eq!(store.profile(&ann).await.expect("read").as_ref(), Some(winners[0]));

    // The largest profile the rules allow, in characters of four bytes, reads back intact.
    let long = |n: usize| "𝔄".repeat(n);
    let full: Vec<Address> = (0..ADDRESSES_MAX)
        .map(|n| Address {
            recipient: long(RECIPIENT_MAX),
            line1: long(LINE_MAX),
            line2: Some(long(LINE_MAX)),
            city: long(CITY_MAX),
            ..address(n)
        })
        .collect();
    let largest = Profile { display_name: Some(long(100)), ..profile(&bob, 1, full) };
    assert!(store.save_profile(&largest).await.expect("save the largest profile"));
    assert_eq!(store.profile(&bob).await.expect("read"), Some(largest));
}
