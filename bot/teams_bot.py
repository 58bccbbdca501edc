"""The Bot Framework bot: activities in, engine turns, activities out; the case lives in ConversationState."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from botbuilder.core import ActivityHandler, ConversationState, TurnContext
from botbuilder.schema import Activity, ActivityTypes, ChannelAccount

from bot.attachments import fetch_attachment
from bot.render_activity import reply_to_activity
from dialogs.replies import Reply
from dialogs.session import Session

CASE_PROPERTY = "case"
_MENTION = re.compile(r"<at[^>]*>.*?</at>", re.IGNORECASE | re.DOTALL)
_SUBMIT_KEYS = ("choice", "text")


def user_text(activity: Activity) -> str:
    """What the person said: mentions of the bot removed, or a card submit's ``choice``/``text`` value."""
    text = activity.text or ""
    if not text.strip() and isinstance(activity.value, dict):
        text = next((v for k in _SUBMIT_KEYS if isinstance(v := activity.value.get(k), str) and v.strip()), "")
    return _MENTION.sub(" ", text).strip()


class MailflowBot(ActivityHandler):
    """Runs one engine turn per message; state is written only after the replies were delivered."""

    def __init__(self, session: Session, conversation_state: ConversationState) -> None:
        self.session = session
        self.engine = session.engine
        self.conversation_state = conversation_state
        self.case = conversation_state.create_property(CASE_PROPERTY)
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    async def on_turn(self, turn_context: TurnContext) -> None:
        # Two quick clicks in one conversation must not both start from the same stored state.
        activity = turn_context.activity
        key = f"{activity.channel_id}/{activity.conversation.id if activity.conversation else ''}"
        async with self._one_turn_at_a_time(key):
            await super().on_turn(turn_context)

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        stored: Any = await self.case.get(turn_context)
        activity = turn_context.activity

        async def show_then_type(replies: list[Reply]) -> None:
            # A live check is about to run: say so now and keep Teams' typing indicator on meanwhile.
            await self._send(turn_context, replies)
            await turn_context.send_activity(Activity(type=ActivityTypes.typing))

        text = user_text(activity)
        if not text and (fetched := await fetch_attachment(activity)) is not None:
            if fetched.problem:
                await turn_context.send_activity(fetched.problem)
                return
            text = fetched.text or ""
        result = await self.session.turn(stored if isinstance(stored, dict) else None, text,
                                         key=f"{activity.channel_id}/{activity.conversation.id}",
                                         show=show_then_type)
        await self._send(turn_context, result.replies)
        # Only now: if delivery failed above, the stored case is untouched and a retry resumes at the same step.
        await self.case.set(turn_context, result.state)
        await self.conversation_state.save_changes(turn_context)

    async def on_members_added_activity(self, members_added: list[ChannelAccount], turn_context: TurnContext) -> None:
        bot_id = turn_context.activity.recipient.id if turn_context.activity.recipient else None
        if any(member.id != bot_id for member in members_added or ()):
            await self._send(turn_context, self.engine.start().replies)

    async def _send(self, turn_context: TurnContext, replies: list[Reply]) -> None:
        if replies:
            channel = turn_context.activity.channel_id or ""
            await turn_context.send_activities([reply_to_activity(reply, channel) for reply in replies])

    @asynccontextmanager
    async def _one_turn_at_a_time(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(key) or (asyncio.Lock(), 0)
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)
