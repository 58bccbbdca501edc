"""The evidence findings card: the verdict on a pasted bounce, headers, trace or log, and its findings.

The engine already picks the few findings a chat can show; long ones are cut here, and the card says how
to read everything in full on the command line.
"""

from __future__ import annotations

from typing import Any

from bot.cards import card
from bot.cards_elements import SHORTENED, Element, bullets, heading, text
from dialogs.replies import Reply

FINDING = 500  # characters of one finding on the card
IN_FULL = "Every finding in full: save what you pasted to a file and run `mailflow explain FILE`."


def evidence_card(reply: Reply) -> dict[str, Any]:
    lines = [line for line in reply.text.splitlines() if line.strip()]
    findings = [line[2:] for line in lines if line.startswith("- ")]
    others = [line for line in lines if not line.startswith("- ")]
    verdict, notes = (others[0], others[1:]) if others and not lines[0].startswith("- ") else ("", others)
    body: list[Element] = [heading(reply.title or "Evidence")]
    if verdict:
        body.append(text(verdict, weight="Bolder"))
    shown = bullets(findings, FINDING)
    body += shown
    body += [text(note, isSubtle=True) for note in notes]
    if notes or any(item["text"].endswith(SHORTENED) for item in shown):
        body.append(text(IN_FULL, isSubtle=True, spacing="Medium"))
    return card(body)
