"""The Bot Framework endpoint over real HTTP on loopback, replies captured by a connector stub."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import socket
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.adapter import APOLOGY
from bot.cards import CONTENT_TYPE
from bot.http_app import is_loopback
from bot.render_activity import reply_markdown, reply_to_activity
from bot.settings import Settings
from dialogs.engine import Engine
from dialogs.flows.triage import FLOW as TRIAGE
from dialogs.replies import CaseSummary, Choice, Reply, Step
from tests.bot.conftest import ConnectorStub, activity, say, send, start_client
from tests.bot.test_cards import assert_valid_posts, shown, submits
from tests.processes import mailflow_serve

MENU_LABELS = list(TRIAGE["states"][0]["choices"].values())
GENERAL = ("1", "next", "next")  # the general explanation exists in full; scenario flows may be placeholders


class Mirror:
    """The same conversation driven on the engine directly: what the HTTP channel must say, turn by turn."""

    def __init__(self, engine: Engine, channel: str = "emulator") -> None:
        self.engine = engine
        self.channel = channel
        self.state: dict[str, Any] | None = None

    def say(self, text: str) -> list[Any]:
        result = self.engine.handle(self.state, text)
        self.state = result.state
        if self.channel == "msteams":
            return [shown_activity(reply_to_activity(reply, "msteams").serialize()) for reply in result.replies]
        return texts_of(result.replies)


def shown_activity(activity: dict[str, Any]) -> Any:
    """What Teams shows of one activity: its card's content, or its text."""
    cards = [a["content"] for a in activity.get("attachments") or () if a["contentType"] == CONTENT_TYPE]
    return cards[0] if cards else activity.get("text")


def shown_posts(posted: list[dict[str, Any]]) -> list[Any]:
    return [shown_activity(post) for post in posted]


def texts_of(replies: list[Reply]) -> list[str]:
    return [reply_markdown(reply) for reply in replies]


def texts(posted: list[dict[str, Any]]) -> list[str]:
    return [post["text"] for post in posted]


async def converse(client: TestClient, stub: ConnectorStub, mirror: Mirror, conversation: str, *lines: str) -> None:
    for line in lines:
        assert texts(await say(client, stub, conversation, line)) == mirror.say(line), line


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- the conversation ---------------------------------------------------------------------------


async def test_healthz(client):
    response = await client.get("/healthz")
    assert response.status == 200
    assert await response.json() == {"status": "ok"}


async def test_greeting_when_a_person_joins_but_not_when_only_the_bot_does(client, stub, engine):
    joined = activity(stub, "greet", type="conversationUpdate", membersAdded=[{"id": "user1"}, {"id": "bot"}])
    await send(client, joined)
    replies = stub.for_conversation("greet")
    assert texts(replies) == texts_of(engine.start().replies)
    assert "What is the problem" in replies[0]["text"]
    assert all(label in replies[0]["text"] for label in MENU_LABELS)
    bot_only = activity(stub, "greet-2", type="conversationUpdate", membersAdded=[{"id": "bot"}])
    await send(client, bot_only)
    assert stub.for_conversation("greet-2") == []


async def test_scripted_conversation_menu_answers_summary_back_restart(client, stub, engine):
    mirror = Mirror(engine)
    first = await say(client, stub, "script", "hi")
    assert texts(first) == mirror.say("hi")
    assert "Hi! I help you find out why an email did not arrive" in first[0]["text"]
    assert "Tell me what happened in your own words" in first[0]["text"]
    assert first[0]["textFormat"] == "markdown"
    assert [a["value"] for a in first[0]["suggestedActions"]["actions"]] == MENU_LABELS
    await converse(client, stub, mirror, "script", *GENERAL)

    summary = await say(client, stub, "script", "summary")
    assert texts(summary) == mirror.say("summary")
    assert "```\nCASE SUMMARY" in summary[0]["text"] and "Scenario: How mail normally flows" in summary[0]["text"]

    back = await say(client, stub, "script", "back")
    assert texts(back) == mirror.say("back")
    assert back[0]["text"].startswith("Going back to")

    restart = await say(client, stub, "script", "restart")
    assert texts(restart) == mirror.say("restart")
    assert restart[0]["text"] == "Starting a new case."
    assert "What is the problem" in restart[1]["text"]


async def test_menu_pick_by_number_matches_the_engine_whatever_the_scenario_says(client, stub, engine):
    for pick in ("2", "3", "4", "5", "7"):
        mirror = Mirror(engine)
        await converse(client, stub, mirror, f"pick-{pick}", "hello", pick, "summary", "quit", "hi")


async def test_a_button_sends_the_label_and_the_engine_accepts_it(client, stub, engine):
    replies = texts(await say(client, stub, "by-label", MENU_LABELS[0]))
    assert replies == Mirror(engine).say(MENU_LABELS[0]) == Mirror(engine).say("1")


async def test_two_interleaved_conversations_keep_their_own_state(client, stub, engine):
    left, right = Mirror(engine), Mirror(engine)
    left_lines = ("hi", *GENERAL, "back", "next")
    right_lines = ("hi", "7", "1", "550 5.1.1 RESOLVER.ADR.RecipNotFound", "summary", "back")
    for mine, theirs in zip(left_lines, right_lines, strict=True):
        await converse(client, stub, left, "left", mine)
        await converse(client, stub, right, "right", theirs)
    assert left.state != right.state


async def test_many_conversations_at_once(client, stub, engine):
    async def one(n: int) -> None:
        await converse(client, stub, Mirror(engine), f"parallel-{n}", "hi", *GENERAL, "summary")

    await asyncio.gather(*(one(n) for n in range(8)))


async def test_quick_double_sends_in_one_conversation_are_all_applied_in_turn(client, stub, engine):
    await say(client, stub, "double", "1")
    await asyncio.gather(*(say(client, stub, "double", "next") for _ in range(4)))
    mirror = Mirror(engine)
    for line in ("1", "next", "next", "next", "next"):
        mirror.say(line)
    assert texts(await say(client, stub, "double", "summary")) == mirror.say("summary")


async def test_teams_gets_adaptive_cards_other_channels_suggested_actions(client, stub, engine):
    teams = await say(client, stub, "19:abc@thread.tacv2;messageid=1", "hi", channelId="msteams")
    assert "suggestedActions" not in teams[0]
    (card,) = assert_valid_posts(teams)
    buttons = submits(card)
    assert [b["data"]["choice"] for b in buttons] == list(TRIAGE["states"][0]["choices"])
    assert {b["data"]["step"] for b in buttons} == {engine.step_token(engine.start().state)}
    assert all(label in shown(card) for label in MENU_LABELS)
    assert teams[0]["path_conversation"] == "19:abc@thread.tacv2;messageid=1"  # the same thread

    web = await say(client, stub, "webchat-1", "hi", channelId="webchat")
    assert "attachments" not in web[0]
    assert [a["value"] for a in web[0]["suggestedActions"]["actions"]] == MENU_LABELS


async def test_teams_mentions_are_stripped_and_card_submits_are_read(client, stub, engine):
    mirror = Mirror(engine, "msteams")
    mentioned = await say(client, stub, "teams-2", "<at>Mailflow assistant</at> 1", channelId="msteams")
    assert shown_posts(mentioned) == mirror.say("1")
    submitted = await say(client, stub, "teams-2", None, channelId="msteams", value={"choice": "Next"})
    assert shown_posts(submitted) == mirror.say("Next")
    typed = await say(client, stub, "teams-2", "", channelId="msteams", value={"text": "next"})
    assert shown_posts(typed) == mirror.say("next")


# -- malformed requests -------------------------------------------------------------------------

_BIG = "x" * (300 * 1024)


def _malformed(stub: ConnectorStub, conversation: str) -> list[tuple[str, int, dict[str, Any]]]:
    """(name, status, request) for every request the SDK would answer with a 500 or mishandle."""
    ok = activity(stub, conversation, "next")
    raw = json.dumps(ok).encode()
    without = lambda *names: {k: v for k, v in ok.items() if k not in names}  # noqa: E731
    cases = [
        ("text/plain", 415, {"data": raw, "headers": {"Content-Type": "text/plain"}}),
        ("no content type", 415, {"data": raw, "headers": {"Content-Type": ""}}),
        ("form", 415, {"data": {"type": "message"}}),
        ("too large", 413, {"json": {**ok, "text": _BIG}}),
        ("not json", 400, {"data": b"{not json", "headers": {"Content-Type": "application/json"}}),
        ("bad utf-8", 400, {"data": b'{"type": "\xff"}', "headers": {"Content-Type": "application/json"}}),
        ("deeply nested", 400, {"data": b"[" * 100_000 + b"]" * 100_000,
                                "headers": {"Content-Type": "application/json"}}),
        ("deeply nested value", 400, {"data": raw[:-1] + b', "value": ' + b'{"a": ' * 5000 + b"{}" + b"}" * 5001,
                                      "headers": {"Content-Type": "application/json"}}),
        ("json array", 400, {"json": [ok]}),
        ("json string", 400, {"json": "message"}),
        ("missing type", 400, {"json": without("type")}),
        ("empty type", 400, {"json": {**ok, "type": ""}}),
        ("no conversation", 400, {"json": without("conversation")}),
        ("conversation without id", 400, {"json": {**ok, "conversation": {"name": "x"}}}),
        ("conversation is a string", 400, {"json": {**ok, "conversation": conversation}}),
        ("no serviceUrl", 400, {"json": without("serviceUrl")}),
        ("serviceUrl not a URL", 400, {"json": {**ok, "serviceUrl": "not a url"}}),
        ("serviceUrl bad port", 400, {"json": {**ok, "serviceUrl": "http://127.0.0.1:99999/"}}),
        ("no channelId", 400, {"json": without("channelId")}),
        ("from is a string", 400, {"json": {**ok, "from": "user1"}}),
        ("text is a number", 400, {"json": {**ok, "text": 5}}),
        ("bad timestamp", 400, {"json": {**ok, "timestamp": "yesterday"}}),
        ("entities not a list", 400, {"json": {**ok, "entities": "x"}}),
        ("membersAdded not a list", 400, {"json": {**ok, "type": "conversationUpdate", "membersAdded": "u"}}),
        ("deliveryMode not a string", 400, {"json": {**ok, "deliveryMode": 3}}),
    ]
    return [(name, status, {"headers": {}, **request}) for name, status, request in cases]


MALFORMED_NAMES = [name for name, _, _ in _malformed(ConnectorStub(url="http://127.0.0.1:1/"), "x")]


@pytest.mark.parametrize("name", MALFORMED_NAMES)
async def test_malformed_request_gets_a_json_4xx_and_the_conversation_carries_on(client, stub, engine, name):
    conversation = f"malformed-{name}"
    mirror = Mirror(engine)
    await converse(client, stub, mirror, conversation, "1")
    posts_before = len(stub.posts)
    status, request = next((s, r) for n, s, r in _malformed(stub, conversation) if n == name)
    response = await client.post("/api/messages", **request)
    body = await response.text()
    assert response.status == status, body
    assert response.content_type == "application/json"
    assert json.loads(body)["error"]
    assert "Traceback" not in body and "File \"" not in body
    assert len(stub.posts) == posts_before  # the bot said nothing
    await converse(client, stub, mirror, conversation, "next", "next")


async def test_wrong_methods_and_paths_get_json_errors(client):
    for method, path, status in (("GET", "/api/messages", 405), ("PUT", "/api/messages", 405),
                                 ("GET", "/nowhere", 404)):
        response = await client.request(method, path)
        assert response.status == status
        assert response.headers.get("Allow") == ("POST" if status == 405 else None)
        assert (await response.json())["error"]


async def test_authorization_header_is_ignored_while_auth_is_off(client, stub, engine):
    mirror = Mirror(engine)
    for header in ("Bearer garbage", "Bearer a.b.c", "Basic dXNlcjpwYXNz", ""):
        body = activity(stub, "auth-off", "hi" if mirror.state is None else "next")
        response = await client.post("/api/messages", json=body, headers={"Authorization": header})
        assert response.status == 201, await response.text()
        assert texts(stub.replies_to(body["id"])) == mirror.say(body["text"])


@pytest.mark.parametrize("header", [None, "Bearer garbage", "Bearer", "garbage"])
async def test_with_auth_on_a_missing_or_invalid_token_is_401(stub, header):
    client = await start_client(Settings(app_id="00000000-0000-0000-0000-000000000001", app_password="x"))
    try:
        headers = {"Authorization": header} if header is not None else {}
        response = await client.post("/api/messages", json=activity(stub, "auth-on", "hi"), headers=headers)
        assert response.status == 401
        assert (await response.json())["error"]
        assert stub.posts == []
    finally:
        await client.close()


async def test_expect_replies_returns_the_replies_in_the_response(client, stub, engine):
    mirror = Mirror(engine)
    await converse(client, stub, mirror, "expect", "hi")
    expect = activity(stub, "expect", "1", deliveryMode="expectReplies", serviceUrl=None)
    response = await client.post("/api/messages", json=expect)
    assert response.status == 200, await response.text()
    returned = (await response.json())["activities"]
    assert texts(returned) == mirror.say("1")
    assert all(a["type"] == "message" and a["conversation"]["id"] == "expect" for a in returned)
    assert stub.replies_to(expect["id"]) == []  # nothing was POSTed to a connector
    await converse(client, stub, mirror, "expect", "next")  # state was saved; the normal path continues


async def test_unreachable_service_url_is_502_and_the_retry_resumes_at_the_same_step(client, stub, engine):
    mirror = Mirror(engine)
    await converse(client, stub, mirror, "flaky", "hi", "1")
    lost = activity(stub, "flaky", "next", serviceUrl=f"http://127.0.0.1:{closed_port()}/")
    response = await client.post("/api/messages", json=lost)
    body = await response.text()
    assert response.status == 502, body
    assert "serviceUrl" in json.loads(body)["error"] and "Traceback" not in body
    assert stub.replies_to(lost["id"]) == []
    await send(client, {**lost, "serviceUrl": stub.url})  # the channel retries the same activity
    assert texts(stub.replies_to(lost["id"])) == mirror.say("next")  # from the step before the failure
    await converse(client, stub, mirror, "flaky", "next")


class BrokenEngine(Engine):
    """Fails on one word, as a bug in a flow would."""

    def handle(self, data: Any, text: str | None) -> Any:
        if text == "boom":
            raise RuntimeError("a bug in a flow")
        return super().handle(data, text)


async def test_a_bug_in_the_turn_apologises_and_keeps_the_case(stub, engine):
    client = await start_client(engine=BrokenEngine(engine.flows, today=engine.today))
    try:
        mirror = Mirror(engine)
        await converse(client, stub, mirror, "buggy", "hi", "1")
        assert texts(await say(client, stub, "buggy", "boom")) == [APOLOGY]
        await converse(client, stub, mirror, "buggy", "next")
    finally:
        await client.close()


async def test_quit_ends_with_a_fresh_case(client, stub, engine):
    mirror = Mirror(engine)
    await converse(client, stub, mirror, "quitter", "hi", "1", "quit", "hello", "1")
    assert mirror.state["flow"] == "general"


# -- rendering and settings ---------------------------------------------------------------------


def test_markdown_rendering_of_commands_facts_evidence_and_summary():
    summary = CaseSummary("Scenario A", (("Recipient", "a_b@contoso.com"),), (Step("Where", "cloud"),),
                          "Done", "Our admin", ("the NDR",))
    reply = Reply("Look it up on mail.<our domain>:", kind="outcome", title="Solved: MX", facts=(("Domain", "x.com"),),
                  commands=("Resolve-DnsName -Type MX <domain>",), ask="What does it say?", evidence=("the NDR",),
                  summary=summary, choices=(Choice("restart", "Start a new case"),))
    text = reply_to_activity(reply, "emulator").text
    assert text.startswith("**Solved: MX**\n\nLook it up on mail.&lt;our domain>:")
    assert "```\nResolve-DnsName -Type MX <domain>\n```\n\n**What does it say?**" in text
    assert "- Domain: x.com" in text and "- the NDR" in text
    assert "```\nCASE SUMMARY\nScenario: Scenario A\n" in text and text.count("```") == 4
    assert text.endswith("1. Start a new case")


# "check" is an instruction to the channel (run this check), not something to show.
# "path" and "step" are for the Teams cards (bot/cards*.py), which the markdown rendering leaves out.
RENDERED_FIELDS = {"text", "kind", "title", "commands", "ask", "choices", "facts", "summary", "evidence", "rows",
                   "check", "path", "step"}


def test_the_renderer_knows_every_reply_field():
    """A field added to Reply must be added to render_activity too (then to this list)."""
    assert {f.name for f in dataclasses.fields(Reply)} == RENDERED_FIELDS


def test_teams_menus_longer_than_six_are_split_over_cards():
    choices = tuple(Choice(str(i), f"Option {i}") for i in range(1, 14))
    cards = reply_to_activity(Reply("Pick", choices=choices), "msteams").attachments
    assert [len(card.content.buttons) for card in cards] == [6, 6, 1]


def test_settings_from_the_environment():
    assert Settings.from_env({}) == Settings()
    assert not Settings().auth_enabled
    env = {"MAILFLOW_HOST": "0.0.0.0", "PORT": "8080", "MicrosoftAppId": "id", "MicrosoftAppPassword": "pw",
           "MicrosoftAppType": "SingleTenant", "MicrosoftAppTenantId": "tenant"}
    settings = Settings.from_env(env)
    assert (settings.host, settings.port, settings.app_type, settings.tenant_id) == ("0.0.0.0", 8080,
                                                                                     "SingleTenant", "tenant")
    assert settings.auth_enabled and settings.max_body_bytes == 256 * 1024
    assert Settings.from_env(env, host="127.0.0.1", port=9000).port == 9000
    for bad in ("http", "0", "70000", "80.5"):
        with pytest.raises(ValueError, match="PORT"):
            Settings.from_env({"PORT": bad})


@pytest.mark.parametrize(("env", "message"), [
    ({"MicrosoftAppType": "Nope"}, "MicrosoftAppType must be one of"),
    ({"MicrosoftAppId": "id"}, "needs MicrosoftAppPassword"),
    ({"MicrosoftAppId": "id", "MicrosoftAppPassword": "pw", "MicrosoftAppType": "SingleTenant"},
     "needs MicrosoftAppTenantId"),
    ({"MicrosoftAppId": "id", "MicrosoftAppType": "UserAssignedMSI"}, "needs MicrosoftAppTenantId"),
])
def test_incomplete_credentials_are_refused_with_a_clear_message(env, message):
    with pytest.raises(ValueError, match=message):
        Settings.from_env(env)


def test_loopback_detection():
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("example.org")


def test_mailflow_serve_announces_itself_and_answers():
    with mailflow_serve() as served, urllib.request.urlopen(f"{served.url}/healthz", timeout=5) as response:
        assert json.load(response) == {"status": "ok"}
    line = served.output().splitlines()[0]  # all of it once stopped
    assert line == f"mailflow-assistant listening on http://127.0.0.1:{served.port}/api/messages (auth off)"


async def test_all_scripted_conversations_over_http(client, stub, engine):
    """The same scripts as the engine and console tests, each in its own conversation, several at once."""
    import asyncio

    from tests.scripts import SCRIPTS

    async def play(script) -> tuple[str, list[dict]]:
        replies: list[dict] = []
        for text in script.inputs:
            replies = await say(client, stub, f"script-{script.name}", text)
            assert replies, (script.name, text)
        return script.name, replies

    results = dict(await asyncio.gather(*(play(s) for s in SCRIPTS)))
    for script in SCRIPTS:
        state = engine.flows[script.flow].states[script.state]
        shown = "\n".join(r.get("text", "") for r in results[script.name])
        assert state["title"] in shown, script.name
        if "outcome" in state:
            assert "CASE SUMMARY" in shown


async def test_a_live_check_over_http_shows_typing_then_the_result(stub):
    """Real loopback DNS server behind the check; the reply before it and a typing activity arrive first."""
    from dialogs.live_checks import LiveChecks
    from tests.dialogs.explore import TODAY
    from tests.mailflow.dns_server import DnsTestServer
    from tests.mailflow.zones import WORLD

    with DnsTestServer(WORLD) as dns:
        runner = LiveChecks(dns.resolver(timeout=1.0, lifetime=2.0))
        client = await start_client(engine=Engine.default(today=lambda: TODAY, checks=True), runner=runner)
        try:
            for text in ("2", "me@fabrikam.com", "user@contoso.com", "yesterday", "none"):
                await say(client, stub, "live", text)
            replies = await say(client, stub, "live", "check")
        finally:
            await client.close()
    kinds = [r["type"] for r in replies]
    assert kinds[:2] == ["message", "typing"]
    assert "One moment" in replies[0]["text"]
    assert any("✅ MX" in r.get("text", "") for r in replies[2:])
    assert any("Sender's send log" in r.get("text", "") for r in replies[2:])


BOUNCE_FILE = Path(__file__).resolve().parents[1] / "mailflow" / "bounces" / "onprem_exchange.txt"


async def test_a_bounce_attached_in_teams_is_downloaded_and_decoded(client, stub, engine):
    """The file is served by a real loopback server, as Teams' download URL would be."""
    from aiohttp import web
    from aiohttp.test_utils import TestServer

    bounce = BOUNCE_FILE.read_bytes()

    async def serve_file(_request: web.Request) -> web.Response:
        return web.Response(body=bounce, content_type="application/octet-stream")

    files = web.Application()
    files.router.add_get("/files/ndr.txt", serve_file)
    server = TestServer(files, host="127.0.0.1")
    await server.start_server()
    try:
        info = {"contentType": "application/vnd.microsoft.teams.file.download.info", "name": "ndr.txt",
                "content": {"downloadUrl": str(server.make_url("/files/ndr.txt")), "fileType": "txt"}}
        replies = await say(client, stub, "attach", None, channelId="msteams", attachments=[info])
        missing = {**info, "content": {"downloadUrl": str(server.make_url("/files/missing.txt"))}}
        failed = await say(client, stub, "attach", None, channelId="msteams", attachments=[missing])
    finally:
        await server.close()
    (card, *_) = assert_valid_posts(replies)  # decoded as the evidence card, then the question it leads to
    assert "Bounce decoded" in shown(card)
    assert "5.1.1" in shown(card)
    assert "couldn't download" in failed[0]["text"]
