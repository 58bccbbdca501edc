"""Malformed requests to /api/messages over real HTTP on loopback, fuzzed and by hand: activities with fields
missing or of the wrong type, bytes that are not JSON, odd content types, 10 MB bodies, compression bombs and
clients that send slowly or stall. Each gets a 4xx with a JSON error (or is served, when it is a valid activity
after all), never a 5xx or a traceback, and the server goes on serving the other conversations.

tests/bot/test_http.py has the hand-picked malformed requests; these add what a fuzzer and raw sockets find.
"""

from __future__ import annotations

import asyncio
import copy
import io
import itertools
import json
import socket
import zlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from hypothesis import given
from hypothesis import strategies as st

from bot import http_app
from dialogs.engine import Engine
from tests.bot.conftest import ConnectorStub, activity, say, start_client
from tests.bot.test_http import Mirror, converse
from tests.dialogs.explore import TODAY
from tests.dialogs.fuzzing import json_values
from tests.hypothesis_profile import fuzz

ENGINE = Engine.default(today=lambda: TODAY)
JSON = {"Content-Type": "application/json"}
TEN_MB = 10 * 1024 * 1024
_ids = itertools.count(1)


@pytest.fixture
async def served() -> AsyncIterator[TestClient]:
    """One app for all the examples of a test; each example has its own conversation."""
    client = await start_client(engine=ENGINE)
    yield client
    await client.close()


def _defanged(value: Any) -> Any:
    """``value`` with no ':' in its strings, so no fuzzed field is a URL the bot would fetch or post to."""
    if isinstance(value, str):
        return value.replace(":", ";")
    if isinstance(value, list):
        return [_defanged(item) for item in value]
    if isinstance(value, dict):
        return {_defanged(key): _defanged(item) for key, item in value.items()}
    return value


async def _refused_or_served(response: Any) -> int:
    """The status, after checking the answer: served (200/201), or a 4xx with a JSON error and no traceback."""
    text = await response.text()
    assert response.status in (200, 201) or 400 <= response.status < 500, (response.status, text)
    assert "Traceback" not in text and 'File "' not in text
    if response.status >= 400:
        assert response.content_type == "application/json" and json.loads(text)["error"], text
    return response.status


async def _still_serving(client: TestClient, stub: ConnectorStub) -> None:
    """A conversation that has nothing to do with the bad request gets its answer."""
    conversation = f"bystander-{next(_ids)}"
    assert [r["text"] for r in await say(client, stub, conversation, "help")] == Mirror(ENGINE).say("help")


# -- fuzzed activities ------------------------------------------------------------------------------

# Every field of an activity the endpoint or the bot reads, nested ones as "parent.child".
FIELDS = ["type", "channelId", "conversation", "conversation.id", "conversation.conversationType",
          "conversation.isGroup", "conversation.tenantId", "serviceUrl", "deliveryMode", "text", "textFormat",
          "locale", "id", "replyToId", "name", "action", "from", "from.id", "from.name", "recipient", "recipient.id",
          "value", "entities", "attachments", "membersAdded", "membersRemoved", "timestamp", "localTimestamp",
          "channelData", "relatesTo", "suggestedActions"]
TYPES = ["message", "conversationUpdate", "installationUpdate", "invoke", "event", "typing", "messageReaction",
         "endOfConversation", "trace", "delay", "handoff", "command"]
_values = st.one_of(json_values, st.sampled_from(TYPES), st.just(""), st.just(" "),
                    st.lists(st.fixed_dictionaries({}, optional={"id": json_values, "type": json_values,
                                                                 "text": json_values, "mentioned": json_values,
                                                                 "contentType": json_values, "content": json_values}),
                             max_size=3)).map(_defanged)


@st.composite
def mangled(draw: st.DrawFn, valid: dict[str, Any]) -> dict[str, Any]:
    """``valid`` with a few of its fields removed, emptied or given a value of any type."""
    body = copy.deepcopy(valid)
    for field in draw(st.lists(st.sampled_from(FIELDS), min_size=1, max_size=4, unique=True)):
        *parents, name = field.split(".")
        target: Any = body
        for parent in parents:
            target = target.get(parent) if isinstance(target, dict) else None
        if not isinstance(target, dict):
            continue
        if draw(st.booleans()):
            target.pop(name, None)
        else:
            target[name] = draw(_values)
    return body


@fuzz(300, shared_fixtures=True)
@given(st.data())
async def test_activities_with_fields_missing_or_of_any_type(served, stub, data):
    conversation = f"fields-{next(_ids)}"
    body = data.draw(mangled(activity(stub, conversation, "hi", channelId=data.draw(st.sampled_from(
        ["emulator", "msteams", "webchat"])))), label="body")
    posts = len(stub.posts)
    status = await _refused_or_served(await served.post("/api/messages", json=body))
    if status >= 400:
        assert len(stub.posts) == posts  # refused before the bot said anything
    await _still_serving(served, stub)


@pytest.mark.parametrize(("field", "value"), [
    ("conversation", {"id": "a\x00b"}), ("conversation", {"id": "\ud800"}), ("conversation", {"id": "c" * 1025}),
    ("conversation", {"id": "🙂" * 300}), ("channelId", "\udfff"), ("id", "1\r\n2"),
    ("replyToId", "r" * 2000), ("serviceUrl", "{stub}\x00")])
async def test_ids_that_cannot_go_into_a_store_key_or_a_reply_url_are_400(served, stub, field, value):
    """Found by fuzzing: these ran the turn and only then failed, in the store (a lone surrogate in its key: an
    apology for a "bug") or sending the reply (a control character in its URL or headers, a URL too long for the
    connector: a 502 that the channel retries)."""
    value = value.replace("{stub}", stub.url) if isinstance(value, str) else value
    response = await served.post("/api/messages", json=activity(stub, f"ids-{next(_ids)}", "hi", **{field: value}))
    assert await _refused_or_served(response) == 400
    assert field in (await response.json())["error"]
    assert stub.posts == []
    await _still_serving(served, stub)


async def test_ids_up_to_the_limit_are_served(served, stub):
    conversation = "c" * http_app.MAX_ID
    response = await served.post("/api/messages", json=activity(stub, conversation, "hi", id="🙂" * 256))
    assert await _refused_or_served(response) == 201
    assert stub.for_conversation(conversation)


@fuzz(200, shared_fixtures=True)
@given(st.binary(max_size=2048))
async def test_bytes_that_are_not_an_activity_are_400(served, stub, raw):
    response = await served.post("/api/messages", data=raw, headers=JSON)
    assert await _refused_or_served(response) == 400


@st.composite
def damaged_json(draw: st.DrawFn, valid: bytes) -> bytes:
    """A valid activity's JSON with a few bytes dropped, inserted or changed."""
    raw = bytearray(valid)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(raw)))
        how = draw(st.sampled_from(["drop", "insert", "change"]))
        if how == "drop" and at < len(raw):
            del raw[at]
        elif how == "insert":
            raw[at:at] = draw(st.binary(min_size=1, max_size=3))
        elif at < len(raw):
            raw[at] = draw(st.integers(0, 255))
    return bytes(raw)


@fuzz(200, shared_fixtures=True)
@given(st.data())
async def test_damaged_json_is_refused_or_served_never_a_5xx(served, stub, data):
    # The replies come back in the response (expectReplies), so there is no serviceUrl for a changed byte to turn
    # into another host's address.
    # Ids of one width: where the bytes change is drawn from the length, which must not vary between runs.
    n = next(_ids)
    valid = activity(stub, f"bytes-{n:08}", "hi", id=f"act-{n:08}", deliveryMode="expectReplies", serviceUrl=None)
    raw = data.draw(damaged_json(json.dumps(valid).encode()), label="raw")
    await _refused_or_served(await served.post("/api/messages", data=raw, headers=JSON))
    await _still_serving(served, stub)


@pytest.mark.parametrize(("content_type", "status"), [
    ("application/json", 201), ("APPLICATION/JSON", 201), ("application/json; charset=utf-8", 201),
    ("application/activity+json", 201), ("application/xml", 415), ("text/json", 415), ("application/jsonp", 415),
    ("multipart/form-data; boundary=x", 415), ("*/*", 415), ("application/x-www-form-urlencoded", 415),
    ("json", 415), (";", 415)])
async def test_content_types(served, stub, content_type, status):
    body = json.dumps(activity(stub, f"type-{next(_ids)}", "hi")).encode()
    response = await served.post("/api/messages", data=body, headers={"Content-Type": content_type})
    assert await _refused_or_served(response) == status


@fuzz(100, shared_fixtures=True)
@given(st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7e), max_size=60))
async def test_any_content_type_is_served_or_415(served, stub, content_type):
    body = json.dumps(activity(stub, f"type-{next(_ids)}", "hi")).encode()
    response = await served.post("/api/messages", data=body, headers={"Content-Type": content_type})
    assert await _refused_or_served(response) in (201, 415)


# -- big bodies ------------------------------------------------------------------------------------


async def _chunks(total: int, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, total, size):
        yield b" " * min(size, total - start)


@pytest.mark.parametrize("how", ["content-length", "chunked", "deflate bomb"])
async def test_a_10_mb_body_is_413_and_the_server_keeps_serving(served, stub, how):
    if how == "content-length":
        request: dict[str, Any] = {"data": io.BytesIO(b" " * TEN_MB), "headers": JSON}
    elif how == "chunked":
        request = {"data": _chunks(TEN_MB), "headers": JSON}
    else:  # 10 KB on the wire, 10 MB inflated (the gzip bomb is in tests/bot/test_auth.py)
        request = {"data": zlib.compress(b" " * TEN_MB, 9), "headers": {**JSON, "Content-Encoding": "deflate"}}
    response = await served.post("/api/messages", **request)
    assert await _refused_or_served(response) == 413
    await _still_serving(served, stub)


# -- slow clients ----------------------------------------------------------------------------------


async def _connect(client: TestClient) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection("127.0.0.1", client.server.port)
    writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # one byte per packet
    return reader, writer


def _request(body: bytes) -> bytes:
    return (b"POST /api/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body))


async def _response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """The status and body of one HTTP response (read by its Content-Length: the server may keep the socket)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    length = next(int(line.split(":", 1)[1]) for line in lines if line.lower().startswith("content-length:"))
    return int(lines[0].split()[1]), await reader.readexactly(length)


async def _dribble(writer: asyncio.StreamWriter, data: bytes) -> None:
    for byte in data:
        writer.write(bytes([byte]))
        await writer.drain()
        await asyncio.sleep(0.001)


async def test_a_client_sending_a_byte_at_a_time_holds_up_no_one(served, stub, monkeypatch):
    """Its headers and body trickle in while another conversation has all its turns; then it is answered too."""
    monkeypatch.setattr(http_app, "BODY_TIMEOUT", 120.0)  # the trickle, however slow the machine, is in time
    request = _request(json.dumps(activity(stub, "trickle", "hi")).encode())
    reader, writer = await _connect(served)
    try:
        trickle = asyncio.create_task(_dribble(writer, request[:-5]))  # all but the last bytes, one at a time
        await converse(served, stub, Mirror(ENGINE), "meanwhile", "hi", "1", "next", "summary", "back", "restart")
        with pytest.raises(TimeoutError):  # the trickling request is still waiting for its last bytes
            await asyncio.wait_for(reader.readexactly(1), 0.05)
        await trickle
        writer.write(request[-5:])
        status, _ = await _response(reader)
    finally:
        writer.close()
    assert status == 201
    assert [post["text"] for post in stub.for_conversation("trickle")] == Mirror(ENGINE).say("hi")


async def test_clients_that_stall_mid_body_get_408_and_the_server_keeps_serving(served, stub, monkeypatch):
    """Twenty connections stop sending halfway through their bodies: each is answered 408 once BODY_TIMEOUT
    passes, nothing is stored or said for them, and another conversation is served meanwhile and after."""
    monkeypatch.setattr(http_app, "BODY_TIMEOUT", 0.5)
    stalled = []
    for n in range(20):
        request = _request(json.dumps(activity(stub, f"stalled-{n}", "hi")).encode())
        reader, writer = await _connect(served)
        writer.write(request[: len(request) - 40])
        await writer.drain()
        stalled.append((reader, writer))
    try:
        await converse(served, stub, Mirror(ENGINE), "beside-stalled", "hi", "1", "next")
        answers = [await _response(reader) for reader, _ in stalled]
    finally:
        for _, writer in stalled:
            writer.close()
    for status, body in answers:
        assert status == 408
        assert "did not arrive" in json.loads(body)["error"]
    assert not [post for post in stub.posts if post["conversation"]["id"].startswith("stalled-")]
    await _still_serving(served, stub)


async def test_a_client_that_stalls_in_its_headers_or_hangs_up_mid_body_holds_up_no_one(served, stub):
    body = json.dumps(activity(stub, "hung-up", "hi")).encode()
    in_headers = await _connect(served)
    in_headers[1].write(_request(body)[:30])
    hung_up = await _connect(served)
    hung_up[1].write(_request(body)[:-20])
    await asyncio.gather(in_headers[1].drain(), hung_up[1].drain())
    hung_up[1].close()
    try:
        await converse(served, stub, Mirror(ENGINE), "beside-stuck", "hi", "1", "next")
    finally:
        in_headers[1].close()
    assert stub.for_conversation("hung-up") == []
    await _still_serving(served, stub)
