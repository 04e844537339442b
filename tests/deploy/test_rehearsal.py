"""The deploy rehearsal and the least-privilege check (see conftest.py for how it runs).

Every function's debug binary answers its sample events, and a few derived from what earlier
steps made (the order a checkout placed, the events it stored), against the stack created
from the translated template. Every request a function sends must be allowed by its own role;
every service-side call Lambda makes for it (event source, destination, dead-letter queue)
too; and no grant may go unused unless it is listed below with the reason.
"""

import json
from urllib.parse import unquote

import iam
from conftest import ACCOUNT, PARAMETERS

# Grants no rehearsed request uses, each kept for a reason.
UNUSED_BUT_NEEDED = {
    # SES authorises a send against the identity it verified: the address, or its whole domain.
    ("EmailFunction", "ses:SendEmail", f"identity/{PARAMETERS['MailFrom'].split('@')[1]}"),
    ("EmailRetryFunction", "ses:SendEmail", f"identity/{PARAMETERS['MailFrom'].split('@')[1]}"),
    ("SupportFunction", "ses:SendEmail", f"identity/{PARAMETERS['MailFrom'].split('@')[1]}"),
    ("SupportAwayFunction", "ses:SendEmail", f"identity/{PARAMETERS['MailFrom'].split('@')[1]}"),
    # Releasing a claim after a failed send: the email function's code, exercised there above.
    ("EmailRetryFunction", "dynamodb:DeleteItem", "table/bookworm-rehearsal-claims"),
    # A refused claim is read back to tell "already sent" from "in progress": the email
    # function's code, exercised there (a claim whose answer was lost).
    ("EmailRetryFunction", "dynamodb:GetItem", "table/bookworm-rehearsal-claims"),
    # The same read of a refused claim, for a reminder delivered twice at once. The rehearsal's
    # delivery again comes after the mail is recorded on the conversation (`away_mailed`), which
    # skips it before any claim; the claims' code is the email function's, exercised there.
    ("SupportAwayFunction", "dynamodb:GetItem", "table/bookworm-rehearsal-claims"),
    # S3 answers a GET of a missing key with 404 only to callers that may list the bucket (403
    # otherwise): the indexer needs the 404 to know no index exists yet. moto does not check.
    ("SearchIndexerFunction", "s3:ListBucket", ""),
    # A device is saved (PutItem) only once SNS made its platform endpoint, and the rehearsal
    # offers no push platform (their applications need APNs/FCM credentials): registration is
    # refused before that. Tested against moto's platform endpoints in shared/sns and end to end
    # in tests/e2e (push); the same list write as the reads rehearsed here.
    ("AccountFunction", "dynamodb:PutItem", "table/bookworm-rehearsal-devices"),
    # Removing a device SNS reports disabled rewrites the buyer's list: no device exists here.
    ("EmailFunction", "dynamodb:PutItem", "table/bookworm-rehearsal-devices"),
    ("EmailRetryFunction", "dynamodb:PutItem", "table/bookworm-rehearsal-devices"),
}
# (The rehearsal sets no SES configuration set, so that grant is absent, not unused.)


def functions(stack):
    return sorted(stack.resources("AWS::Lambda::Function"))


def test_the_stack_is_created_from_the_translated_template(stack):
    assert stack.status == "CREATE_COMPLETE"
    modelled = (
        "AWS::DynamoDB::Table",
        "AWS::SNS::Topic",
        "AWS::SQS::Queue",
        "AWS::IAM::Role",
        "AWS::Lambda::Function",
        "AWS::Lambda::EventSourceMapping",
        "AWS::Logs::LogGroup",
    )
    missing = [
        name
        for kind in modelled
        for name in stack.resources(kind)
        if not stack.physical.get(name)
    ]
    assert not missing, f"not created: {missing}"


def test_every_function_boots_and_answers(rehearsal, stack):
    failures = [
        f"{function} / {case}: {error}"
        for function, outcomes in rehearsal.outcomes.items()
        for case, response, error in outcomes
        if error and not case.endswith("(expected)")
    ]
    expected = [
        (function, case, error)
        for function, outcomes in rehearsal.outcomes.items()
        for case, response, error in outcomes
        if case.endswith("(expected)")
    ]
    assert expected and all(error for _, _, error in expected), f"injected failures fail: {expected}"
    assert not failures, "\n".join(failures)
    assert sorted(rehearsal.outcomes) == functions(stack), "every function is rehearsed"


def test_the_rehearsal_did_real_work(rehearsal, moto):
    """Guards the checks below against a rehearsal that silently did nothing."""
    ses = moto.client("ses").get_send_statistics()["SendDataPoints"]
    assert sum(point["DeliveryAttempts"] for point in ses) >= 3, "checkout, completion and the retry mail the buyer"
    (retry,) = [response for _, response, _ in rehearsal.outcomes["EmailRetryFunction"]]
    assert (retry["retried"], retry["sent"], retry["unreadable"]) == (2, 1, 1), retry
    assert rehearsal.dead_letters_left == [], "the unreadable one is hidden until the next run, then parked"
    def status(function, case):
        (response,) = [r for c, r, _ in rehearsal.outcomes[function] if c == case]
        return response and response.get("statusCode")

    assert status("CheckoutFunction", "checkout, its answer lost") == 201
    assert status("BasketFunction", "put-item, cancelled by TransactionConflict") == 200, "tried again"
    assert status("BasketFunction", "put-item, cancelled by ValidationError") == 503, "a fault, not a 409"
    assert status("AccountFunction", "set-preferences") == 200
    assert status("AccountFunction", "set-profile") == 200
    assert status("OrdersFunction", "list-shop-orders") == 200, "the shop's merchant lists its orders"
    assert status("OrdersFunction", "list-shop-orders-other-shop") == 403
    assert status("OrdersFunction", "list-orders-to-before-from") == 400
    (theirs,) = [r for c, r, _ in rehearsal.outcomes["OrdersFunction"] if c == "list a customer's orders of today (admin)"]
    buyers = {order["buyer_id"] for order in json.loads(theirs["body"])["items"]}
    assert theirs["statusCode"] == 200 and buyers == {"5f0c1d2e-3a4b-4c5d-8e6f-7a8b9c0d1e2f"}, theirs
    assert rehearsal.outcomes["FanoutFunction"], "events were fanned out"
    assert "gone-connection=" not in rehearsal.connections_after_fanout, "a 410 forgets the connection"
    assert "expiring-connection=" not in rehearsal.connections_after_fanout, "an expired token ends the socket"
    closed = [r for r in rehearsal.moto.sent_by("FanoutFunction") if r.method == "DELETE"]
    assert [unquote(r.path) for r in closed] == ["/@connections/expiring-connection="], closed
    assert rehearsal.connections_after_fanout, "the live connection stays"
    # Three connections at a shard size of 1: the first event's other two were handed over.
    assert [s["fanout_shard"]["number"] for s in rehearsal.shards] == [1, 2], rehearsal.shards
    posts = [
        (unquote(r.path), json.loads(r.body)["id"])
        for r in rehearsal.moto.sent_by("FanoutFunction")
        if r.method == "POST" and "/@connections/" in r.path
    ]
    assert posts and len(posts) == len(set(posts)), "no connection got an event twice, shards and redelivery included"
    reviews = {case: status("ReviewsFunction", case) for case in (
        "edit-own-review, its answer lost", "vote helpful (another reader)", "report (another reader)",
        "dismiss the report (support)", "delete one's own review", "remove a review (support)",
        "list reviews, helpful first", "write-review, cancelled by contention five times",
    )}
    search = {case: status("SearchFunction", case) for case in (
        "search before any index exists", "search-typo", "search-filtered", "search-bad-parameters", "suggest",
        "search-meaning", "search-bad-mode", "similar", "similar-unknown-book",
        "also-bought", "also-bought-bad-limit", "recommendations", "recommendations-signed-out",
    )}
    assert search == {
        "search before any index exists": 503, "search-typo": 200, "search-filtered": 200,
        "search-bad-parameters": 400, "suggest": 200, "search-meaning": 200, "search-bad-mode": 400,
        "similar": 200, "similar-unknown-book": 404,
        "also-bought": 200, "also-bought-bad-limit": 400, "recommendations": 200, "recommendations-signed-out": 401,
    }, search
    mcp = {case: json.loads(r["body"]) for case, r, _ in rehearsal.outcomes["McpFunction"]}
    assert all(answer.get("result") for answer in mcp.values()), mcp
    failed = {case: answer["result"]["structuredContent"] for case, answer in mcp.items() if answer["result"].get("isError")}
    refused = 'get_basket {"shop_id": "123e4567-e89b-42d3-a456-426614174000"}'
    assert set(failed) == {refused} and failed[refused]["status"] == 401, f"only the basket without a token: {failed}"
    basket = mcp['get_basket {"shop_id": "123e4567-e89b-42d3-a456-426614174000"} (signed in)']["result"]["structuredContent"]
    assert [line["quantity"] for line in basket["lines"]] == [2], basket
    assert mcp["search-catalog"]["result"]["structuredContent"]["hits"], "the published index answered"
    (similar,) = [answer for case, answer in mcp.items() if case.startswith("similar_books")]
    assert len(similar["result"]["structuredContent"]["books"]) == 3, "the published vectors answered"
    indexed = [response for _, response, _ in rehearsal.outcomes["SearchIndexerFunction"]]
    assert [r["version"] for r in indexed] == [1, 2], indexed
    assert indexed[0]["books"] > 200, "the rebuild read the whole seeded catalog"
    support = {case: status("SupportFunction", case) for case, _, _ in rehearsal.outcomes["SupportFunction"]}
    assert support == {
        "set-availability": 200, "open-conversation, its answer lost": 201, "open-conversation (sent again)": 200,
        "open-invalid": 400, "open a conversation about a book": 201, "list-own": 200, "queue-as-customer": 403,
        "queue-as-support": 200, "get-conversation": 200, "assign": 200, "assign (again)": 409,
        "list the conversations assigned to me": 200, "get my availability": 200, "reply": 201,
        "reply (sent again)": 200, "history": 200, "rate (before the close)": 409, "close": 200,
        "close (again)": 200, "rate": 201, "put-canned-reply": 200, "list-canned-replies": 200,
        "delete a canned reply": 204, "reply (the customer away)": 201,
    }, support
    chat = {case: status("WebSocketFunction", case) for case, _, _ in rehearsal.outcomes["WebSocketFunction"] if "chat" in case}
    assert chat == {
        "chat-send": 200, "chat-send (sent again)": 200, "chat-typing": 200, "chat-read": 200,
        "chat-read (the agent's reply)": 200, "chat-send (an agent, the customer away)": 200,
    }, chat
    acks = [json.loads(r["body"]) for c, r, _ in rehearsal.outcomes["WebSocketFunction"] if c.startswith("chat-send")]
    # The customer's message to the conversation about a book, twice; the agent's answer to it
    # after the HTTPS one (seq 3).
    assert [(a["seq"], a["created"]) for a in acks] == [(2, True), (2, False), (4, True)], acks
    transcripts = [r for r in rehearsal.moto.sent_by("SupportFunction") if r.path == "/v2/email/outbound-emails"]
    assert len(transcripts) == 1, "one transcript, though closed twice"
    assert rehearsal.support_sockets == ["Ag3ntSupp0rt=", "Sup0rtC0nn3ct1d="], "a 410 forgets the support socket"
    def chat_events(function):
        """(socket, event type) of each chat event the function pushed."""
        return {
            (unquote(r.path).rsplit("/", 1)[1], json.loads(r.body)["type"].removeprefix("com.bookworm.chat."))
            for r in rehearsal.moto.sent_by(function)
            if r.method == "POST" and "/@connections/" in r.path
        }

    agent, customer = "Ag3ntSupp0rt=", "Sup0rtC0nn3ct1d="
    # Both openings reach the online agent and the customer (the gone socket once, then it is
    # forgotten); taking, the reply and the close reach both sides.
    assert chat_events("SupportFunction") == {
        (agent, "waiting"), (customer, "waiting"), ("gone-support=", "waiting"), (agent, "assigned"),
        (customer, "assigned"), (agent, "message"), (customer, "message"), (agent, "closed"), (customer, "closed"),
    }, chat_events("SupportFunction")
    # The customer's message while waiting reaches the online agent; typing and the read
    # receipt of the agent's reply reach the agent (reading one's own message tells no one).
    assert chat_events("WebSocketFunction") == {
        (agent, "message"), (customer, "message"), (agent, "typing"), (agent, "read"),
    }, chat_events("WebSocketFunction")
    assert reviews == {
        "edit-own-review, its answer lost": 200, "vote helpful (another reader)": 200, "report (another reader)": 204,
        "dismiss the report (support)": 200, "delete one's own review": 204, "remove a review (support)": 204,
        "list reviews, helpful first": 200, "write-review, cancelled by contention five times": 201,
    }, reviews


def test_an_answer_the_customer_has_not_seen_is_mailed_once(rehearsal, stack):
    """support-away on its sample reminder once the sample conversation's reply (seq 2) exists,
    unread: SES rejected the first try, the next mailed it, a redelivery mailed nothing. Then,
    with the customer's socket closed, an agent's answer over HTTPS and one over the socket each
    left a reminder, delayed by SupportAwayDelaySeconds."""
    from scenario import events

    mails = [json.loads(r.body) for r in rehearsal.moto.sent_by("SupportAwayFunction") if r.path == "/v2/email/outbound-emails"]
    assert len(mails) == 2, "the rejected try, then one email, though delivered again"
    mail = mails[-1]
    assert mail["Destination"]["ToAddresses"] == ["reader@example.com"], mail["Destination"]
    (_, reply), = events("support", "reply")
    assert json.loads(reply["body"])["text"] in mail["Content"]["Simple"]["Body"]["Text"]["Data"], mail["Content"]

    delay = stack.translated["Parameters"]["SupportAwayDelaySeconds"]["Default"]
    assert delay == 600 and "SupportAwayDelaySeconds" not in PARAMETERS
    queue = stack.physical["SupportAwayQueue"]
    reminders = [
        (function, sent["QueueUrl"] == queue, json.loads(sent["MessageBody"]), sent.get("DelaySeconds"))
        for function, sent in rehearsal.away_reminders
    ]
    book = rehearsal.away_book
    # The sample conversation's reply found the customer's socket open; customers' own
    # messages never leave one.
    assert reminders == [
        ("SupportFunction", True, {"conversation_id": book, "seq": 3}, delay),
        ("WebSocketFunction", True, {"conversation_id": book, "seq": 4}, delay),
    ], reminders
    (_, sample), = events("support-away", "reminder")
    assert json.loads(sample["Records"][0]["body"]).keys() == reminders[0][2].keys(), "what support-away reads"
    waiting = {k: rehearsal.away_queue[k] for k in ("ApproximateNumberOfMessages", "ApproximateNumberOfMessagesDelayed")}
    assert waiting == {"ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesDelayed": "2"}, waiting
    assert rehearsal.away_received == [], "not received before their delay"


def test_a_retried_write_that_landed_succeeds(rehearsal):
    """Each write path had one write carried out and its answer lost (moto answered 500, as
    DynamoDB may): the SDK sent it again, and the retry was taken as done, not as a conflict
    with itself (transactions by their ClientRequestToken, claims by their attempt id)."""
    def status(function, case):
        (response,) = [r for c, r, _ in rehearsal.outcomes[function] if c == case]
        return response.get("statusCode") if response else "ok"

    outcomes = {function: (status(function, case), sent) for function, case, sent in rehearsal.lost_answers}
    assert outcomes == {
        "WebSocketFunction": (200, 2),  # connect: an unconditional put, as good twice
        "BasketFunction": (200, 2),
        "CheckoutFunction": (201, 2),
        "OrdersFunction": (200, 2),  # complete the placed order
        "ReviewsFunction": (200, 2),  # edit one's own review
        "FanoutFunction": ("ok", 2),  # its claim of the first stored event
        "EmailFunction": ("ok", 3),  # its claim of the checkout's email, then the text message's
        "CatalogAdminFunction": (201, 2),  # create a book
        "SupportFunction": (201, 2),  # open a conversation
        # The checkout's recording sent again by the SDK, then the completion's (a stream
        # batch's answer has no status: its failures are checked with the figures below).
        "StatsFunction": (None, 3),
    }, outcomes
    assert not rehearsal.moto.lost_answers_left(), "every lost answer was met"


def code_needs(rehearsal, function):
    websocket = rehearsal.websocket.get(function, ("?", "?"))
    return [
        (need, request)
        for request in rehearsal.moto.sent_by(function)
        for need in iam.needs(request, ACCOUNT, websocket)
    ]


def service_needs(stack, function):
    """What Lambda itself does with the function's role: read its event sources, send failed
    batches to their destination and failed async events to its dead-letter queue."""
    needs = []
    arn = stack.function_configuration(function)["FunctionArn"]
    mappings = stack.moto.client("lambda").list_event_source_mappings()["EventSourceMappings"]
    for mapping in (m for m in mappings if m["FunctionArn"] == arn):
        source = mapping["EventSourceArn"]
        if ":dynamodb:" in source:
            for action in ("DescribeStream", "GetRecords", "GetShardIterator", "ListStreams"):
                needs.append((iam.Need(f"dynamodb:{action}", source), "event source mapping"))
        elif ":sqs:" in source:
            for action in ("ReceiveMessage", "DeleteMessage", "GetQueueAttributes"):
                needs.append((iam.Need(f"sqs:{action}", source), "event source mapping"))
        destination = mapping.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
        if destination:
            action = "sqs:SendMessage" if ":sqs:" in destination else "sns:Publish"
            needs.append((iam.Need(action, destination), "event source mapping's on-failure destination"))
    # moto's GetFunctionConfiguration leaves DeadLetterConfig out: read it from the template.
    target = stack.resources("AWS::Lambda::Function")[function]["Properties"].get("DeadLetterConfig", {}).get("TargetArn")
    if target:
        (queue, attribute), = target.values()
        dead_letters = stack.arn(queue)
        action = "sqs:SendMessage" if ":sqs:" in dead_letters else "sns:Publish"
        needs.append((iam.Need(action, dead_letters), "dead-letter queue"))
    return needs


def describe(request):
    return f"{request.method} {request.path} {request.headers.get('x-amz-target', '')}".strip()


def test_the_figures_count_each_order_event_once(rehearsal):
    def answer(case):
        (response,) = [r for c, r, _ in rehearsal.outcomes["AdminFunction"] if c == case]
        return response["statusCode"], json.loads(response["body"])

    counted = [r for c, r, _ in rehearsal.outcomes["StatsFunction"] if "order events" in c]
    assert len(counted) == 2 and all(r == {"batchItemFailures": []} for r in counted), counted
    (refused,) = [r for c, r, _ in rehearsal.outcomes["StatsFunction"] if c == "a recording DynamoDB refuses"]
    assert [f["itemIdentifier"] for f in refused["batchItemFailures"]] == ["1000"], refused
    kinds = [event["type"] for event in rehearsal.order_events]
    status, figures = answer("stats of the last 30 days")
    assert status == 200, figures
    total = figures["total"]
    assert total["orders_placed"] == kinds.count("com.bookworm.checkout.completed") > 0, (kinds, total)
    assert total["orders_completed"] == kinds.count("com.bookworm.order.completed") > 0, (kinds, total)
    assert total["new_customers"] == 1, total
    assert figures["catalog"]["books_in_stock"] > 150, "the recount counted the seeded catalog"
    status, entry = answer("the buyer's entry")
    assert status == 200 and entry["order_count"] == total["orders_placed"], entry
    assert entry["profile"]["user_id"] == entry["id"], "the profile is read beside the entry"
    status, found = answer("search customers by email")
    assert status == 200 and [c["id"] for c in found["items"]] == [entry["id"]], found
    statuses = {case: answer(case)[0] for case in ("stats-as-customer", "stats-range-too-long", "get-unknown-customer")}
    assert statuses == {"stats-as-customer": 403, "stats-range-too-long": 400, "get-unknown-customer": 404}, statuses


def test_every_call_is_granted_by_the_functions_own_role(rehearsal, stack, function):
    documents = [document for _, document, _ in stack.role_documents(function)]
    denied = [
        f"{function}: {need} ({why if isinstance(why, str) else describe(why)})"
        for need, why in code_needs(rehearsal, function) + service_needs(stack, function)
        if not iam.is_allowed(documents, need)
    ]
    assert not denied, "denied by the role:\n" + "\n".join(sorted(set(denied)))


def granted_pairs(document):
    """Each (action, resource) an inline policy statement grants."""
    for statement in iam.statements([document]):
        if statement["Effect"] != "Allow" or "Resource" not in statement or "Action" not in statement:
            continue
        for action in iam._as_list(statement["Action"]):
            for resource in iam._as_list(statement["Resource"]):
                yield statement, action, resource


def test_no_grant_goes_unused(rehearsal, stack, function):
    used = [need for need, _ in code_needs(rehearsal, function) + service_needs(stack, function)]
    unused = []
    for _, document, managed in stack.role_documents(function):
        if managed:
            continue  # AWS managed policies (logs, stream reads) are SAM's choice, not ours to trim
        for statement, action, resource in granted_pairs(document):
            single = dict(statement, Action=action, Resource=resource)
            if any(iam.statement_applies(single, need) for need in used):
                continue
            if any(function == f and action == a and resource.endswith(r) for f, a, r in UNUSED_BUT_NEEDED):
                continue
            unused.append(f"{function}: {action} on {resource}")
    assert not unused, "granted but never used (remove, or list in UNUSED_BUT_NEEDED with why):\n" + "\n".join(unused)


def test_every_function_and_dead_letter_queue_has_an_alarm(stack):
    alarms = stack.resources("AWS::CloudWatch::Alarm").values()
    def dimensions(alarm):
        # A metric-math alarm names its metrics' dimensions inside each metric.
        yield from alarm["Properties"].get("Dimensions", [])
        for query in alarm["Properties"].get("Metrics", []):
            yield from query.get("MetricStat", {}).get("Metric", {}).get("Dimensions", [])

    watched = {json.dumps(dimension["Value"], sort_keys=True) for alarm in alarms for dimension in dimensions(alarm)}
    missing = [f for f in stack.resources("AWS::Lambda::Function") if json.dumps({"Ref": f}) not in watched]
    missing += [q for q in stack.resources("AWS::SQS::Queue") if json.dumps({"Fn::GetAtt": [q, "QueueName"]}) not in watched]
    assert not missing, f"no alarm watches {missing}"
    for alarm in alarms:
        assert "AlarmActions" in alarm["Properties"], "every alarm notifies the alarm topic when there is one"


def test_both_apis_are_throttled_and_log_every_request_as_json(stack):
    stages = {**stack.resources("AWS::ApiGatewayV2::Stage")}
    assert len(stages) == 2, stages.keys()
    for name, stage in stages.items():
        properties = stage["Properties"]
        limits = properties["DefaultRouteSettings"]
        assert {"ThrottlingRateLimit", "ThrottlingBurstLimit"} <= limits.keys(), name
        fields = json.loads(properties["AccessLogSettings"]["Format"])
        assert {"request_id", "route", "status", "authorizer_error"} <= fields.keys(), name
        assert any("latency" in field for field in fields), name
        assert not any("authorization" in value.lower() or "querystring" in value.lower() for value in fields.values())


def test_no_function_is_granted_a_wildcard_resource_it_could_name(stack):
    wildcards = []
    for function in stack.resources("AWS::Lambda::Function"):
        for name, document, managed in stack.role_documents(function):
            for statement in iam.statements([document]) if not managed else []:
                resources = iam._as_list(statement.get("Resource", []))
                if any(resource == "*" or resource.endswith(":*") for resource in resources):
                    wildcards.append(f"{function}/{name}: {statement}")
    assert not wildcards, "\n".join(wildcards)


def test_the_tables_the_tests_use_are_the_tables_the_stack_makes(stack, moto):
    """`bookworm-local create-tables` (the tests' and local stack's way, from template.yaml)
    and CloudFormation (from the translated template) must make the same tables."""
    import subprocess

    from conftest import binary_dir

    variables = next(iter(stack.resources("AWS::Lambda::Function").values()))["Properties"]["Environment"]["Variables"]
    tables = {name: value["Ref"] for name, value in variables.items() if name.endswith("_TABLE")}
    assert len(tables) == len(stack.resources("AWS::DynamoDB::Table")), "every table reaches the functions"
    environment = moto.harness_environment(**{name: f"local-{logical}" for name, logical in tables.items()})
    subprocess.run([str(binary_dir() / "bookworm-local"), "create-tables"], env=environment, check=True)

    dynamodb = moto.client("dynamodb")

    def shape(name):
        table = dynamodb.describe_table(TableName=name)["Table"]
        indexes = lambda kind: sorted(  # noqa: E731
            (i["IndexName"], json.dumps(i["KeySchema"]), json.dumps(i["Projection"], sort_keys=True))
            for i in table.get(kind, [])
        )
        ttl = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        return {
            "keys": table["KeySchema"],
            "attributes": sorted(json.dumps(a, sort_keys=True) for a in table["AttributeDefinitions"]),
            "local indexes": indexes("LocalSecondaryIndexes"),
            "global indexes": indexes("GlobalSecondaryIndexes"),
            "stream": table.get("StreamSpecification", {}).get("StreamViewType"),
            "billing": table.get("BillingModeSummary", {}).get("BillingMode"),
            "ttl": (ttl["TimeToLiveStatus"], ttl.get("AttributeName")),
        }

    for logical in tables.values():
        declared = stack.resources("AWS::DynamoDB::Table")[logical]["Properties"].get("TimeToLiveSpecification")
        made = shape(stack.physical[logical])
        # moto's CloudFormation skips TimeToLiveSpecification: compare with what AWS would set.
        made["ttl"] = ("ENABLED", declared["AttributeName"]) if declared and declared["Enabled"] else ("DISABLED", None)
        assert shape(f"local-{logical}") == made, logical


def test_every_function_outlasts_its_slowest_aws_call(stack):
    """shared/aws gives every AWS call at most 5 s, retries included: a function's timeout must
    leave it time to handle that error (release a claim, answer 503) rather than be killed."""
    short = {name: f["Properties"].get("Timeout", 3) for name, f in stack.resources("AWS::Lambda::Function").items()}
    assert all(timeout >= 10 for timeout in short.values()), short
