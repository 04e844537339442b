"""A bookworm-local of the MCP tests' own on a new data folder and a free port (the browser
tests' Stack), and tokens of its development issuer."""

import sys
import tempfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "browser"))
from local_stack import Stack  # noqa: E402


@pytest.fixture(scope="module")
def stack():
    with tempfile.TemporaryDirectory() as data:
        running = Stack(data)
        running.start()
        try:
            yield running
        finally:
            running.stop()
