"""State saved by an earlier release (tests/bot/fixtures/saved_by_flow_version_0.json) meets today's flows,
over real HTTP: a case whose step still exists resumes there, one whose step or flow is gone starts again
with an explanation, and what the earlier release kept in the record but today's does not use is dropped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.storage import E_TAG, InMemoryStorage
from tests.bot.conftest import say, start_client

SAVED = json.loads((Path(__file__).parent / "fixtures" / "saved_by_flow_version_0.json").read_text())


@pytest.fixture
async def upgraded(engine):
    """The app over a store holding the earlier release's records."""
    storage = InMemoryStorage()
    await storage.write({f"emulator/conversations/{conversation}": record
                         for conversation, record in SAVED.items() if not conversation.startswith("_")})
    client = await start_client(engine=engine, storage=storage)
    yield client, storage
    await client.close()


async def record_of(storage: InMemoryStorage, conversation: str) -> dict:
    key = f"emulator/conversations/{conversation}"
    return {k: v for k, v in (await storage.read([key]))[key].items() if k != E_TAG}


async def test_a_case_whose_step_still_exists_resumes_there(upgraded, stub, engine):
    client, storage = upgraded
    replies = await say(client, stub, "resumes", "yesterday")  # the answer to the saved step, "Date sent"
    text = "\n".join(reply.get("text") or "" for reply in replies)
    assert "earlier version" not in text
    case = (await record_of(storage, "resumes"))["case"]
    assert case["facts"]["date"] and case["history"][-1]["state"] == "ask_date"
    assert case["version"] == engine.flows["scenario_c"].version  # saved again as today's version
    # "back" skips the step that no longer exists and lands on one that does.
    await say(client, stub, "resumes", "back")
    await say(client, stub, "resumes", "back")
    back = await say(client, stub, "resumes", "back")
    assert "Sender" in back[0]["text"]


async def test_what_todays_release_does_not_keep_is_dropped_from_the_record(upgraded, stub):
    client, storage = upgraded
    await say(client, stub, "resumes", "yesterday")
    assert set(await record_of(storage, "resumes")) == {"case", "welcomed", "seen"}


@pytest.mark.parametrize("conversation", ["step_removed", "flow_removed"])
async def test_a_case_whose_step_or_flow_is_gone_starts_again_with_an_explanation(upgraded, stub, engine,
                                                                                 conversation):
    client, storage = upgraded
    replies = await say(client, stub, conversation, "user@contoso.com")
    assert "earlier version" in replies[0]["text"]
    assert (await record_of(storage, conversation))["case"] == engine.start().state
