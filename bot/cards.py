"""Adaptive Cards (1.5, what Teams renders) for the engine's replies: which card a reply gets, and its size.

Each kind of card is built by its own module (bot/cards_*.py); this one picks the builder, stamps the
answer buttons with the step they answer, and keeps every card under Teams' message size limit.
"""

from __future__ import annotations

import json
from typing import Any

from bot.cards_elements import SHORTENED, Element, shorten, text
from dialogs.replies import Choice, Reply

CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
VERSION = "1.5"
# Teams refuses a message larger than about 28 KB (the whole activity). The card gets most of it; the rest is
# the activity's envelope (ids, addresses, conversation), which stays well under 4 KB.
MAX_ACTIVITY_BYTES = 28 * 1024
MAX_CARD_BYTES = 24 * 1024
BUTTON_TITLE = 45  # characters of a button's title; longer answers are listed in full above the buttons


def card(body: list[Element], actions: list[Element] | None = None) -> dict[str, Any]:
    content: dict[str, Any] = {"type": "AdaptiveCard", "version": VERSION,
                               "$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "body": body}
    if actions:
        content["actions"] = actions
    return fit(content)


def submit(choice: Choice, step: str, title: str | None = None) -> Element:
    """A button that answers the current step: ``choice`` is what the engine expects, ``step`` dates the card."""
    data = {"choice": choice.value, "step": step} if step else {"choice": choice.value}
    return {"type": "Action.Submit", "title": title or choice.label, "data": data, "associatedInputs": "none"}


def choice_buttons(choices: tuple[Choice, ...], step: str) -> list[Element]:
    """One button per line (Teams squeezes a row of long buttons); long answers are also written out in full."""
    long = any(len(c.label) > BUTTON_TITLE for c in choices)
    elements: list[Element] = []
    if long:
        elements += [text(f"{i}. {c.label}", spacing="Small") for i, c in enumerate(choices, 1)]
    for i, c in enumerate(choices, 1):
        title = f"{i}. {shorten(c.label, BUTTON_TITLE, ' …')}" if long else c.label  # in full above
        elements.append({"type": "ActionSet", "actions": [submit(c, step, title)], "spacing": "Small"})
    return elements


def size(content: Any) -> int:
    return len(json.dumps(content, ensure_ascii=False).encode("utf-8"))


def fit(content: dict[str, Any], limit: int = MAX_CARD_BYTES) -> dict[str, Any]:
    """Shorten the longest texts (never the buttons' data) until the card is under ``limit`` bytes."""
    while size(content) > limit:
        strings = list(_texts(content))
        if not strings:
            break
        holder, key = max(strings, key=lambda hk: len(hk[0][hk[1]]))
        value = holder[key]
        if len(value) <= 80:
            break  # nothing long is left: the card is made of many small parts, which the builders cap
        keep = max(80, len(value) // 2)
        holder[key] = value[: keep - len(SHORTENED)].rstrip() + SHORTENED
    return content


def _texts(node: Any) -> Any:
    """(dict, key) of every text a person reads: TextBlock text, fact values, input values."""
    if isinstance(node, dict):
        if node.get("type") in ("TextBlock", "Input.Text"):
            key = "text" if node["type"] == "TextBlock" else "value"
            if isinstance(node.get(key), str):
                yield node, key
        if "title" in node and "value" in node and "type" not in node:  # a fact
            yield node, "value"
        for key, value in node.items():
            if key != "data":
                yield from _texts(value)
    elif isinstance(node, list):
        for item in node:
            yield from _texts(item)


def card_for(reply: Reply) -> dict[str, Any] | None:
    """The card for one reply, or None when plain text says it best (notices, help, glossary)."""
    from bot import cards_checks, cards_evidence, cards_outcome, cards_path, cards_question, cards_summary

    if reply.kind == "question":
        return cards_question.question_card(reply)
    if reply.kind == "outcome":
        return cards_outcome.outcome_card(reply)
    if reply.kind == "summary" and reply.summary is not None:
        return cards_summary.summary_card(reply)
    if reply.kind == "checks":
        return cards_checks.checks_card(reply)
    if reply.kind == "evidence":
        return cards_evidence.evidence_card(reply)
    if reply.path is not None:
        return cards_path.path_card(reply)
    return None
