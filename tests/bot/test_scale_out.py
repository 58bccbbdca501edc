"""Several instances, one shared store: two real ``mailflow serve`` processes over one Azurite container.

A conversation that a load balancer spreads over both instances ends exactly as on one instance; two answers
of one conversation that arrive at once (on one instance or on two) are both kept; a redelivered activity is
answered once. The channel is the loopback connector stub of tests/bot/conftest.py.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from aiohttp import ClientSession

from bot.storage_blob import AzureBlobStorage
from tests.bot.conftest import ConnectorStub, activity
from tests.processes import Azurite, Served, mailflow_serve
from tests.scripts import SCRIPTS

_ids = itertools.count(1)


@pytest.fixture
def instances(azurite_blob: Azurite) -> Iterator[tuple[Served, Served, str]]:
    """Two servers sharing one fresh container; yields both and the container's name."""
    container = f"scale-{uuid.uuid4().hex[:12]}"
    env = {"MAILFLOW_STORAGE": "azure-blob", "MAILFLOW_BLOB_CONNECTION_STRING": azurite_blob.connection_string,
           "MAILFLOW_BLOB_CONTAINER": container}
    with ExitStack() as stack:
        first = stack.enter_context(mailflow_serve("--no-checks", env=env))
        second = stack.enter_context(mailflow_serve("--no-checks", env=env))
        yield first, second, container


async def post(http: ClientSession, server: Served, body: dict[str, Any]) -> int:
    async with http.post(server.messages_url, json=body) as response:
        await response.read()
        return response.status


async def play(http: ClientSession, stub: ConnectorStub, servers: list[Served], conversation: str,
               inputs: tuple[str, ...]) -> list[dict[str, Any]]:
    """Send each input to the next server in turn; the replies to the last input."""
    replies: list[dict[str, Any]] = []
    for server, text in zip(itertools.cycle(servers), inputs, strict=False):
        before = len(stub.for_conversation(conversation))
        assert await post(http, server, activity(stub, conversation, text)) == 201
        replies = stub.for_conversation(conversation)[before:]
        assert replies, (server.port, text)
    return replies


async def stored_case(azurite: Azurite, container: str, conversation: str) -> dict[str, Any]:
    key = f"emulator/conversations/{conversation}"
    async with AzureBlobStorage(azurite.connection_string, container) as store:
        return (await store.read([key]))[key]["case"]


def texts(replies: list[dict[str, Any]]) -> list[str]:
    return [reply.get("text") or "" for reply in replies]


async def test_a_conversation_alternating_between_instances_ends_as_on_one(instances, stub):
    first, second, _ = instances
    script = max(SCRIPTS, key=lambda s: len(s.inputs))  # the longest walk: most hand-overs
    async with ClientSession() as http:
        alone = await play(http, stub, [first], "alone", (*script.inputs, "summary"))
        spread = await play(http, stub, [first, second], "spread", (*script.inputs, "summary"))
    assert texts(spread) == texts(alone)
    assert any("summary" in text.casefold() for text in texts(spread))


@pytest.mark.parametrize("where", ["one instance", "two instances"])
async def test_two_answers_arriving_at_once_are_both_kept(instances, stub, azurite_blob, where):
    first, second, container = instances
    conversation = f"race-{where.replace(' ', '-')}"
    targets = (first, first) if where == "one instance" else (first, second)
    async with ClientSession() as http:
        for server in (first, second):  # warm both up (imports, clients, connections) so the two really overlap
            await play(http, stub, [server], f"warm-up-{server.port}", ("hi", "4"))
        await play(http, stub, [first], conversation, ("4",))  # case C asks for the sender, then the recipient
        answers = ("user@contoso.com", "someone@fabrikam.com")
        statuses = await asyncio.gather(*(post(http, server, activity(stub, conversation, text))
                                          for server, text in zip(targets, answers, strict=True)))
    assert statuses == [201, 201]
    case = await stored_case(azurite_blob, container, conversation)
    assert [step["answer"] for step in case["history"][-2:]] in (list(answers), list(reversed(answers)))
    assert len(case["history"]) == 3 and len(case["facts"]) == 2


async def test_a_redelivered_activity_is_answered_once_wherever_it_lands(instances, stub, azurite_blob):
    first, second, container = instances
    async with ClientSession() as http:
        await play(http, stub, [first], "redelivered", ("4",))
        body = activity(stub, "redelivered", "user@contoso.com")
        assert await post(http, first, body) == 201
        replies = len(stub.for_conversation("redelivered"))
        assert await post(http, second, body) == 201  # the channel's retry reaches the other instance
        assert await post(http, first, body) == 201
        assert len(stub.for_conversation("redelivered")) == replies
        # Both copies at once, on both instances: still one answer.
        again = activity(stub, "redelivered", "someone@fabrikam.com")
        statuses = await asyncio.gather(post(http, first, again), post(http, second, again))
    assert statuses == [201, 201]
    answered = [post for post in stub.for_conversation("redelivered")[replies:] if post.get("text")]
    assert len(answered) == 1, texts(answered)
    case = await stored_case(azurite_blob, container, "redelivered")
    assert [step["answer"] for step in case["history"]][-2:] == ["user@contoso.com", "someone@fabrikam.com"]


async def test_a_store_outage_gets_an_apology_not_a_500(stub, engine):
    """Azurite stopped in the middle of a case: the person is told (say() checks the 201), no traceback."""
    from tests.bot.conftest import say, start_client
    from tests.processes import azurite, stop

    with azurite() as server:
        store = AzureBlobStorage(server.connection_string, f"outage-{uuid.uuid4().hex[:12]}")
        async with store:
            client = await start_client(engine=engine, storage=store)
            try:
                await say(client, stub, "outage", "4")
                stop(server.process)
                apology = await say(client, stub, "outage", "user@contoso.com")
            finally:
                await client.close()
    assert ["your case is kept" in (reply.get("text") or "") for reply in apology] == [True]
