"""What the browser tests share: a bookworm-local of their own, Debian's chromium, and where
screenshots go. The pictures in docs/ are made by the tests: SCREENSHOTS=tests/browser
tests/browser/run. Otherwise they go under target/browser/, leaving the tree as it was."""

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOCAL = os.environ["BOOKWORM_LOCAL"]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = ROOT / os.environ.get("SCREENSHOTS", "target/browser")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def screenshot(page, name, full_page=True):
    """`full_page=False`: the window as it is, for pages that fit it (and scroll inside)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=full_page)


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])


class Stack:
    """A bookworm-local on 127.0.0.1 with its own data folder; restartable on the same port."""

    def __init__(self, data, *serve_args):
        self.data, self.port, self.process = data, free_port(), None
        self.serve_args = list(serve_args)
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self):
        self.process = subprocess.Popen(
            [LOCAL, "serve", "--data-dir", self.data, "--port", str(self.port), "--template", str(ROOT / "template.yaml"),
             *self.serve_args],
            stdout=subprocess.DEVNULL, stderr=open(Path(self.data) / "stack.log", "a"),
        )
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                urllib.request.urlopen(f"{self.url}/health", timeout=1)
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("the local stack did not start")

    def stop(self):
        if self.process:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=20)
            self.process = None

    def token(self, *args):
        out = subprocess.run([LOCAL, "token", "--data-dir", self.data, *args], check=True, capture_output=True, text=True)
        return out.stdout.strip()

    def call(self, method, path, token, body=None, headers=None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.url}{path}", data=data, method=method)
        request.add_header("Authorization", f"Bearer {token}")
        request.add_header("Content-Type", "application/json")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read() or b"null")

    def outbox(self):
        """Every mail the stack sent (a development-only route: no token)."""
        with urllib.request.urlopen(f"{self.url}/_local/outbox", timeout=10) as response:
            return json.loads(response.read())["items"]
