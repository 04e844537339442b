"""The MCP server at /mcp, driven by the MCP Python SDK's client over Streamable HTTP: the
tools it lists, the catalog tools anonymously, and the basket tools with and without a token."""

import asyncio
import json

import httpx2
import pytest
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

SHOP = "123e4567-e89b-42d3-a456-426614174000"  # the seeded shop of the sample events


def session(stack, token=None, work=None):
    """Runs `work(session)` on an initialised client session; the bearer token if given."""

    async def main():
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with httpx2.AsyncClient(headers=headers, timeout=30) as http:
            async with streamable_http_client(f"{stack.url}/mcp", http_client=http) as streams:
                async with ClientSession(streams[0], streams[1]) as client:
                    await client.initialize()
                    return await work(client)

    return asyncio.run(main())


def structured(result):
    """The tool's structured result; its text content says the same."""
    assert result.structured_content is not None, result
    assert json.loads(result.content[0].text) == result.structured_content
    return result.structured_content


def test_the_tools_are_listed_with_their_input_schemas(stack):
    async def work(client):
        return (await client.list_tools()).tools

    tools = {tool.name: tool for tool in session(stack, work=work)}
    assert sorted(tools) == sorted([
        "search_catalog", "similar_books", "get_book", "list_categories", "list_authors", "get_book_reviews",
        "get_basket", "add_to_basket",
    ])
    search = tools["search_catalog"].input_schema
    assert search["type"] == "object" and "q" in search["required"], search
    assert search["properties"]["limit"]["maximum"] == 100, search
    assert tools["add_to_basket"].input_schema["required"] == ["shop_id", "book_id"]
    assert tools["get_book"].annotations.read_only_hint is True
    assert tools["add_to_basket"].annotations.read_only_hint is False


def test_an_agent_searches_gets_a_book_and_reads_its_reviews(stack):
    async def work(client):
        found = structured(await client.call_tool("search_catalog", {"q": "sherlok holmes", "limit": 3}))
        book_id = found["hits"][0]["book"]["id"]
        book = structured(await client.call_tool("get_book", {"book_id": book_id}))
        reviews = structured(await client.call_tool("get_book_reviews", {"book_id": book_id, "sort": "newest", "limit": 2}))
        categories = structured(await client.call_tool("list_categories", {}))
        authors = structured(await client.call_tool("list_authors", {}))
        return found, book, reviews, categories, authors

    found, book, reviews, categories, authors = session(stack, work=work)
    assert 1 <= len(found["hits"]) <= 3 and found["total"] >= 1, found
    assert "Holmes" in found["hits"][0]["book"]["name"], found["hits"][0]
    assert book["id"] == found["hits"][0]["book"]["id"], book
    assert {"average_rating", "review_count", "rating_distribution"} <= set(book), "with its rating, as GET /books/{id}"
    assert set(reviews) == {"items", "next_cursor"} and len(reviews["items"]) <= 2, reviews
    assert len(categories["categories"]) > 3 and all({"id", "name"} <= set(c) for c in categories["categories"])
    assert len(authors["authors"]) > 10


def test_an_agent_finds_a_book_by_what_it_is_about_and_books_like_it(stack):
    async def work(client):
        found = structured(await client.call_tool("search_catalog", {"q": "a story about hunting a great whale", "limit": 5}))
        book_id = found["hits"][0]["book"]["id"]
        similar = structured(await client.call_tool("similar_books", {"book_id": book_id, "limit": 4}))
        refused = await client.call_tool("similar_books", {"book_id": book_id, "limit": 21})
        return found, book_id, similar, refused

    found, book_id, similar, refused = session(stack, work=work)
    assert found["hits"][0]["book"]["name"] == "Moby-Dick", [h["book"]["name"] for h in found["hits"]]
    books = similar["books"]
    assert len(books) == 4 and all(b["book"]["id"] != book_id for b in books), books
    assert [b["similarity"] for b in books] == sorted((b["similarity"] for b in books), reverse=True), books
    assert refused.is_error and "limit" in json.dumps(refused.structured_content), refused


def test_bad_input_is_a_tool_error_naming_the_field(stack):
    async def work(client):
        return [
            await client.call_tool("search_catalog", {"q": "sea", "limit": 0}),
            await client.call_tool("search_catalog", {"limit": 5}),
            await client.call_tool("search_catalog", {"q": "sea", "page": 2}),
            await client.call_tool("get_book", {"book_id": "not-a-uuid"}),
            await client.call_tool("get_book_reviews", {"book_id": "b337fce4-aa98-5765-9ce8-703d4bac2567", "rating": 9}),
        ]

    fields = []
    for result in session(stack, work=work):
        assert result.is_error, result
        fields.append([error["field"] for error in result.structured_content["errors"]])
    assert fields == [["limit"], ["q"], ["page"], ["book_id"], ["rating"]]


def test_with_a_token_an_agent_fills_the_basket_and_reads_it_back(stack):
    token = stack.token("--role", "customer", "--sub", "mcp-agent")

    async def work(client):
        found = structured(await client.call_tool("search_catalog", {"q": "pride", "in_stock": True, "limit": 1}))
        book_id = found["hits"][0]["book"]["id"]
        await client.call_tool("add_to_basket", {"shop_id": SHOP, "book_id": book_id})
        added = structured(await client.call_tool("add_to_basket", {"shop_id": SHOP, "book_id": book_id, "quantity": 2}))
        basket = structured(await client.call_tool("get_basket", {"shop_id": SHOP}))
        too_many = await client.call_tool("add_to_basket", {"shop_id": SHOP, "book_id": book_id, "quantity": 97})
        return book_id, added, basket, too_many

    book_id, added, basket, too_many = session(stack, token, work)
    assert added == basket, "the basket read back is the one the last change answered"
    (line,) = basket["lines"]
    assert (line["book_id"], line["quantity"]) == (book_id, 3), "added 1, then 2 more"
    assert too_many.is_error and [e["field"] for e in too_many.structured_content["errors"]] == ["quantity"]
    # The same basket over the HTTP API: one set of rules, one store.
    assert stack.call("GET", f"/shops/{SHOP}/basket", token)["lines"] == basket["lines"]


def test_without_a_token_the_basket_tools_are_refused(stack):
    async def work(client):
        return [
            await client.call_tool("get_basket", {"shop_id": SHOP}),
            await client.call_tool("add_to_basket", {"shop_id": SHOP, "book_id": "b337fce4-aa98-5765-9ce8-703d4bac2567"}),
        ]

    for result in session(stack, work=work):
        assert result.is_error and result.structured_content["status"] == 401, result


def test_a_token_that_does_not_verify_is_refused_before_any_tool(stack):
    """As the API answers it: 401 problem+json with a Bearer challenge; the SDK's client gives up."""
    forged = stack.token("--role", "customer", "--sub", "mcp-agent")[:-4] + "AAAA"
    listing = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    headers = {"Authorization": f"Bearer {forged}", "Accept": "application/json, text/event-stream"}
    response = httpx2.post(f"{stack.url}/mcp", json=listing, headers=headers)
    assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer", response
    assert response.headers["content-type"] == "application/problem+json"

    async def work(client):
        return await client.list_tools()

    # The SDK reports the refusal as a failed request (its message does not carry the status).
    with pytest.raises(Exception, match="unhandled errors"):
        session(stack, forged, work)


def test_get_has_no_stream_to_open(stack):
    assert httpx2.get(f"{stack.url}/mcp", headers={"Accept": "text/event-stream"}).status_code == 405
