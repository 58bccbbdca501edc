"""The Bot Framework bot: activities in, engine turns, activities out; the case lives in ConversationState."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from botbuilder.core import ActivityHandler, ConversationState, InvokeResponse, TurnContext
from botbuilder.schema import Activity, ActivityTypes, ChannelAccount

from bot.attachments import fetch_attachment
from bot.file_offer import INVOKE_NAME, FileOffers
from bot.render_activity import TEAMS, reply_to_activity, welcome_activity
from dialogs.replies import Reply
from dialogs.session import Session

CASE_PROPERTY = "case"
WELCOMED_PROPERTY = "welcomed"  # the step token the welcome card was sent at, so Teams' double notice greets once
_MENTION = re.compile(r"<at[^>]*>(.*?)</at>", re.IGNORECASE | re.DOTALL)
_LEADING_MENTION = re.compile(r"^\s*<at[^>]*>.*?</at>", re.IGNORECASE | re.DOTALL)
_SUBMIT_KEYS = ("choice", "text")
STALE = ("That button belongs to an earlier question, so I've ignored it and left the case as it was. "
         "Here is the current question again:")


def user_text(activity: Activity) -> str:
    """What the person said: the bot's mention removed, or a card submit's ``choice``/``text`` value."""
    text = without_bot_mention(activity)
    if not text.strip() and isinstance(activity.value, dict):
        text = next((v for k in _SUBMIT_KEYS if isinstance(v := activity.value.get(k), str) and v.strip()), "")
    return text.strip()


def without_bot_mention(activity: Activity) -> str:
    """The text with the bot's ``<at>`` mention taken out; other people's mentions keep just their names.

    Channels and group chats reach the bot only through a mention, which Teams describes in a "mention" entity
    (what TurnContext.remove_recipient_mention reads; its regex version also removes the bare name elsewhere in
    the text, so the entity's exact text is removed here). Without such an entity a leading mention is the bot's.
    """
    text = activity.text or ""
    bot_id = activity.recipient.id if activity.recipient else None
    removed = False
    for entity in activity.entities or ():
        props = getattr(entity, "additional_properties", None) or {}
        mentioned = props.get("mentioned") or {}
        if (entity.type or "").lower() == "mention" and isinstance(mentioned, dict) and mentioned.get("id") == bot_id:
            tag = props.get("text")
            if isinstance(tag, str) and tag and tag in text:
                text, removed = text.replace(tag, " "), True
    if not removed:
        text = _LEADING_MENTION.sub(" ", text)
    return _MENTION.sub(r"\1", text).strip()


def submitted(activity: Activity) -> dict[str, Any] | None:
    """A card submit's data (Teams: ``value`` and no text), else None."""
    return activity.value if isinstance(activity.value, dict) and not (activity.text or "").strip() else None


class MailflowBot(ActivityHandler):
    """Runs one engine turn per message; state is written only after the replies were delivered."""

    def __init__(self, session: Session, conversation_state: ConversationState) -> None:
        self.session = session
        self.engine = session.engine
        self.conversation_state = conversation_state
        self.case = conversation_state.create_property(CASE_PROPERTY)
        self.welcomed = conversation_state.create_property(WELCOMED_PROPERTY)
        self.files = FileOffers(conversation_state)
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    async def on_turn(self, turn_context: TurnContext) -> None:
        # Two quick clicks in one conversation must not both start from the same stored state.
        activity = turn_context.activity
        key = f"{activity.channel_id}/{activity.conversation.id if activity.conversation else ''}"
        async with self._one_turn_at_a_time(key):
            await super().on_turn(turn_context)

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        stored: Any = await self.case.get(turn_context)
        stored = stored if isinstance(stored, dict) else None
        activity = turn_context.activity
        data = submitted(activity)
        step = data.get("step") if data is not None else None
        if isinstance(step, str) and step != self.engine.step_token(stored):
            # A click on an older card: answering it would apply the answer to whatever step we are at now.
            await self._send(turn_context, [Reply(STALE, kind="notice"), *self.engine.current(stored)])
            return

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
        result = await self.session.turn(stored, text,
                                         key=f"{activity.channel_id}/{activity.conversation.id}",
                                         show=show_then_type)
        # Personal Teams chats: findings the chat cannot show are offered as a file, next to the findings card.
        offer = await self.files.offer_for(turn_context, text, result.replies)
        await self._send(turn_context, result.replies, offer)
        # Only now: if delivery failed above, the stored case is untouched and a retry resumes at the same step.
        await self.case.set(turn_context, result.state)
        await self.conversation_state.save_changes(turn_context)

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse | None:
        """Teams' file consent answer is handled here (always 200); other invokes as the SDK does."""
        if turn_context.activity.name == INVOKE_NAME:
            await self.files.answer(turn_context)
            await self.conversation_state.save_changes(turn_context)
            return InvokeResponse(status=200)
        return await super().on_invoke_activity(turn_context)

    async def on_members_added_activity(self, members_added: list[ChannelAccount], turn_context: TurnContext) -> None:
        """Teams: welcome when the bot itself was added (not each time someone joins a team); elsewhere greet
        the person who opened the chat, as the emulator and Web Chat expect."""
        bot_id = turn_context.activity.recipient.id if turn_context.activity.recipient else None
        if turn_context.activity.channel_id == TEAMS:
            if any(member.id == bot_id for member in members_added or ()):
                await self._welcome(turn_context)
        elif any(member.id != bot_id for member in members_added or ()):
            await self._send(turn_context, self.engine.start().replies)

    async def on_installation_update_add(self, turn_context: TurnContext) -> None:
        """Installed (personal chat sends only this; a team or group chat also sends conversationUpdate)."""
        await self._welcome(turn_context)

    async def _welcome(self, turn_context: TurnContext) -> None:
        """The welcome card with the start menu, once per install: a case starts afresh from it."""
        start = self.engine.start()
        token = self.engine.step_token(start.state)
        stored: Any = await self.case.get(turn_context)
        fresh = stored is None or self.engine.step_token(stored if isinstance(stored, dict) else None) == token
        if fresh and await self.welcomed.get(turn_context) == token:
            return  # the other of Teams' two install notices already greeted this conversation
        channel = turn_context.activity.channel_id or ""
        await turn_context.send_activities([welcome_activity(reply, channel) for reply in start.replies])
        await self.case.set(turn_context, start.state)
        await self.welcomed.set(turn_context, token)
        await self.conversation_state.save_changes(turn_context)

    async def _send(self, turn_context: TurnContext, replies: list[Reply],
                    extra: tuple[Reply, Activity] | None = None) -> None:
        """The replies as activities; ``extra`` is an activity that goes right after one of the replies."""
        if replies:
            channel = turn_context.activity.channel_id or ""
            activities: list[Activity] = []
            for reply in replies:
                activities.append(reply_to_activity(reply, channel))
                if extra is not None and reply is extra[0]:
                    activities.append(extra[1])
            await turn_context.send_activities(activities)

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
