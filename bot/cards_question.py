"""The question card: the step's explanation, the facts it uses, its commands, and one button per answer.

A step that asks for a fact (an address, a date) gets a text box; the answer buttons and the box's Send
button carry the step's token, so the bot can tell a click on an older card from an answer to this one.
"""

from __future__ import annotations

from typing import Any

from bot.cards import card, choice_buttons
from bot.cards_elements import Element, commands, compact, facts, heading, label, text
from dialogs.replies import Reply

ANSWER_INPUT = "text"  # the submit key the bot reads a typed answer from
WELCOME = ("Hello! I help you find out why an email did not arrive, one question at a time. Pick what fits "
           "below or describe the problem in a message; paste a bounce or message headers whenever you have "
           "them. Type 'help' at any time to see what else I understand.")


def question_card(reply: Reply, *, welcome: bool = False) -> dict[str, Any]:
    body: list[Element] = compact([
        heading("Mail flow assistant") if welcome else None,
        text(WELCOME) if welcome else None,
        heading(reply.title) if reply.title else None,
        text(reply.text) if reply.text else None,
        facts(reply.facts),
    ])
    if reply.commands:
        body += compact([label("Run:"), commands(reply.commands)])
    if reply.ask:
        body.append(text(reply.ask, weight="Bolder", spacing="Medium"))
    if not reply.choices or reply.choices[0].value == "skip":
        body += _answer_box(reply)
    body += choice_buttons(reply.choices, reply.step)
    return card(body)


def _answer_box(reply: Reply) -> list[Element]:
    """A text box and its Send button: the typed value arrives as ``text`` next to the step's token."""
    data = {"step": reply.step} if reply.step else {}
    send = {"type": "Action.Submit", "title": "Send", "data": data, "style": "positive"}
    return [{"type": "Input.Text", "id": ANSWER_INPUT, "placeholder": "Type your answer", "maxLength": 2000,
             "label": "Your answer"},
            {"type": "ActionSet", "actions": [send], "spacing": "Small"}]
