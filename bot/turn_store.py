"""Each conversation's record in the store, changed with optimistic concurrency (ETags).

Several instances may run turns of one conversation at once (Teams retries, two quick clicks that a load
balancer splits). A turn reads the record, decides what to say and what to keep, and writes back only if
nobody wrote in between (the ETag it read still matches); otherwise it reads again and decides again. Nothing
is sent before the write succeeds, so a lost race never shows the person two answers.

The record also remembers the ids of the last activities it answered, so a redelivered activity is answered
once. The key is the one botbuilder's ConversationState uses, so the records sit where admins expect them.
"""

from __future__ import annotations

import asyncio
import functools
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from botbuilder.schema import Activity

from bot.storage import ANY, CREATE_ONLY, E_TAG, JsonStorage, StorageConflict

MAX_SEEN = 8  # activity ids remembered per conversation (Teams redelivers within seconds, not turns later)
MAX_ATTEMPTS = 5  # reads and writes before a turn gives up on a conversation others keep changing
SEEN = "seen"  # the answered activity ids in a record
BACKOFF = 0.005  # seconds; the n-th retry waits up to n times this

T = TypeVar("T")


class StoreBusy(Exception):
    """Every attempt lost the race: the conversation was changed by others each time (HTTP 503, retry later)."""


@dataclass
class Record:
    """One conversation's stored data (without the ETag) and the ETag it was read with (None: not stored yet)."""

    key: str
    data: dict[str, Any] = field(default_factory=dict)
    etag: str | None = None

    def seen(self, activity_id: str | None) -> bool:
        return bool(activity_id) and activity_id in self.data.get(SEEN, ())


@dataclass
class Change(Generic[T]):
    """What a turn decided: the data to store (None: store nothing) and what to hand back to the caller."""

    data: dict[str, Any] | None
    result: T


def conversation_key(activity: Activity) -> str:
    """botbuilder's ConversationState key: ``{channelId}/conversations/{conversation id}``."""
    conversation = activity.conversation.id if activity.conversation else ""
    return f"{activity.channel_id}/conversations/{conversation}"


def mark_seen(data: dict[str, Any], activity_id: str | None) -> dict[str, Any]:
    """``data`` with ``activity_id`` added to the answered ids (the newest MAX_SEEN)."""
    if activity_id:
        data[SEEN] = [*[i for i in data.get(SEEN, ()) if i != activity_id], activity_id][-MAX_SEEN:]
    return data


class TurnStore:
    """Reads and conditionally writes conversation records in one of our stores (bot/storage.py)."""

    def __init__(self, storage: JsonStorage) -> None:
        self.storage = storage

    async def read(self, key: str) -> Record:
        found = (await self.storage.read([key])).get(key)
        if not isinstance(found, dict):
            return Record(key)
        data = dict(found)  # our stores hand out fresh dicts (bot/storage.py)
        etag = data.pop(E_TAG, None)
        return Record(key, data, etag if isinstance(etag, str) and etag else None)

    async def write(self, record: Record, data: dict[str, Any]) -> None:
        """Store ``data`` if the record is unchanged since ``record`` was read; StorageConflict otherwise."""
        # A record read as missing is created only if it is still missing: "*" would overwrite a record that
        # another instance created meanwhile, so a missing one is written with the store's create-only tag.
        await self.storage.write({record.key: {**data, E_TAG: record.etag or CREATE_ONLY}})

    async def change(self, key: str, decide: Callable[[Record, int], Awaitable[Change[T]]]) -> T:
        """Read, ``decide`` (given the record and the attempt number), write; again on a conflict."""
        return (await self.change_undoably(key, decide))[0]

    async def change_undoably(self, key: str, decide: Callable[[Record, int], Awaitable[Change[T]]]) \
            -> tuple[T, Callable[[], Awaitable[None]]]:
        """As :meth:`change`, and how to undo the stored change if what it decided cannot be delivered."""
        for attempt in range(MAX_ATTEMPTS):
            record = await self.read(key)
            change = await decide(record, attempt)
            if change.data is None:
                return change.result, _nothing
            try:
                await self.write(record, change.data)
            except StorageConflict:
                # Two turns that lost to each other would collide again at once: spread their retries.
                await asyncio.sleep(random.uniform(0, BACKOFF * (attempt + 1)))
                continue
            return change.result, functools.partial(self.restore, change.data, record)
        raise StoreBusy(key)

    async def restore(self, written: dict[str, Any], previous: Record) -> None:
        """Undo a write whose replies could not be delivered, unless someone else has written since."""
        current = await self.read(previous.key)
        if current.data != written:
            return
        try:
            if previous.etag is None:
                await self.storage.delete([previous.key])
            else:
                await self.storage.write({previous.key: {**previous.data, E_TAG: current.etag or ANY}})
        except StorageConflict:
            pass  # another turn got in first: its state stands


async def _nothing() -> None:
    """The undo of a turn that stored nothing."""
