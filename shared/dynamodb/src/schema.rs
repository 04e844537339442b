//! Table definitions, kept identical to template.yaml's. Used by tests and the local stack;
//! in AWS the tables come from the template.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, LocalSecondaryIndex, Projection,
    ProjectionType, ScalarAttributeType,
};
use bookworm_domain::Error;

use crate::unavailable;

/// The catalog table: `pk`/`sk` plus the two local indexes that order listings.
pub async fn create_catalog_table(client: &Client, name: &str) -> Result<(), Error> {
    let key = |attribute: &str, kind: KeyType| {
        KeySchemaElement::builder().attribute_name(attribute).key_type(kind).build()
    };
    let string_attribute = |attribute: &str| {
        AttributeDefinition::builder()
            .attribute_name(attribute)
            .attribute_type(ScalarAttributeType::S)
            .build()
    };
    let index = |name: &str| {
        LocalSecondaryIndex::builder()
            .index_name(name)
            .key_schema(key("pk", KeyType::Hash)?)
            .key_schema(key(name, KeyType::Range)?)
            .projection(Projection::builder().projection_type(ProjectionType::All).build())
            .build()
    };
    let build = |e| unavailable("describe the catalog table", e);
    client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key("pk", KeyType::Hash).map_err(build)?)
        .key_schema(key("sk", KeyType::Range).map_err(build)?)
        .attribute_definitions(string_attribute("pk").map_err(build)?)
        .attribute_definitions(string_attribute("sk").map_err(build)?)
        .attribute_definitions(string_attribute("by_name").map_err(build)?)
        .attribute_definitions(string_attribute("by_price").map_err(build)?)
        .local_secondary_indexes(index("by_name").map_err(build)?)
        .local_secondary_indexes(index("by_price").map_err(build)?)
        .send()
        .await
        .map_err(|e| unavailable("create the catalog table", e))?;
    Ok(())
}
