"""Files people attach in Teams (a bounce .eml, a trace .csv, a protocol .log): fetched, size-bounded, as text.

Teams puts a file's download address in a ``file.download.info`` attachment; other channels give a
``contentUrl``. Only http(s), at most MAX_BYTES, within TIMEOUT seconds: the bot fetches no more than that.
"""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp
from botbuilder.schema import Activity

from mailflow.evidence import decode

TEAMS_FILE = "application/vnd.microsoft.teams.file.download.info"
TEXT_TYPES = ("text/", "message/rfc822", "application/octet-stream", "application/vnd.ms-outlook")
MAX_BYTES = 1_000_000
TIMEOUT = 10.0


@dataclass(frozen=True)
class Fetched:
    text: str | None = None
    problem: str | None = None  # a sentence for the person when the file could not be read


def _url(activity: Activity) -> tuple[str, str] | None:
    for attachment in activity.attachments or []:
        name = attachment.name or "the attachment"
        if attachment.content_type == TEAMS_FILE and isinstance(attachment.content, dict):
            url = attachment.content.get("downloadUrl")
        elif attachment.content_url and (attachment.content_type or "").startswith(TEXT_TYPES):
            url = attachment.content_url
        else:
            continue
        if isinstance(url, str) and url.startswith(("https://", "http://")):
            return url, name
    return None


async def fetch_attachment(activity: Activity) -> Fetched | None:
    """The first readable attachment's text; None when the activity carries no file."""
    found = _url(activity)
    if found is None:
        return None
    url, name = found
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TIMEOUT)) as http, \
                http.get(url) as response:
            if response.status != 200:
                return Fetched(problem=f"I couldn't download {name} (HTTP {response.status}); paste its text instead.")
            data = await response.content.read(MAX_BYTES + 1)
    except (aiohttp.ClientError, TimeoutError):
        return Fetched(problem=f"I couldn't download {name}; paste its text instead.")
    if len(data) > MAX_BYTES:
        return Fetched(problem=f"{name} is larger than {MAX_BYTES // 1_000_000} MB; send the relevant part instead.")
    return Fetched(text=decode(data))
