"""The rehearsal's scenario: each function's binary on its sample events, and on a few made
from what earlier steps did (the order a checkout placed, the events it stored), in the order a
shop's day would bring them."""

import copy
import json
import os
import subprocess
import time
import uuid

from conftest import ACCOUNT, PARAMETERS, ROOT, binary_dir
from lambda_host import FunctionHost

EVENTS = ROOT / "events"
SHOP = "123e4567-e89b-42d3-a456-426614174000"

def events(function, *cases):
    return [(case, json.loads((EVENTS / function / f"{case}.json").read_text())) for case in cases]


def sns_delivery(shop_event):
    """An SNS delivery of one stored shop event, as Lambda gets it from the topic."""
    (_, delivery), = events("fanout", "checkout-action")
    record = delivery["Records"][0]["Sns"]
    record["Message"] = json.dumps(shop_event)
    record["MessageAttributes"] = {
        "shop_id": {"Type": "String", "Value": shop_event["shop_id"]},
        "type": {"Type": "String", "Value": shop_event["type"]},
    }
    return delivery


def stream_batch(items, stream_arn):
    """The events table's stream records for `items`, as the event source mapping sends them."""
    (_, batch), = events("relay", "insert")
    template = batch["Records"][0]
    records = []
    for index, item in enumerate(items):
        record = copy.deepcopy(template)
        record["eventID"] = f"rehearsal-{index}"
        record["dynamodb"]["Keys"] = {"pk": item["pk"], "sk": item["sk"]}
        record["dynamodb"]["NewImage"] = item
        record["dynamodb"]["SequenceNumber"] = str(1000 + index)
        record["eventSourceARN"] = stream_arn
        records.append(record)
    return {"Records": records}


def order_event(case, order_id):
    (_, event), = events("orders", case)
    for key in ("rawPath",):
        event[key] = event[key].replace("00000000-0000-4000-8000-000000000000", order_id)
    event["requestContext"]["http"]["path"] = event["rawPath"]
    event["pathParameters"]["id"] = order_id
    return event


SEEDER = "SeedCatalog"  # the access key `bookworm-local seed` signs with here
READER = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"  # another reader than the sample events


def http_request(folder, case, *, route=None, parameters=None, user=None, roles=None, body=..., query=None):
    """A sample HTTP API event of `folder`, aimed elsewhere: another route, path parameters,
    caller, body or query."""
    (_, event), = events(folder, case)
    context = event["requestContext"]
    if route:
        event["routeKey"] = context["routeKey"] = route
        context["http"]["method"] = route.split(" ")[0]
    if parameters:
        event["pathParameters"] = parameters
    path = event["routeKey"].split(" ", 1)[1]
    for name, value in (event.get("pathParameters") or {}).items():
        path = path.replace(f"{{{name}}}", value)
    event["rawPath"] = context["http"]["path"] = path
    if user:
        context["authorizer"]["lambda"]["user_id"] = user
    if roles:
        context["authorizer"]["lambda"]["roles"] = roles
    if body is None:
        event.pop("body", None)
    elif body is not ...:
        event["body"] = json.dumps(body)
    if query is not None:
        event["rawQueryString"] = query
        event["queryStringParameters"] = dict(part.split("=", 1) for part in query.split("&"))
    return event


def review_request(case, *, review=None, **changes):
    """A reviews sample event, aimed elsewhere (see http_request); `review`: another review."""
    return http_request("reviews", case, parameters={"id": review} if review else None, **changes)


def support_request(case, **changes):
    """A support sample event, aimed elsewhere (see http_request)."""
    return http_request("support", case, **changes)


def socket_event(case, *, connection=None, user=None, roles=None, body=None):
    """A WebSocket sample event, from another connection or caller, or with another body."""
    (_, event), = events("websocket", case)
    context = event["requestContext"]
    if connection:
        context["connectionId"] = connection
    if user:
        user_id, username = user
        context["authorizer"].update(user_id=user_id, principalId=user_id, username=username, email=f"{username}@bookworm.example")
    if roles:
        context["authorizer"]["roles"] = roles
    if body is not None:
        event["body"] = json.dumps(body)
    return event


# Variables the rehearsal sets over the stack's: fan-out shards its three connections (one a
# shard), so that handing shards over (lambda:InvokeFunction) is rehearsed too.
# The model's layer lands in /opt on Lambda; here the functions load it from where
# scripts/model put it.
MODEL_DIR = os.environ.get("BOOKWORM_MODEL_DIR", str(ROOT / ".model" / "all-MiniLM-L6-v2"))
OVERRIDES = {
    "FanoutFunction": {"FANOUT_SHARD_SIZE": "1"},
    "SearchFunction": {"BOOKWORM_MODEL_DIR": MODEL_DIR},
    "SearchIndexerFunction": {"BOOKWORM_MODEL_DIR": MODEL_DIR},
    "McpFunction": {"BOOKWORM_MODEL_DIR": MODEL_DIR},
}


class Rehearsal:
    def __init__(self, moto, stack, logs):
        self.moto, self.stack, self.logs = moto, stack, logs
        self.outcomes = {}  # function -> [(case, response, error)]
        self.hosts = {}
        self.websocket = {}
        self.shards = []  # the payloads fan-out handed over, in order
        self.lost_answers = []  # (function, case, requests sent matching the lost one)
        self.overrides = copy.deepcopy(OVERRIDES)  # environment variables per function, set before its first call

    def host(self, function):
        if function not in self.hosts:
            configuration = self.stack.function_configuration(function)
            # Lambda passes every variable as text; a Number parameter may come back as a number.
            variables = {k: str(v) for k, v in configuration.get("Environment", {}).get("Variables", {}).items()}
            if "WEBSOCKET_ENDPOINT" in variables:
                # moto serves the management API at its root only; the grant is checked
                # against the API and stage the stack's own endpoint names.
                api, stage = variables["WEBSOCKET_ENDPOINT"].split("//", 1)[1].split(".", 1)[0], variables["WEBSOCKET_ENDPOINT"].rsplit("/", 1)[1]
                self.websocket[function] = (api, stage)
                variables = dict(variables, WEBSOCKET_ENDPOINT=self.moto.endpoint)
            environment = dict(
                variables,
                **self.overrides.get(function, {}),
                PATH=os.environ["PATH"],
                AWS_REGION=ACCOUNT.region,
                AWS_DEFAULT_REGION=ACCOUNT.region,
                AWS_ACCESS_KEY_ID=function,
                AWS_SECRET_ACCESS_KEY="rehearsal",
                AWS_SESSION_TOKEN="rehearsal",
                AWS_ENDPOINT_URL=self.moto.endpoint,
                AWS_LAMBDA_FUNCTION_NAME=configuration["FunctionName"],
                AWS_LAMBDA_FUNCTION_MEMORY_SIZE=str(configuration.get("MemorySize", 128)),
                AWS_LAMBDA_FUNCTION_VERSION="$LATEST",
                AWS_LAMBDA_LOG_FORMAT="JSON",
            )
            binary = self.stack.translated["Resources"][function]["Metadata"]["BuildProperties"]["Binary"]
            self.hosts[function] = FunctionHost(
                str(binary_dir() / binary), environment, configuration["FunctionArn"], self.logs / f"{binary}.log"
            )
        return self.hosts[function]

    def invoke(self, function, case, payload):
        response, error = self.host(function).invoke(payload)
        self.outcomes.setdefault(function, []).append((case, response, error))
        return response

    def invoke_losing_answer(self, function, fragment, case, payload):
        """Invokes with the first request matching `fragment` carried out and its answer lost
        (see RecordingMoto.lose_answer); records how many such requests the function sent."""
        matching = lambda: sum(fragment in r.path + " " + r.headers.get("x-amz-target", "") for r in self.moto.sent_by(function))
        before = matching()
        self.moto.lose_answer(function, fragment)
        case = f"{case}, its answer lost"
        response = self.invoke(function, case, payload)
        self.lost_answers.append((function, case, matching() - before))
        return response

    def run_shards(self, case):
        """Runs the shards fan-out handed over since the last call, as Lambda runs the
        asynchronous invocations it queued: each recorded Invoke's payload, to the function."""
        invokes = [r for r in self.moto.sent_by("FanoutFunction") if r.path.endswith("/invocations")]
        for request in invokes[len(self.shards):]:
            payload = json.loads(request.body)
            self.shards.append(payload)
            self.invoke("FanoutFunction", f"{case}, shard {payload['fanout_shard']['number']}", payload)

    def run_all(self, function, *cases):
        for case, payload in events(self.function_folder(function), *cases):
            self.invoke(function, case, payload)

    def function_folder(self, function):
        return self.stack.translated["Resources"][function]["Metadata"]["BuildProperties"]["Binary"]

    def stored_events(self):
        dynamodb = self.moto.client("dynamodb")
        table = self.stack.physical["EventsTable"]
        return dynamodb.scan(TableName=table)["Items"]

    def stop(self):
        for host in self.hosts.values():
            host.stop()


def rehearse(moto, stack, logs):
    # Seeding signs as a sender of its own, so that a write's answer can be lost (and retried).
    harness_environment = dict(
        moto.harness_environment(CATALOG_TABLE=stack.physical["CatalogTable"]), AWS_ACCESS_KEY_ID=SEEDER
    )
    moto.lose_answer(SEEDER, "TransactWriteItems")
    seeded = subprocess.run(
        [str(binary_dir() / "bookworm-local"), "seed", "--catalog", "dynamodb"],
        env=harness_environment,
        capture_output=True,
        text=True,
    )
    assert seeded.returncode == 0, f"seeding the catalog failed: {seeded.stderr}"
    assert not moto.lost_answers_left(), "seeding wrote a book whose answer was lost, and retried it"
    moto.client("ses").verify_email_identity(EmailAddress=PARAMETERS["MailFrom"])

    run = Rehearsal(moto, stack, logs)
    try:
        run.run_all("AuthorizerFunction", "forged-alg-none", "malformed-token")
        run.run_all("DeviceAuthorizerFunction", "connect-no-token", "connect-customer-token")
        run.run_all("CatalogBooksFunction", "list-books", "list-books-by-category-price-desc", "search-books", "get-book", "get-unknown-book")
        run.run_all("CatalogLookupsFunction", "list-authors", "list-categories", "list-publishers")
        # The sample buyer saves a profile with a default address: the checkout below is delivered
        # there (checkout reads the profile), and its emails show the address.
        # The buyer turns push on (so each order email also reads their devices) and reads their
        # devices; none is registered: no push platform is offered here (see UNUSED_BUT_NEEDED).
        run.run_all("AccountFunction", "me", "get-preferences", "set-preferences", "get-profile", "set-profile",
                    "list-devices", "remove-unknown-device")
        (_, connect), = events("websocket", "connect")
        run.invoke_losing_answer("WebSocketFunction", "PutItem", "connect", connect)
        run.run_all("WebSocketFunction", "ping")
        # A second merchant whose socket is gone: API Gateway answers 410, fan-out forgets it.
        (_, gone), = events("websocket", "connect")
        gone["requestContext"]["connectionId"] = "gone-connection="
        run.invoke("WebSocketFunction", "connect (a socket that will be gone)", gone)
        moto.inject("FanoutFunction", "/@connections/gone-connection", "410 Gone", "GoneException", times=100)
        # A third whose token runs out before the events come: fan-out closes that socket.
        (_, expiring), = events("websocket", "connect")
        expiring["requestContext"]["connectionId"] = "expiring-connection="
        expiring["requestContext"]["authorizer"]["expires_at"] = str(int(time.time()) + 2)
        run.invoke("WebSocketFunction", "connect (a token about to expire)", expiring)
        token_ends = time.time() + 2
        run.run_all("BasketFunction", "put-item", "get-basket")
        (_, put_item), = events("basket", "put-item")
        run.invoke_losing_answer("BasketFunction", "TransactWriteItems", "put-item", put_item)
        # DynamoDB cancels transactions for more than failed conditions: contention is tried
        # again, a validation fault is a 503; neither is the caller's 409.
        for reason in ("TransactionConflict", "ValidationError"):
            moto.inject(
                "BasketFunction", "TransactWriteItems", "400 Bad Request", "TransactionCanceledException",
                CancellationReasons=[{"Code": "None"}, {"Code": reason, "Message": "injected"}],
            )
            run.invoke("BasketFunction", f"put-item, cancelled by {reason}", put_item)
        (_, checkout), = events("checkout", "checkout")
        run.invoke_losing_answer("CheckoutFunction", "TransactWriteItems", "checkout", checkout)
        placed = json.loads(run.outcomes["CheckoutFunction"][-1][1]["body"])["id"]
        run.run_all("OrdersFunction", "list-orders", "get-unknown-order")
        complete = order_event("complete-unknown-order", placed)
        run.invoke_losing_answer("OrdersFunction", "TransactWriteItems", "complete the placed order", complete)
        (_, all_orders), = events("orders", "list-orders")
        all_orders["requestContext"]["authorizer"]["lambda"]["roles"] = "customer,admin"
        run.invoke("OrdersFunction", "list everyone's orders (admin)", all_orders)
        run.run_all("OrdersFunction", "list-shop-orders", "list-shop-orders-other-shop", "list-orders-to-before-from")
        # One customer's orders placed today, for an admin: a key condition on by_buyer.
        (_, theirs), = events("orders", "list-customer-orders")
        today = time.strftime("%Y-%m-%d", time.gmtime())
        theirs["queryStringParameters"].update({"from": today, "to": today})
        theirs["rawQueryString"] = "&".join(f"{k}={v}" for k, v in theirs["queryStringParameters"].items())
        run.invoke("OrdersFunction", "list a customer's orders of today (admin)", theirs)
        rehearse_reviews(run)
        rehearse_support(run, placed)
        run.run_all("PublishFunction", "publish", "history")
        # A device's action through the topic rule's target: stored, so the relay and fan-out
        # below carry it as they carry the publish above; the bad ones are dropped.
        run.run_all("DeviceActionsFunction", "action", "action-shop-mismatch", "action-not-json")
        run.run_all("BasketFunction", "put-item", "empty-basket")

        time.sleep(max(0.0, token_ends - time.time()) + 1)
        stored = run.stored_events()
        stream_arn = run.moto.client("dynamodb").describe_table(TableName=stack.physical["EventsTable"])["Table"]["LatestStreamArn"]
        run.invoke("RelayFunction", "the stored events", stream_batch(stored, stream_arn))
        shop_events = [json.loads(item["event"]["S"]) for item in stored]
        rehearse_figures(run, stored, stream_arn)
        # The first fan-out finds the connections table unreadable: it releases its claim and
        # fails, so that Lambda retries it (the retry below).
        moto.inject("FanoutFunction", "DynamoDB_20120810.Query", "400 Bad Request", "ValidationException")
        run.invoke("FanoutFunction", "a fan-out that fails (expected)", sns_delivery(shop_events[0]))
        for index, shop_event in enumerate(shop_events):
            if index == 0:  # its claim's answer lost: the retry must see the claim as its own
                run.invoke_losing_answer("FanoutFunction", "PutItem", shop_event["type"], sns_delivery(shop_event))
            else:
                run.invoke("FanoutFunction", shop_event["type"], sns_delivery(shop_event))
            run.run_shards(shop_event["type"])
        # Lambda delivers an asynchronous invocation twice now and then: the shard skips itself.
        run.invoke("FanoutFunction", "a shard delivered twice", run.shards[0])
        connections = run.moto.client("dynamodb").scan(TableName=stack.physical["ConnectionsTable"])["Items"]
        run.connections_after_fanout = sorted(item["id"]["S"] for item in connections)
        # SES rejects the first email: the claim is released and the retry sends it.
        moto.inject("EmailFunction", "/v2/email/outbound-emails", "400 Bad Request", "MessageRejected")
        mails = [e for e in shop_events if e["type"] in ("com.bookworm.checkout.completed", "com.bookworm.order.completed")]
        run.invoke("EmailFunction", "an email SES rejects (expected)", sns_delivery(mails[0]))
        run.invoke_losing_answer("EmailFunction", "PutItem", mails[0]["type"], sns_delivery(mails[0]))
        for shop_event in mails[1:]:
            run.invoke("EmailFunction", shop_event["type"], sns_delivery(shop_event))

        # Lambda gave up on two deliveries: one email never sent, and a body no one can read.
        # The hourly retry sends the first (once) and leaves the second for SQS to park.
        sqs = run.moto.client("sqs")
        dead_letters = stack.physical["EmailDeadLetters"]
        unsent = dict(mails[0], id=str(uuid.uuid4()))
        sqs.send_message(QueueUrl=dead_letters, MessageBody=json.dumps(sns_delivery(unsent)))
        sqs.send_message(QueueUrl=dead_letters, MessageBody="not an SNS event")
        run.run_all("EmailRetryFunction", "hourly")
        run.dead_letters_left = [m["Body"] for m in sqs.receive_message(
            QueueUrl=dead_letters, MaxNumberOfMessages=10, VisibilityTimeout=0).get("Messages", [])]

        run.run_all("WebSocketFunction", "disconnect")
        run.run_all("CatalogAdminFunction", "create-author")
        (_, create_book), = events("catalog-admin", "create-book")
        run.invoke_losing_answer("CatalogAdminFunction", "TransactWriteItems", "create-book", create_book)
        run.run_all("CatalogAdminFunction", "update-book", "delete-author-with-books", "delete-category-with-books",
                    "delete-publisher-with-books", "delete-book")
        rehearse_search(run)
        rehearse_mcp(run)
    finally:
        run.stop()
    return run


def rehearse_reviews(run):
    """Every review route and listing order, so each grant of the function is used."""
    run.run_all("ReviewsFunction", "list-reviews", "write-review")
    (_, edit), = events("reviews", "edit-own-review")
    run.invoke_losing_answer("ReviewsFunction", "TransactWriteItems", "edit-own-review", edit)
    run.run_all("ReviewsFunction", "list-reported-as-support", "vote-unknown-review")
    written = json.loads(run.outcomes["ReviewsFunction"][1][1]["body"])["id"]
    for sort in ("newest", "lowest", "helpful"):
        run.invoke("ReviewsFunction", f"list reviews, {sort} first", review_request("list-reviews", query=f"sort={sort}"))
    run.invoke("ReviewsFunction", "vote helpful (another reader)", review_request("vote-unknown-review", review=written, user=READER))
    report = review_request("report-invalid-reason", review=written, user=READER, body={"reason": "spam"})
    run.invoke("ReviewsFunction", "report (another reader)", report)
    support = "customer,support"
    restore = review_request("vote-unknown-review", route="POST /reviews/{id}/restore", review=written, roles=support)
    run.invoke("ReviewsFunction", "dismiss the report (support)", restore)
    delete = review_request("edit-own-review", route="DELETE /books/{id}/reviews/mine", body=None)
    run.invoke("ReviewsFunction", "delete one's own review", delete)
    # Reviews of one book all update its rating counts: DynamoDB cancels colliding writes
    # (TransactionConflict), and the function tries again rather than answer 503 or 409.
    run.moto.inject(
        "ReviewsFunction", "TransactWriteItems", "400 Bad Request", "TransactionCanceledException", times=5,
        CancellationReasons=[{"Code": "None"}, {"Code": "None"}, {"Code": "TransactionConflict", "Message": "injected"}],
    )
    run.invoke("ReviewsFunction", "write-review, cancelled by contention five times", review_request("write-review"))
    second = json.loads(run.outcomes["ReviewsFunction"][-1][1]["body"])["id"]
    remove = review_request("vote-unknown-review", route="DELETE /reviews/{id}", review=second, roles=support)
    run.invoke("ReviewsFunction", "remove a review (support)", remove)


AGENT = ("a9e1c3d5-7f20-4b6a-9c8e-1d3f5a7b9c0e", "sam")  # the support agent of the sample events
CONVERSATION = "441b8cd8-dcfa-5efd-8268-163438ee2aa2"  # the one open-conversation.json opens
CUSTOMER_SOCKET, AGENT_SOCKET = "Sup0rtC0nn3ct1d=", "Ag3ntSupp0rt="


def rehearse_support(run, placed):
    """A support conversation from opening to rating, over HTTPS (the support function) and the
    socket (the websocket function), with the customer's and an agent's support sockets open so
    that chat events are pushed; the away email of its reply (support-away); also the routes
    that alone use a grant (a conversation about a book, the agent's own listing, deleting a
    canned reply), so that none goes unused; then the customer away (see rehearse_away)."""
    support, websocket = "SupportFunction", "WebSocketFunction"
    run.run_all(websocket, "connect-support")
    agent_socket = socket_event("connect-support", connection=AGENT_SOCKET, user=AGENT, roles="customer,support")
    run.invoke(websocket, "connect-support (an agent)", agent_socket)
    # The customer's second socket is gone by the first push: the support function forgets it.
    run.invoke(websocket, "connect-support (a socket that will be gone)", socket_event("connect-support", connection="gone-support="))
    run.moto.inject(support, "/@connections/gone-support", "410 Gone", "GoneException", times=100)

    run.run_all(support, "set-availability")
    # The sample opening is about the sample order: here, the order the checkout placed (the
    # same buyer); the conversation's id derives from the caller and client_message_id alone.
    opening = support_request("open-conversation")
    opening["body"] = json.dumps(dict(json.loads(opening["body"]), order_id=placed))
    run.invoke_losing_answer(support, "TransactWriteItems", "open-conversation", opening)
    run.invoke(support, "open-conversation (sent again)", opening)
    run.run_all(support, "open-invalid")
    about_a_book = {
        "subject": "Is there a hardback?", "text": "Is Emma coming out in hardback?",
        "book_id": "b337fce4-aa98-5765-9ce8-703d4bac2567", "client_message_id": str(uuid.uuid4()),
    }
    run.invoke(support, "open a conversation about a book", support_request("open-conversation", body=about_a_book))
    book = json.loads(run.outcomes[support][-1][1]["body"])["id"]
    run.run_all(support, "list-own", "queue-as-customer", "queue-as-support", "get-conversation")
    # While the one about a book waits, the customer writes again over the socket (online agents
    # are told), twice. Not in the sample conversation: its seq 2 is the agent's reply below,
    # the answer support-away's sample reminder names.
    (_, send), = events("websocket", "chat-send")
    send = socket_event("chat-send", body=dict(json.loads(send["body"]), conversation_id=book))
    run.invoke(websocket, "chat-send", send)
    run.invoke(websocket, "chat-send (sent again)", send)
    run.run_all(support, "assign")
    (_, assign), = events("support", "assign")
    run.invoke(support, "assign (again)", assign)
    mine = support_request("queue-as-support", query="status=assigned&assignee=me")
    run.invoke(support, "list the conversations assigned to me", mine)
    run.invoke(support, "get my availability", support_request("set-availability", route="GET /support/agents/me", body=None))
    run.run_all(support, "reply")
    reply = json.loads(run.outcomes[support][-1][1]["body"])["id"]
    (_, again), = events("support", "reply")
    run.invoke(support, "reply (sent again)", again)
    # The customer's socket was open, so the reply left no reminder; the sample reminder stands
    # for one come due: the reply is unread, so it is mailed, and once only, however delivered.
    # SES rejects the first try: the claim is released, and SQS's next delivery mails it.
    (_, reminder), = events("support-away", "reminder")
    run.moto.inject("SupportAwayFunction", "/v2/email/outbound-emails", "400 Bad Request", "MessageRejected")
    run.invoke("SupportAwayFunction", "an away email SES rejects (expected)", reminder)
    run.invoke("SupportAwayFunction", "reminder", reminder)
    run.invoke("SupportAwayFunction", "reminder (delivered again)", reminder)
    run.run_all(websocket, "chat-typing", "chat-read")
    read_reply = socket_event("chat-read", body={"action": "chat.read", "conversation_id": CONVERSATION, "message_id": reply})
    run.invoke(websocket, "chat-read (the agent's reply)", read_reply)
    run.run_all(support, "history")
    (_, rate), = events("support", "rate")
    run.invoke(support, "rate (before the close)", rate)
    run.run_all(support, "close")
    (_, close), = events("support", "close")
    run.invoke(support, "close (again)", close)
    run.run_all(support, "rate")
    run.run_all(support, "put-canned-reply", "list-canned-replies")
    delete = support_request("put-canned-reply", route="DELETE /support/canned-replies/{code}", body=None)
    run.invoke(support, "delete a canned reply", delete)
    connections = run.moto.client("dynamodb").scan(TableName=run.stack.physical["ConnectionsTable"])["Items"]
    run.support_sockets = sorted(item["id"]["S"] for item in connections if "support_user" in item)
    rehearse_away(run, book)


def rehearse_away(run, book):
    """The customer closes their socket; an agent answers the conversation about a book, once
    over HTTPS and once over the socket: each answer leaves a reminder, an SQS message delayed by
    SupportAwayDelaySeconds (its default: the rehearsal sets none)."""
    support, websocket = "SupportFunction", "WebSocketFunction"
    run.invoke(websocket, "disconnect (the customer's support socket)", socket_event("disconnect", connection=CUSTOMER_SOCKET))
    answer = {"text": "Not yet; we will write when it is announced.", "client_message_id": str(uuid.uuid4())}
    run.invoke(support, "reply (the customer away)", support_request("reply", parameters={"id": book}, body=answer))
    chat = {"action": "chat.send", "conversation_id": book, "text": "It is on our wish list.", "client_message_id": str(uuid.uuid4())}
    agent_chat = socket_event("chat-send", connection=AGENT_SOCKET, user=AGENT, roles="customer,support", body=chat)
    run.invoke(websocket, "chat-send (an agent, the customer away)", agent_chat)
    run.away_book = book
    run.away_reminders = [
        (function, json.loads(request.body))
        for function in (support, websocket)
        for request in run.moto.sent_by(function)
        if request.headers.get("x-amz-target") == "AmazonSQS.SendMessage"
    ]
    # moto holds a delayed message back from receives (and from the queue's event source
    # mapping, which would otherwise take a due message at once and drop it unhandled here).
    sqs, queue = run.moto.client("sqs"), run.stack.physical["SupportAwayQueue"]
    run.away_queue = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
    run.away_received = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])


def rehearse_search(run):
    """Search before any index (503), the rebuild that publishes the first version, a stream
    batch that publishes the next (and marks the first superseded), then every query: also-bought
    reads a co-purchase record (its grant limited to those keys), recommendations the buyer's
    orders and reviews (their indexes)."""
    (_, typo), = events("search", "search-typo")
    run.invoke("SearchFunction", "search before any index exists", typo)
    run.run_all("SearchIndexerFunction", "reindex", "catalog-changes")
    run.run_all(
        "SearchFunction", "search-typo", "search-filtered", "search-bad-parameters", "suggest",
        "search-meaning", "search-bad-mode", "similar", "similar-unknown-book",
        "also-bought", "also-bought-bad-limit", "recommendations", "recommendations-signed-out",
    )


def rehearse_mcp(run):
    """The MCP server once the search index exists: its sample events, every catalog tool and
    each review order (each index grant), the basket tools without a token (refused) and with
    one. The token is the development issuer's: a bookworm-local serves its JWKS for the function
    to fetch (the stack's own AuthJwksUrl answers nothing here)."""
    import socket
    import tempfile
    import urllib.request

    def tool(name, arguments, request_id, token=None):
        (_, event), = events("mcp", "search-catalog")
        event["requestContext"]["requestId"] = request_id
        event["body"] = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                                    "params": {"name": name, "arguments": arguments}})
        if token:
            event["headers"]["authorization"] = f"Bearer {token}"
        return event

    data = tempfile.mkdtemp()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    local = str(binary_dir() / "bookworm-local")
    issuer = subprocess.Popen([local, "serve", "--data-dir", data, "--port", str(port), "--template", str(ROOT / "template.yaml")],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1)
                break
            except OSError:
                assert time.time() < deadline, "the issuer's stack did not start"
                time.sleep(0.2)
        run.overrides["McpFunction"] = {
            **OVERRIDES["McpFunction"],
            "AUTH_JWKS_URL": f"http://127.0.0.1:{port}/.well-known/jwks.json", "AUTH_ISSUER": "bookworm-local",
        }
        token = subprocess.run([local, "token", "--data-dir", data, "--role", "customer", "--sub", "mcp-agent"],
                               check=True, capture_output=True, text=True).stdout.strip()
        run.run_all("McpFunction", "list-tools", "search-catalog")
        # A book the search found: the catalog administration above deleted one of the seed's.
        (_, found, _), = [outcome for outcome in run.outcomes["McpFunction"] if outcome[0] == "search-catalog"]
        book = json.loads(found["body"])["result"]["structuredContent"]["hits"][0]["book"]["id"]
        shop = "123e4567-e89b-42d3-a456-426614174000"
        calls = [
            ("get_book", {"book_id": book}, None),
            ("similar_books", {"book_id": book, "limit": 3}, None),
            ("list_categories", {}, None),
            ("list_authors", {}, None),
            *[("get_book_reviews", {"book_id": book, "sort": sort}, None) for sort in ("newest", "highest", "lowest", "helpful")],
            ("get_basket", {"shop_id": shop}, None),
            ("add_to_basket", {"shop_id": shop, "book_id": book, "quantity": 2}, token),
            ("get_basket", {"shop_id": shop}, token),
        ]
        for number, (name, arguments, caller) in enumerate(calls):
            case = f"{name} {json.dumps(arguments)}{' (signed in)' if caller else ''}"
            run.invoke("McpFunction", case, tool(name, arguments, f"c6af9ac6-7b61-11e6-9a41-93e8deadc{number:03d}", caller))
    finally:
        issuer.terminate()
        issuer.wait(timeout=20)


ORDER_KINDS = ("com.bookworm.checkout.completed", "com.bookworm.order.completed", "com.bookworm.order.cancelled")


def rehearse_figures(run, stored, stream_arn):
    """The events stream's order events to stats (the first write's answer lost, then the whole
    batch delivered again), then the admin function's reads of what they made."""
    orders = [item for item in stored if item["type"]["S"] in ORDER_KINDS]
    run.order_events = [json.loads(item["event"]["S"]) for item in orders]
    batch = stream_batch(orders, stream_arn)
    # DynamoDB refuses the first recording: the claim is given back, the batch resumes there.
    run.moto.inject("StatsFunction", "TransactWriteItems", "400 Bad Request", "ValidationException")
    run.invoke("StatsFunction", "a recording DynamoDB refuses", batch)
    run.invoke_losing_answer("StatsFunction", "TransactWriteItems", "the order events", batch)
    run.invoke("StatsFunction", "the order events, delivered again", batch)
    # The seeded catalog, counted once, then a changed book followed.
    run.run_all("StatsFunction", "recount", "book-changed")
    run.run_all("AdminFunction", "stats", "stats-as-customer", "stats-range-too-long", "search-customers", "get-unknown-customer")
    (_, recent), = events("admin", "stats")
    recent["rawQueryString"] = ""
    recent.pop("queryStringParameters")
    run.invoke("AdminFunction", "stats of the last 30 days", recent)
    buyer = run.order_events[0]["data"]["buyer_id"]
    (_, by_email), = events("admin", "search-customers")
    by_email["rawQueryString"] = "q=reader%40&by=email"
    by_email["queryStringParameters"] = {"q": "reader@", "by": "email"}
    run.invoke("AdminFunction", "search customers by email", by_email)
    (_, entry), = events("admin", "get-unknown-customer")
    entry["rawPath"] = entry["requestContext"]["http"]["path"] = f"/customers/{buyer}"
    entry["pathParameters"]["id"] = buyer
    run.invoke("AdminFunction", "the buyer's entry", entry)
