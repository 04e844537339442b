"""Support chat in a real browser (Debian's chromium, driven by Playwright): an agent on the
support console and a customer on the chat page, each in a browser context of their own, both
signed in through the development issuer's page, talking live over the WebSocket API; a take
another agent won; a reconnect that catches up what was sent meanwhile, once; and the chat used
from the keyboard alone. Leaves screenshots of both pages for docs/support.md.

Like test_dashboard.py, each test starts and stops its own bookworm-local (conftest.py)."""

import json
import re
import subprocess
import urllib.request
import uuid
from pathlib import Path

from playwright.sync_api import expect

from local_stack import LOCAL, ROOT, screenshot

# The console and the chat page are for a desk: a 1280×800 screen.
DESK = {"width": 1280, "height": 800}


def sign_in(browser, stack, path, sub, name, role, email="", sockets=None):
    """A page of its own browser context (its own sessionStorage), signed in on the issuer's
    page; `sockets`, if given, handles each WebSocket the page opens (Playwright's routing)."""
    context = browser.new_context(viewport=DESK)
    if sockets:
        context.route_web_socket(re.compile(r"/ws\?"), sockets)
    page = context.new_page()
    page.goto(f"{stack.url}{path}")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("User id").fill(sub)
    page.get_by_label("Name").fill(name)
    page.get_by_label("Email").fill(email)
    expect(page.get_by_label(role, exact=True)).to_be_checked()  # the page's own role, suggested
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#connection")).to_have_text("Live", timeout=10_000)
    expect(page.locator("#who")).to_have_text(f"Signed in as {name}")
    return page


def place_order(stack, token):
    """An order of the customer's, to ask about."""
    book = json.load(urllib.request.urlopen(f"{stack.url}/books?limit=1"))["items"][0]
    shop = "123e4567-e89b-42d3-a456-426614174000"
    stack.call("PUT", f"/shops/{shop}/basket/items/{book['id']}", token, {"quantity": 1})
    return stack.call("POST", f"/shops/{shop}/checkout", token, headers={"Idempotency-Key": str(uuid.uuid4())})


def messages(page):
    return page.locator("#messages li[data-message-id]")


def record_frames(page):
    """Every WebSocket frame the page receives."""
    frames = []
    page.on("websocket", lambda socket: socket.on("framereceived", lambda payload: frames.append(str(payload))))
    return frames


def assert_each_message_once(page):
    ids = messages(page).evaluate_all("items => items.map(item => item.dataset.messageId)")
    assert ids and len(ids) == len(set(ids)), f"no message is shown twice: {ids}"


def test_an_agent_takes_a_conversation_and_both_sides_talk_live(stack, browser):
    admin = stack.token("--role", "admin")
    stack.call("PUT", "/support/canned-replies/shipping", admin,
               {"title": "Shipping times", "text": "Parcels usually arrive within two working days."})
    agent = sign_in(browser, stack, "/support/", "sam", "Sam Support", "support")
    agent.get_by_label("Online").check()
    expect(agent.locator("#availability-note")).to_contain_text("announced to you")

    order = place_order(stack, stack.token("--role", "customer", "--sub", "cleo"))
    customer = sign_in(browser, stack, "/chat/", "cleo", "Cleo Customer", "customer", "cleo@example.com")
    customer.get_by_label("Subject").fill("Where is my parcel?")
    customer.get_by_label("Message", exact=True).fill("I ordered a week ago and nothing has come.")
    customer.get_by_label("About an order (optional)").select_option(order["id"])
    customer.get_by_role("button", name="Start conversation").click()
    expect(customer.locator("#conversation-title")).to_have_text("Where is my parcel?")
    expect(customer.locator("#status")).to_have_text(f"Waiting for an agent · about order {order['id'][:8]}")

    # The queue hears of it (no reload); the agent takes it.
    waiting = agent.locator("#queue li", has_text="Where is my parcel?")
    expect(waiting).to_have_count(1, timeout=2_000)
    waiting.get_by_role("button", name="Take “Where is my parcel?”").click()
    expect(agent.locator("#conversation-title")).to_have_text("Where is my parcel?")
    expect(agent.locator("#facts")).to_contain_text("assigned to you")
    expect(agent.locator("#facts")).to_contain_text(order["id"])
    expect(agent.locator("#mine li", has_text="Where is my parcel?")).to_have_count(1)
    expect(waiting).to_have_count(0)
    expect(customer.locator("#status")).to_contain_text("An agent is with you", timeout=2_000)

    # The agent replies (Enter sends, over the socket); the customer sees it live and reads it.
    agent.get_by_label("Reply", exact=True).fill("Hello Cleo, let me look into it.")
    agent.get_by_label("Reply", exact=True).press("Enter")
    expect(customer.locator("#messages li", has_text="Hello Cleo")).to_have_count(1, timeout=2_000)
    mine = agent.locator("#messages li", has_text="Hello Cleo")
    expect(mine.locator(".receipt")).to_have_text("Read", timeout=2_000)

    # The customer types (the agent sees it) and answers; the agent sees that live.
    customer.get_by_label("Your message").fill("Thank you! It is order 42.")
    expect(agent.locator("#typing")).to_have_text("Cleo Customer is typing…", timeout=2_000)
    customer.get_by_label("Your message").press("Enter")
    expect(agent.locator("#messages li", has_text="It is order 42")).to_have_count(1, timeout=2_000)
    expect(agent.locator("#typing")).to_have_text("")

    # A private note stays among agents; a canned reply goes to the customer.
    agent.get_by_label("Private note (agents only)").check()
    agent.get_by_label("Reply", exact=True).fill("Courier says Tuesday.")
    agent.get_by_label("Reply", exact=True).press("Enter")
    expect(agent.locator("#messages li.note", has_text="Courier says Tuesday")).to_have_count(1, timeout=2_000)
    agent.get_by_label("Canned reply").select_option("shipping")
    agent.get_by_role("button", name="Insert").click()
    expect(agent.get_by_label("Reply", exact=True)).to_have_value("Parcels usually arrive within two working days.")
    agent.get_by_role("button", name="Send").click()
    expect(customer.locator("#messages li", has_text="two working days")).to_have_count(1, timeout=2_000)
    expect(customer.locator("#messages li", has_text="Courier")).to_have_count(0)
    for page in (agent, customer):
        assert_each_message_once(page)
    for page in (agent, customer):
        assert page.evaluate("document.documentElement.scrollHeight") <= DESK["height"], "the page fits the window"
    screenshot(agent, "support-console.png", full_page=False)
    screenshot(customer, "chat-page.png", full_page=False)

    # The agent closes it; the customer sees that live, and rates it.
    agent.get_by_role("button", name="Close conversation").click()
    expect(agent.locator("#facts")).to_contain_text("closed")
    expect(agent.locator("#mine li")).to_have_count(0)
    expect(customer.locator("#status")).to_contain_text("Closed", timeout=2_000)
    customer.get_by_label("5", exact=True).check()
    customer.get_by_label("Comment (optional)").fill("Quick and kind.")
    customer.get_by_role("button", name="Send rating").click()
    expect(customer.locator("#rated")).to_have_text("You rated this 5 out of 5. Thank you!")

    # The transcript went to the customer's email, without the note.
    mail = [sent for sent in stack.outbox() if "Where is my parcel?" in sent["subject"]]
    assert len(mail) == 1, mail
    assert mail[0]["to"] == "cleo@example.com", mail[0]
    text = mail[0]["text"]
    assert "Hello Cleo, let me look into it." in text and "It is order 42." in text and "two working days" in text
    assert "Courier" not in text


def test_a_conversation_another_agent_took_first_says_so(stack, browser):
    cleo = stack.token("--role", "customer", "--sub", "cleo")
    opened = stack.call("POST", "/support/conversations", cleo, {"subject": "Gift wrap", "text": "Can you wrap it?"})
    # Away: the queue is read at sign-in, and no live event takes the conversation out of it.
    agent = sign_in(browser, stack, "/support/", "sam", "Sam Support", "support")
    waiting = agent.locator("#queue li", has_text="Gift wrap")
    expect(waiting).to_have_count(1)
    stack.call("POST", f"/support/conversations/{opened['id']}/assign", stack.token("--role", "support", "--sub", "ali"))
    waiting.get_by_role("button", name="Take “Gift wrap”").click()
    expect(agent.locator("#error")).to_contain_text("Someone else took it")
    expect(waiting).to_have_count(0)


def send_while_stopped(stack, conversation_id, agent_id, text):
    """The support function run on the stopped stack's data folder (`bookworm-local invoke`):
    the message is stored while no socket can carry it."""
    event = json.loads((ROOT / "events" / "support" / "reply.json").read_text())
    event["rawPath"] = f"/support/conversations/{conversation_id}/messages"
    event["pathParameters"] = {"id": conversation_id}
    event["body"] = json.dumps({"text": text, "client_message_id": str(uuid.uuid4())})
    event["requestContext"]["authorizer"]["lambda"]["user_id"] = agent_id
    path = Path(stack.data) / f"reply-{uuid.uuid4()}.json"
    path.write_text(json.dumps(event))
    subprocess.run(
        [LOCAL, "invoke", "--data-dir", stack.data, "--template", str(ROOT / "template.yaml"), "support", "--event", str(path)],
        check=True, capture_output=True,
    )


def test_the_chat_catches_up_after_a_reconnect_and_works_from_the_keyboard(stack, browser):
    cleo = stack.token("--role", "customer", "--sub", "cleo")
    sam = stack.token("--role", "support", "--sub", "sam")
    opened = stack.call("POST", "/support/conversations", cleo, {"subject": "Signed copy", "text": "Is it signed?"})
    stack.call("POST", f"/support/conversations/{opened['id']}/assign", sam)
    customer = sign_in(browser, stack, "/chat/", "cleo", "Cleo Customer", "customer")
    frames = record_frames(customer)
    customer.get_by_role("button", name="Signed copy").click()
    expect(messages(customer)).to_have_count(1)

    # Two answers stored while the stack is down arrive once each, from the history.
    stack.stop()
    expect(customer.locator("#connection")).to_contain_text("Reconnecting", timeout=5_000)
    send_while_stopped(stack, opened["id"], "sam", "Yes, by the author.")
    send_while_stopped(stack, opened["id"], "sam", "Shall I put one aside?")
    stack.start()
    expect(customer.locator("#connection")).to_have_text("Live", timeout=40_000)
    expect(customer.locator("#messages li", has_text="by the author")).to_have_count(1, timeout=5_000)
    expect(customer.locator("#messages li", has_text="put one aside")).to_have_count(1)
    assert_each_message_once(customer)
    assert not [frame for frame in frames if "by the author" in frame], "the catch-up, not the socket, brought it"

    # From the keyboard alone, from the top of the page: Tab to the conversation, Enter opens
    # it, two more Tabs (past the scrollable messages) reach the reply box, Enter sends.
    customer.reload()
    expect(customer.locator("#connection")).to_have_text("Live", timeout=10_000)
    focused = "document.activeElement.id || document.activeElement.textContent.trim()"
    for _ in range(12):
        customer.keyboard.press("Tab")
        if customer.evaluate(focused).startswith("Signed copy"):
            break
    customer.keyboard.press("Enter")
    expect(customer.locator("#conversation-title")).to_be_focused()
    expect(messages(customer)).to_have_count(3)
    customer.keyboard.press("Tab")
    expect(customer.locator("#messages")).to_be_focused()
    customer.keyboard.press("Tab")
    expect(customer.get_by_label("Your message")).to_be_focused()
    customer.keyboard.type("Yes please!")
    customer.keyboard.press("Enter")
    expect(customer.locator("#messages li", has_text="Yes please!").locator(".receipt")).to_have_text("Sent", timeout=2_000)
    history = stack.call("GET", f"/support/conversations/{opened['id']}/messages", sam)["items"]
    assert [message["text"] for message in history][-1] == "Yes please!"
    assert_each_message_once(customer)


class Sockets:
    """Stands between the page and the stack's WebSocket API: passes frames on (dropping those
    to the page that contain `lose`), refuses new sockets, or answers none of what they send."""

    def __init__(self):
        self.mode, self.lose, self.open, self.sent = "pass", None, [], []

    def __call__(self, page_side):
        if self.mode == "refuse":
            return page_side.close()
        self.open.append(page_side)
        server = None if self.mode == "silent" else page_side.connect_to_server()

        def from_page(message):
            self.sent.append(message)
            if server:
                server.send(message)

        def to_page(message):
            if not (self.lose and self.lose in message):
                page_side.send(message)

        page_side.on_message(from_page)
        if server:
            server.on_message(to_page)

    def drop(self, mode):
        """Closes the page's sockets; its next ones are handled as `mode` says."""
        self.mode = mode
        for page_side in self.open:
            page_side.close()
        self.open = []


def test_a_lost_message_a_dropped_socket_and_a_silent_one_lose_and_double_nothing(stack, browser):
    cleo = stack.token("--role", "customer", "--sub", "cleo")
    sam = stack.token("--role", "support", "--sub", "sam")
    opened = stack.call("POST", "/support/conversations", cleo, {"subject": "Dedication", "text": "Can you add one?"})
    path = f"/support/conversations/{opened['id']}/messages"
    stack.call("POST", f"/support/conversations/{opened['id']}/assign", sam)
    sockets = Sockets()
    customer = sign_in(browser, stack, "/chat/", "cleo", "Cleo Customer", "customer", sockets=sockets)
    customer.get_by_role("button", name="Dedication").click()
    expect(messages(customer)).to_have_count(1)

    # A live message lost on the way: the next one shows the gap, and the history fills it.
    sockets.lose = "lost on the way"
    stack.call("POST", path, sam, {"text": "This one is lost on the way.", "client_message_id": str(uuid.uuid4())})
    stack.call("POST", path, sam, {"text": "And this one arrives.", "client_message_id": str(uuid.uuid4())})
    expect(messages(customer)).to_have_count(3, timeout=2_000)
    texts = messages(customer).locator(".text").all_inner_texts()
    assert texts == ["Can you add one?", "This one is lost on the way.", "And this one arrives."], texts

    # The socket is down (and stays down): Enter sends over HTTPS instead, and the number of
    # the stored message shows one missed meanwhile, which the history brings.
    sockets.drop("refuse")
    expect(customer.locator("#connection")).to_contain_text("Reconnecting", timeout=2_000)
    stack.call("POST", path, sam, {"text": "To whom?", "client_message_id": str(uuid.uuid4())})
    customer.get_by_label("Your message").fill("To Ann, please.")
    customer.get_by_label("Your message").press("Enter")
    expect(customer.locator("#messages li", has_text="To Ann").locator(".receipt")).to_have_text("Sent", timeout=2_000)
    expect(customer.locator("#messages li", has_text="To whom?")).to_have_count(1, timeout=2_000)
    expect(customer.locator("#connection")).to_contain_text("Reconnecting")

    # A socket that opens but never answers: no chat.ack, so the same message goes over HTTPS,
    # stored once for both.
    sockets.mode = "silent"
    expect(customer.locator("#connection")).to_have_text("Live", timeout=10_000)
    customer.get_by_label("Your message").fill("With love.")
    customer.get_by_label("Your message").press("Enter")
    expect(customer.locator("#messages li", has_text="With love").locator(".receipt")).to_have_text("Sent", timeout=8_000)
    assert any("chat.send" in str(frame) and "With love." in str(frame) for frame in sockets.sent), "tried the socket first"

    history = [message["text"] for message in stack.call("GET", path, cleo)["items"]]
    assert history == ["Can you add one?", "This one is lost on the way.", "And this one arrives.", "To whom?",
                       "To Ann, please.", "With love."], history
    assert messages(customer).locator(".text").all_inner_texts() == history, "each once, in order"
