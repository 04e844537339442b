"""The merchant dashboard in a real browser (Debian's chromium, driven by Playwright): sign in
through the development issuer's page, see an in-store action arrive within a second, see a
checkout with its total, restart the stack and see what was published meanwhile appear once
each, and complete an order as an admin. Leaves a screenshot for docs/real-time.md.

tests/browser/run starts nothing itself: this file starts and stops its own bookworm-local."""

import json
import subprocess
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from local_stack import LOCAL, ROOT, Stack, launch, screenshot

SHOP = "123e4567-e89b-42d3-a456-426614174000"
SHOPPER = "ab29b2d3-7c8a-446e-a4e1-d8e2a51c0e94"  # the sample publish event's caller


class ShopStack(Stack):
    """The stack, and the in-store app's calls."""

    def publish(self, product, shopper_token=None):
        """An in-store checkout action, as the in-store app (and curl) sends it."""
        action = self.action(product)
        # A customer publishes their own actions only: the token's sub is the shopper.
        shopper = shopper_token or self.shopper_token()
        return self.call("POST", f"/publish/{SHOP}", shopper, action)

    def shopper_token(self):
        return self.token("--role", "customer", "--sub", SHOPPER)

    def publish_while_stopped(self, product):
        """The publish function run on the stopped stack's data folder (`bookworm-local invoke`):
        the event is stored while no socket can possibly carry it."""
        event = json.loads((ROOT / "events" / "publish" / "publish.json").read_text())
        event["body"] = json.dumps(self.action(product))
        path = Path(self.data) / f"publish-{uuid.uuid4()}.json"
        path.write_text(json.dumps(event))
        subprocess.run(
            [LOCAL, "invoke", "--data-dir", self.data, "--template", str(ROOT / "template.yaml"), "publish", "--event", str(path)],
            check=True, capture_output=True,
        )

    @staticmethod
    def action(product):
        return {
            "session_id": str(uuid.uuid4()), "shop_id": SHOP, "shopper_id": SHOPPER,
            "action_id": 101, "create_time": "2026-11-24T10:30:00.000Z", "action": "ADD",
            "product_name": product, "product_id": 500100, "product_price": 3.5, "UPC": "042100005264",
            "category_id": "fruit", "basket_total": 12.18,
        }


@pytest.fixture
def stack():
    with tempfile.TemporaryDirectory() as data:
        running = ShopStack(data)
        running.start()
        try:
            yield running
        finally:
            running.stop()


@pytest.fixture
def page():
    with sync_playwright() as playwright:
        browser = launch(playwright)
        # A tablet held in portrait.
        context = browser.new_context(viewport={"width": 768, "height": 1024})
        yield context.new_page()
        browser.close()


@pytest.fixture
def short_lived_stack():
    """Tokens from the sign-in last 66 s: the page renews them 60 s early, so after 6 s."""
    with tempfile.TemporaryDirectory() as data:
        running = ShopStack(data, "--token-ttl", "66")
        running.start()
        try:
            yield running
        finally:
            running.stop()


def sign_in(page, stack, shops, roles=("merchant",)):
    page.goto(f"{stack.url}/merchant/")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("User id").fill("merchant-42")
    page.get_by_label("Name").fill("Morgan")
    for role in roles:
        page.get_by_label(role).check()
    page.get_by_label("Shops").fill(" ".join(shops))
    page.get_by_role("button", name="Sign in").click()


def feed_items(page, product):
    return page.locator("#feed li", has_text=product)


def record_frames(page):
    """Every WebSocket frame the page receives, and the URL of every socket it opens."""
    frames, sockets = [], []
    def opened(socket):
        sockets.append(socket.url)
        socket.on("framereceived", lambda payload: frames.append(str(payload)))
    page.on("websocket", opened)
    return frames, sockets


def test_a_merchant_watches_the_shop_live_and_misses_nothing(stack, page):
    frames, _ = record_frames(page)
    page.goto(f"{stack.url}/merchant/")
    page.get_by_role("button", name="Sign in").click()
    # The development issuer's page: a merchant of the shop who is also an admin.
    page.get_by_label("User id").fill("merchant-42")
    page.get_by_label("Name").fill("Morgan")
    page.get_by_label("admin").check()
    page.get_by_label("Shops").fill(SHOP)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#connection")).to_have_text("Live", timeout=10_000)
    expect(page.locator("#who")).to_have_text("Signed in as Morgan")

    # An in-store action published over HTTP appears within a second (the token is minted first).
    shopper = stack.shopper_token()
    started = time.monotonic()
    stack.publish("FUJI Apples", shopper)
    expect(feed_items(page, "ADD FUJI Apples")).to_have_count(1, timeout=1_000)
    assert time.monotonic() - started < 1.0

    # A checkout, with its total.
    books = json.load(urllib.request.urlopen(f"{stack.url}/books?limit=1"))["items"]
    customer = stack.token("--role", "customer", "--sub", "ann-1")
    stack.call("PUT", f"/shops/{SHOP}/basket/items/{books[0]['id']}", customer, {"quantity": 2})
    order = stack.call("POST", f"/shops/{SHOP}/checkout", customer, headers={"Idempotency-Key": "b-1"})
    checkout = page.locator("#feed li[data-type='com.bookworm.checkout.completed']")
    expect(checkout).to_have_count(1, timeout=2_000)
    expect(checkout).to_contain_text(f"{float(order['total']):.2f}")
    expect(page.locator("#count-checkouts")).to_have_text("1")
    expect(page.locator("#count-revenue")).to_have_text(f"{float(order['total']):.2f}")

    # The stack stops; two actions are stored while it is down; it comes back. They appear
    # once each, from the history: no socket ever carried them.
    stack.stop()
    expect(page.locator("#connection")).to_contain_text("Reconnecting", timeout=5_000)
    stack.publish_while_stopped("Pears while away")
    stack.publish_while_stopped("Plums while away")
    stack.start()
    expect(page.locator("#connection")).to_have_text("Live", timeout=40_000)
    expect(feed_items(page, "Pears while away")).to_have_count(1, timeout=5_000)
    expect(feed_items(page, "Plums while away")).to_have_count(1)
    expect(feed_items(page, "ADD FUJI Apples")).to_have_count(1)
    ids = page.locator("#feed li").evaluate_all("items => items.map(item => item.dataset.eventId)")
    assert len(ids) == len(set(ids)), "no event is shown twice"
    assert not [f for f in frames if "while away" in f], "the catch-up, not the socket, brought them"

    # The admin completes the order from the list.
    row = page.locator(f"#orders tr[data-order-id='{order['id']}']")
    expect(row).to_contain_text("new")
    screenshot(page, "merchant-dashboard.png")
    row.get_by_role("button", name=f"Complete order {order['id'][:8]}").click()
    expect(page.locator(f"#orders tr[data-order-id='{order['id']}']")).to_have_count(0, timeout=3_000)
    assert stack.call("GET", f"/orders/{order['id']}", stack.token("--role", "admin"))["status"] == "completed"
    expect(page.locator("#feed li[data-type='com.bookworm.order.completed']")).to_have_count(1, timeout=2_000)


def test_a_merchant_of_two_shops_picks_one_and_the_token_is_renewed_before_it_expires(short_lived_stack, page):
    stack = short_lived_stack
    _, sockets = record_frames(page)
    other = "9b2f3c1a-4d5e-4f60-8a7b-1c2d3e4f5a6b"
    sign_in(page, stack, [other, SHOP])
    page.get_by_label("Shop", exact=True).select_option(SHOP)
    page.get_by_role("button", name="Watch this shop").press("Enter")  # keyboard, not a click
    expect(page.locator("#connection")).to_have_text("Live", timeout=10_000)
    first = page.evaluate("JSON.parse(sessionStorage.getItem('bookworm.merchant.tokens')).access_token")

    # Six seconds in, the page renews its token and reconnects with it.
    page.wait_for_function(
        "first => JSON.parse(sessionStorage.getItem('bookworm.merchant.tokens')).access_token !== first", arg=first,
        timeout=15_000,
    )
    expect(page.locator("#connection")).to_have_text("Live", timeout=10_000)
    renewed = page.evaluate("JSON.parse(sessionStorage.getItem('bookworm.merchant.tokens')).access_token")
    page.wait_for_function("() => true")  # let the reconnect's socket event reach the recorder
    assert any(renewed in url for url in sockets), "a new socket opened with the renewed token"
    stack.publish("After renewal")
    expect(feed_items(page, "After renewal")).to_have_count(1, timeout=2_000)
