"""The Bot Framework bot: activities in, engine turns, activities out; the case lives in the conversation's
record in the store (bot/turn_store.py)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from botbuilder.core import ActivityHandler, InvokeResponse, TurnContext
from botbuilder.schema import Activity, ActivityTypes, ChannelAccount

from bot.attachments import fetch_attachment
from bot.file_offer import INVOKE_NAME, FileOffers
from bot.render_activity import TEAMS, reply_to_activity, welcome_activity
from bot.storage import JsonStorage
from bot.turn_store import SEEN, Change, Record, TurnStore, conversation_key, mark_seen
from dialogs.replies import Reply
from dialogs.session import Session

CASE = "case"  # the engine's state (dialogs/conversation.py) in the record
WELCOMED = "welcomed"  # the step token the welcome card was sent at, so Teams' double notice greets once
_MENTION = re.compile(r"<at[^>]*>(.*?)</at>", re.IGNORECASE | re.DOTALL)
_LEADING_MENTION = re.compile(r"^\s*<at[^>]*>.*?</at>", re.IGNORECASE | re.DOTALL)
_SUBMIT_KEYS = ("choice", "text")
STALE = ("That button belongs to an earlier question, so I've ignored it and left the case as it was. "
         "Here is the current question again:")


def kept(record: Record) -> dict[str, Any]:
    """The record's data without what an earlier release kept there and this one does not use."""
    return {key: value for key, value in record.data.items() if key in (CASE, WELCOMED, SEEN)}


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
    """Runs one engine turn per message over the conversation's record in the store (bot/turn_store.py).

    A turn decides its replies and new state, stores the state only if nobody changed it meanwhile (else it
    decides again), then sends. If sending fails the store is put back, so the channel's retry resumes at the
    same step; an activity id the record has already answered is not answered again."""

    def __init__(self, session: Session, storage: JsonStorage) -> None:
        self.session = session
        self.engine = session.engine
        self.store = TurnStore(storage)
        self.files = FileOffers(storage)
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    async def on_turn(self, turn_context: TurnContext) -> None:
        # Two quick clicks in one conversation on this instance wait for each other instead of racing in the store.
        async with self._one_turn_at_a_time(conversation_key(turn_context.activity)):
            await super().on_turn(turn_context)

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        data = submitted(activity)
        step = data.get("step") if data is not None else None
        text = user_text(activity)
        if not text and data is None and (fetched := await fetch_attachment(activity)) is not None:
            if fetched.problem:
                await turn_context.send_activity(fetched.problem)
                return
            text = fetched.text or ""

        async def show_then_type(replies: list[Reply]) -> None:
            # A live check is about to run: say so now and keep Teams' typing indicator on meanwhile.
            await self._send(turn_context, replies)
            await turn_context.send_activity(Activity(type=ActivityTypes.typing))

        async def decide(record: Record, attempt: int) -> Change[list[Reply]]:
            if record.seen(activity.id):
                return Change(None, [])  # redelivered: answered already
            stored = record.data.get(CASE)
            if isinstance(step, str) and step != self.engine.step_token(stored):
                # A click on an older card: answering it would apply the answer to whatever step we are at now.
                return Change(None, [Reply(STALE, kind="notice"), *self.engine.current(stored)])
            # A retry after a lost race runs the turn again; what was shown before its check is not shown twice.
            result = await self.session.turn(stored, text, key=record.key,
                                             show=show_then_type if attempt == 0 else None)
            return Change(mark_seen({**kept(record), CASE: result.state}, activity.id), result.replies)

        replies, undo = await self._change(turn_context, decide)
        try:
            # Personal Teams chats: findings the chat cannot show are offered as a file, next to the findings card.
            offer = await self.files.offer_for(turn_context, text, replies)
            await self._send(turn_context, replies, offer)
        except Exception:
            await undo()
            raise

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse | None:
        """Teams' file consent answer is handled here (always 200); other invokes as the SDK does."""
        if turn_context.activity.name == INVOKE_NAME:
            await self.files.answer(turn_context)
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

        async def decide(record: Record, _attempt: int) -> Change[list[Reply]]:
            stored = record.data.get(CASE)
            fresh = stored is None or self.engine.step_token(stored if isinstance(stored, dict) else None) == token
            if fresh and record.data.get(WELCOMED) == token:
                return Change(None, [])  # the other of Teams' two install notices already greeted this conversation
            return Change({**kept(record), CASE: start.state, WELCOMED: token}, start.replies)

        replies, undo = await self._change(turn_context, decide)
        if replies:
            channel = turn_context.activity.channel_id or ""
            try:
                await turn_context.send_activities([welcome_activity(reply, channel) for reply in replies])
            except Exception:
                await undo()
                raise

    async def _change(self, turn_context: TurnContext,
                      decide: Callable[[Record, int], Awaitable[Change[list[Reply]]]]) \
            -> tuple[list[Reply], Callable[[], Awaitable[None]]]:
        """Run ``decide`` on the conversation's record until its change is stored; the replies, and how to undo
        the change if they cannot be delivered."""
        return await self.store.change_undoably(conversation_key(turn_context.activity), decide)

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
