"""Teams personal chats over real HTTP: long findings offered as a file, uploaded to a loopback "OneDrive"."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot import file_offer
from bot.file_offer import DECLINED, FILE_CONSENT, FILE_INFO, GONE, findings_text
from mailflow.evidence import explain
from tests.bot.conftest import ConnectorStub, activity, say, send
from tests.bot.test_cards import assert_valid_posts, shown

HEADERS = (Path(__file__).parents[1] / "mailflow" / "headers" / "junked_spam.txt").read_text(encoding="utf-8")
TEAMS = {"channelId": "msteams"}


def personal(conversation: str) -> dict[str, Any]:
    return {"conversation": {"id": conversation, "conversationType": "personal"}, **TEAMS}


@dataclass
class OneDrive:
    """Plays the upload URL Teams hands out: records each PUT; /fail answers 500, /slow never in time."""

    puts: list[tuple[bytes, dict[str, str]]] = field(default_factory=list)
    url: str = ""

    async def _put(self, request: web.Request) -> web.Response:
        self.puts.append((await request.read(), dict(request.headers)))
        if request.match_info["how"] == "fail":
            return web.json_response({"error": "quota"}, status=500)
        if request.match_info["how"] == "slow":
            await asyncio.sleep(5)
        return web.json_response({"id": "item-1"}, status=201)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_put("/upload/{how}", self._put)
        return app


@pytest.fixture
async def onedrive() -> AsyncIterator[OneDrive]:
    drive = OneDrive()
    server = TestServer(drive.app(), host="127.0.0.1")
    await server.start_server()
    drive.url = str(server.make_url("/upload/"))
    yield drive
    await server.close()


def consent_of(posts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [a for post in posts for a in post.get("attachments") or () if a["contentType"] == FILE_CONSENT]


async def answer(client: TestClient, stub: ConnectorStub, conversation: str, action: str, context: Any,
                 upload_url: str | None = None) -> list[dict[str, Any]]:
    """A click on the consent card as Teams sends it: an invoke that must get 200; returns the bot's posts."""
    value: dict[str, Any] = {"type": "fileUpload", "action": action, "context": context}
    if upload_url is not None:
        value["uploadInfo"] = {"name": "mailflow-findings.txt", "uploadUrl": upload_url, "fileType": "txt",
                               "contentUrl": "https://contoso-my.sharepoint.com/personal/me/mailflow-findings.txt",
                               "uniqueId": "1150D938-8870-4044-9F2C-5BBDEBA70C8C"}
    before = len(stub.for_conversation(conversation))
    await send(client, activity(stub, conversation, type="invoke", name="fileConsent/invoke", value=value,
                                **personal(conversation)), expect=200)
    return stub.for_conversation(conversation)[before:]


async def offered(client: TestClient, stub: ConnectorStub, conversation: str) -> dict[str, Any]:
    posts = await say(client, stub, conversation, HEADERS, **personal(conversation))
    (consent,) = consent_of(posts)
    # right after the findings card, which still says how many more there are
    index = next(i for i, post in enumerate(posts) if consent_of([post]))
    assert "findings are not shown here" in shown(assert_valid_posts(posts[index - 1:index])[0])
    return consent


async def test_long_findings_in_a_personal_chat_are_offered_as_a_file(client, stub):
    consent = await offered(client, stub, "p-offer")
    report = explain(HEADERS)
    expected = findings_text(report)
    content = consent["content"]
    assert consent["name"].startswith("mailflow-findings-headers-") and consent["name"].endswith(".txt")
    assert content["sizeInBytes"] == len(expected.encode("utf-8"))
    assert f"All {len(report['findings'])} findings" in content["description"]
    assert content["acceptContext"] == content["declineContext"] == {"offer": content["acceptContext"]["offer"]}
    assert len(str(content["acceptContext"])) < 100  # the text stays in the conversation state, not in the card


async def test_accept_uploads_the_full_findings_then_shows_the_file(client, stub, onedrive):
    consent = await offered(client, stub, "p-accept")
    posts = await answer(client, stub, "p-accept", "accept", consent["content"]["acceptContext"],
                         onedrive.url + "ok")
    ((body, headers),) = onedrive.puts
    expected = findings_text(explain(HEADERS)).encode("utf-8")
    assert body == expected
    for finding in explain(HEADERS)["findings"]:
        assert f"- {finding['text']}".encode() in body
    assert headers["Content-Length"] == str(len(expected))
    assert headers["Content-Range"] == f"bytes 0-{len(expected) - 1}/{len(expected)}"
    ((info,),) = [post["attachments"] for post in posts]
    assert info == {"contentType": FILE_INFO, "name": "mailflow-findings.txt",
                    "contentUrl": "https://contoso-my.sharepoint.com/personal/me/mailflow-findings.txt",
                    "content": {"uniqueId": "1150D938-8870-4044-9F2C-5BBDEBA70C8C", "fileType": "txt"}}
    # the offer is used up: a second click on the same card uploads nothing
    again = await answer(client, stub, "p-accept", "accept", consent["content"]["acceptContext"], onedrive.url + "ok")
    assert [post["text"] for post in again] == [GONE] and len(onedrive.puts) == 1


async def test_decline_is_answered_politely_and_forgets_the_file(client, stub, onedrive):
    consent = await offered(client, stub, "p-decline")
    posts = await answer(client, stub, "p-decline", "decline", consent["content"]["declineContext"])
    assert [post["text"] for post in posts] == [DECLINED]
    late = await answer(client, stub, "p-decline", "accept", consent["content"]["acceptContext"], onedrive.url + "ok")
    assert [post["text"] for post in late] == [GONE] and not onedrive.puts


async def test_a_failed_upload_is_explained_and_can_be_retried(client, stub, onedrive, monkeypatch):
    consent = await offered(client, stub, "p-fail")
    context = consent["content"]["acceptContext"]
    (failed,) = await answer(client, stub, "p-fail", "accept", context, onedrive.url + "fail")
    assert "couldn't save the file" in failed["text"] and "HTTP 500" in failed["text"]
    monkeypatch.setattr(file_offer, "UPLOAD_TIMEOUT", 0.3)
    (slow,) = await answer(client, stub, "p-fail", "accept", context, onedrive.url + "slow")
    assert "did not answer within 0.3 seconds" in slow["text"]
    (insecure,) = await answer(client, stub, "p-fail", "accept", context, "http://onedrive.example/upload")
    assert "not https" in insecure["text"]
    assert len(onedrive.puts) == 2  # nothing is sent in clear text beyond loopback
    (retried,) = await answer(client, stub, "p-fail", "accept", context, onedrive.url + "ok")
    assert retried["attachments"][0]["contentType"] == FILE_INFO


async def test_an_offer_replaced_by_a_newer_one_is_gone(client, stub, onedrive):
    first = await offered(client, stub, "p-newer")
    await offered(client, stub, "p-newer")
    posts = await answer(client, stub, "p-newer", "accept", first["content"]["acceptContext"], onedrive.url + "ok")
    assert [post["text"] for post in posts] == [GONE] and not onedrive.puts


@pytest.mark.parametrize("where", [
    {"conversation": {"id": "g-1", "conversationType": "groupChat", "isGroup": True}, **TEAMS},
    {"conversation": {"id": "g-1", "conversationType": "channel", "isGroup": True}, **TEAMS},
    {"conversation": {"id": "g-1", "conversationType": "personal"}, "channelId": "webchat"},
])
async def test_no_file_offer_outside_a_personal_teams_chat(client, stub, where):
    posts = await say(client, stub, "g-1", HEADERS, **where)
    assert posts and not consent_of(posts)


async def test_short_findings_get_no_offer(client, stub):
    posts = await say(client, stub, "p-short", "550 5.1.1 RESOLVER.ADR.RecipNotFound; not found",
                      **personal("p-short"))
    assert posts and not consent_of(posts)
    assert_valid_posts(posts)


def test_a_huge_file_is_cut_at_one_megabyte():
    data = file_offer.capped("é" * 2_000_000)
    assert len(data) <= file_offer.MAX_FILE_BYTES
    assert data.decode("utf-8").endswith(file_offer.CUT)


async def test_a_malformed_consent_invoke_still_gets_200_and_changes_nothing(client, stub, onedrive):
    consent = await offered(client, stub, "p-odd")
    for value in ("junk", {"action": "maybe"}, {"action": "accept", "context": "x"}, {"action": "accept"}):
        await send(client, activity(stub, "p-odd", type="invoke", name="fileConsent/invoke", value=value,
                                    **personal("p-odd")), expect=200)
    no_info = await answer(client, stub, "p-odd", "accept", consent["content"]["acceptContext"])
    assert "no upload address" in no_info[0]["text"]
    posts = await answer(client, stub, "p-odd", "accept", consent["content"]["acceptContext"], onedrive.url + "ok")
    assert posts[0]["attachments"][0]["contentType"] == FILE_INFO
    # other invokes are left to the SDK as before
    await send(client, activity(stub, "p-odd", type="invoke", name="composeExtension/query", value={},
                                **personal("p-odd")), expect=501)
