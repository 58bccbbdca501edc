"""Card submits fuzzed through the real HTTP endpoint (loopback server, connector stub): whatever a Teams card's
``value`` holds (any JSON, huge strings, stale or garbage step tokens, missing fields), the person gets a reply,
the request is never a 5xx, the stored case stays valid, and the next ordinary click is answered as the engine
answers it.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from botbuilder.schema import Activity
from hypothesis import given
from hypothesis import strategies as st

from bot.storage import InMemoryStorage
from bot.teams_bot import CASE, STALE, submitted, user_text
from dialogs.engine import Engine
from tests.bot.conftest import ConnectorStub, activity, start_client
from tests.dialogs.explore import TODAY, explore
from tests.dialogs.fuzzing import FACTS, assert_valid_state, json_values, plain_text, words
from tests.hypothesis_profile import fuzz

ENGINE = Engine.default(today=lambda: TODAY)
WALKED = [visit.state for visit in explore(ENGINE)]
TOKENS = sorted({ENGINE.step_token(state) for state in WALKED})
LIMIT = 256 * 1024  # Settings().max_body_bytes
_ids = itertools.count(1)


@pytest.fixture
async def teams() -> AsyncIterator[tuple[TestClient, InMemoryStorage]]:
    """One app and store for all the examples of a test; each example has its own conversation."""
    async with InMemoryStorage() as storage:
        client = await start_client(engine=ENGINE, storage=storage)
        yield client, storage
        await client.close()


def _values(token: str) -> st.SearchStrategy[Any]:
    """What a card's Action.Submit may carry: its fields right, wrong, missing or huge, and anything else."""
    text = st.one_of(words, plain_text, json_values, st.integers(1_000, 300_000).map(lambda n: "a" * n),
                     st.just("\udc00 a lone surrogate"))
    step = st.one_of(st.just(token), st.sampled_from(TOKENS), plain_text, json_values)
    fields = st.fixed_dictionaries({}, optional={"choice": text, "text": text, "step": step, "action": json_values})
    return st.one_of(json_values, fields, st.dictionaries(st.text(max_size=10), json_values, max_size=4))


def _click(state: dict[str, Any]) -> tuple[dict[str, str], str]:
    """An ordinary click at this step (its first button, or the text box for a fact) and the text it stands for."""
    token = ENGINE.step_token(state)
    step = ENGINE.flows[state["flow"]].states[state["state"]]
    if "fact" in step and "outcome" not in step:
        return {"text": FACTS[step["fact"]], "step": token}, FACTS[step["fact"]]
    choice = next(choice for reply in ENGINE.current(state) for choice in reply.choices)
    return {"choice": choice.value, "step": token}, choice.value


async def _stored(storage: InMemoryStorage, key: str) -> dict[str, Any]:
    return (await storage.read([key]))[key][CASE]


@fuzz(200, shared_fixtures=True)
@given(st.sampled_from(WALKED), st.sampled_from([None, "", "  ", "1"]), st.data())
async def test_fuzzed_card_submits_are_answered_and_keep_the_case(teams, stub: ConnectorStub, state, text, data):
    client, storage = teams
    conversation = f"cards-fuzz-{next(_ids)}"
    key = f"msteams/conversations/{conversation}"
    await storage.write({key: {CASE: state}})
    value = data.draw(_values(ENGINE.step_token(state)), label="value")
    body = activity(stub, conversation, text, channelId="msteams", value=value)

    response = await client.post("/api/messages", json=body)
    answer = await response.text()
    after = await _stored(storage, key)
    if len(json.dumps(body).encode()) > LIMIT:
        assert response.status == 413, answer
        assert after == state
    else:
        assert response.status == 201, answer
        replies = stub.for_conversation(conversation)
        assert replies
        sent = Activity().deserialize(body)
        step = (submitted(sent) or {}).get("step")
        if isinstance(step, str) and step != ENGINE.step_token(state):  # a click on an older card: ignored
            assert after == state
            assert replies[0]["text"].startswith(STALE)
        else:
            assert after == ENGINE.handle(state, user_text(sent)).state
    assert_valid_state(ENGINE, after)

    click, said = _click(after)
    before = len(stub.for_conversation(conversation))
    response = await client.post("/api/messages", json=activity(stub, conversation, None, channelId="msteams",
                                                                 value=click))
    assert response.status == 201, await response.text()
    assert len(stub.for_conversation(conversation)) > before
    assert await _stored(storage, key) == ENGINE.handle(after, said).state
