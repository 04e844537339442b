"""Runs a function's packaged binary as Lambda does: a local Runtime API hands it events one at a
time and takes its answers. The binary gets only the environment Lambda would give it."""

import json
import subprocess
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from queue import Queue

PREFIX = "/2018-06-01/runtime"


class Invocation:
    def __init__(self, payload):
        self.id = str(uuid.uuid4())
        self.payload = payload
        self.done = threading.Event()
        self.response = None
        self.error = None


class RuntimeApi(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a binary killed mid-request is how every host ends

    def __init__(self, function_arn):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.function_arn = function_arn
        self.pending = Queue()
        self.by_id = {}
        self.init_error = None
        self.init_failed = threading.Event()

    @property
    def address(self):
        return f"127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def _body(self):
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _answer(self, status, body=b"", headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path != f"{PREFIX}/invocation/next":
            return self._answer(404)
        invocation = self.server.pending.get()
        if invocation is None:  # shutting down: the binary is gone already
            return
        self.server.by_id[invocation.id] = invocation
        body = json.dumps(invocation.payload).encode()
        self._answer(
            200,
            body,
            [
                ("Lambda-Runtime-Aws-Request-Id", invocation.id),
                ("Lambda-Runtime-Deadline-Ms", "99999999999999"),
                ("Lambda-Runtime-Invoked-Function-Arn", self.server.function_arn),
                ("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000"),
            ],
        )

    def do_POST(self):
        body = self._body()
        if self.path == f"{PREFIX}/init/error":
            self.server.init_error = body.decode(errors="replace")
            self.server.init_failed.set()
            return self._answer(202)
        parts = self.path[len(PREFIX) :].strip("/").split("/")
        if len(parts) == 3 and parts[0] == "invocation" and parts[1] in self.server.by_id:
            invocation = self.server.by_id[parts[1]]
            if parts[2] == "response":
                invocation.response = json.loads(body) if body else None
            elif parts[2] == "error":
                invocation.error = body.decode(errors="replace")
            invocation.done.set()
            return self._answer(202)
        self._answer(404)


class FunctionHost:
    """One function's binary, started once (an init), then invoked any number of times."""

    def __init__(self, binary, environment, function_arn, log_path):
        self.api = RuntimeApi(function_arn)
        threading.Thread(target=self.api.serve_forever, daemon=True).start()
        environment = dict(environment, AWS_LAMBDA_RUNTIME_API=self.api.address)
        self.log = open(log_path, "ab")
        self.process = subprocess.Popen(
            [binary], env=environment, stdout=self.log, stderr=subprocess.STDOUT
        )

    def invoke(self, payload, timeout=30):
        """The function's answer to `payload`: (response, None) or (None, error)."""
        invocation = Invocation(payload)
        self.api.pending.put(invocation)
        waiting = threading.Thread(target=invocation.done.wait, args=(timeout,))
        waiting.start()
        while waiting.is_alive():
            waiting.join(0.05)
            if self.api.init_failed.is_set():
                return None, f"init failed: {self.api.init_error}"
            if self.process.poll() is not None and not invocation.done.is_set():
                return None, f"exited with {self.process.returncode}"
        if not invocation.done.is_set():
            return None, f"no answer within {timeout} s"
        return invocation.response, invocation.error

    def stop(self):
        self.process.kill()
        self.process.wait()
        self.api.pending.put(None)
        self.api.shutdown()
        self.log.close()
