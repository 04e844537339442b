"""The deploy rehearsal and the least-privilege check (see conftest.py for how it runs).

Every function's debug binary answers its sample events, and a few derived from what earlier
steps made (the order a checkout placed, the events it stored), against the stack created
from the translated template. Every request a function sends must be allowed by its own role;
every service-side call Lambda makes for it (event source, destination, dead-letter queue)
too; and no grant may go unused unless it is listed below with the reason.
"""

import copy
import json
import os
from pathlib import Path

import pytest

import iam
from conftest import ACCOUNT, HARNESS_KEY, PARAMETERS, ROOT, binary_dir
from lambda_host import FunctionHost

EVENTS = ROOT / "events"
SHOP = "123e4567-e89b-42d3-a456-426614174000"

# Grants no rehearsed request uses, each kept for a reason.
UNUSED_BUT_NEEDED = {
    # SES authorises a send against the identity it verified: the address, or its whole domain.
    ("EmailFunction", "ses:SendEmail", f"identity/{PARAMETERS['MailFrom'].split('@')[1]}"),
}


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


class Rehearsal:
    def __init__(self, moto, stack, logs):
        self.moto, self.stack, self.logs = moto, stack, logs
        self.outcomes = {}  # function -> [(case, response, error)]
        self.hosts = {}
        self.websocket = {}

    def host(self, function):
        if function not in self.hosts:
            configuration = self.stack.function_configuration(function)
            variables = configuration.get("Environment", {}).get("Variables", {})
            if "WEBSOCKET_ENDPOINT" in variables:
                # moto serves the management API at its root only; the grant is checked
                # against the API and stage the stack's own endpoint names.
                api, stage = variables["WEBSOCKET_ENDPOINT"].split("//", 1)[1].split(".", 1)[0], variables["WEBSOCKET_ENDPOINT"].rsplit("/", 1)[1]
                self.websocket[function] = (api, stage)
                variables = dict(variables, WEBSOCKET_ENDPOINT=self.moto.endpoint)
            environment = dict(
                variables,
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


@pytest.fixture(scope="session")
def rehearsal(moto, stack, tmp_path_factory):
    import subprocess

    logs = Path(tmp_path_factory.mktemp("function-logs"))
    harness_environment = dict(
        os.environ,
        AWS_REGION=ACCOUNT.region,
        AWS_ACCESS_KEY_ID=HARNESS_KEY,
        AWS_SECRET_ACCESS_KEY="harness",
        AWS_ENDPOINT_URL=moto.endpoint,
        CATALOG_TABLE=stack.physical["CatalogTable"],
    )
    subprocess.run(
        [str(binary_dir() / "bookworm-local"), "seed", "--catalog", "dynamodb"],
        env=harness_environment,
        check=True,
        capture_output=True,
    )
    moto.client("ses").verify_email_identity(EmailAddress=PARAMETERS["MailFrom"])

    run = Rehearsal(moto, stack, logs)
    try:
        run.run_all("AuthorizerFunction", "forged-alg-none", "malformed-token")
        run.run_all("CatalogBooksFunction", "list-books", "list-books-by-category-price-desc", "search-books", "get-book", "get-unknown-book")
        run.run_all("CatalogLookupsFunction", "list-authors", "list-categories", "list-publishers")
        run.run_all("AccountFunction", "me", "get-preferences", "set-preferences")
        run.run_all("WebSocketFunction", "connect", "ping")
        run.run_all("BasketFunction", "put-item", "get-basket")
        run.run_all("CheckoutFunction", "checkout")
        placed = json.loads(run.outcomes["CheckoutFunction"][-1][1]["body"])["id"]
        run.run_all("OrdersFunction", "list-orders", "get-unknown-order")
        run.invoke("OrdersFunction", "complete the placed order", order_event("complete-unknown-order", placed))
        run.run_all("PublishFunction", "publish", "history")
        run.run_all("BasketFunction", "empty-basket")

        stored = run.stored_events()
        stream_arn = run.moto.client("dynamodb").describe_table(TableName=stack.physical["EventsTable"])["Table"]["LatestStreamArn"]
        run.invoke("RelayFunction", "the stored events", stream_batch(stored, stream_arn))
        shop_events = [json.loads(item["event"]["S"]) for item in stored]
        for shop_event in shop_events:
            run.invoke("FanoutFunction", shop_event["type"], sns_delivery(shop_event))
        for shop_event in shop_events:
            if shop_event["type"] in ("com.bookworm.checkout.completed", "com.bookworm.order.completed"):
                run.invoke("EmailFunction", shop_event["type"], sns_delivery(shop_event))

        run.run_all("WebSocketFunction", "disconnect")
        run.run_all("CatalogAdminFunction", "create-author", "create-book", "update-book", "delete-author-with-books", "delete-book")
    finally:
        run.stop()
    return run


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
        if error
    ]
    assert not failures, "\n".join(failures)
    assert sorted(rehearsal.outcomes) == functions(stack), "every function is rehearsed"


def test_the_rehearsal_did_real_work(rehearsal, moto):
    """Guards the checks below against a rehearsal that silently did nothing."""
    ses = moto.client("ses").get_send_statistics()["SendDataPoints"]
    assert sum(point["DeliveryAttempts"] for point in ses) >= 2, "checkout and completion mail the buyer"
    def status(function, case):
        (response,) = [r for c, r, _ in rehearsal.outcomes[function] if c == case]
        return response and response.get("statusCode")

    assert status("CheckoutFunction", "checkout") == 201
    assert status("AccountFunction", "set-preferences") == 200
    assert rehearsal.outcomes["FanoutFunction"], "events were fanned out"


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
