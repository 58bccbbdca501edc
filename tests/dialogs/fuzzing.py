"""What the fuzz tests send (hypothesis strategies) and what must hold after every turn, whatever was sent.

Shared by the engine's fuzz tests (tests/dialogs/test_fuzz_flows.py) and the channel's (tests/bot/*fuzz*.py).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from dialogs import evidence
from dialogs.answers import MAX_INPUT, SYNONYMS, clean
from dialogs.conversation import MAX_HISTORY, Conversation
from dialogs.engine import COMMANDS, GREETINGS, Engine, TurnResult
from dialogs.facts import FACT_TYPES
from mailflow.glossary import GLOSSARY
from tests.dialogs.explore import TODAY

EVIDENCE = Path(__file__).resolve().parents[1] / "mailflow"
RESTART = "saved by an earlier version"  # the notice for a stored case that cannot go on
# Every fact, as its parser keeps it: the facts a stored case at any step may hold.
FACTS = {name: fact.parse(fact.example, TODAY) for name, fact in FACT_TYPES.items()}


def resting_states(engine: Engine) -> list[tuple[str, str]]:
    """Every (flow, step) a case can be at between turns: all steps but the hand-offs, which are passed through."""
    return [(flow.name, name) for flow in engine.flows.values() for name, step in flow.states.items()
            if "handoff" not in step]


def stored(engine: Engine, flow: str, state: str, *, facts: bool = True) -> dict[str, Any]:
    """A valid stored case at ``state``, as a store would hand it back: one answer behind it, all facts known
    (``facts``) or none."""
    return {"flow": flow, "version": engine.flows[flow].version, "state": state,
            "facts": dict(FACTS) if facts else {},
            "history": [{"flow": "triage", "state": "menu", "answer": "Something else", "undo": {}}]}


# -- what must hold ------------------------------------------------------------------------------


def rests_at(engine: Engine, flow: str, state: str) -> bool:
    """A step a case can be at between turns (see resting_states)."""
    step = engine.flows[flow].states.get(state) if flow in engine.flows else None
    return step is not None and "handoff" not in step


def assert_valid_state(engine: Engine, state: Any, *, old_steps: bool = False) -> None:
    """Plain JSON that reads back as the same case, at a step that exists, which the engine resumes as it is.

    ``old_steps``: the history came from a store and may name steps an earlier release had ('back' passes them), or
    lack what it did not need."""
    assert json.loads(json.dumps(state)) == state
    conversation = Conversation.from_dict(state)
    assert conversation is not None and conversation.to_dict() == state  # nothing in it is unreadable
    assert rests_at(engine, state["flow"], state["state"])
    assert all(isinstance(key, str) and isinstance(value, str) for key, value in state["facts"].items())
    assert len(state["history"]) <= MAX_HISTORY
    for entry in state["history"]:  # what 'back' and the summary read
        assert isinstance(entry["flow"], str) and isinstance(entry["state"], str)
        undo = entry.get("undo") or {}
        assert isinstance(undo, dict) and all(isinstance(value, str | None) for value in undo.values()), entry
        if not old_steps:  # as the engine writes them
            assert set(entry) == {"flow", "state", "answer", "undo"} and isinstance(entry["answer"], str), entry
            assert rests_at(engine, entry["flow"], entry["state"]), entry
    assert engine.step_token(state) == conversation.token()  # resumed, not replaced by a new case


def assert_back_works(engine: Engine, state: dict[str, Any], *, old_steps: bool = False) -> None:
    """'back' undoes exactly the last answer: its step again, the facts it changed as they were."""
    back = engine.handle(state, "back")
    assert back.replies and not back.ended
    assert_valid_state(engine, back.state, old_steps=old_steps)
    history = state["history"]
    if not history:
        assert back.state == state
        return
    last = history[-1]
    if not rests_at(engine, last["flow"], last["state"]):  # a step since removed: undone, and back goes on
        assert old_steps
        kept = len(back.state["history"])
        assert kept < len(history) and back.state["history"] == history[:kept]
        return
    facts = dict(state["facts"])
    for key, old in (last.get("undo") or {}).items():
        if old is None:
            facts.pop(key, None)
        else:
            facts[key] = old
    assert back.state["history"] == history[:-1]
    assert (back.state["flow"], back.state["state"], back.state["facts"]) == (last["flow"], last["state"], facts)


def is_quit(text: str) -> bool:
    """'quit' (or its synonyms), the one input that ends a conversation."""
    return clean(text).casefold().strip(" !.") in COMMANDS["quit"] and evidence.read(text) is None


def turn(engine: Engine, state: Mapping[str, Any] | None, text: str, *, old_steps: bool = False) -> TurnResult:
    """One turn that must answer and leave a valid case behind, one that 'back' can undo; 'quit' ends it afresh."""
    result = engine.handle(state, text)
    assert result.replies, text
    assert all(reply.text or reply.title or reply.ask or reply.choices or reply.summary for reply in result.replies)
    assert_valid_state(engine, result.state, old_steps=old_steps)
    assert result.ended == is_quit(text), text
    if result.ended:
        assert result.state == engine.start().state
    assert_back_works(engine, result.state, old_steps=old_steps)
    return result


# -- what is sent --------------------------------------------------------------------------------

# Any JSON value: what a damaged record or a strange card submit may hold.
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12)

# Text that is hard to read: control and format characters, combining marks, emoji, other scripts, line breaks.
_awkward = st.characters(categories=["Cc", "Cf", "Zs", "Zl", "Zp", "Mn", "Me", "So", "Sk", "Lo", "Nd", "Po"])
plain_text = st.text(max_size=120) | st.text(_awkward, max_size=60)


def repeated(unit: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """``unit`` repeated to around and past the engine's limit (MAX_INPUT), or far past it: cheap long text."""
    length = st.integers(MAX_INPUT - 3, 2 * MAX_INPUT + 3) | st.sampled_from([4 * MAX_INPUT, 200_000])
    return st.builds(lambda part, size: (part * (size // len(part) + 1))[:size], unit, length)


long_text = repeated(st.text(min_size=1, max_size=8))


_GLOSSARY_WORDS = sorted({term.name for term in GLOSSARY} | {alias for term in GLOSSARY for alias in term.aliases})
words = st.one_of(
    st.sampled_from(sorted({word for group in COMMANDS.values() for word in group})),
    st.sampled_from(sorted(GREETINGS | {word for group in SYNONYMS.values() for word in group})),
    st.sampled_from(_GLOSSARY_WORDS).flatmap(lambda term: st.sampled_from(
        [f"what is {term}", f"{term}?", f"What's the {term}", f"define {term}"])),
    st.integers(-2, 12).map(str),
    st.sampled_from([fact.example for fact in FACT_TYPES.values()] + ["yesterday", "3 days ago", "2026-02-30"]),
)


def _sample(name: str) -> str:
    return (EVIDENCE / name).read_text(encoding="utf-8", errors="replace")


_SAMPLES = [_sample(f"{folder}/{path.name}") for folder in ("bounces", "headers", "traces", "protocol_logs")
            for path in sorted((EVIDENCE / folder).iterdir())]


@st.composite
def _cut_evidence(draw: st.DrawFn) -> str:
    """A piece of a real bounce, header block, trace or protocol log, cut and damaged line by line."""
    lines = draw(st.sampled_from(_SAMPLES)).splitlines()
    start = draw(st.integers(0, len(lines)))
    lines = lines[start:draw(st.integers(start, len(lines)))]
    for how, where, text in draw(st.lists(st.tuples(st.sampled_from(["drop", "repeat", "overwrite", "insert", "cut"]),
                                                    st.integers(0, 10_000), st.text(max_size=30)), max_size=6)):
        if not lines:
            lines = [text]
            continue
        at = where % len(lines)
        if how == "drop":
            del lines[at]
        elif how == "repeat":
            lines.insert(at, lines[at])
        elif how == "overwrite":
            column = where % (len(lines[at]) + 1)
            lines[at] = lines[at][:column] + text + lines[at][column + len(text):]
        elif how == "insert":
            lines.insert(at, text)
        else:
            lines[at] = lines[at][:where % (len(lines[at]) + 1)]
    return draw(st.sampled_from(["\n", "\r\n", "\r"])).join(lines)


_HEADER_NAMES = ["Received", "Authentication-Results", "X-Forefront-Antispam-Report", "Message-ID", "From", "To",
                 "Date", "ARC-Seal", "ARC-Authentication-Results", "Received-SPF", "X-MS-Exchange-Organization-SCL",
                 "X-MS-Exchange-CrossTenant-OriginalArrivalTime", "X-Microsoft-Antispam", "Diagnostic-Code",
                 "Final-Recipient", "Reporting-MTA", "Content-Type"]
_TRACE_COLUMNS = ["MessageTraceId", "RecipientAddress", "SenderAddress", "Received", "Status", "date", "event",
                  "action", "origin_timestamp", "network_message_id", "Subject", "FromIP", "Detail"]
_evidence_lines = st.one_of(
    st.builds("{} {}.{}.{} {}".format, st.integers(0, 999), st.integers(0, 9), st.integers(0, 9999),
              st.integers(0, 999), st.text(max_size=40)),  # a status line: "550 5.7.606 ..."
    st.builds("{}: {}".format, st.sampled_from(_HEADER_NAMES), st.text(max_size=60)),  # a header
    st.lists(st.sampled_from(_TRACE_COLUMNS) | st.text(max_size=12), max_size=8).map(",".join),  # a CSV row
    st.just("#Software: Microsoft Exchange Server"), st.just("#Fields: date-time,connector-id,session-id"),
)
evidence_like = _cut_evidence() | st.lists(_evidence_lines, min_size=1, max_size=10).map("\n".join) | _evidence_lines

# Anything a person (or a paste) might send.
hostile_text = st.one_of(plain_text, words, evidence_like, long_text)
