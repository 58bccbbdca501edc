"""Replies through pooled connector clients and one keep-alive session, over real loopback HTTP.

The app runs behind a real aiohttp server and replies to connector stubs on 127.0.0.1 that note each reply's
TCP peer port and raw path. With authentication on, the channel's tokens are signed here and checked by
botbuilder (tests/bot/test_auth.py's loopback identity endpoint); only the bot's own outbound token comes
from a stub credentials factory, because getting one needs Azure AD.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from botframework.connector.auth import AppCredentials

from bot.adapter import AdapterWithErrorHandler
from bot.connector import MAX_CLIENTS, BoundedCache
from bot.http_app import ADAPTER, create_app
from bot.render_activity import reply_markdown
from bot.settings import Settings
from bot.storage import E_TAG, InMemoryStorage
from dialogs.engine import Engine
from tests.bot.conftest import activity, start_client
from tests.bot.test_auth import APP_ID, OUTBOUND, Identity, StubCredentialsFactory, token


@dataclass
class Connector:
    """A Bot Connector stub under any path prefix; ``status`` and ``delay`` make it refuse or stall."""

    posts: list[dict[str, Any]] = field(default_factory=list)
    peers: list[int] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    status: int = 200
    delay: float = 0.0
    url: str = ""

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/{tail:.*}", self._receive)
        return app

    async def _receive(self, request: web.Request) -> web.Response:
        await asyncio.sleep(self.delay)
        self.peers.append(request.transport.get_extra_info("peername")[1] if request.transport else -1)
        self.paths.append(request.raw_path)
        self.headers.append(dict(request.headers))
        self.posts.append(await request.json())
        if self.status != 200:
            return web.json_response({"error": {"code": "Refused", "message": "no"}}, status=self.status)
        return web.json_response({"id": f"reply-{len(self.posts)}"})

    def for_activity(self, activity_id: str) -> list[dict[str, Any]]:
        return [post for post in self.posts if post.get("replyToId") == activity_id]


async def _connector() -> tuple[Connector, TestServer]:
    connector = Connector()
    server = TestServer(connector.app(), host="127.0.0.1")
    await server.start_server()
    connector.url = str(server.make_url("/"))
    return connector, server


@pytest.fixture
async def connector() -> AsyncIterator[Connector]:
    stub, server = await _connector()
    yield stub
    await server.close()


@pytest.fixture
async def other() -> AsyncIterator[Connector]:
    stub, server = await _connector()
    yield stub
    await server.close()


@pytest.fixture
async def identity() -> AsyncIterator[Identity]:
    """test_auth's loopback OpenID metadata and keys endpoint."""
    endpoint = Identity()
    server = TestServer(endpoint.app(), host="127.0.0.1")
    await server.start_server()
    endpoint.url = str(server.make_url("/openid"))
    yield endpoint
    await server.close()


@dataclass
class Bot:
    client: TestClient
    storage: InMemoryStorage

    @property
    def adapter(self) -> AdapterWithErrorHandler:
        return self.client.server.app[ADAPTER]

    async def turn(self, body: dict[str, Any], expect: int = 201, headers: dict[str, str] | None = None) -> None:
        response = await self.client.post("/api/messages", json=body, headers=headers or {})
        assert response.status == expect, await response.text()

    async def stored(self, conversation: str) -> dict[str, Any]:
        """The conversation's stored state, without its ETag (a failed turn puts the state back under a new one)."""
        key = f"emulator/conversations/{conversation}"
        found = (await self.storage.read([key])).get(key) or {}
        return {name: value for name, value in found.items() if name != E_TAG}


@pytest.fixture
async def bot(engine: Engine) -> AsyncIterator[Bot]:
    storage = InMemoryStorage()
    client = await start_client(engine=engine, storage=storage)
    yield Bot(client, storage)
    await client.close()


def expected(engine: Engine, *lines: str) -> list[list[str]]:
    """What the engine says to each line, as the emulator channel shows it."""
    state, said = None, []
    for line in lines:
        result = engine.handle(state, line)
        state = result.state
        said.append([reply_markdown(reply) for reply in result.replies])
    return said


# -- reuse -------------------------------------------------------------------------------------


async def test_turns_to_one_service_url_share_one_client_and_one_connection(bot, connector, engine):
    lines = ("hi", "1", "next", "summary", "back")
    for conversation in ("reuse-1", "reuse-2"):
        for line in lines:
            await bot.turn(activity(connector, conversation, line))
    assert len(connector.posts) >= 2 * len(lines)
    assert len(set(connector.peers)) == 1  # every reply of both conversations over one kept-alive connection
    auth = bot.adapter.bot_framework_authentication
    assert [key[1] for key in auth.connectors.recency()] == [connector.url]
    assert len(auth.token_clients) == 1


async def test_two_service_urls_get_their_own_clients(bot, connector, other, engine):
    for line in ("hi", "1", "next"):
        await bot.turn(activity(connector, "first", line))
        await bot.turn(activity(other, "second", line))
    assert {post["conversation"]["id"] for post in connector.posts} == {"first"}
    assert {post["conversation"]["id"] for post in other.posts} == {"second"}
    pool = bot.adapter.bot_framework_authentication.connectors
    assert sorted(key[1] for key in pool.recency()) == sorted([connector.url, other.url])
    assert len(set(connector.peers)) == 1 and len(set(other.peers)) == 1


async def test_the_client_pool_is_bounded_and_evicts_the_least_recently_used(bot, connector):
    urls = [f"{connector.url}tenant{i}/" for i in range(MAX_CLIENTS + 6)]
    for i, url in enumerate(urls):
        await bot.turn(activity(connector, f"flood-{i}", "hi", serviceUrl=url))
        assert connector.paths[-1].startswith(f"/tenant{i}/v3/conversations/flood-{i}/activities/")
    pool = bot.adapter.bot_framework_authentication.connectors
    assert len(pool) == MAX_CLIENTS
    assert [key[1] for key in pool.recency()] == urls[-MAX_CLIENTS:]
    await bot.turn(activity(connector, "flood-0", "1", serviceUrl=urls[0]))  # evicted: built again, still works
    assert len(pool) == MAX_CLIENTS and pool.recency()[-1][1] == urls[0]


async def test_bounded_cache_builds_once_and_keeps_the_recently_used():
    cache: BoundedCache[str, str] = BoundedCache(2)
    built: list[str] = []

    async def build(key: str) -> str:
        built.append(key)
        return key.upper()

    for key in ("a", "b", "a", "c", "a", "b"):
        assert await cache.get(key, lambda key=key: build(key)) == key.upper()
    assert built == ["a", "b", "c", "b"]  # "a" stayed (used again before "c" came), "b" was evicted by "c"
    assert cache.recency() == ["a", "b"]


# -- what is sent ------------------------------------------------------------------------------


async def test_replies_keep_their_order_and_answer_the_message(bot, connector, engine):
    lines = ("hi", "1", "next", "summary", "back", "restart")
    sent = []
    for line in lines:
        body = activity(connector, "order", line)
        await bot.turn(body)
        sent.append(body["id"])
    said = expected(engine, *lines)
    assert any(len(replies) > 1 for replies in said)
    for activity_id, replies in zip(sent, said, strict=True):
        posts = connector.for_activity(activity_id)
        assert [post["text"] for post in posts] == replies
    assert connector.posts == [post for activity_id in sent for post in connector.for_activity(activity_id)]


async def test_teams_ids_are_quoted_in_the_path_as_the_sdk_does(bot, connector):
    conversation = "a:1Xy9@thread.skype;messageid=17"
    body = activity(connector, conversation, "hi", id="1700000000001|0001")
    await bot.turn(body)
    assert connector.paths == ["/v3/conversations/a%3A1Xy9%40thread.skype%3Bmessageid%3D17/activities/"
                               "1700000000001%7C0001"]
    assert connector.posts[0]["conversation"]["id"] == conversation
    headers = connector.headers[0]
    assert headers["x-ms-conversation-id"] == conversation
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    assert "BotBuilder Python" in headers["User-Agent"]
    assert "Authorization" not in headers  # local mode: no app id, no token


# -- when the connector fails ------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 401, 404])
async def test_a_refused_reply_is_502_and_the_case_stays_where_it_was(bot, connector, engine, status):
    for line in ("hi", "1"):
        await bot.turn(activity(connector, "refused", line))
    before = await bot.stored("refused")
    assert before["case"]
    connector.status = status
    lost = activity(connector, "refused", "next")
    await bot.turn(lost, expect=502)
    assert await bot.stored("refused") == before
    connector.status = 200
    refused = len(connector.posts)
    await bot.turn(lost)  # the channel retries the same activity: it is answered from the same step
    assert [post["text"] for post in connector.posts[refused:]] == expected(engine, "hi", "1", "next")[2]
    assert await bot.stored("refused") != before


async def test_a_stalled_connector_is_502_after_the_reply_timeout(bot, connector):
    await bot.turn(activity(connector, "stalled", "hi"))
    before = await bot.stored("stalled")
    assert before["case"]
    await bot.adapter.replies.close()
    bot.adapter.replies.timeout = 0.3  # the next session (opened on the next reply) uses it
    connector.delay = 5.0
    began = time.monotonic()
    await bot.turn(activity(connector, "stalled", "1"), expect=502)
    assert time.monotonic() - began < 3.0
    assert await bot.stored("stalled") == before


async def test_an_unreachable_connector_is_502_and_the_case_stays(bot, connector):
    await bot.turn(activity(connector, "gone", "hi"))
    before = await bot.stored("gone")
    assert before["case"]
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}/"
    await bot.turn(activity(connector, "gone", "1", serviceUrl=closed), expect=502)
    assert await bot.stored("gone") == before


# -- authentication and lifetime ---------------------------------------------------------------


class CountingFactory(StubCredentialsFactory):
    """The stub factory of test_auth, counting how often credentials are made."""

    made = 0

    async def create_credentials(self, app_id: str, oauth_scope: str, login_endpoint: str,
                                 validate_authority: bool) -> AppCredentials:
        CountingFactory.made += 1
        return await super().create_credentials(app_id, oauth_scope, login_endpoint, validate_authority)


async def test_with_auth_on_every_reply_carries_the_bots_token_from_credentials_made_once(identity, connector):
    CountingFactory.made = 0
    settings = Settings(app_id=APP_ID, app_password="secret", openid_metadata_url=identity.url,
                        emulator_openid_metadata_url=identity.url, openid_timeout=2.0)
    client = TestClient(TestServer(create_app(settings, storage=InMemoryStorage(),
                                              credentials_factory=CountingFactory(APP_ID, "secret")),
                                   host="127.0.0.1"))
    await client.start_server()
    try:
        for line in ("hi", "1", "next", "summary"):
            body = activity(connector, "auth-pooled", line, channelId="msteams")
            response = await client.post("/api/messages", json=body,
                                         headers={"Authorization": f"Bearer {token(connector)}"})
            assert response.status == 201, await response.text()
    finally:
        await client.close()
    assert len(connector.posts) >= 4
    assert {headers.get("Authorization") for headers in connector.headers} == {f"Bearer {OUTBOUND}"}
    assert CountingFactory.made == 2  # one for the connector client, one for the token client; not per turn
    assert len(set(connector.peers)) == 1


async def test_the_reply_session_is_closed_with_the_app(engine, connector):
    client = await start_client(engine=engine)
    adapter = client.server.app[ADAPTER]
    response = await client.post("/api/messages", json=activity(connector, "lifetime", "hi"))
    assert response.status == 201
    session = adapter.replies.session
    assert isinstance(session, aiohttp.ClientSession) and not session.closed
    await client.close()
    assert session.closed and adapter.replies.session is None
