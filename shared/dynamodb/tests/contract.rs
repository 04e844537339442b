//! The catalog contract against a DynamoDB-compatible server (moto, started by scripts/test).
//! `DYNAMODB_ENDPOINT` names it; without one this test fails rather than pass unchecked.

use aws_sdk_dynamodb::Client;
use bookworm_domain::contract;
use bookworm_dynamodb::{DynamoCatalog, DynamoShop, ReadBudget, ShopTables, schema};

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

#[tokio::test]
async fn a_listing_that_runs_out_of_read_budget_says_where_to_go_on() {
    let client = client();
    let tables = ShopTables::prefixed(&format!("budget-{}", uuid::Uuid::new_v4()));
    schema::create_shop_tables(&client, &tables).await.expect("create tables");
    // One item per query, one query per listing: every filtered page ends at the budget.
    let shop = DynamoShop::with_tables(client, tables).with_read_budget(ReadBudget { calls: 1, batch: 1 });
    contract::shop_store(&shop).await;
    contract::commerce_store(&shop).await;
}
