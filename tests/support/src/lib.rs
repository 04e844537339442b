//! Helpers shared by the tests, never by production code (every user is a dev-dependency).

pub mod email;

use std::collections::BTreeSet;
use std::path::PathBuf;

use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_lambda_events::sns::{SnsEvent, SnsRecord};
use aws_types::region::Region;
use bookworm_aws::{BehaviorVersion, SdkConfig};
use bookworm_domain::events::ShopEvent;

/// AWS configuration for the moto server whose URL is in `variable` (scripts/test sets it);
/// without one the calling test fails, rather than pass unchecked.
pub fn moto(variable: &str) -> SdkConfig {
    let endpoint =
        std::env::var(variable).unwrap_or_else(|_| panic!("{variable} must name moto: run scripts/test"));
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            "test", "test", None, None, "tests",
        )))
        .endpoint_url(endpoint)
        .build()
}

/// An SNS delivery of one shop event, as Lambda receives it.
pub fn sns_batch(event: &ShopEvent) -> SnsEvent {
    let mut record = SnsRecord::default();
    record.sns.message = serde_json::to_string(event).unwrap_or_default();
    let mut batch = SnsEvent::default();
    batch.records = vec![record];
    batch
}

/// The sample events of `function` (`events/<function>/`), read, checking that `cases` names
/// every file there and nothing else.
pub fn sample_events(function: &str, cases: &[&str]) -> Vec<(String, String)> {
    let folder = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../events").join(function);
    let files: BTreeSet<String> = std::fs::read_dir(&folder)
        .unwrap_or_else(|e| panic!("{}: {e}", folder.display()))
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .collect();
    let named: BTreeSet<String> = cases.iter().map(|case| (*case).to_owned()).collect();
    assert_eq!(files, named, "events/{function}: a case per event file, and a file per case");
    cases
        .iter()
        .map(|case| {
            let text = std::fs::read_to_string(folder.join(case)).unwrap_or_else(|e| panic!("{case}: {e}"));
            ((*case).to_owned(), text)
        })
        .collect()
}
