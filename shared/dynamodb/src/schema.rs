//! Table definitions, kept identical to template.yaml's. Used by tests and the local stack;
//! in AWS the tables come from the template.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, LocalSecondaryIndex,
    Projection, ProjectionType, ScalarAttributeType, StreamSpecification, StreamViewType,
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

fn key(attribute: &str, kind: KeyType) -> Result<KeySchemaElement, Error> {
    KeySchemaElement::builder()
        .attribute_name(attribute)
        .key_type(kind)
        .build()
        .map_err(|e| unavailable("describe a table", e))
}

fn string_attribute(attribute: &str) -> Result<AttributeDefinition, Error> {
    AttributeDefinition::builder()
        .attribute_name(attribute)
        .attribute_type(ScalarAttributeType::S)
        .build()
        .map_err(|e| unavailable("describe a table", e))
}

/// The shop tables: events (`pk`/`sk`, stream of new images), connections (`id`, GSI
/// `by_shop`), claims (`claim`), baskets (`pk`), orders (`id`).
pub async fn create_shop_tables(client: &Client, tables: &crate::ShopTables) -> Result<(), Error> {
    let (events, connections, claims) = (&tables.events, &tables.connections, &tables.claims);
    client
        .create_table()
        .table_name(&tables.preferences)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key("user_id", KeyType::Hash)?)
        .attribute_definitions(string_attribute("user_id")?)
        .send()
        .await
        .map_err(|e| unavailable("create the preferences table", e))?;
    client
        .create_table()
        .table_name(&tables.baskets)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key("pk", KeyType::Hash)?)
        .attribute_definitions(string_attribute("pk")?)
        .send()
        .await
        .map_err(|e| unavailable("create the baskets table", e))?;
    let newest_first = |name: &str, partition: &str| {
        GlobalSecondaryIndex::builder()
            .index_name(name)
            .key_schema(key(partition, KeyType::Hash)?)
            .key_schema(key("sort_key", KeyType::Range)?)
            .projection(Projection::builder().projection_type(ProjectionType::All).build())
            .build()
            .map_err(|e| unavailable("describe a table", e))
    };
    client
        .create_table()
        .table_name(&tables.orders)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key("id", KeyType::Hash)?)
        .attribute_definitions(string_attribute("id")?)
        .attribute_definitions(string_attribute("buyer_id")?)
        .attribute_definitions(string_attribute("kind")?)
        .attribute_definitions(string_attribute("sort_key")?)
        .global_secondary_indexes(newest_first("by_buyer", "buyer_id")?)
        .global_secondary_indexes(newest_first("all_orders", "kind")?)
        .send()
        .await
        .map_err(|e| unavailable("create the orders table", e))?;
    client
        .create_table()
        .table_name(events)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key("pk", KeyType::Hash)?)
        .key_schema(key("sk", KeyType::Range)?)
        .attribute_definitions(string_attribute("pk")?)
        .attribute_definitions(string_attribute("sk")?)
        .stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::NewImage)
                .build()
                .map_err(|e| unavailable("describe a table", e))?,
        )
        .send()
        .await
        .map_err(|e| unavailable("create the events table", e))?;
    let by_shop = GlobalSecondaryIndex::builder()
        .index_name("by_shop")
        .key_schema(key("shop_id", KeyType::Hash)?)
        .key_schema(key("id", KeyType::Range)?)
        .projection(Projection::builder().projection_type(ProjectionType::KeysOnly).build())
        .build()
        .map_err(|e| unavailable("describe a table", e))?;
    client
        .create_table()
        .table_name(connections)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key("id", KeyType::Hash)?)
        .attribute_definitions(string_attribute("id")?)
        .attribute_definitions(string_attribute("shop_id")?)
        .global_secondary_indexes(by_shop)
        .send()
        .await
        .map_err(|e| unavailable("create the connections table", e))?;
    client
        .create_table()
        .table_name(claims)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key("claim", KeyType::Hash)?)
        .attribute_definitions(string_attribute("claim")?)
        .send()
        .await
        .map_err(|e| unavailable("create the claims table", e))?;
    Ok(())
}

/// Every table, named as the functions read them from the environment (`CATALOG_TABLE`,
/// `EVENTS_TABLE`, …), in the DynamoDB the environment points at: moto or DynamoDB Local for
/// benchmarks and experiments (`bookworm-local create-tables`).
pub async fn create_tables_from_env() -> Result<(), Error> {
    let client = Client::new(&crate::sdk_config_from_env()?);
    create_catalog_table(&client, &crate::required_env("CATALOG_TABLE")?).await?;
    create_shop_tables(&client, &crate::ShopTables::from_env()?).await
}
