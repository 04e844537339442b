//! The folder index store meets the index store contract.

use bookworm_domain::contract;
use bookworm_domain::ports::IndexStore;
use bookworm_domain::search::Published;
use bookworm_search::FolderIndexStore;

#[tokio::test]
async fn the_folder_store_meets_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    contract::index_store(&FolderIndexStore::new(dir.path()).unwrap()).await;
}

#[tokio::test]
async fn only_the_current_and_previous_versions_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let store = FolderIndexStore::new(dir.path()).unwrap();
    let mut pointer = None;
    for version in 1..=5u8 {
        match store.publish(vec![version; 10], 1, pointer.as_ref()).await.unwrap() {
            Published::Current(next) => pointer = Some(next),
            Published::Stale => panic!("no one else publishes"),
        }
    }
    let kept = std::fs::read_dir(dir.path().join("versions")).unwrap().count();
    assert_eq!(kept, 2, "versions 4 and 5");
}

#[tokio::test]
async fn a_pointer_naming_a_path_outside_the_folder_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = FolderIndexStore::new(dir.path()).unwrap();
    let Published::Current(mut pointer) = store.publish(vec![1], 1, None).await.unwrap() else { panic!() };
    for object in ["../CURRENT", "/etc/passwd", ".hidden"] {
        pointer.object = object.to_owned();
        assert!(store.fetch(&pointer).await.is_err(), "{object}");
    }
}
