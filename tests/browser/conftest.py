"""Fixtures the page tests share: a bookworm-local of their own on a new data folder, and
Debian's chromium (test_dashboard.py starts a shop-seeded stack of its own instead)."""

import tempfile

import pytest
from playwright.sync_api import sync_playwright

from local_stack import Stack, launch


@pytest.fixture
def stack():
    with tempfile.TemporaryDirectory() as data:
        running = Stack(data)
        running.start()
        try:
            yield running
        finally:
            running.stop()


@pytest.fixture
def browser():
    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()
