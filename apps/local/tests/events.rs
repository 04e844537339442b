//! Every sample event under events/ does, through `bookworm-local invoke` on a new data folder,
//! what it is there to show: a refusal ([`REFUSALS`]) gets its status, any other sample
//! succeeds. Each sample runs on its own copy of one freshly seeded folder, after the sample it
//! continues ([`AFTER`]), so no sample depends on the order the samples happen to run in.

use std::path::{Path, PathBuf};

use serde_json::Value;

mod common;

use common::local;

/// Samples that continue another one's story, with the sample to run first on the same folder
/// (several, in this order, for a sample listed more than once).
const AFTER: [(&str, &str); 8] = [
    ("checkout/checkout.json", "basket/put-item.json"),
    ("checkout/checkout-delivery.json", "account/set-profile.json"),
    ("checkout/checkout-delivery.json", "basket/put-item.json"),
    ("checkout/checkout-pickup.json", "basket/put-item.json"),
    // The buyer turns push on and registers a phone: the order email also pushes to it.
    ("email/checkout-completed-push.json", "account/set-preferences.json"),
    ("email/checkout-completed-push.json", "account/register-device.json"),
    ("reviews/edit-own-review.json", "reviews/write-review.json"),
    ("support/rate.json", "support/close.json"),
];

/// Functions whose events only AWS can deliver: `invoke` says so instead of running them.
const AWS_ONLY: [&str; 2] = ["email-retry", "search-indexer"];

/// The samples that show a refusal, with the status they get; every other sample succeeds.
/// The authorizer's refusals are a verdict the function answers 401 to; the device functions'
/// (status 0: no HTTP) a refused connection and a dropped message.
const REFUSALS: [(&str, u64); 49] = [
    ("account/me-rejected-token.json", 401),
    ("account/register-device-invalid.json", 400),
    ("account/remove-unknown-device.json", 404),
    ("account/set-profile-invalid.json", 400),
    ("admin/get-unknown-customer.json", 404),
    ("admin/stats-as-customer.json", 403),
    ("admin/stats-range-too-long.json", 400),
    ("authorizer/forged-alg-none.json", 401),
    ("authorizer/malformed-token.json", 401),
    ("basket/put-item-bad-quantity.json", 400),
    ("catalog-admin/create-book-as-customer.json", 403),
    ("device-actions/action-not-json.json", 0),
    ("device-actions/action-shop-mismatch.json", 0),
    ("device-authorizer/connect-customer-token.json", 0),
    ("device-authorizer/connect-no-token.json", 0),
    ("catalog-admin/create-book-invalid.json", 400),
    ("catalog-admin/create-book-rejected-token.json", 401),
    ("catalog-admin/delete-author-with-books.json", 409),
    ("catalog-admin/delete-category-with-books.json", 409),
    ("catalog-admin/delete-publisher-with-books.json", 409),
    ("catalog-books/get-malformed-id.json", 400),
    ("catalog-books/get-unknown-book.json", 404),
    ("catalog-books/list-bad-parameters.json", 400),
    ("checkout/checkout-unknown-address.json", 400),
    ("checkout/checkout-without-key.json", 400),
    ("orders/cancel-as-customer.json", 403),
    ("orders/complete-unknown-order.json", 404),
    ("orders/get-unknown-order.json", 404),
    ("orders/list-orders-to-before-from.json", 400),
    ("orders/list-shop-orders-other-shop.json", 403),
    ("publish/history-foreign-shop.json", 403),
    ("publish/publish-as-another-shopper.json", 403),
    ("publish/publish-missing-field.json", 400),
    ("publish/publish-shop-mismatch.json", 400),
    ("publish/publish-too-large.json", 413),
    ("reviews/list-reported-as-customer.json", 403),
    ("reviews/list-reviews-bad-sort.json", 400),
    ("reviews/report-invalid-reason.json", 400),
    ("reviews/vote-unknown-review.json", 404),
    ("search/also-bought-bad-limit.json", 400),
    ("search/recommendations-signed-out.json", 401),
    ("search/search-bad-mode.json", 400),
    ("search/similar-unknown-book.json", 404),
    ("reviews/write-review-invalid.json", 400),
    ("reviews/write-review-signed-out.json", 401),
    ("search/search-bad-parameters.json", 400),
    ("support/open-invalid.json", 400),
    ("support/queue-as-customer.json", 403),
    ("websocket/connect-foreign-shop.json", 403),
];

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// `invoke`'s exit status, stdout read as JSON (Null when it is not), and stderr.
fn invoke(data: &Path, sample: &str) -> (bool, Value, String) {
    invoke_with(data, sample, false)
}

/// The same; with `model`, the stack loads the embedding model (the seeding, so the folder has
/// vectors, and the search samples, which rank by meaning).
fn invoke_with(data: &Path, sample: &str, model: bool) -> (bool, Value, String) {
    let function = sample.split('/').next().unwrap();
    let mut command = local();
    command.args(["invoke", function, "--event", &format!("events/{sample}")]).env("DATA_DIR", data);
    if model || function == "search" {
        let folder = std::env::var("BOOKWORM_MODEL_DIR")
            .unwrap_or_else(|_| repo().join(".model/all-MiniLM-L6-v2").to_string_lossy().into_owned());
        command.env("BOOKWORM_MODEL_DIR", folder);
    }
    let output = command.output().unwrap();
    let stdout = serde_json::from_slice(&output.stdout).unwrap_or(Value::Null);
    (output.status.success(), stdout, String::from_utf8_lossy(&output.stderr).into_owned())
}

/// What went wrong with one sample's outcome, if anything.
fn verdict(sample: &str, ran: bool, response: &Value, stderr: &str) -> Option<String> {
    let function = sample.split('/').next().unwrap_or_default();
    if AWS_ONLY.contains(&function) {
        return (ran || !stderr.contains("runs only in AWS")).then(|| "expected `runs only in AWS`".into());
    }
    if !ran {
        return Some("invoke failed".into());
    }
    let refusal = REFUSALS.iter().find(|(refused, _)| *refused == sample).map(|(_, status)| *status);
    match (&response["statusCode"], function) {
        (Value::Number(status), _) => {
            let status = status.as_u64().unwrap_or_default();
            let expected = refusal.map_or(200..300, |refused| refused..refused + 1);
            (!expected.contains(&status)).then(|| format!("status {status}, expected {expected:?}"))
        }
        (_, "authorizer") => {
            // The authorizer lets every request through with its verdict; a refusal names why.
            let rejected = response["context"]["rejected"].is_string();
            (rejected != refusal.is_some()).then(|| format!("rejected: {rejected}, expected {}", !rejected))
        }
        (_, "device-authorizer") => {
            let authenticated = response["isAuthenticated"] == true;
            (authenticated == refusal.is_some()).then(|| format!("authenticated: {authenticated}"))
        }
        (_, "device-actions") => {
            let published = response["published"].is_string();
            (published == refusal.is_some()).then(|| format!("published: {published}"))
        }
        (_, "relay") => {
            let failures = &response["response"]["batchItemFailures"];
            (failures.as_array().is_none_or(|failed| !failed.is_empty()))
                .then(|| "expected no batch item failures".into())
        }
        (_, "stats") => {
            // A stream batch answers its failures (none); a recount, the books it counted.
            let counted = response["books"].as_u64().is_some_and(|books| books > 0);
            let clean = response["batchItemFailures"].as_array().is_some_and(Vec::is_empty);
            (!(counted || clean)).then(|| "expected no batch item failures, or books counted".into())
        }
        (_, "email") => (response != &serde_json::json!(["Sent"])).then(|| "expected [\"Sent\"]".into()),
        (_, "fanout") => (!response.is_array()).then(|| "expected the shards' reports".into()),
        (_, "support-away") => (!response.is_array()).then(|| "expected each reminder's outcome".into()),
        _ => Some("an answer this test does not know".into()),
    }
}

#[test]
fn every_sample_event_does_what_its_name_says_on_a_new_data_folder() {
    let root = tempfile::tempdir().unwrap();
    let seeded = root.path().join("seeded");
    let (ran, _, stderr) = invoke_with(&seeded, "catalog-lookups/list-authors.json", true);
    assert!(ran, "seeding a folder: {stderr}");

    let mut samples: Vec<String> = std::fs::read_dir(repo().join("events"))
        .unwrap()
        .flat_map(|folder| std::fs::read_dir(folder.unwrap().path()).unwrap())
        .map(|file| file.unwrap().path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "json"))
        .map(|path| path.strip_prefix(repo().join("events")).unwrap().to_string_lossy().into_owned())
        .collect();
    samples.sort();
    assert!(samples.len() > 60, "the samples were found: {samples:?}");
    let named = REFUSALS.iter().map(|(sample, _)| *sample).chain(AFTER.iter().flat_map(|(a, b)| [*a, *b]));
    for sample in named {
        assert!(samples.iter().any(|found| found == sample), "{sample} is not a sample (renamed?)");
    }

    let mut wrong = Vec::new();
    for (number, sample) in samples.iter().enumerate() {
        let data = root.path().join(number.to_string());
        copy_dir(&seeded, &data);
        for (later, first) in AFTER {
            if later == sample {
                let (ran, response, stderr) = invoke(&data, first);
                assert!(ran, "{first}, run before {sample}: {stderr}");
                assert!(verdict(first, ran, &response, &stderr).is_none(), "{first}: {response}");
            }
        }
        let (ran, response, stderr) = invoke(&data, sample);
        if let Some(what) = verdict(sample, ran, &response, &stderr) {
            let stderr: String = stderr.lines().filter(|line| line.contains("bookworm-local:")).collect();
            wrong.push(format!("{sample}: {what}\n  {response}\n  {stderr}"));
        }
        std::fs::remove_dir_all(&data).unwrap();
    }
    assert!(wrong.is_empty(), "{} of {} samples:\n{}", wrong.len(), samples.len(), wrong.join("\n"));
}
