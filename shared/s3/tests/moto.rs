//! The S3 index store against moto: the index store contract, and the tags the bucket's
//! lifecycle rule deletes superseded versions by.

use aws_sdk_s3::Client;
use bookworm_domain::contract;
use bookworm_domain::ports::IndexStore;
use bookworm_domain::search::Published;
use bookworm_s3::{S3IndexStore, SUPERSEDED};

async fn store() -> (S3IndexStore, Client, String) {
    let config = test_support::moto("S3_ENDPOINT");
    let client = Client::from_conf(aws_sdk_s3::config::Builder::from(&config).force_path_style(true).build());
    let bucket = format!("index-{}", uuid::Uuid::new_v4());
    client.create_bucket().bucket(&bucket).send().await.expect("create the bucket");
    (S3IndexStore::from_config(&config, &bucket), client, bucket)
}

async fn tags(client: &Client, bucket: &str, key: &str) -> Vec<(String, String)> {
    let tagging = client.get_object_tagging().bucket(bucket).key(key).send().await.expect("tags");
    tagging.tag_set().iter().map(|t| (t.key().to_owned(), t.value().to_owned())).collect()
}

#[tokio::test]
async fn the_s3_store_meets_the_contract() {
    let (store, _, _) = store().await;
    contract::index_store(&store).await;
}

#[tokio::test]
async fn replaced_versions_and_lost_uploads_are_tagged_for_expiry_and_the_current_one_is_not() {
    let (store, client, bucket) = store().await;
    let Published::Current(first) = store.publish(vec![1; 100], 1, None).await.unwrap() else { panic!() };
    let Published::Current(second) = store.publish(vec![2; 100], 1, Some(&first)).await.unwrap() else {
        panic!()
    };
    assert_eq!(store.publish(vec![3; 100], 1, Some(&first)).await.unwrap(), Published::Stale);

    let superseded = vec![(SUPERSEDED.0.to_owned(), SUPERSEDED.1.to_owned())];
    let key = |object: &str| format!("search/versions/{object}");
    assert_eq!(tags(&client, &bucket, &key(&first.object)).await, superseded, "the replaced version");
    assert!(
        tags(&client, &bucket, &key(&second.object)).await.is_empty(),
        "the current version never expires"
    );
    let listed = client.list_objects_v2().bucket(&bucket).prefix("search/versions/").send().await.unwrap();
    let lost: Vec<String> = listed
        .contents()
        .iter()
        .filter_map(|o| o.key().map(str::to_owned))
        .filter(|k| *k != key(&first.object) && *k != key(&second.object))
        .collect();
    assert_eq!(lost.len(), 1, "the losing upload: {lost:?}");
    assert_eq!(tags(&client, &bucket, &lost[0]).await, superseded, "the losing upload");
}

#[tokio::test]
async fn a_missing_bucket_is_an_error_not_an_empty_index() {
    let config = test_support::moto("S3_ENDPOINT");
    let store = S3IndexStore::from_config(&config, "no-such-bucket-for-search");
    assert!(store.current().await.is_err());
}
