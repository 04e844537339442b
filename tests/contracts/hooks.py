"""schemathesis hooks (tests/contracts/schemathesis.toml loads this file): what no schema can
say about a request, applied only to the requests schemathesis generates as valid, so that
`positive_data_acceptance` judges what the schema does say. Negative cases are left alone.

A schema states each value's form, not that
  - a `cursor` is one this very list handed out (for the same sort order, filters and query):
    a valid one is taken from the list itself, with the case's own parameters;
  - the `shop_id` of an in-store action equals the path's `{shop_id}`;
  - the authors, category and publisher a book names exist: seeded ones are used;
  - the figures' `from` is not after `to`, nor more than 366 days before it: moved into range;
  - `min_price` is at most `max_price`, and a book's `sale_price` at most its `price`: the two
    are swapped when the other way round;
  - a support conversation's `{id}` is one the caller may see, its `order_id` one of the
    caller's orders (none here: it is left out), its `book_id` a book that exists, and a
    transfer's `agent_id` an agent: the caller's own conversation (opened once per token), a
    seeded book and an agent made here are used;
  - a profile's addresses have distinct ids, its `default_address_id` is one of them, and its
    `version` is the stored one: repeated ids are dropped, the default is the first address's
    id (or left out), and the version is left out (the last write wins);
  - a checkout's `address_id` is one of the caller's addresses, and none is sent for pickup:
    the caller's first address is used (one is saved if they have none);
  - a device's push token has its platform's form (64 hex characters for APNs): one is derived
    from the generated token.
Every such refusal is a documented 400 naming the field, tested where the rule lives.
"""

import hashlib
import json
import os
import urllib.error
import urllib.parse
import urllib.request
from datetime import date, timedelta
from decimal import Decimal

import schemathesis

BASE = os.environ["CONTRACTS_BASE_URL"]
_cache = {}


def _get(path, query=None, token=None):
    url = BASE + path + ("?" + urllib.parse.urlencode(query) if query else "")
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", token)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)
    except urllib.error.HTTPError:
        return None


def _ids(kind):
    if kind not in _cache:
        _cache[kind] = [item["id"] for item in (_get("/" + kind) or {"items": []})["items"]]
    return _cache[kind]


def _text(value):
    """A query value as schemathesis sends it."""
    return {True: "true", False: "false"}.get(value, value) if isinstance(value, bool) else value


def _in_order(values, low, high):
    """Swaps two amounts (decimal strings) when `low` is above `high`."""
    if values and isinstance(values.get(low), str) and isinstance(values.get(high), str):
        if Decimal(values[low]) > Decimal(values[high]):
            values[low], values[high] = values[high], values[low]


def _send(method, path, token, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(BASE + path, data=data, method=method)
    request.add_header("Authorization", token)
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)
    except urllib.error.HTTPError:
        return None


def _conversation(token):
    """A conversation the caller opened (once per token), for the routes that name one."""
    key = ("conversation", token)
    if key not in _cache:
        opened = _send("POST", "/support/conversations", token, {"subject": "Contracts", "text": "hello"})
        _cache[key] = (opened or {}).get("id")
    return _cache[key]


def _agent():
    """An agent who has set their availability: the admin the agents' routes are called as."""
    if "agent" not in _cache:
        admin = "Bearer " + os.environ["ADMIN_TOKEN"]
        status = _send("PUT", "/support/agents/me", admin, {"status": "online"})
        _cache["agent"] = (status or {}).get("agent_id")
    return _cache["agent"]


def _valid_profile(body):
    """A profile body whose ids agree with each other (what its schema cannot say)."""
    body.pop("version", None)
    addresses = body.get("addresses")
    ids = []
    for address in addresses if isinstance(addresses, list) else []:
        if isinstance(address, dict) and address.get("id") is not None:
            if address["id"] in ids:
                del address["id"]
            else:
                ids.append(address["id"])
    if body.get("default_address_id") is not None:
        if ids:
            body["default_address_id"] = ids[0]
        else:
            del body["default_address_id"]


def _address_id(token):
    """One of the caller's addresses, saved now when they have none."""
    profile = _get("/me/profile", token=token) or {}
    if not profile.get("addresses"):
        address = {"recipient": "Contracts", "line1": "1 High Street", "city": "Oxford", "country": "GB"}
        profile = _send("PUT", "/me/profile", token, {"addresses": [address]}) or {}
    addresses = profile.get("addresses") or [{}]
    return addresses[0].get("id")


def _day_range(query):
    """`from` at most `to`, and at most 365 days before it (366 days in all)."""
    if not query or "from" not in query or "to" not in query:
        return
    low, high = date.fromisoformat(query["from"]), date.fromisoformat(query["to"])
    low, high = min(low, high), max(low, high)
    if (high - low).days > 365:
        low = high - timedelta(days=365) if high.toordinal() > 365 else low
        high = low + timedelta(days=365) if (high - low).days > 365 else high
    query["from"], query["to"] = low.isoformat(), high.isoformat()


def _is_positive(case):
    return case.meta is not None and case.meta.generation.mode.is_positive


@schemathesis.hook
def before_call(context, case, **kwargs):
    if not _is_positive(case):
        return
    method, path = case.method.upper(), case.operation.path
    _in_order(case.query, "min_price", "max_price")
    if path == "/admin/stats":
        _day_range(case.query)
    if path in ("/orders", "/shops/{shop_id}/orders") and case.query and {"from", "to"} <= case.query.keys():
        low, high = sorted([str(case.query["from"]), str(case.query["to"])])  # ISO days sort as text
        case.query["from"], case.query["to"] = low, high
    if isinstance(case.body, dict) and path in ("/books", "/books/{id}"):
        _in_order(case.body, "sale_price", "price")
    if case.query and "cursor" in case.query:
        # The first page of the same list, one item long: its next_cursor is a valid start.
        query = {k: _text(v) for k, v in case.query.items() if k not in ("cursor", "limit")}
        query["limit"] = 1
        page = _get(case.formatted_path, query, (case.headers or {}).get("Authorization"))
        cursor = (page or {}).get("next_cursor")
        if cursor:
            case.query["cursor"] = cursor
        else:
            del case.query["cursor"]
    if method == "POST" and path == "/publish/{shop_id}" and isinstance(case.body, dict):
        if "shop_id" in case.body:
            case.body["shop_id"] = case.path_parameters["shop_id"]
    if path in ("/books", "/books/{id}") and method in ("POST", "PUT") and isinstance(case.body, dict):
        for field, kind in (("category_id", "categories"), ("publisher_id", "publishers")):
            if field in case.body and _ids(kind):
                case.body[field] = _ids(kind)[0]
        authors = case.body.get("author_ids")
        if isinstance(authors, list) and _ids("authors"):
            case.body["author_ids"] = _ids("authors")[: max(1, min(len(authors), len(_ids("authors"))))]
    if method == "PUT" and path == "/me/profile" and isinstance(case.body, dict):
        _valid_profile(case.body)
    if method == "POST" and path == "/me/devices" and isinstance(case.body, dict) and "token" in case.body:
        # A token's form depends on its platform, which the schema cannot say without oneOf:
        # 64 hex characters for APNs, FCM's charset for FCM. Derived from the generated one, so
        # cases still differ.
        digest = hashlib.sha256(str(case.body["token"]).encode()).hexdigest()
        case.body["token"] = digest if str(case.body.get("platform", "")).startswith("apns") else f"fcm:{digest}"
    if method == "POST" and path == "/shops/{shop_id}/checkout" and isinstance(case.body, dict):
        if case.body.get("fulfilment") == "pickup":
            case.body.pop("address_id", None)
        elif "address_id" in case.body or case.body.get("fulfilment") == "delivery":
            token = (case.headers or {}).get("Authorization") or "Bearer " + os.environ["CUSTOMER_TOKEN"]
            case.body["address_id"] = _address_id(token)
    if path.startswith("/support/conversations"):
        # The token the case is sent with (tests/contracts/schemathesis.toml): an admin's for the
        # agents' routes, the customer's for the others.
        agents = path.endswith(("/assign", "/unassign", "/transfer"))
        token = (case.headers or {}).get("Authorization") or "Bearer " + os.environ[
            "ADMIN_TOKEN" if agents else "CUSTOMER_TOKEN"
        ]
        if "id" in (case.path_parameters or {}) and _conversation(token):
            case.path_parameters["id"] = _conversation(token)
        if isinstance(case.body, dict):
            case.body.pop("order_id", None)
            if case.body.get("book_id") and _ids("books"):
                case.body["book_id"] = _ids("books")[0]
            if "agent_id" in case.body and _agent():
                case.body["agent_id"] = _agent()
