"""The test servers' emulation of DynamoDB's ClientRequestToken (scripts/moto_idempotency.py),
on a stand-in for moto's app that counts what it carries out."""

import io
import json

from conftest import IdempotentTransactions

TARGET = "DynamoDB_20120810.TransactWriteItems"


class CountingApp:
    def __init__(self, status="200 OK"):
        self.status, self.runs = status, 0

    def __call__(self, environ, start_response):
        self.runs += 1
        start_response(self.status, [("Content-Type", "application/x-amz-json-1.0")])
        return [json.dumps({"run": self.runs}).encode()]


def call(app, body, target=TARGET):
    data = json.dumps(body).encode()
    environ = {"HTTP_X_AMZ_TARGET": target, "CONTENT_LENGTH": str(len(data)), "wsgi.input": io.BytesIO(data)}
    answer = {}
    body = b"".join(app(environ, lambda status, headers, exc_info=None: answer.update(status=status, headers=headers)))
    return answer["status"], dict(answer["headers"]).get("x-amzn-ErrorType"), body


def test_a_repeated_token_is_answered_without_running_again():
    moto = CountingApp()
    app = IdempotentTransactions(moto)
    request = {"ClientRequestToken": "t1", "TransactItems": [{"Put": {}}]}
    assert call(app, request) == ("200 OK", None, b'{"run": 1}')
    assert call(app, request) == ("200 OK", None, b'{"run": 1}'), "the first answer, again"
    assert moto.runs == 1
    call(app, dict(request, ClientRequestToken="t2"))
    assert moto.runs == 2, "another token is another transaction"


def test_the_same_token_with_other_items_is_a_mismatch():
    app = IdempotentTransactions(CountingApp())
    call(app, {"ClientRequestToken": "t1", "TransactItems": [{"Put": {}}]})
    status, error, _ = call(app, {"ClientRequestToken": "t1", "TransactItems": [{"Delete": {}}]})
    assert (status, error) == ("400 Bad Request", "IdempotentParameterMismatchException")


def test_a_cancelled_transaction_is_not_remembered():
    moto = CountingApp(status="400 Bad Request")
    app = IdempotentTransactions(moto)
    request = {"ClientRequestToken": "t1", "TransactItems": []}
    call(app, request)
    call(app, request)
    assert moto.runs == 2


def test_a_token_is_forgotten_after_ten_minutes():
    now = [0.0]
    moto = CountingApp()
    app = IdempotentTransactions(moto, clock=lambda: now[0])
    request = {"ClientRequestToken": "t1", "TransactItems": []}
    call(app, request)
    now[0] = 599.0
    call(app, request)
    assert moto.runs == 1
    now[0] = 600.0
    call(app, request)
    assert moto.runs == 2, "after the window the token is new again"


def test_other_requests_and_tokenless_transactions_pass_through():
    moto = CountingApp()
    app = IdempotentTransactions(moto)
    call(app, {"TransactItems": []})
    call(app, {"TransactItems": []})
    call(app, {"ClientRequestToken": "t1"}, target="DynamoDB_20120810.PutItem")
    call(app, {"ClientRequestToken": "t1"}, target="DynamoDB_20120810.PutItem")
    assert moto.runs == 4
