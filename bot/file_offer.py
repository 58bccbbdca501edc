"""Teams personal chats: the evidence findings a chat cannot show, offered as a text file (the file consent flow).

When decoded evidence has more findings than the chat shows, a FileConsentCard goes out next to the findings
card. Accepting it makes Teams send a ``fileConsent/invoke`` with an upload URL in the person's OneDrive; the
bot PUTs the file there and posts a FileInfoCard that opens it.

Where the text waits in between: in its own store item next to the conversation's record (only the latest
offer, at most MAX_FILE_BYTES, forgotten once accepted or declined, or after OFFER_TTL), so the record every
turn reads and writes stays a few KB. The card's accept/decline contexts carry only the
offer's id. Teams echoes those contexts back, so they could carry the text itself, but the card has to fit in
one message (about 28 KB with everything else) and a few hundred findings do not; one path for every size is
simpler and safer than two, and the id tells a click on an older card from one on the current card.
"""

from __future__ import annotations

import asyncio
import datetime
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import aiohttp
from botbuilder.core import TurnContext
from botbuilder.schema import Activity, ActivityTypes, Attachment

from bot.settings import is_allowed_url
from bot.storage import E_TAG, JsonStorage
from bot.turn_store import conversation_key
from dialogs.evidence import MAX_EVIDENCE, SHOWN_FINDINGS
from dialogs.replies import Reply
from mailflow.evidence import explain, recognised

FILE_CONSENT = "application/vnd.microsoft.teams.card.file.consent"
FILE_INFO = "application/vnd.microsoft.teams.card.file.info"
INVOKE_NAME = "fileConsent/invoke"
OFFER_ITEM = "/findings-file"  # appended to the conversation's key
MAX_FILE_BYTES = 1024 * 1024
OFFER_TTL = 3600.0  # seconds an offer stays open
UPLOAD_TIMEOUT = 10.0  # seconds for the PUT to OneDrive (Teams waits about 15 s for the invoke's answer)
CUT = "\n[cut at 1 MB: run `mailflow explain` on the same text for the rest]\n"

DECLINED = "All right, no file. The chat keeps the first findings; `mailflow explain` on the same text lists them all."
GONE = "That file offer has expired or was replaced by a newer one; paste the evidence again for a fresh offer."
UPLOAD_FAILED = ("Sorry, I couldn't save the file to your OneDrive ({why}). Click Allow again to retry, or run "
                 "`mailflow explain` on the same text to read every finding.")


def personal_teams_chat(activity: Activity) -> bool:
    """Files can be offered only in a one-to-one chat with the bot."""
    conversation = activity.conversation
    return activity.channel_id == "msteams" and conversation is not None \
        and conversation.conversation_type == "personal"


def findings_text(report: Mapping[str, Any]) -> str:
    """The report as ``mailflow explain`` prints it: kind, key facts, then every finding."""
    lines = [f"Kind: {report.get('kind') or 'not recognised'}"]
    for key in ("status", "smtp_code", "who", "hop", "verdict", "layout", "log_type"):
        if report.get(key) not in (None, "", []):
            lines.append(f"{key.replace('_', ' ').capitalize()}: {report[key]}")
    for finding in report.get("findings", []):
        lines.append(f"- {finding.get('text', finding) if isinstance(finding, dict) else finding}")
    return "\n".join(lines) + "\n"


def capped(text: str, limit: int = MAX_FILE_BYTES) -> bytes:
    data = text.encode("utf-8")
    if len(data) <= limit:
        return data
    tail = CUT.encode("utf-8")
    return data[: limit - len(tail)].decode("utf-8", "ignore").encode("utf-8") + tail


@dataclass(frozen=True)
class Offer:
    """One file offered to the person; ``text`` is the whole file."""

    id: str
    name: str
    text: str
    findings: int
    expires: float  # time.time()

    @classmethod
    def from_state(cls, stored: Any) -> Offer | None:
        try:
            return cls(**stored) if isinstance(stored, dict) else None
        except TypeError:  # saved by another version
            return None


def _hidden_findings(replies: Sequence[Reply]) -> Reply | None:
    """The evidence reply whose list is full, i.e. the decoder may have found more than the chat shows."""
    for reply in replies:
        bullets = sum(line.startswith("- ") for line in reply.text.splitlines())
        if reply.kind == "evidence" and bullets >= SHOWN_FINDINGS:
            return reply
    return None


async def make_offer(text: str, replies: Sequence[Reply]) -> tuple[Reply, Offer] | None:
    """The evidence reply and the file of its full findings, when the chat showed only some of them."""
    reply = _hidden_findings(replies)
    if reply is None:
        return None
    report = await asyncio.to_thread(explain, text[:MAX_EVIDENCE])  # as the engine read it; off the event loop
    findings = report.get("findings") or []
    if not recognised(report) or len(findings) <= SHOWN_FINDINGS:
        return None
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%d-%H%M%S")
    body = capped(findings_text(report)).decode("utf-8")
    return reply, Offer(uuid.uuid4().hex, f"mailflow-findings-{report.get('kind')}-{stamp}.txt", body,
                        len(findings), time.time() + OFFER_TTL)


def consent_card(offer: Offer) -> Attachment:
    context = {"offer": offer.id}
    return Attachment(content_type=FILE_CONSENT, name=offer.name, content={
        "description": f"All {offer.findings} findings as a text file, saved to your OneDrive.",
        "sizeInBytes": len(offer.text.encode("utf-8")), "acceptContext": context, "declineContext": context})


def file_info_card(upload_info: Mapping[str, Any]) -> Attachment:
    return Attachment(content_type=FILE_INFO, content_url=upload_info.get("contentUrl"),
                      name=upload_info.get("name"),
                      content={"uniqueId": upload_info.get("uniqueId"), "fileType": upload_info.get("fileType")})


async def upload(url: str, data: bytes) -> str | None:
    """PUT the whole file to Teams' upload URL; None when it worked, else why not (for the person)."""
    if not is_allowed_url(url):
        return "the upload address Teams gave is not https"
    size = len(data)
    headers = {"Content-Length": str(size), "Content-Range": f"bytes 0-{size - 1}/{size}"}
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=UPLOAD_TIMEOUT)) as http, \
                http.put(url, data=data, headers=headers, allow_redirects=False) as response:
            if response.status not in (200, 201):
                return f"OneDrive answered HTTP {response.status}"
    except TimeoutError:
        return f"OneDrive did not answer within {UPLOAD_TIMEOUT:g} seconds"
    except (aiohttp.ClientError, ValueError):  # ValueError: a malformed URL
        return "OneDrive could not be reached"
    return None


class FileOffers:
    """The latest offer of each conversation, in its own store item (written as is: the newest offer wins)."""

    def __init__(self, storage: JsonStorage) -> None:
        self.storage = storage

    @staticmethod
    def _key(turn_context: TurnContext) -> str:
        return conversation_key(turn_context.activity) + OFFER_ITEM

    async def offer_for(self, turn_context: TurnContext, text: str, replies: Sequence[Reply]) -> \
            tuple[Reply, Activity] | None:
        """The consent card to send after the evidence reply (personal Teams chats only); remembers the offer."""
        if not text or not personal_teams_chat(turn_context.activity):
            return None
        made = await make_offer(text, replies)
        if made is None:
            return None
        reply, offer = made
        await self.storage.write({self._key(turn_context): asdict(offer)})
        return reply, Activity(type=ActivityTypes.message, attachments=[consent_card(offer)])

    async def answer(self, turn_context: TurnContext) -> None:
        """A click on a consent card: upload on accept, a polite word on decline, never an exception."""
        value = turn_context.activity.value if isinstance(turn_context.activity.value, dict) else {}
        context = value.get("context")
        offer_id = context.get("offer") if isinstance(context, dict) else None
        action = value.get("action")
        if action not in ("accept", "decline"):
            return  # not a consent click (Teams sends only these two): nothing to say
        key = self._key(turn_context)
        stored = (await self.storage.read([key])).get(key)
        offer = Offer.from_state({k: v for k, v in stored.items() if k != E_TAG} if stored else None)
        current = offer is not None and offer.id == offer_id and offer.expires > time.time()
        if action == "decline":
            if current:
                await self.storage.delete([key])
            await turn_context.send_activity(DECLINED)
            return
        info = value.get("uploadInfo")
        url = info.get("uploadUrl") if isinstance(info, dict) else None
        if not current or offer is None:
            await turn_context.send_activity(GONE)
            return
        if not isinstance(info, dict) or not isinstance(url, str):
            await turn_context.send_activity(UPLOAD_FAILED.format(why="Teams sent no upload address"))
            return
        problem = await upload(url, offer.text.encode("utf-8"))
        if problem:
            await turn_context.send_activity(UPLOAD_FAILED.format(why=problem))
            return
        await self.storage.delete([key])
        await turn_context.send_activity(Activity(type=ActivityTypes.message, attachments=[file_info_card(info)]))
