"""The outcome card: the conclusion, what to do, what to collect, and the mail path with its stop marked."""

from __future__ import annotations

from typing import Any

from bot.cards import card
from bot.cards_elements import Element, bullets, commands, compact, facts, heading, label, text
from bot.cards_path import path_elements
from dialogs.replies import Reply


def outcome_card(reply: Reply) -> dict[str, Any]:
    body: list[Element] = compact([heading(reply.title) if reply.title else None, text(reply.text),
                                   facts(reply.facts)])
    if reply.commands:
        body += compact([label("Run:"), commands(reply.commands)])
    if reply.evidence:
        body += [label("Collect first:"), *bullets(reply.evidence)]
    if reply.path is not None:
        body += path_elements(reply.path)
    return card(body)
