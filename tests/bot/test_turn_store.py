"""Conversation records changed with ETags: racing turns never lose a change, redeliveries are recognised,
and an undelivered turn is undone only if nobody wrote since. Over all three stores (Azurite for azure-blob)."""

from __future__ import annotations

import asyncio

import pytest

from bot.turn_store import MAX_SEEN, Change, Record, StoreBusy, TurnStore, mark_seen

KEY = "msteams/conversations/a:1Bc-D_e;messageid=1700000000000"


def appending(item: str):
    """A turn that adds ``item`` to the record's list, yielding to the loop in between like a real turn."""

    async def decide(record: Record, _attempt: int) -> Change[int]:
        await asyncio.sleep(0)  # others read the same version meanwhile
        items = [*record.data.get("items", []), item]
        return Change({**record.data, "items": items}, len(items))

    return decide


async def test_racing_turns_on_two_instances_lose_nothing(store):
    # Two TurnStores over one store stand for two server instances; four turns start from the same record.
    instances = [TurnStore(store), TurnStore(store)]
    await asyncio.gather(*(instances[i % 2].change(KEY, appending(f"answer {i}")) for i in range(4)))
    record = await instances[0].read(KEY)
    assert sorted(record.data["items"]) == [f"answer {i}" for i in range(4)]


async def test_a_new_conversation_is_created_once_even_when_two_turns_race_for_it(store):
    first, second = TurnStore(store), TurnStore(store)
    attempts: list[int] = []

    async def decide(record: Record, attempt: int) -> Change[None]:
        attempts.append(attempt)
        await asyncio.sleep(0)
        return Change({"items": [*record.data.get("items", []), "x"]}, None)

    await asyncio.gather(first.change(KEY, decide), second.change(KEY, decide))
    assert (await first.read(KEY)).data["items"] == ["x", "x"]
    assert 1 in attempts  # one of them lost the creation and decided again on the other's record


async def test_a_turn_that_stores_nothing_writes_nothing(store):
    turns = TurnStore(store)

    async def look(record: Record, _attempt: int) -> Change[str]:
        return Change(None, "looked")

    assert await turns.change(KEY, look) == "looked"
    assert await store.read([KEY]) == {}


async def test_a_conversation_that_keeps_changing_gives_up_with_store_busy(store):
    turns = TurnStore(store)
    await turns.change(KEY, appending("first"))

    async def always_overtaken(record: Record, _attempt: int) -> Change[None]:
        await TurnStore(store).change(KEY, appending("someone else"))  # another instance writes meanwhile
        return Change({**record.data, "mine": True}, None)

    with pytest.raises(StoreBusy):
        await turns.change(KEY, always_overtaken)
    assert "mine" not in (await turns.read(KEY)).data


async def test_undelivered_turn_is_undone_unless_someone_wrote_since(store):
    turns = TurnStore(store)
    await turns.change(KEY, appending("kept"))
    before = await turns.read(KEY)
    written = {"items": ["kept", "undelivered"]}
    await turns.write(before, written)
    await turns.restore(written, before)
    assert (await turns.read(KEY)).data == {"items": ["kept"]}

    again = await turns.read(KEY)
    await turns.write(again, written)
    await TurnStore(store).change(KEY, appending("a later turn"))  # delivered meanwhile elsewhere
    await turns.restore(written, again)
    assert (await turns.read(KEY)).data["items"] == ["kept", "undelivered", "a later turn"]


async def test_undoing_the_first_turn_of_a_conversation_removes_it(store):
    turns = TurnStore(store)
    missing = await turns.read(KEY)
    await turns.write(missing, {"items": ["first"]})
    await turns.restore({"items": ["first"]}, missing)
    assert await store.read([KEY]) == {}


def test_answered_activity_ids_are_remembered_newest_last_and_bounded():
    data: dict = {}
    for n in range(MAX_SEEN + 3):
        mark_seen(data, f"id-{n}")
    mark_seen(data, f"id-{MAX_SEEN + 1}")  # seen again: moves to the end, not kept twice
    record = Record(KEY, data)
    assert len(data["seen"]) == MAX_SEEN and data["seen"][-1] == f"id-{MAX_SEEN + 1}"
    assert record.seen("id-3") and not record.seen("id-2") and not record.seen(None) and not record.seen("")
    assert mark_seen({}, None) == {}
