"""Fuzzing the engine at every step of every flow: whatever is typed, pasted or stored, it answers, never raises,
and leaves a case that reads back, resumes and can be undone with 'back' (tests/dialogs/fuzzing.py).

Steps are reached two ways: by real walks (tests/dialogs/explore.py types answers as a person would) and as
stored cases built for every step, with all facts known (and live checks offered) or none.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from dialogs.answers import MAX_INPUT
from dialogs.conversation import MAX_HISTORY
from dialogs.engine import Engine
from mailflow.evidence import KINDS, decode, explain
from tests.dialogs.explore import TODAY, explore
from tests.dialogs.fuzzing import (
    RESTART,
    assert_valid_state,
    evidence_like,
    hostile_text,
    json_values,
    plain_text,
    repeated,
    resting_states,
    rests_at,
    stored,
    turn,
    words,
)
from tests.hypothesis_profile import fuzz

ENGINE = Engine.default(today=lambda: TODAY)
CHECKING = Engine.default(today=lambda: TODAY, checks=True)  # offers "Check it now" (no runner: nothing runs)
RESTING = resting_states(ENGINE)
WALKED = [visit.state for visit in explore(ENGINE)]
BUILT = [stored(ENGINE, flow, state, facts=facts) for flow, state in RESTING for facts in (True, False)]
STATES = WALKED + BUILT
engines = st.sampled_from([ENGINE, CHECKING])

HOSTILE = ["", "   ", "\x00\x07\x1b[31m\x7f", "\u200b\u200e\u202e\ufeff", "🙂🙃🔥", "ẞ ǅ ﬁ ①", "e\u0301" * 500,
           "\r\n\r\n\t", "\ud800 a lone surrogate (JSON can carry one)", "x" * (MAX_INPUT - 1), "y" * MAX_INPUT,
           "z" * (MAX_INPUT + 1), "a " * (50 * MAX_INPUT),
           "9999", "0", "-1", "1", "back", "quit", "restart", "summary", "help", "check", "explain", "glossary",
           "what is EOP?", "not an admin", "skip", "yes", "no", "550 5.7.1",
           "550 5.7.606 Access denied, banned sending IP [203.0.113.7]",
           "Received: from x\nAuthentication-Results: spf=fail", "RecipientAddress,SenderAddress\nx,y"]


def test_every_step_answers_hostile_input():
    """Every step a case can rest at, with all facts (and live checks offered) and with none: a fixed list."""
    for state in BUILT:
        engine = CHECKING if state["facts"] else ENGINE
        for text in HOSTILE:
            turn(engine, state, text)


@fuzz(1000)
@given(st.sampled_from(STATES), engines, hostile_text)
def test_any_text_at_any_step(state, engine, text):
    turn(engine, state, text)


@fuzz(100)
@given(st.sampled_from(STATES), repeated(st.text(st.characters(categories=["L", "Zs", "Po"], exclude_characters="\r\n"),
                                                 min_size=1, max_size=6)))
def test_long_text_is_read_up_to_the_limit_with_a_notice(state, text):
    result = turn(ENGINE, state, text)
    assert ("very long" in result.replies[0].text) == (len(text) > MAX_INPUT)


@fuzz(500)
@given(st.sampled_from(STATES), evidence_like)
def test_evidence_like_text_at_any_step(state, text):
    turn(CHECKING, state, text)
    for kind in KINDS:  # what `mailflow explain --kind` does with it, whatever it is
        report = explain(text, kind)
        assert report["kind"] == kind and isinstance(report["findings"], list)


@fuzz(150)
@given(st.sampled_from(STATES), st.sampled_from([b"", b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf"]),  # byte-order marks
       st.binary(max_size=3000))
def test_any_attached_file_is_read_as_text(state, mark, raw):
    """What a file attached in Teams becomes (bot/attachments.py decodes it), whatever its bytes."""
    turn(CHECKING, state, decode(mark + raw))


def _fuzzed(label: str) -> st.SearchStrategy[str]:
    """An answer's label as people type it: other case, a letter missing, leading words, punctuation."""
    return st.one_of(
        st.just(label), st.just(label.upper()), st.just(label.lower()), st.just(f"  {label}!! "),
        st.integers(0, max(0, len(label) - 1)).map(lambda i: label[:i] + label[i + 1:]),
        st.sampled_from(["option ", "case ", "#", "answer "]).map(lambda lead: lead + label),
        st.integers(1, max(1, len(label))).map(lambda n: label[:n]),
    )


@fuzz(500)
@given(st.sampled_from([None, *STATES]), engines, st.data())
def test_random_command_sequences(state, engine, data):
    """back, restart, summary, help, check, explain, quit, glossary, numbers and labels, in any order."""
    for _ in range(data.draw(st.integers(1, 12))):
        labels = [choice.label for reply in engine.current(state) for choice in reply.choices]
        said = data.draw(st.one_of(words, st.sampled_from(labels).flatmap(_fuzzed) if labels else words,
                                   plain_text))
        state = turn(engine, state, said).state


# -- stored cases ------------------------------------------------------------------------------------

_names = st.sampled_from(sorted(ENGINE.flows)) | st.sampled_from(sorted({s for _, s in RESTING})) | json_values
_fact_names = st.sampled_from(["sender", "recipient", "date", "tenant", "scenario", "sending_ip", "x"])
_entries = st.fixed_dictionaries({}, optional={"flow": _names, "state": _names, "answer": json_values,
                                               "undo": st.dictionaries(_fact_names, json_values) | json_values})
_facts = st.dictionaries(_fact_names, plain_text | json_values, max_size=5)
_history = st.lists(_entries | json_values, max_size=6)
damaged = st.one_of(
    json_values.filter(lambda value: value is not None),  # None is no stored case at all: a new conversation
    st.fixed_dictionaries({}, optional={"flow": _names, "version": json_values, "state": _names,
                                        "facts": _facts | json_values, "history": _history}),
    st.builds(lambda state, facts, history: {**state, "facts": facts, "history": history},
              st.sampled_from(BUILT), _facts, _history),
)


def _resumable_shape(data: Any) -> bool:
    """A stored case the engine could resume at all: a dict naming a step that exists (its facts aside)."""
    return isinstance(data, dict) and isinstance(data.get("flow"), str) and isinstance(data.get("state"), str) \
        and rests_at(ENGINE, data["flow"], data["state"])


@fuzz(800)
@given(damaged, engines, words | plain_text)
@example({"flow": "triage", "version": 1, "state": "confirm", "facts": {}, "history": []}, ENGINE, "yes")
@example({"flow": "scenario_a", "version": 1, "state": "ask_sender", "facts": {"date": "last week"}}, ENGINE, "x")
@example({"flow": "scenario_a", "version": 1, "state": "trace", "facts": {"recipient": "no domain"}}, ENGINE, "1")
@example({"flow": "scenario_c", "version": 1, "state": "ask_recipient", "facts": {"sender": f"a@{'ü' * 70}.com"}},
         ENGINE, "back")
@example({"flow": "triage", "version": 1e999, "state": "menu"}, ENGINE, "1")
@example({"flow": "triage", "version": 1, "state": "go_a", "facts": {}, "history": []}, ENGINE, "1")
@example({"flow": "general", "version": 1, "state": "decision", "facts": {},
          "history": [{"flow": {}, "state": "menu", "undo": {}}, {"flow": "triage", "state": ["menu"]},
                      {"flow": "triage", "state": "menu", "undo": ["date"]},
                      {"flow": "triage", "state": "menu", "undo": {"sender": ["x"]}}]}, ENGINE, "back")
@example({"flow": "general", "version": 1, "state": "decision", "facts": {},
          "history": [{"flow": "triage", "state": "menu", "answer": "1", "undo": {"date": "not a day"}}]},
         ENGINE, "back")
def test_damaged_stored_case_restarts_politely_or_resumes(data, engine, text):
    assert engine.current(data) and isinstance(engine.step_token(data), str)
    result = turn(engine, data, text, old_steps=True)
    if not _resumable_shape(data):
        assert RESTART in result.replies[0].text
    if result.replies[0].kind == "notice" and RESTART in result.replies[0].text:
        fresh = engine.handle(None, text)  # from here on it is a new conversation
        assert (result.state, result.replies[1:]) == (fresh.state, fresh.replies)


def test_a_stored_confirmation_without_the_case_it_proposed_goes_back_to_the_menu():
    """Found by fuzzing: the hand-off to the proposed case raised KeyError when the record lacked 'scenario'."""
    result = turn(ENGINE, {"flow": "triage", "version": 1, "state": "confirm", "facts": {}, "history": []}, "yes")
    assert (result.state["flow"], result.state["state"]) == ("triage", "menu")


@pytest.mark.parametrize("facts", [{"date": "last week"}, {"recipient": "no domain"}, {"sender": f"a@{'ü' * 70}.com"},
                                   {"date": "2026-02-30"}])
def test_stored_facts_the_commands_cannot_use_restart_the_case(facts):
    """Found by fuzzing: such facts (only a damaged record holds them) raised in every prompt, so the case was stuck."""
    result = turn(ENGINE, {"flow": "scenario_a", "version": 1, "state": "trace", "facts": facts}, "1")
    assert RESTART in result.replies[0].text


def test_back_over_damaged_history_entries_reaches_the_last_good_one():
    """Found by fuzzing: entries with names or undo data of the wrong type made 'back' and 'summary' raise."""
    good = {"flow": "triage", "state": "menu", "answer": "Something else", "undo": {"date": None}}
    history = [good, {"flow": {}, "state": "menu"}, {"flow": "triage", "state": ["menu"]},
               {"flow": "triage", "state": "menu", "undo": ["date"]},
               {"flow": "triage", "state": "menu", "undo": {"sender": ["x"]}}, "not an entry"]
    data = {"flow": "general", "version": 1, "state": "decision", "facts": {"date": "2026-11-27"}, "history": history}
    summary = turn(ENGINE, data, "summary")
    assert [step.answer for step in summary.replies[0].summary.steps] == ["Something else"]
    back = turn(ENGINE, data, "back")
    assert back.state == {"flow": "triage", "version": ENGINE.flows["triage"].version, "state": "menu", "facts": {},
                          "history": []}


def test_a_huge_stored_history_is_cut_to_the_answers_back_can_use():
    data = stored(ENGINE, "scenario_a", "trace")
    data["history"] = data["history"] * 10_000
    result = turn(ENGINE, data, "summary")
    assert len(result.replies[0].summary.steps) == MAX_HISTORY
    assert len(result.state["history"]) == MAX_HISTORY
    assert len(json.dumps(result.state)) < 8192
    assert_valid_state(ENGINE, result.state)
