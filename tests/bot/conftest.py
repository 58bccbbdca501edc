"""Real loopback servers for the HTTP channel: the app under test and a Bot Connector stub it replies to."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.http_app import create_app
from bot.settings import Settings
from bot.storage import InMemoryStorage, JsonStorage
from bot.storage_blob import AzureBlobStorage
from bot.storage_sqlite import SqliteStorage
from dialogs.engine import Engine

_ids = itertools.count(1)


@dataclass
class ConnectorStub:
    """Plays the channel's connector: records each reply the bot POSTs and answers like the real service."""

    posts: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v3/conversations/{conversation}/activities", self._receive)
        app.router.add_post("/v3/conversations/{conversation}/activities/{reply_to}", self._receive)
        return app

    async def _receive(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.posts.append({"path_conversation": request.match_info["conversation"],
                           "path_reply_to": request.match_info.get("reply_to"), **body})
        return web.json_response({"id": f"reply-{len(self.posts)}"})

    def replies_to(self, activity_id: str) -> list[dict[str, Any]]:
        return [post for post in self.posts if post.get("replyToId") == activity_id]

    def for_conversation(self, conversation_id: str) -> list[dict[str, Any]]:
        return [post for post in self.posts if post["conversation"]["id"] == conversation_id]


@pytest.fixture
async def stub() -> AsyncIterator[ConnectorStub]:
    connector = ConnectorStub()
    server = TestServer(connector.app(), host="127.0.0.1")
    await server.start_server()
    connector.url = str(server.make_url("/"))
    yield connector
    await server.close()


async def start_client(settings: Settings | None = None, **kwargs: Any) -> TestClient:
    """The app under test behind a real aiohttp server on 127.0.0.1 (a random free port)."""
    client = TestClient(TestServer(create_app(settings or Settings(), **kwargs), host="127.0.0.1"))
    await client.start_server()
    return client


@pytest.fixture
async def client(engine: Engine) -> AsyncIterator[TestClient]:
    test_client = await start_client(engine=engine)
    yield test_client
    await test_client.close()


def activity(stub: ConnectorStub, conversation_id: str, text: str | None = None, **fields: Any) -> dict[str, Any]:
    """A message activity as a channel sends it; ``fields`` add or override (None removes a field)."""
    body: dict[str, Any] = {
        "type": "message", "text": text, "serviceUrl": stub.url, "conversation": {"id": conversation_id},
        "from": {"id": "user1", "name": "User"}, "recipient": {"id": "bot", "name": "Mailflow"},
        "channelId": "emulator", "id": f"act-{next(_ids)}",
    }
    body.update(fields)
    return {k: v for k, v in body.items() if v is not None}


async def send(client: TestClient, body: dict[str, Any], *, expect: int = 201) -> None:
    response = await client.post("/api/messages", json=body)
    assert response.status == expect, await response.text()


async def say(client: TestClient, stub: ConnectorStub, conversation_id: str, text: str,
              **fields: Any) -> list[dict[str, Any]]:
    """Send one message and return the bot's replies to it, as the connector stub received them.

    Replies are matched by conversation, not replyToId: botbuilder leaves replyToId out on webchat and
    directline. So do not run two ``say`` calls on one conversation at once when you need the replies.
    """
    before = len(stub.for_conversation(conversation_id))
    await send(client, activity(stub, conversation_id, text, **fields))
    return stub.for_conversation(conversation_id)[before:]


@pytest.fixture(params=["memory", "sqlite", "azure-blob"])
async def store(request: pytest.FixtureRequest, tmp_path) -> AsyncIterator[JsonStorage]:
    """Each of the three conversation stores, opened: memory, sqlite (in tmp_path), azure-blob (Azurite)."""
    if request.param == "memory":
        storage: JsonStorage = InMemoryStorage()
    elif request.param == "sqlite":
        storage = SqliteStorage(tmp_path / "state.sqlite3")
    else:
        server = request.getfixturevalue("azurite_blob")
        storage = AzureBlobStorage(server.connection_string, f"contract-{uuid.uuid4().hex[:12]}")
    async with storage:
        yield storage
