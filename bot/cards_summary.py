"""The case summary card: facts, steps, conclusion and who acts next, plus the same as plain text for a ticket.

The plain text (CaseSummary.to_text, what the console prints) sits in a text box behind "Text for a ticket",
where it can be selected and copied in one go.
"""

from __future__ import annotations

from typing import Any

from bot.cards import VERSION, card, choice_buttons
from bot.cards_elements import Element, bullets, compact, facts, heading, label, shorten, text
from dialogs.replies import Reply

MAX_STEPS = 25  # the latest steps are shown; the ticket text keeps them all
TICKET_INPUT = "ticket_text"


def summary_card(reply: Reply) -> dict[str, Any]:
    summary = reply.summary
    assert summary is not None
    body: list[Element] = compact([heading(reply.text or "Case summary"), text(f"Scenario: {summary.scenario}"),
                                   facts(summary.facts)])
    if summary.steps:
        body.append(label("Steps"))
        hidden = max(0, len(summary.steps) - MAX_STEPS)
        if hidden:
            body.append(text(f"({hidden} earlier steps are in the ticket text)", isSubtle=True, spacing="Small"))
        body += [text(f"{i}. {shorten(step.question, 120)} → {shorten(step.answer, 160)}", spacing="Small")
                 for i, step in enumerate(summary.steps, 1) if i > hidden]
    body += [label("Conclusion"), text(summary.conclusion), label("Who acts next"), text(summary.who)]
    if summary.evidence:
        body += [label("Evidence to attach"), *bullets(summary.evidence)]
    body += choice_buttons(reply.choices, reply.step)
    ticket = {"type": "AdaptiveCard", "version": VERSION, "body": [
        text("Select all and copy into the ticket:", isSubtle=True),
        {"type": "Input.Text", "id": TICKET_INPUT, "isMultiline": True, "value": summary.to_text(),
         "label": "Case summary as plain text"},
    ]}
    return card(body, [{"type": "Action.ShowCard", "title": "Text for a ticket", "card": ticket}])
