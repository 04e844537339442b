"""The back office at /admin/ in a real browser (Debian's chromium, driven by Playwright): an
admin signs in through the development issuer's page, adds a book (a refused price shown beside
its field) and finds it through the catalog search, is told why an author, a category and a
publisher with books stay (and deletes new ones without),
completes an order placed over HTTP, and goes through the main pages from the keyboard alone; a
support agent removes a reported review and is told the other pages are for admins. Leaves
screenshots (1280×800 and a tablet) for docs/back-office.md.

Like test_dashboard.py, each test starts and stops its own bookworm-local (conftest.py)."""

import json
import time
import urllib.request
import uuid

from playwright.sync_api import expect

from local_stack import screenshot

DESK = {"width": 1280, "height": 800}
TABLET = {"width": 800, "height": 1180}
SHOP = "123e4567-e89b-42d3-a456-426614174000"


def sign_in(browser, stack, role, sub, name, viewport=DESK, hash=""):
    """A page of its own browser context, signed in on the issuer's page with `role` only."""
    page = browser.new_context(viewport=viewport, locale="en-US").new_page()
    # Deleting asks for confirmation in the browser's own dialog: the tests say yes.
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"{stack.url}/admin/{hash}")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("User id").fill(sub)
    page.get_by_label("Name").fill(name)
    for other in ("customer", "merchant", "support", "admin"):
        page.get_by_label(other, exact=True).set_checked(other == role)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#who")).to_have_text(f"Signed in as {name}", timeout=10_000)
    return page


def get(stack, path):
    return json.load(urllib.request.urlopen(f"{stack.url}{path}", timeout=10))


def place_order(stack, buyer="ann-1", name="Ann Buyer"):
    """A checkout over HTTP, as curl would place it."""
    book = get(stack, "/books?limit=1")["items"][0]
    token = stack.token("--role", "customer", "--sub", buyer, "--name", name)
    stack.call("PUT", f"/shops/{SHOP}/basket/items/{book['id']}", token, {"quantity": 2})
    return stack.call("POST", f"/shops/{SHOP}/checkout", token, headers={"Idempotency-Key": str(uuid.uuid4())})


def reported_review(stack):
    """A review written by one reader and reported as spam by another."""
    book = get(stack, "/books?limit=1")["items"][0]
    writer = stack.token("--role", "customer", "--sub", "rex-1", "--name", "Rex Reader")
    review = stack.call("POST", f"/books/{book['id']}/reviews", writer,
                        {"rating": 1, "title": "Buy my pills", "comment": "Cheap pills at example.test"})
    reporter = stack.token("--role", "customer", "--sub", "ria-1", "--name", "Ria Reporter")
    stack.call("POST", f"/reviews/{review['id']}/reports", reporter, {"reason": "spam"})
    return book, review


def test_an_admin_manages_the_catalog_and_sees_each_refusal_beside_its_field(stack, browser):
    page = sign_in(browser, stack, "admin", "admin-1", "Ada Admin", hash="#books")
    expect(page.get_by_role("heading", name="Books")).to_be_visible()
    expect(page.locator("#books tr").first).to_be_visible()
    authors = get(stack, "/authors")["items"]
    categories = get(stack, "/categories")["items"]
    publishers = get(stack, "/publishers")["items"]

    page.get_by_role("button", name="Add a book").click()
    form = page.locator("#book-form")
    form.get_by_label("Name").fill("The Moth Catalogue")
    form.get_by_label("Price (USD)", exact=True).fill("12.50")
    form.get_by_label("Sale price").fill("19.99")  # more than the price: the API refuses it
    form.get_by_label("Authors").select_option(authors[0]["id"])
    form.get_by_label("Category").select_option(categories[0]["id"])
    # No publisher chosen: the API names that field too.
    form.get_by_role("button", name="Save book").click()

    sale = form.get_by_label("Sale price")
    expect(sale).to_have_attribute("aria-invalid", "true")
    beside_sale = page.locator("#book-sale-price-error")
    expect(beside_sale).not_to_be_empty()
    expect(page.locator("#book-publisher-error")).to_have_text("is required")
    expect(form.get_by_label("Publisher")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#book-name-error")).to_be_empty()
    # Beside its field: in the same field group, right under the input, and named by it.
    assert sale.evaluate("input => input.parentElement === document.getElementById('book-sale-price-error').parentElement")
    assert "book-sale-price-error" in sale.get_attribute("aria-describedby")
    expect(form.get_by_role("alert")).to_contain_text("2 problems")
    expect(sale).to_be_focused()  # the first field refused, where the keyboard goes next
    screenshot(page, "admin-book-errors.png", full_page=False)

    sale.fill("9.99")
    form.get_by_label("Publisher").select_option(publishers[0]["id"])
    form.get_by_role("button", name="Save book").click()
    expect(form).to_be_hidden()
    expect(page.locator("#announce")).to_have_text("Saved “The Moth Catalogue”.")

    # Found through the search, from a fresh list.
    page.get_by_label("Search books").fill("")
    page.get_by_role("button", name="Search", exact=True).click()
    page.get_by_label("Search books").fill("moth cat")
    page.get_by_role("button", name="Search", exact=True).click()
    row = page.locator("#books tr", has_text="The Moth Catalogue")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("$9.99 (was $12.50)")
    expect(page.locator("#books tr")).to_have_count(1)
    screenshot(page, "admin-books.png", full_page=False)
    created = [b for b in get(stack, "/books?q=moth&limit=100")["items"] if b["name"] == "The Moth Catalogue"]
    assert len(created) == 1 and created[0]["sale_price"] == "9.99" and created[0]["author_ids"] == [authors[0]["id"]]

    # Edited, then taken out of the catalog (soft-deleted: the search no longer finds it).
    row.get_by_role("button", name="Edit “The Moth Catalogue”").click()
    form.get_by_label("Stock").select_option("out_of_stock")
    form.get_by_role("button", name="Save book").click()
    expect(page.locator("#books tr", has_text="The Moth Catalogue")).to_contain_text("out of stock")
    page.get_by_role("button", name="Delete “The Moth Catalogue”").click()
    expect(page.locator("#books tr", has_text="The Moth Catalogue")).to_have_count(0)
    expect(page.locator("#books-status")).to_have_text("No book matches.")
    assert not [b for b in get(stack, "/books?q=moth&limit=100")["items"] if b["name"] == "The Moth Catalogue"]

    # An author with books stays, and the page says why (the API's reason, beside the row).
    page.get_by_role("link", name="Authors").click()
    busy = next(a for a in authors if get(stack, f"/books?author_id={a['id']}&limit=1")["items"])
    page.get_by_role("button", name=f"Delete author “{busy['name']}”").click()
    reason = page.locator(f"#names tr[data-id='{busy['id']}'] [role=alert]")
    expect(reason).to_contain_text("still has books in the catalog")
    # A blank name is refused beside the field; a new author without books goes.
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.locator("#new-name-error")).not_to_be_empty()
    expect(page.get_by_label("New author")).to_have_attribute("aria-invalid", "true")
    page.get_by_label("New author").fill("Nobody Yet")
    page.get_by_role("button", name="Add", exact=True).click()
    page.get_by_role("button", name="Delete author “Nobody Yet”").click()
    expect(page.locator("#names tr", has_text="Nobody Yet")).to_have_count(0)
    expect(page.locator("#new-name-error")).to_be_empty()
    assert "Nobody Yet" not in [a["name"] for a in get(stack, "/authors")["items"]]

    # A category renamed in place; a blank name is refused beside the box.
    page.get_by_role("link", name="Categories").click()
    category = categories[0]
    page.get_by_role("button", name=f"Rename category “{category['name']}”").click()
    box = page.get_by_label(f"New name for category “{category['name']}”")
    expect(box).to_be_focused()
    box.fill(" ")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(box).to_have_attribute("aria-invalid", "true")
    expect(page.locator(f"#rename-{category['id']}-error")).not_to_be_empty()
    box.fill(f"{category['name']} and More")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(f"#names tr[data-id='{category['id']}']")).to_contain_text(f"{category['name']} and More")
    assert get(stack, f"/categories/{category['id']}")["name"] == f"{category['name']} and More"
    # A category with books stays, and says why; a new one without books goes.
    page.get_by_role("button", name=f"Delete category “{category['name']} and More”").click()
    expect(page.locator(f"#names tr[data-id='{category['id']}'] [role=alert]")).to_contain_text(
        "still has books in the catalog")
    page.get_by_label("New category").fill("Moths")
    page.get_by_role("button", name="Add", exact=True).click()
    page.get_by_role("button", name="Delete category “Moths”").click()
    expect(page.locator("#names tr", has_text="Moths")).to_have_count(0)
    assert "Moths" not in [c["name"] for c in get(stack, "/categories")["items"]]

    # The same for publishers.
    page.get_by_role("link", name="Publishers").click()
    used = next(p for p in get(stack, "/publishers")["items"] if get(stack, f"/books?publisher_id={p['id']}&limit=1")["items"])
    page.get_by_role("button", name=f"Delete publisher “{used['name']}”").click()
    expect(page.locator(f"#names tr[data-id='{used['id']}'] [role=alert]")).to_contain_text(
        "still has books in the catalog")
    page.get_by_label("New publisher").fill("Moth Press")
    page.get_by_role("button", name="Add", exact=True).click()
    page.get_by_role("button", name="Delete publisher “Moth Press”").click()
    expect(page.locator("#names tr", has_text="Moth Press")).to_have_count(0)
    assert "Moth Press" not in [p["name"] for p in get(stack, "/publishers")["items"]]


def test_an_admin_completes_an_order_placed_over_http_on_a_tablet(stack, browser):
    order = place_order(stack)
    other = place_order(stack, buyer="bob-2")
    page = sign_in(browser, stack, "admin", "admin-1", "Ada Admin", viewport=TABLET, hash="#orders")
    page.get_by_label("Status").select_option("new")
    row = page.locator(f"#orders tr[data-order-id='{order['id']}']")
    expect(row).to_contain_text("new")
    expect(row).to_contain_text("Ann Buyer")
    expect(row).to_contain_text("pickup at shop")  # the buyer has no address: checkout chose pickup
    screenshot(page, "admin-orders-tablet.png", full_page=False)

    row.get_by_role("button", name=f"Complete order {order['id'][:8]}").click()
    expect(row).to_contain_text("completed")  # the row now shows the order as the API answered
    expect(row.get_by_role("button")).to_have_count(0)
    expect(page.locator("#announce")).to_have_text(f"Order {order['id'][:8]} completed.")
    admin = stack.token("--role", "admin")
    assert stack.call("GET", f"/orders/{order['id']}", admin)["status"] == "completed"
    assert stack.call("GET", f"/orders/{other['id']}", admin)["status"] == "new"

    # One shop's orders; a shop id that is none is refused beside the field.
    page.get_by_label("Status").select_option("")
    page.get_by_label("Shop id").fill("not-a-shop")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#order-shop-error")).to_contain_text("must be a shop id")
    page.get_by_label("Shop id").fill(SHOP)
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#order-shop-error")).to_be_empty()
    shops_orders = stack.call("GET", f"/shops/{SHOP}/orders?limit=100", admin)["items"]
    expect(page.locator("#orders tr")).to_have_count(len(shops_orders))
    for placed in (order, other):
        expect(page.locator(f"#orders tr[data-order-id='{placed['id']}']")).to_have_count(1)
    page.get_by_label("Shop id").fill(str(uuid.uuid4()))
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#orders tr")).to_have_count(0)
    expect(page.locator("#orders-status")).to_have_text("0 orders shown.")

    # By the days placed: today's are all there; none before the sample order's day (2024);
    # a `to` before `from` is the API's refusal, shown beside `to`.
    today = time.strftime("%Y-%m-%d", time.gmtime())
    page.get_by_label("Shop id").fill("")
    page.get_by_label("Placed from").fill(today)
    page.get_by_label("to", exact=True).fill(today)
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#orders tr")).to_have_count(2)
    page.get_by_label("Placed from").fill("2020-01-01")
    page.get_by_label("to", exact=True).fill("2020-12-31")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#orders-status")).to_have_text("0 orders shown.")
    page.get_by_label("Placed from").fill(today)
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#order-to-error")).to_have_text("must not be before from")
    expect(page.get_by_label("to", exact=True)).to_have_attribute("aria-invalid", "true")
    screenshot(page, "admin-orders-by-day.png")


def test_an_order_shows_where_it_goes_when_it_carries_a_shipping_address(stack, browser):
    """`shipping_address` and `fulfilment` come with the buyers branch (issue 29): until it is
    merged the stack's orders have neither, so the orders API's answer is given them here, in
    the shape the issue names, to see the page render both."""
    delivered, picked_up = place_order(stack), place_order(stack, buyer="bob-2")
    page = sign_in(browser, stack, "admin", "admin-1", "Ada Admin")

    def with_fulfilment(route):
        response = route.fetch()
        body = response.json()
        for order in body["items"]:
            if order["id"] == delivered["id"]:
                order.update(fulfilment="delivery", shipping_address={
                    "id": "home", "label": "Home", "recipient": "Ann Buyer", "line1": "12 Moth Lane", "line2": "Flat 3",
                    "city": "Leeds", "region": "West Yorkshire", "postal_code": "LS1 4AP", "country": "GB"})
            elif order["id"] == picked_up["id"]:
                order.update(fulfilment="pickup")
        route.fulfill(response=response, json=body)

    page.route("**/orders?*", with_fulfilment)
    page.get_by_role("link", name="Orders").click()
    expect(page.locator(f"#orders tr[data-order-id='{delivered['id']}'] td.address")).to_have_text(
        "Ann Buyer\n12 Moth Lane\nFlat 3\nLS1 4AP Leeds\nWest Yorkshire, GB")
    expect(page.locator(f"#orders tr[data-order-id='{picked_up['id']}']")).to_contain_text("pickup at shop")


def test_customers_are_searched_and_one_is_opened(stack, browser):
    """The directory as the stack keeps it: a buyer who ordered over HTTP and saved an address
    is found by the start of their name and opened: figures, the last order as it is now, and
    the profile's addresses."""
    order = place_order(stack)
    place_order(stack, buyer="bob-2", name="Bob Buyer")
    ann = stack.token("--role", "customer", "--sub", "ann-1", "--name", "Ann Buyer")
    stack.call("PUT", "/me/profile", ann, {"phone": "+447700900123", "addresses": [
        {"label": "Home", "recipient": "Ann Buyer", "line1": "12 Moth Lane", "city": "Leeds",
         "postal_code": "LS1 4AP", "country": "GB"}]})
    page = sign_in(browser, stack, "admin", "admin-1", "Ada Admin")
    page.get_by_role("link", name="Customers").click()
    page.get_by_label("Starts with").fill("ANN b")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.locator("#customers-status")).to_have_text("1 customer shown.")
    expect(page.locator("#customers tr")).to_contain_text(f"${float(order['total']):.2f}")
    page.get_by_role("button", name="Open Ann Buyer").click()
    expect(page.get_by_role("heading", name="Ann Buyer")).to_be_focused()
    facts = page.locator("#customer-facts")
    expect(facts).to_contain_text("Phone+447700900123")
    expect(facts).to_contain_text("Orders1")
    expect(facts).to_contain_text(f"Total spent${float(order['total']):.2f}")
    expect(facts).to_contain_text(f"{order['id'][:8]} · ${float(order['total']):.2f} · new")
    expect(page.locator("#customer-addresses li")).to_have_text("Home (default)\nAnn Buyer\n12 Moth Lane\nLS1 4AP Leeds\nGB")
    # Their orders, and only theirs (another buyer ordered too).
    expect(page.locator("#customer-orders tr")).to_have_count(1)
    expect(page.locator(f"#customer-orders tr[data-order-id='{order['id']}']")).to_contain_text("Ann Buyer")
    expect(page.locator("#customer-orders-status")).to_have_text("1 order shown.")
    screenshot(page, "admin-customer.png")


def test_a_support_agent_removes_a_reported_review_and_may_not_open_the_rest(stack, browser):
    book, review = reported_review(stack)
    page = sign_in(browser, stack, "support", "agent-1", "Sam Support")
    # Support agents see the reviews, and only those.
    expect(page.get_by_role("heading", name="Reviews")).to_be_visible()
    expect(page.locator("#menu a:visible")).to_have_count(1)
    entry = page.locator(f"#reviews li[data-review-id='{review['id']}']")
    expect(entry).to_contain_text("Buy my pills")
    expect(entry).to_contain_text(book["name"])
    expect(entry).to_contain_text("1 report (spam × 1)")
    screenshot(page, "admin-reviews.png", full_page=False)
    entry.get_by_role("button", name=f"Remove the review “Buy my pills” of {book['name']}").click()
    expect(entry).to_have_count(0)
    expect(page.locator("#reviews-status")).to_have_text("Nothing to moderate.")
    agent = stack.token("--role", "support")
    assert stack.call("GET", "/reviews?status=reported", agent)["items"] == []
    public = get(stack, f"/books/{book['id']}/reviews")["items"]
    assert review["id"] not in [item["id"] for item in public]

    page.goto(f"{stack.url}/admin/#orders")
    expect(page.locator("#forbidden")).to_have_text(
        "Orders is for admins. As a support agent you may moderate reviews: open Reviews in the menu.")
    expect(page.locator("#view-orders")).to_be_hidden()


def test_a_customer_is_told_the_back_office_is_not_theirs(stack, browser):
    page = sign_in(browser, stack, "customer", "cleo-1", "Cleo Customer")
    expect(page.locator("#error")).to_contain_text("may not use the back office")
    expect(page.locator("#console")).to_be_hidden()


def test_an_admin_goes_through_the_main_pages_from_the_keyboard_alone(stack, browser):
    order = place_order(stack)
    reported_review(stack)
    page = sign_in(browser, stack, "admin", "admin-1", "Ada Admin")
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()

    def tab_to(name, key="Tab", limit=60):
        """Tab (or `key`) until the focus is on the element whose accessible name is `name`."""
        for _ in range(limit):
            page.keyboard.press(key)
            focused = page.evaluate("""() => { const e = document.activeElement;
                return e.getAttribute('aria-label') || e.labels?.[0]?.textContent || e.textContent.trim(); }""")
            if focused == name:
                return
        raise AssertionError(f"{name!r} is not reachable with Tab")

    # Every page of the menu opens with Enter, and the focus lands on its heading; from there
    # Shift+Tab goes back up into the menu (it comes just before the page's content).
    tab_to("Books")
    for name in ["Books", "Authors", "Categories", "Publishers", "Customers", "Reviews", "Overview", "Orders"]:
        tab_to(name, key="Shift+Tab")
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name=name, exact=True)).to_be_focused()
        expect(page.get_by_role("link", name=name)).to_have_attribute("aria-current", "page")

    # The skip link goes to the page's heading and leaves the page as it was.
    tab_to("Skip to content", key="Shift+Tab")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Orders", exact=True)).to_be_focused()
    assert page.evaluate("location.hash") == "#orders"

    # On Orders: complete the order with Tab and Enter.
    tab_to(f"Complete order {order['id'][:8]}")
    page.keyboard.press("Enter")
    expect(page.locator(f"#orders tr[data-order-id='{order['id']}']")).to_contain_text("completed")
    expect(page.get_by_role("heading", name="Orders", exact=True)).to_be_focused()

    # A book added from the keyboard: the first refused field takes the focus.
    page.goto(f"{stack.url}/admin/#books")
    tab_to("Add a book")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Add a book")).to_be_focused()
    tab_to("Save book")
    page.keyboard.press("Enter")
    expect(page.locator("#book-form").get_by_label("Name")).to_be_focused()
    expect(page.locator("#book-name-error")).not_to_be_empty()
    page.keyboard.type("Typed Without A Mouse")


def sample_stats(days=30):
    """An answer of GET /admin/stats in the shape the figures branch's work used (read by
    admin/readers.js): a month of days, some without orders."""
    from datetime import date, timedelta
    today = date.today()
    rows = []
    for back in range(days - 1, -1, -1):
        day = today - timedelta(days=back)
        placed = (back * 7) % 5
        rows.append({"day": day.isoformat(), "orders_placed": placed, "orders_completed": placed // 2,
                     "orders_cancelled": 1 if back % 9 == 0 and placed else 0,
                     "revenue": placed * 1899 + (back % 4) * 250 if placed else 0, "new_customers": back % 3})
    total = {key: sum(row[key] for row in rows) for key in rows[0] if key != "day"}
    return {"from": rows[0]["day"], "to": rows[-1]["day"], "currency": "USD", "days": rows, "total": total,
            "catalog": {"books_in_stock": 41, "books_out_of_stock": 3, "by_category": []}}


def test_the_overview_draws_the_figures_it_is_given(stack, browser):
    """The overview's rendering of a stats answer, whatever the stack's own figures are:
    totals, 30 bars, the table, books by category."""
    categories = get(stack, "/categories")["items"]
    body = sample_stats()
    body["catalog"]["by_category"] = [{"category_id": c["id"], "name": c["name"], "books": 3 + 5 * i}
                                      for i, c in enumerate(categories)]
    page = browser.new_context(viewport=DESK, locale="en-US").new_page()
    page.route("**/admin/stats?*", lambda route: route.fulfill(json=body))
    page.goto(f"{stack.url}/admin/")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Sign in").click()  # the admin the issuer suggests for /admin/
    expect(page.locator("#who")).to_have_text("Signed in as Ada Admin", timeout=10_000)
    expect(page.locator("#total-placed")).to_have_text(str(body["total"]["orders_placed"]))
    revenue = body["total"]["revenue"]
    expect(page.locator("#total-revenue")).to_have_text(f"${revenue // 100:,}.{revenue % 100:02d}")
    expect(page.locator("#total-in-stock")).to_have_text("41")
    expect(page.locator("#revenue-chart svg rect")).to_have_count(30)
    label = page.locator("#revenue-chart svg").get_attribute("aria-label")
    assert label.startswith(f"Revenue by day from {body['from']} to {body['to']}"), label
    expect(page.locator("#days tr")).to_have_count(30)
    expect(page.locator("#by-category li")).to_have_count(len(categories))
    expect(page.locator("#by-category li").first).to_contain_text(categories[-1]["name"])  # most books first
    screenshot(page, "admin-overview.png", full_page=False)
    page.get_by_text("Revenue by day as a table").click()
    expect(page.locator("#days tr").last).to_be_visible()


def test_the_revenue_figure_moves_after_a_checkout_placed_over_http(stack, browser):
    page = sign_in(browser, stack, "admin", "admin-1", "Ada Admin")
    revenue = page.locator("#total-revenue")
    expect(revenue).to_be_visible(timeout=10_000)
    before = revenue.inner_text()
    placed = page.locator("#total-placed").inner_text()
    order = place_order(stack)
    # The figures follow within a few seconds (a stream consumer keeps them): ask again until then.
    for _ in range(20):
        page.get_by_role("button", name="Show").click()
        if page.locator("#total-placed").inner_text() != placed:
            break
        page.wait_for_timeout(500)
    expect(page.locator("#total-placed")).to_have_text(str(int(placed) + 1))
    assert revenue.inner_text() != before
    expect(revenue).to_contain_text(f"{float(order['total']):,.2f}")  # a fresh stack: its only order
    expect(page.locator("#revenue-chart svg rect")).to_have_count(30)
    screenshot(page, "admin-overview.png", full_page=False)


def test_the_overview_shows_a_checkout_placed_over_http_live(stack, browser):
    """The latest orders come over the admins' orders feed (`/ws?feed=orders`): a checkout placed
    with curl shows without pressing Refresh."""
    page = sign_in(browser, stack, "admin", "admin-1", "Ada Admin")
    expect(page.locator("#latest-live")).to_have_text("Live", timeout=10_000)
    order = place_order(stack, buyer="liv-1", name="Liv Live")
    row = page.locator(f"#latest tr[data-order-id='{order['id']}']")
    expect(row).to_contain_text("Liv Live", timeout=5_000)
    row.scroll_into_view_if_needed()
    screenshot(page, "admin-overview-live.png", full_page=False)
