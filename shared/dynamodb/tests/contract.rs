//! The catalog contract against a DynamoDB-compatible server (moto, started by scripts/test).
//! `DYNAMODB_ENDPOINT` names it; without one this test fails rather than pass unchecked.

use aws_sdk_dynamodb::Client;
use bookworm_domain::contract;
use bookworm_dynamodb::{
    DynamoCatalog, DynamoReviews, DynamoShop, ReadBudget, ReviewTables, ShopTable, ShopTables, WarmUp, schema,
};

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

/// The search indexer's reads: the same answers, every read (local-index queries included)
/// strongly consistent, which DynamoDB accepts only on tables and local indexes.
#[tokio::test]
async fn meets_the_catalog_contract_reading_consistently() {
    let client = client();
    let table = format!("catalog-{}", uuid::Uuid::new_v4());
    schema::create_catalog_table(&client, &table).await.expect("create table");
    contract::catalog_store(&DynamoCatalog::new(client, table).consistent()).await;
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

/// The warm-up read of every table a function warms up on, with the key schema the template
/// gives it: a key of the wrong shape would be refused (ValidationException) and warm nothing.
#[tokio::test]
async fn the_warm_up_read_is_answered_on_every_table_it_names() {
    let client = client();
    let prefix = format!("warm-{}", uuid::Uuid::new_v4());
    let tables = ShopTables::prefixed(&prefix);
    schema::create_shop_tables(&client, &tables).await.expect("create tables");
    let catalog = format!("{prefix}-catalog");
    schema::create_catalog_table(&client, &catalog).await.expect("create the catalog table");
    assert_eq!(DynamoCatalog::new(client.clone(), catalog).warm_up().await, WarmUp::Connected);
    let shop = DynamoShop::with_tables(client, tables);
    for table in [ShopTable::Events, ShopTable::Connections, ShopTable::Baskets, ShopTable::Orders] {
        assert_eq!(shop.warm_up(table).await, WarmUp::Connected, "{table:?}");
    }
}

/// A warm-up that cannot succeed says so and returns: a missing table fails at once, and an
/// endpoint that accepts the connection but never answers is given up after a second, well
/// inside Lambda's 10 s init.
#[tokio::test]
async fn a_warm_up_that_fails_or_hangs_gives_up_without_failing_init() {
    let missing = DynamoCatalog::new(client(), format!("missing-{}", uuid::Uuid::new_v4()));
    assert!(matches!(missing.warm_up().await, WarmUp::Failed(error) if error.contains("ResourceNotFound")));

    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", silent.local_addr().unwrap());
    let config = bookworm_aws::config_from(|name| match name {
        "AWS_REGION" => Some("us-east-1".to_owned()),
        "AWS_ACCESS_KEY_ID" | "AWS_SECRET_ACCESS_KEY" => Some("test".to_owned()),
        "AWS_ENDPOINT_URL" => Some(endpoint.clone()),
        _ => None,
    })
    .unwrap();
    let started = std::time::Instant::now();
    let hung = DynamoCatalog::new(Client::new(&config), "catalog").warm_up().await;
    assert_eq!(hung, WarmUp::TimedOut);
    assert!(started.elapsed() < std::time::Duration::from_secs(2), "{:?}", started.elapsed());
}

/// The review store over its own table, the catalog (book checks) and the shop tables
/// (events, orders), all created from the template.
async fn review_stores(prefix: &str) -> (DynamoReviews, DynamoCatalog, DynamoShop) {
    let client = client();
    let prefix = format!("{prefix}-{}", uuid::Uuid::new_v4());
    let shop_tables = ShopTables::prefixed(&prefix);
    schema::create_shop_tables(&client, &shop_tables).await.expect("create shop tables");
    let catalog = format!("{prefix}-catalog");
    schema::create_catalog_table(&client, &catalog).await.expect("create the catalog table");
    let reviews = format!("{prefix}-reviews");
    schema::create_reviews_table(&client, &reviews).await.expect("create the reviews table");
    let tables = ReviewTables {
        reviews,
        catalog: catalog.clone(),
        events: shop_tables.events.clone(),
        orders: shop_tables.orders.clone(),
    };
    (
        DynamoReviews::with_tables(client.clone(), tables),
        DynamoCatalog::new(client.clone(), catalog),
        DynamoShop::with_tables(client, shop_tables),
    )
}

#[tokio::test]
async fn meets_the_review_and_purchases_contracts() {
    let (reviews, catalog, shop) = review_stores("reviews").await;
    contract::review_store(&reviews, &catalog, &shop).await;
    contract::purchases(&shop, &reviews).await;
}

#[tokio::test]
async fn review_listings_cut_short_by_the_read_budget_resume_where_they_stopped() {
    let (reviews, catalog, shop) = review_stores("reviews-budget").await;
    let reviews = reviews.with_read_budget(ReadBudget { calls: 1, batch: 1 });
    contract::review_store(&reviews, &catalog, &shop).await;
}

#[tokio::test]
async fn ratings_read_many_books_in_batches_of_a_hundred() {
    let (reviews, _, _) = review_stores("ratings").await;
    let books: Vec<_> = (0..250).map(|_| bookworm_domain::ids::BookId::random()).collect();
    let mut asked = books.clone();
    asked.push(books[0]); // a book asked twice is answered twice
    let ratings = bookworm_domain::ports::RatingReader::ratings(&reviews, &asked).await.expect("ratings");
    assert_eq!(ratings.len(), 251);
    assert!(ratings.iter().all(|r| r.count() == 0));
}
