"""The check results card: one row per live check with a mark, a word and a colour for its verdict."""

from __future__ import annotations

from typing import Any

from bot.cards import card
from bot.cards_elements import VERDICTS, Element, shorten, text
from dialogs.checks import CheckRow
from dialogs.replies import Reply

MAX_ROWS = 30  # a live check returns a handful; anything beyond this is counted, not shown


def checks_card(reply: Reply) -> dict[str, Any]:
    body: list[Element] = [text(reply.text or "Check results", weight="Bolder")]
    body += [_row(row) for row in reply.rows[:MAX_ROWS]]
    if len(reply.rows) > MAX_ROWS:
        body.append(text(f"{len(reply.rows) - MAX_ROWS} more rows are not shown; `mailflow check` shows them all.",
                         isSubtle=True))
    return card(body)


def _row(row: CheckRow) -> Element:
    mark, word, colour = VERDICTS[row.verdict]
    return {"type": "ColumnSet", "spacing": "Small", "columns": [
        {"type": "Column", "width": "auto", "items": [text(f"{mark} {word}", weight="Bolder", color=colour)]},
        {"type": "Column", "width": "stretch", "items": [
            text(f"**{shorten(row.name, 80)}**: {shorten(row.summary, 600)}")]},
    ]}
