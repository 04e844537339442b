//! The catalog contract against a DynamoDB-compatible server (moto, started by scripts/test).
//! `DYNAMODB_ENDPOINT` names it; without one this test fails rather than pass unchecked.

use aws_sdk_dynamodb::Client;
use bookworm_domain::contract;
use bookworm_domain::ids::{ConversationId, MessageId};
use bookworm_domain::ports::{SupportStore, Written};
use bookworm_domain::query::PageSize;
use bookworm_domain::support::{AuthorRole, Conversation, ConversationStatus, Message};
use bookworm_dynamodb::{
    DynamoCatalog, DynamoDevices, DynamoProfiles, DynamoReviews, DynamoShop, DynamoSupport, ReadBudget,
    ReviewTables, ShopTable, ShopTables, WarmUp, schema,
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
async fn meets_the_profile_contract() {
    let client = client();
    let table = format!("profiles-{}", uuid::Uuid::new_v4());
    schema::create_profiles_table(&client, &table).await.expect("create table");
    contract::profile_store(&DynamoProfiles::with_table(client, table)).await;
}

#[tokio::test]
async fn meets_the_device_contract() {
    let client = client();
    let table = format!("devices-{}", uuid::Uuid::new_v4());
    schema::create_devices_table(&client, &table).await.expect("create table");
    contract::device_store(&DynamoDevices::with_table(client, table)).await;
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
    contract::reviewed_books(&reviews, &catalog).await;
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

async fn support_store() -> DynamoSupport {
    let client = client();
    let table = format!("support-{}", uuid::Uuid::new_v4());
    schema::create_support_table(&client, &table).await.expect("create the support table");
    DynamoSupport::with_table(client, table)
}

#[tokio::test]
async fn meets_the_support_store_contract() {
    contract::support_store(&support_store().await).await;
}

fn message(author: &str, role: AuthorRole, private: bool) -> Message {
    Message {
        id: MessageId::random(),
        conversation_id: ConversationId::random(),
        seq: 0,
        author_id: contract::user(author),
        author_role: role,
        text: "text".into(),
        private,
        created_at: "2026-12-07T10:00:00.000Z".into(),
        client_message_id: uuid::Uuid::new_v4(),
    }
}

/// A waiting conversation of cleo's, stored with its first message.
async fn opened(store: &DynamoSupport) -> Conversation {
    let at = "2026-12-07T10:00:00.000Z".to_owned();
    let blank = Conversation {
        id: ConversationId::random(),
        subject: "where is my order?".into(),
        status: ConversationStatus::Waiting,
        customer_id: contract::user("cleo"),
        customer_name: None,
        assignee_id: None,
        order_id: None,
        book_id: None,
        created_at: at.clone(),
        last_message_at: at.clone(),
        waiting_since: at,
        closed_at: None,
        message_count: 0,
        customer_read: 0,
        support_read: 0,
        rating: None,
        version: 0,
        customer_email: None,
        away_mailed: 0,
    };
    let (conversation, first) = blank.append(message("cleo", AuthorRole::Customer, false)).expect("append");
    assert!(store.open(&conversation, &first).await.expect("open"));
    conversation
}

/// Appends `message`, which must be written.
async fn append(
    store: &DynamoSupport,
    conversation: Conversation,
    message: Message,
) -> (Conversation, Message) {
    let (next, numbered) = conversation.append(message).expect("append");
    assert_eq!(store.append(&next, &numbered).await.expect("append"), Written::Done);
    (next, numbered)
}

/// DynamoDB filters notes out after a query has read them, so a query of the customer's view
/// can come back empty with more to read: the pages must still be full, in order, and end
/// exactly where the customer's messages do (notes after the last one make no next page).
#[tokio::test]
async fn customers_pages_are_full_across_runs_of_notes() {
    let store = support_store().await;
    let mut conversation = opened(&store).await;
    let notes = |count| std::iter::repeat_with(|| message("sam", AuthorRole::Support, true)).take(count);
    let replies = std::iter::repeat_with(|| message("cleo", AuthorRole::Customer, false)).take(2);
    for next in notes(30).chain(replies).chain(notes(40)) {
        conversation = append(&store, conversation, next).await.0;
    }
    let page = async |after: u32, private: bool| {
        let size = PageSize::new(2).expect("size");
        let page = store.messages(conversation.id, after, size, private).await.expect("read");
        (page.items.iter().map(|m| m.seq).collect::<Vec<_>>(), page.next_cursor)
    };
    assert_eq!(page(0, false).await, (vec![1, 32], Some("32".to_owned())), "a full page across 30 notes");
    assert_eq!(page(32, false).await, (vec![33], None), "40 notes after the last message are no next page");
    assert_eq!(page(33, false).await, (vec![], None));
    assert_eq!(page(71, true).await, (vec![72, 73], None), "agents read the notes");
}

/// A resend is recognised by its client id whatever the conversation did since: sent again
/// from the current version, or from the one it was first sent from (then the client id's
/// condition and the version's both fail, and the resend must win: answered `Stale`, the
/// sender would send it again as a new message).
#[tokio::test]
async fn a_resend_after_the_conversation_moved_on_is_the_stored_message() {
    let store = support_store().await;
    let opened = opened(&store).await;
    let sent = message("cleo", AuthorRole::Customer, false);
    let (after_sent, stored) = append(&store, opened.clone(), sent.clone()).await;
    let (now, _) = append(&store, after_sent, message("sam", AuthorRole::Support, false)).await;
    let first = store.messages(opened.id, 0, PageSize::new(1).expect("size"), true).await.expect("read");
    let first = first.items[0].clone();

    let cases = [
        (&now, &sent, &stored, "from the current version"),
        (&opened, &sent, &stored, "from the version it was first sent from"),
        (&now, &first, &first, "the first message, which `open` stored"),
    ];
    for (from, original, stored, case) in cases {
        let (next, resent) =
            from.append(Message { id: MessageId::random(), ..original.clone() }).expect("append");
        let written = store.append(&next, &resent).await.expect("append");
        assert_eq!(written, Written::Duplicate(Box::new(stored.clone())), "{case}");
    }
    assert_eq!(store.conversation(opened.id).await.expect("read"), Some(now), "nothing written");
}

#[tokio::test]
async fn meets_the_figure_store_contract() {
    let client = client();
    let table = format!("figures-{}", uuid::Uuid::new_v4());
    schema::create_figures_table(&client, &table).await.expect("create the figures table");
    contract::figure_store(&bookworm_dynamodb::DynamoFigures::with_table(client, table)).await;
}

#[tokio::test]
async fn meets_the_co_purchase_contract() {
    let client = client();
    let table = format!("figures-{}", uuid::Uuid::new_v4());
    schema::create_figures_table(&client, &table).await.expect("create the figures table");
    contract::co_purchase_store(&bookworm_dynamodb::DynamoCoPurchases::with_table(client, table)).await;
}
