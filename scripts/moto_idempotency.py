"""DynamoDB's idempotent TransactWriteItems, which moto (5.2.5) leaves out.

DynamoDB treats a TransactWriteItems that repeats an earlier one's ClientRequestToken within 10
minutes as that request: it answers success without writing again (or
IdempotentParameterMismatchException if the other parameters differ, or
TransactionInProgressException while the first still runs). moto ignores the token and runs the
transaction again, so an SDK retry of a commit whose answer was lost fails its own conditions
("changed by another writer") where AWS would have said it was done. Every test server of ours
wraps moto's app in this, so the tests see what AWS does.

Used by scripts/moto-server and the deploy rehearsal (tests/deploy/conftest.py).
"""

import io
import json
import threading
import time

TARGET = "DynamoDB_20120810.TransactWriteItems"
WINDOW_SECONDS = 600


class IdempotentTransactions:
    """WSGI middleware: moto's app, with TransactWriteItems answered once per client token."""

    def __init__(self, app, clock=time.monotonic):
        self.app = app
        self.clock = clock
        self.lock = threading.Lock()
        self.done = {}  # token -> (request body, status, headers, answer, when)
        self.running = {}  # token -> request body

    def __call__(self, environ, start_response):
        if environ.get("HTTP_X_AMZ_TARGET") != TARGET:
            return self.app(environ, start_response)
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(body)
        token = json.loads(body or b"{}").get("ClientRequestToken")
        if not token:
            return self.app(environ, start_response)
        with self.lock:
            now = self.clock()
            self.done = {t: entry for t, entry in self.done.items() if now - entry[4] < WINDOW_SECONDS}
            earlier = self.done.get(token)
            if earlier or token in self.running:
                first = earlier[0] if earlier else self.running[token]
                if first != body:
                    return _error(start_response, "IdempotentParameterMismatchException",
                                  "the client token was used with other parameters")
                if not earlier:
                    return _error(start_response, "TransactionInProgressException",
                                  "a request with this client token is still in progress")
                _, status, headers, answer, _ = earlier
                start_response(status, headers)
                return [answer]
            self.running[token] = body

        answered = {}

        def remember(status, headers, exc_info=None):
            answered.update(status=status, headers=list(headers))
            return start_response(status, headers, exc_info)

        try:
            answer = b"".join(self.app(environ, remember))
        finally:
            with self.lock:
                del self.running[token]
        # Only a transaction that was carried out is remembered: one cancelled is run again,
        # as DynamoDB does (it changed nothing).
        if answered.get("status", "").startswith("200"):
            with self.lock:
                self.done[token] = (body, answered["status"], answered["headers"], answer, self.clock())
        return [answer]


def _error(start_response, error, message):
    body = json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{error}", "message": message}).encode()
    start_response("400 Bad Request", [("Content-Type", "application/x-amz-json-1.0"),
                                       ("x-amzn-ErrorType", error), ("Content-Length", str(len(body)))])
    return [body]
