"""The real `sam local invoke` and `sam local start-api` on the events in events/, against moto.

Runs inside `scripts/sam-local exec` (tests/sam-local/run): moto holds template.yaml's tables and
the seed catalog, the development issuer serves its JWKS, and each `scripts/sam-local` call here
reuses them. `sam local invoke` exits 0 even when the function fails or times out, so every case
asserts on the response itself.
"""

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import boto3
import pytest

ROOT = Path(__file__).resolve().parents[2]
SAM_LOCAL = str(ROOT / "scripts" / "sam-local")
RUN = os.environ["SAM_LOCAL_RUN"]
# scripts/sam-local keeps its runs and the issuer's key in <cargo target>/sam-local.
STAGE = Path(RUN).parent
LOCAL_BIN = STAGE.parent / "debug" / "bookworm-local"
EMMA = "b337fce4-aa98-5765-9ce8-703d4bac2567"
# The shop and the customer of events/basket/put-item.json and events/checkout/checkout.json.
SHOP = "123e4567-e89b-42d3-a456-426614174000"
BUYER = "5f0c1d2e-3a4b-4c5d-8e6f-7a8b9c0d1e2f"


def invoke(function, event):
    """What `sam local invoke FUNCTION --event EVENT` prints: the function's response."""
    done = subprocess.run(
        [SAM_LOCAL, "invoke", function, "--event", str(event)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    try:
        return json.loads(done.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"{function} printed no response: {done.stdout!r}\n{done.stderr}")


def dynamodb_item(table, key):
    client = boto3.client("dynamodb")
    return client.get_item(TableName=os.environ[table], Key={k: {"S": v} for k, v in key.items()}).get("Item")


def test_catalog_books_gets_a_book():
    response = invoke("CatalogBooksFunction", ROOT / "events/catalog-books/get-book.json")
    assert response["statusCode"] == 200, response
    book = json.loads(response["body"])
    assert (book["id"], book["name"], book["price"]) == (EMMA, "Emma", "6.99")


def token(sub):
    """A customer's access token from the development issuer whose JWKS the run serves."""
    return subprocess.run(
        [LOCAL_BIN, "token", "--data-dir", STAGE / "issuer", "--sub", sub, "--role", "customer"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()


def test_authorizer_accepts_a_token_signed_with_the_served_key(tmp_path):
    # The sample events carry bad tokens only: this one with a good token in their place.
    event = tmp_path / "valid-token.json"
    malformed = (ROOT / "events/authorizer/malformed-token.json").read_text()
    event.write_text(malformed.replace("not.a.jwt", token("sam-local-reader")))
    response = invoke("AuthorizerFunction", event)
    # The verdict is in the context (the function answers 401/403 itself): the caller, or "rejected".
    assert response["isAuthorized"] is True
    assert response["context"]["user_id"] == "sam-local-reader", response
    assert response["context"]["roles"] == "customer"


def test_authorizer_refuses_an_unsigned_token():
    response = invoke("AuthorizerFunction", ROOT / "events/authorizer/forged-alg-none.json")
    # Refused as a bad token: `alg: none` fails before any key is looked up.
    assert response["context"] == {"rejected": "invalid_token"}, response


def test_checkout_turns_the_basket_in_moto_into_an_order():
    basket_key = {"pk": f"{SHOP}#{BUYER}"}
    response = invoke("BasketFunction", ROOT / "events/basket/put-item.json")
    assert response["statusCode"] == 200, response
    basket = json.loads(response["body"])
    assert [(line["book_id"], line["quantity"]) for line in basket["lines"]] == [(EMMA, 2)]
    assert dynamodb_item("BASKETS_TABLE", basket_key) is not None

    response = invoke("CheckoutFunction", ROOT / "events/checkout/checkout.json")
    assert response["statusCode"] == 201, response
    order = json.loads(response["body"])
    assert response["headers"]["location"] == f"/orders/{order['id']}"
    assert (order["buyer_id"], order["shop_id"], order["total"]) == (BUYER, SHOP, "13.98")
    stored = dynamodb_item("ORDERS_TABLE", {"id": order["id"]})
    assert stored is not None and stored["buyer_id"] == {"S": BUYER}
    assert dynamodb_item("BASKETS_TABLE", basket_key) is None


def test_fanout_takes_an_sns_event():
    # Nothing to return; a failure would be an {"errorType": …} response.
    assert invoke("FanoutFunction", ROOT / "events/fanout/checkout-action.json") is None


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(url, headers=None):
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=60) as answer:
            return answer.status, json.load(answer)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def test_start_api_serves_the_catalog_and_checks_tokens():
    port = free_port()
    # In a session of its own: if it does not stop when asked, it is killed whole.
    api = subprocess.Popen([SAM_LOCAL, "start-api", "--port", str(port)], start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                status, page = get(f"{base}/books?limit=2")
                break
            except OSError:
                assert api.poll() is None, "sam local start-api stopped"
                assert time.monotonic() < deadline, "sam local start-api did not answer within 120 s"
                time.sleep(0.5)
        assert status == 200, page
        assert len(page["items"]) == 2 and page["next_cursor"]
        status, book = get(f"{base}/books/{EMMA}")
        assert (status, book["name"]) == (200, "Emma")
        status, problem = get(f"{base}/books/00000000-0000-4000-8000-000000000000")
        assert (status, problem["status"]) == (404, 404)
        # A protected route, through the template's authorizer.
        status, me = get(f"{base}/me", {"Authorization": f"Bearer {token('sam-local-api')}"})
        assert (status, me.get("user_id")) == (200, "sam-local-api"), me
    finally:
        api.send_signal(signal.SIGTERM)
        try:
            api.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(api.pid, signal.SIGKILL)
            raise
    # SAM removed its warm containers as it stopped.
    left = subprocess.run(
        ["docker", "ps", "-aq", "--filter", f"label=bookworm.sam-local={RUN}"],
        capture_output=True, text=True, check=True,
    ).stdout.split()
    assert left == []
