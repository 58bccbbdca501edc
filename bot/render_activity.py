"""Rendering the engine's replies as Bot Framework activities: Adaptive Cards on Teams, markdown text elsewhere.

Pure: no I/O, so the HTTP channel and the console's transcript writer render identically.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from botbuilder.schema import (
    ActionTypes,
    Activity,
    ActivityTypes,
    Attachment,
    CardAction,
    HeroCard,
    SuggestedActions,
    TextFormatTypes,
)

from bot.cards import CONTENT_TYPE, card_for
from bot.cards_question import question_card
from dialogs.replies import Choice, Reply
from mailflow.verdict import Verdict

TEAMS = "msteams"
HERO_CARD = "application/vnd.microsoft.card.hero"
# Teams shows at most six buttons on a hero card; longer menus are split over several cards.
TEAMS_MAX_BUTTONS = 6
VERDICT_MARKS = {Verdict.OK: "✅", Verdict.WARNING: "⚠️", Verdict.ERROR: "❌", Verdict.NOT_FOUND: "➖",
                 Verdict.UNCHECKED: "❔"}


def reply_to_activity(reply: Reply, channel_id: str) -> Activity:
    """One reply as one message activity: on Teams an Adaptive Card where one fits; elsewhere markdown with
    suggested actions. Replies that stay text on Teams (notices, help) get a hero card for any choices."""
    if channel_id == TEAMS and (content := card_for(reply)) is not None:
        return card_activity(content)
    activity = Activity(type=ActivityTypes.message, text=reply_markdown(reply), text_format=TextFormatTypes.markdown)
    if reply.choices:
        if channel_id == TEAMS:
            activity.attachments = hero_cards(reply.choices)
        else:
            activity.suggested_actions = SuggestedActions(actions=_buttons(reply.choices))
    return activity


def welcome_activity(reply: Reply, channel_id: str) -> Activity:
    """The welcome on install: on Teams the start menu's question card under a greeting."""
    if channel_id == TEAMS and reply.kind == "question":
        return card_activity(question_card(reply, welcome=True))
    return reply_to_activity(reply, channel_id)


def card_activity(content: dict[str, Any]) -> Activity:
    return Activity(type=ActivityTypes.message, attachments=[Attachment(content_type=CONTENT_TYPE, content=content)])


def reply_markdown(reply: Reply) -> str:
    """The reply's text as markdown blocks; commands and the case summary stay verbatim in code blocks."""
    blocks: list[str] = []
    if reply.title:
        blocks.append(f"**{escape(reply.title)}**")
    if reply.text:
        blocks.append(f"**{escape(reply.text)}**" if reply.kind == "summary" else escape(reply.text))
    if reply.rows:
        blocks.append(_bullets(f"{VERDICT_MARKS[row.verdict]} {row.name}: {row.summary}" for row in reply.rows))
    if reply.facts:
        blocks.append("Using:\n" + _bullets(f"{label}: {value}" for label, value in reply.facts))
    if reply.commands:
        blocks.append("Run:\n" + code_block(reply.commands))
    if reply.ask:
        blocks.append(f"**{escape(reply.ask)}**")
    if reply.evidence:
        blocks.append("Collect first:\n" + _bullets(reply.evidence))
    if reply.summary:
        blocks.append(code_block(reply.summary.to_text().splitlines()))
    if reply.choices:
        blocks.append("\n".join(f"{i}. {escape(choice.label)}" for i, choice in enumerate(reply.choices, 1)))
    return "\n\n".join(blocks)


def hero_cards(choices: Sequence[Choice]) -> list[Attachment]:
    """Teams buttons: imBack with the label as value, so the chat shows what was picked and the engine reads it."""
    chunks = [choices[i:i + TEAMS_MAX_BUTTONS] for i in range(0, len(choices), TEAMS_MAX_BUTTONS)]
    return [Attachment(content_type=HERO_CARD, content=HeroCard(buttons=_buttons(chunk))) for chunk in chunks]


def code_block(lines: Iterable[str]) -> str:
    body = "\n".join(lines).replace("```", "'''")
    return f"```\n{body}\n```"


def escape(text: str) -> str:
    """Keep '<our domain>'-style text visible: markdown renderers (Teams, Web Chat) treat it as an HTML tag."""
    return text.replace("<", "&lt;")


def _bullets(items: Iterable[str]) -> str:
    return "\n".join(f"- {escape(item)}" for item in items)


def _buttons(choices: Iterable[Choice]) -> list[CardAction]:
    return [CardAction(type=ActionTypes.im_back, title=c.label, value=c.label) for c in choices]
