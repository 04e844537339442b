//! The SQS adapter against moto (`SQS_ENDPOINT`, started by scripts/test), each test on a queue
//! of its own: what is received, what a receive hides and for how long, the receive count, and
//! that a deleted message is gone.

use std::time::Duration;

use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::QueueAttributeName;
use bookworm_domain::Error;
use bookworm_domain::queue::MessageQueue;
use bookworm_sqs::SqsQueue;

async fn new_queue(client: &Client) -> String {
    let name = format!("email-dlq-{}", uuid::Uuid::new_v4());
    client.create_queue().queue_name(name).send().await.unwrap().queue_url.unwrap()
}

/// Messages in the queue, visible or hidden.
async fn messages_left(client: &Client, url: &str) -> u32 {
    let attributes = client
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap();
    attributes.values().map(|count| count.parse::<u32>().unwrap()).sum()
}

#[tokio::test]
async fn receives_counts_receives_and_deletes() {
    let client = Client::new(&test_support::moto("SQS_ENDPOINT"));
    let url = new_queue(&client).await;
    let body = r#"{"Records": []}"#;
    client.send_message().queue_url(&url).message_body(body).send().await.unwrap();
    let queue = SqsQueue::new(client.clone(), &url);

    // No visibility timeout: the message is back at once, counted again.
    let first = queue.receive(10, Duration::ZERO).await.unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!((first[0].body.as_str(), first[0].receive_count), (body, 1));
    assert!(!first[0].id.is_empty());
    let second = queue.receive(10, Duration::from_secs(300)).await.unwrap();
    assert_eq!(second.len(), 1);
    assert_eq!((&second[0].id, second[0].receive_count), (&first[0].id, 2));
    assert_ne!(second[0].receipt, first[0].receipt, "every receive has its own receipt");

    assert!(queue.receive(10, Duration::ZERO).await.unwrap().is_empty(), "hidden by the last receive");
    queue.delete(&second[0].receipt).await.unwrap();
    assert_eq!(messages_left(&client, &url).await, 0);
}

#[tokio::test]
async fn a_receive_takes_at_most_ten() {
    let client = Client::new(&test_support::moto("SQS_ENDPOINT"));
    let url = new_queue(&client).await;
    for i in 0..12 {
        client.send_message().queue_url(&url).message_body(format!("{i}")).send().await.unwrap();
    }
    let queue = SqsQueue::new(client.clone(), &url);
    // SQS refuses more than 10; the adapter asks for at most that.
    let received = queue.receive(usize::MAX, Duration::from_secs(300)).await.unwrap();
    assert_eq!(received.len(), 10);
    for message in &received {
        queue.delete(&message.receipt).await.unwrap();
    }
    assert_eq!(messages_left(&client, &url).await, 2);
}

#[tokio::test]
async fn an_unknown_queue_is_unavailable() {
    let config = test_support::moto("SQS_ENDPOINT");
    let endpoint = config.endpoint_url().unwrap_or_default().to_owned();
    let queue = SqsQueue::new(Client::new(&config), format!("{endpoint}/123456789012/no-such-queue"));
    let error = queue.receive(10, Duration::from_secs(60)).await.unwrap_err();
    assert!(matches!(error, Error::Unavailable { .. }), "{error}");
}
