"""One contract for every conversation store: memory, sqlite (a file in tmp_path) and azure-blob (Azurite, the
Azure Storage emulator, started by tests/conftest.py). botbuilder's Storage rules as bot/storage.py states them."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from botbuilder.core import StoreItem

from bot.storage import (
    CREATE_ONLY,
    E_TAG,
    JsonStorage,
    StorageConflict,
    StorageError,
)
from tests.bot.conftest import say, start_client

KEY = "msteams/conversations/a:1Bc-D_e;messageid=1700000000000"
ODD_KEYS = [
    KEY,
    "msteams/conversations/19:abc@thread.tacv2",
    "msteams/conversations/19:meeting_Zjk4@thread.v2;messageid=1700000000001",
    "emulator/conversations/a=b&c=d?e#f",
    "slashes/in//the/key/",
    "trailing dot.",
    "..",
    "back\\slash and space",
    "percent %3A and %2F and %",
    "tab\tnew\nline",
    "unicode/Ünïcødé/日本語/🙂",
    "x" * 2000,
]
NESTED = {
    "case": {"flow": "scenario_c", "state": "ask_date", "facts": {"sender": "user@contoso.com", "n": 3},
             "history": [{"state": "menu", "answer": "4"}, {"state": "ask_sender", "answer": None}]},
    "numbers": [0, -1, 2**53 + 1, 1.5, 1e-300, True, False, None],
    "text": "Grüße, 日本語, emoji 🙂, quotes \" ' and \\ backslash, \u2028 separator, \x00 nul",
    "lone surrogate": "\ud800 from a JSON escape",
    "": {"empty key": "", "e_tags inside are data": {"e_tag": "not ours"}},
    "deep": [[[[{"a": [1, [2, [3]]]}]]]],
}


def without_etag(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k != E_TAG}


async def etag_of(store: JsonStorage, key: str) -> str:
    return (await store.read([key]))[key][E_TAG]


async def test_reading_missing_keys_gives_nothing_for_them(store):
    assert await store.read([]) == {}
    assert await store.read(["nobody/conversations/none"]) == {}
    await store.write({"here": {"v": 1}})
    found = await store.read(["missing", "here", "also missing"])
    assert list(found) == ["here"] and without_etag(found["here"]) == {"v": 1}


async def test_write_read_delete(store):
    await store.write({KEY: {"step": "ask_sender"}, "other": {"step": "menu"}})
    found = await store.read([KEY, "other"])
    assert without_etag(found[KEY]) == {"step": "ask_sender"}
    assert without_etag(found["other"]) == {"step": "menu"}
    assert isinstance(found[KEY][E_TAG], str) and found[KEY][E_TAG]
    await store.delete([KEY])
    assert list(await store.read([KEY, "other"])) == ["other"]


async def test_deleting_missing_keys_is_fine(store):
    await store.delete([])
    await store.delete(["never/written"])
    await store.write({"kept": {"v": 1}})
    await store.delete({"never/written", "kept"})  # botbuilder's BotState.delete passes a set
    assert await store.read(["kept"]) == {}


async def test_a_stale_etag_raises_the_typed_conflict_and_changes_nothing(store):
    await store.write({KEY: {"v": 1}})
    first = await etag_of(store, KEY)
    await store.write({KEY: {"v": 2, E_TAG: first}})
    with pytest.raises(StorageConflict) as caught:
        await store.write({KEY: {"v": 3, E_TAG: first}})
    assert isinstance(caught.value, StorageError) and caught.value.key == KEY
    assert without_etag((await store.read([KEY]))[KEY]) == {"v": 2}


async def test_star_overwrites_whatever_is_stored(store):
    await store.write({KEY: {"v": 1}})
    stale = await etag_of(store, KEY)
    await store.write({KEY: {"v": 2}})
    await store.write({KEY: {"v": 3, E_TAG: "*"}})
    await store.write({"new": {"v": 1, E_TAG: "*"}})  # and creates what is missing
    found = await store.read([KEY, "new"])
    assert without_etag(found[KEY]) == {"v": 3} and found[KEY][E_TAG] != stale
    assert without_etag(found["new"]) == {"v": 1}


async def test_a_write_without_etag_overwrites_as_botbuilder_says(store):
    await store.write({KEY: {"v": 1}})
    await store.write({KEY: {"v": 2}})
    assert without_etag((await store.read([KEY]))[KEY]) == {"v": 2}


async def test_the_etag_changes_on_every_write_even_with_the_same_value(store):
    seen = set()
    for _ in range(4):
        await store.write({KEY: {"same": True}})
        seen.add(await etag_of(store, KEY))
    current = await etag_of(store, KEY)
    await store.write({KEY: {"same": True, E_TAG: current}})
    seen.add(await etag_of(store, KEY))
    assert len(seen) == 5


async def test_the_etag_read_is_the_one_a_conditional_write_needs(store):
    for value in range(3):
        await store.write({KEY: {"v": value, E_TAG: await etag_of(store, KEY)}} if value else {KEY: {"v": value}})
    assert without_etag((await store.read([KEY]))[KEY]) == {"v": 2}


async def test_create_only_creates_once(store):
    await store.write({KEY: {"v": 1, E_TAG: CREATE_ONLY}})
    with pytest.raises(StorageConflict):
        await store.write({KEY: {"v": 2, E_TAG: CREATE_ONLY}})
    assert without_etag((await store.read([KEY]))[KEY]) == {"v": 1}
    await store.delete([KEY])
    await store.write({KEY: {"v": 3, E_TAG: CREATE_ONLY}})
    assert without_etag((await store.read([KEY]))[KEY]) == {"v": 3}


async def test_an_etag_write_to_a_deleted_item_is_a_conflict(store):
    await store.write({KEY: {"v": 1}})
    etag = await etag_of(store, KEY)
    await store.delete([KEY])
    with pytest.raises(StorageConflict):
        await store.write({KEY: {"v": 2, E_TAG: etag}})
    assert await store.read([KEY]) == {}


async def test_two_writers_with_the_same_etag_exactly_one_wins(store):
    await store.write({KEY: {"turn": 0}})
    etag = await etag_of(store, KEY)
    results = await asyncio.gather(*(store.write({KEY: {"turn": n, E_TAG: etag}}) for n in (1, 2)),
                                   return_exceptions=True)
    conflicts = [r for r in results if isinstance(r, StorageConflict)]
    assert len(conflicts) == 1 and results.count(None) == 1
    winner = 1 if results[0] is None else 2
    assert without_etag((await store.read([KEY]))[KEY]) == {"turn": winner}


async def test_many_writers_racing_on_reads_lose_no_increment(store):
    """Read, add one, write back with the ETag read; on a conflict read again: 12 increments, 12 stored."""
    await store.write({KEY: {"count": 0}})

    async def increment() -> None:
        while True:
            item = (await store.read([KEY]))[KEY]
            await asyncio.sleep(0)  # let the others read the same ETag (memory never waits by itself)
            try:
                await store.write({KEY: {"count": item["count"] + 1, E_TAG: item[E_TAG]}})
                return
            except StorageConflict:
                await asyncio.sleep(0)

    await asyncio.gather(*(increment() for _ in range(12)))
    assert (await store.read([KEY]))[KEY]["count"] == 12


async def test_a_large_value_round_trips(store):
    big = {"text": "0123456789abcdef" * 65536, "list": list(range(20000))}  # 1 MB of text, 130 KB of numbers
    await store.write({KEY: big})
    read = (await store.read([KEY]))[KEY]
    assert without_etag(read) == big
    bigger = {**big, "more": "x" * 300_000}
    await store.write({KEY: {**bigger, E_TAG: read[E_TAG]}})
    with pytest.raises(StorageConflict):  # the condition holds for large values too (sent in blocks to Azure)
        await store.write({KEY: {**big, E_TAG: read[E_TAG]}})
    assert without_etag((await store.read([KEY]))[KEY]) == bigger


@pytest.mark.parametrize("key", ODD_KEYS, ids=lambda k: k[:40])
async def test_odd_keys_work_and_stay_apart(store, key):
    await store.write({key: {"key": key}})
    found = await store.read([key])
    assert without_etag(found[key]) == {"key": key}
    await store.delete([key])
    assert await store.read([key]) == {}


async def test_keys_that_look_alike_are_different_items(store):
    keys = ["a:b", "a%3Ab", "a%253Ab", "A:b", "a:b.", "a:b%2E", "x" * 2000 + "1", "x" * 2000 + "2", "x" * 1001]
    await store.write({key: {"key": key} for key in keys})
    found = await store.read(keys)
    assert {key: item["key"] for key, item in found.items()} == {key: key for key in keys}


async def test_values_round_trip_exactly(store):
    await store.write({KEY: NESTED})
    read = (await store.read([KEY]))[KEY]
    assert without_etag(read) == NESTED
    read["case"]["state"] = "changed by the caller"  # what read returns is the caller's, not the store's
    assert (await store.read([KEY]))[KEY]["case"]["state"] == "ask_date"


async def test_store_items_travel_with_their_etag_attribute(store):
    await store.write({KEY: StoreItem(step="ask_sender", count=1)})
    read = (await store.read([KEY]))[KEY]
    assert without_etag(read) == {"step": "ask_sender", "count": 1}
    await store.write({KEY: StoreItem(step="ask_date", count=2, e_tag=read[E_TAG])})
    with pytest.raises(StorageConflict):
        await store.write({KEY: StoreItem(step="stale", count=3, e_tag=read[E_TAG])})
    assert without_etag((await store.read([KEY]))[KEY]) == {"step": "ask_date", "count": 2}


@pytest.mark.parametrize("value", [{"when": object()}, {"nan": float("nan")}, {"set": {1, 2}}, ["not", "a dict"],
                                   "text", 42])
async def test_values_that_are_not_json_objects_are_refused_by_key(store, value):
    with pytest.raises(TypeError, match="stuck/key"):
        await store.write({"stuck/key": value})
    assert await store.read(["stuck/key"]) == {}


async def test_misuse_gets_clear_errors(store):
    with pytest.raises(TypeError, match="list"):
        await store.read("a key")  # a string, not a list of keys
    with pytest.raises(TypeError, match="non-empty"):
        await store.write({"": {"v": 1}})
    with pytest.raises(ValueError, match="empty"):
        await store.write({KEY: {"v": 1, E_TAG: ""}})
    with pytest.raises(TypeError, match="e_tag"):
        await store.write({KEY: {"v": 1, E_TAG: 7}})
    with pytest.raises(ValueError, match="surrogate"):
        await store.read(["\udc80"])


async def test_botbuilder_conversation_state_keeps_a_case_across_turns_and_apps(store, stub, engine):
    """The real endpoint over HTTP with this store; a second app on the same store continues the case."""
    first = await start_client(engine=engine, storage=store)
    try:
        await say(first, stub, "contract", "4")
        asked = await say(first, stub, "contract", "user@contoso.com")
    finally:
        await first.close()
    assert "Recipient" in asked[-1]["text"]
    second = await start_client(engine=engine, storage=store)
    try:
        replies = await say(second, stub, "contract", "someone@fabrikam.com")
    finally:
        await second.close()
    assert "Date sent" in replies[-1]["text"]
    stored = (await store.read(["emulator/conversations/contract"]))["emulator/conversations/contract"]
    assert stored["case"]["facts"]["recipient"] == "someone@fabrikam.com"
