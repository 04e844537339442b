//! The Lambda adapter against moto (started by scripts/test; `LAMBDA_ENDPOINT` names it, or
//! else `DYNAMODB_ENDPOINT`: scripts/test runs one moto for every service). moto queues an
//! `Event` invocation as Lambda does (202) without running it: that the payload is the shard the
//! function takes is checked where it is run, by the deploy rehearsal (tests/deploy).

use aws_sdk_lambda::Client;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{FunctionCode, Runtime};
use bookworm_domain::contract;
use bookworm_domain::contract::any_event;
use bookworm_domain::ports::{Listener, Shard, ShardDispatch};
use bookworm_lambda::LambdaShards;

fn moto() -> bookworm_aws::SdkConfig {
    let variable =
        if std::env::var_os("LAMBDA_ENDPOINT").is_some() { "LAMBDA_ENDPOINT" } else { "DYNAMODB_ENDPOINT" };
    test_support::moto(variable)
}

/// A function moto will accept invocations of: its role must exist in IAM first.
async fn function(config: &bookworm_aws::SdkConfig) -> String {
    let endpoint = config.endpoint_url().unwrap_or_default().to_owned();
    let name = format!("fanout-{}", uuid::Uuid::new_v4().simple());
    let form = form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("Action", "CreateRole"),
            ("Version", "2010-05-08"),
            ("RoleName", name.as_str()),
            ("AssumeRolePolicyDocument", r#"{"Version":"2012-10-17","Statement":[]}"#),
        ])
        .finish();
    let role = reqwest::Client::new()
        .post(&endpoint)
        .header("authorization", "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/iam/aws4_request")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .expect("create a role");
    assert!(role.status().is_success(), "{}", role.text().await.unwrap_or_default());
    Client::new(config)
        .create_function()
        .function_name(&name)
        .role(format!("arn:aws:iam::123456789012:role/{name}"))
        .runtime(Runtime::Providedal2023)
        .handler("bootstrap")
        .code(FunctionCode::builder().zip_file(Blob::new(empty_zip())).build())
        .send()
        .await
        .expect("create a function");
    name
}

/// An empty zip archive: its end-of-central-directory record alone.
fn empty_zip() -> Vec<u8> {
    let mut zip = vec![0x50, 0x4b, 0x05, 0x06];
    zip.extend([0; 18]);
    zip
}

#[tokio::test]
async fn meets_the_shard_dispatch_contract() {
    let config = moto();
    let name = function(&config).await;
    contract::shard_dispatch(&LambdaShards::new(&config, name)).await;
}

#[tokio::test]
async fn a_function_that_does_not_exist_is_an_error_naming_it() {
    let config = moto();
    let shards = LambdaShards::new(&config, "no-such-fanout");
    let shard = Shard {
        event: any_event(bookworm_domain::ids::ShopId::random()),
        number: 1,
        listeners: vec![Listener { id: "a".parse().unwrap(), token_expires_at: 0 }],
    };
    let error = shards.dispatch(&shard).await.expect_err("nothing to invoke");
    assert!(error.to_string().contains("no-such-fanout"), "{error}");
}
