//! The catalog contract against a DynamoDB-compatible server (moto, started by scripts/test).
//! `DYNAMODB_ENDPOINT` names it; without one this test fails rather than pass unchecked.

use aws_sdk_dynamodb::Client;
use bookworm_domain::contract;
use bookworm_dynamodb::{DynamoCatalog, DynamoShop, ShopTables, schema};

fn client() -> Client {
    Client::new(&test_support::moto("DYNAMODB_ENDPOINT"))
}

#[tokio::test]
async fn meets_the_catalog_contract() {
    let client = client();
    let table = format!("catalog-{}", uuid::Uuid::new_v4());
    schema::create_catalog_table(&client, &table).await.expect("create table");
    contract::catalog_store(&DynamoCatalog::new(client, table)).await;
}

#[tokio::test]
async fn meets_the_shop_and_commerce_contracts() {
    let client = client();
    let tables = ShopTables::prefixed(&format!("shop-{}", uuid::Uuid::new_v4()));
    schema::create_shop_tables(&client, &tables).await.expect("create tables");
    let shop = DynamoShop::with_tables(client, tables);
    contract::shop_store(&shop).await;
    contract::commerce_store(&shop).await;
    contract::preference_store(&shop).await;
}
