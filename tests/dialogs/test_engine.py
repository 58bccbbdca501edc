"""The engine's behaviour at every state: commands, facts, bad input, upgrades."""

from __future__ import annotations

import copy
import json

import pytest

from dialogs.engine import Engine, TurnResult
from tests.dialogs.explore import TODAY, explore

BAD_INPUTS = ["", "   ", "qwzx plorb", "🙂🙃🔥", "\x00\x07\x1b[31m\x7f", "x" * 10_000, "9999", "0", "-1"]


def run(engine: Engine, *texts: str) -> TurnResult:
    result = engine.start()
    for text in texts:
        result = engine.handle(result.state, text)
    return result


def texts(result: TurnResult) -> str:
    parts = [(r.title, r.text, *r.commands, r.ask, *(c.label for c in r.choices)) for r in result.replies]
    return "\n".join(p for reply in parts for p in reply if p)


def test_start_greets_and_offers_the_menu(engine):
    result = engine.start()
    labels = [c.label for c in result.replies[-1].choices]
    assert len(labels) == 7
    assert any("don't know" in label for label in labels)
    assert any("not an admin" in label for label in labels)


def test_state_is_small_plain_json(engine):
    result = run(engine, "2", "bob@fabrikam.com", "alice@contoso.com", "yesterday")
    encoded = json.dumps(result.state)
    assert json.loads(encoded) == result.state
    assert len(encoded) < 4096


@pytest.mark.parametrize(("text", "flow"), [
    ("mail from gmail to our O365 users bounces", "scenario_a"),
    ("our users can't send to yahoo", "scenario_c"),
    ("external partners cannot email us, our MX points to on-prem exchange (hybrid)", "scenario_b"),
    ("outbound mail goes through our on-premises servers with centralized mail flow and gets stuck", "scenario_d"),
    ("I'm not an admin, my email bounced", "end_user"),
    ("how does mail flow work between two companies?", "general"),
    ("mesages from custmers to our ofice 365 mailboxs are not arriving", "scenario_a"),
])
def test_free_text_is_recognised_and_confirmed(engine, text, flow):
    result = run(engine, text)
    assert result.state["state"] == "confirm", texts(result)
    assert result.state["facts"]["scenario"] == flow
    confirmed = engine.handle(result.state, "yes")
    assert confirmed.state["flow"] == flow


def test_addresses_in_the_description_become_facts(engine):
    result = run(engine, "mail from bob@fabrikam.com to alice@contoso.com is rejected when coming in from outside")
    assert result.state["facts"]["sender"] == "bob@fabrikam.com"
    assert result.state["facts"]["recipient"] == "alice@contoso.com"


def test_declining_the_guess_offers_the_list(engine):
    result = run(engine, "mail from gmail to our O365 users bounces", "no")
    assert result.state["state"] == "pick"


def test_questions_find_the_scenario(engine):
    assert run(engine, "6", "inbound", "1", "1").state["flow"] == "scenario_a"
    assert run(engine, "6", "1", "1", "2").state["flow"] == "scenario_b"
    assert run(engine, "6", "2", "no").state["flow"] == "scenario_c"
    assert run(engine, "6", "2", "yes").state["flow"] == "scenario_d"
    assert run(engine, "6", "2", "3", "y").state["flow"] == "scenario_d"


def test_facts_given_once_fill_later_commands(engine):
    result = run(engine, "mail from bob@fabrikam.com to alice@contoso.com bounces when coming in from outside", "yes")
    state = result.state
    for _ in range(40):  # walk on until a step shows a command
        commands = [c for r in result.replies for c in r.commands]
        if commands:
            break
        flow = engine.flows[state["flow"]].states[state["state"]]
        result = engine.handle(state, "yesterday" if flow.get("fact") == "date" else
                               "skip" if "fact" in flow else "1")
        state = result.state
    joined = " ".join(commands)
    assert "alice@contoso.com" in joined or "contoso.com" in joined
    assert "<" not in joined.split("alice@contoso.com")[0][-3:]


def test_back_undoes_the_last_answer_and_its_facts(engine):
    result = run(engine, "2", "bob@fabrikam.com")
    assert result.state["facts"]["sender"] == "bob@fabrikam.com"
    back = engine.handle(result.state, "back")
    assert "sender" not in back.state["facts"]
    assert back.state["state"] == run(engine, "2").state["state"]
    twice = engine.handle(engine.handle(back.state, "back").state, "back")
    assert "nothing to undo" in texts(twice)


def test_restart_summary_help_and_quit(engine):
    result = run(engine, "2", "bob@fabrikam.com")
    summary = engine.handle(result.state, "summary")
    case = summary.replies[0].summary
    assert case is not None
    assert ("sender address", "bob@fabrikam.com") in case.facts
    assert case.who == "Not decided yet"
    assert summary.state == result.state
    helped = engine.handle(result.state, "help")
    assert "back" in texts(helped) and helped.state == result.state
    restarted = engine.handle(result.state, "restart")
    assert restarted.state == engine.start().state
    quit_ = engine.handle(result.state, "quit")
    assert quit_.ended and quit_.state == engine.start().state
    assert quit_.replies[-1].summary is not None


@pytest.mark.parametrize("question", ["what is EOP", "What's a smart host?", "define HRDP",
                                      "what is a remote routing address", "NDR?", "what is centralized mail flow"])
def test_glossary_answers_without_moving(engine, question):
    result = run(engine, "2")
    asked = engine.handle(result.state, question)
    assert asked.replies[0].kind == "glossary" and asked.replies[0].title
    assert asked.state == result.state


def test_unknown_glossary_term_lists_known_ones(engine):
    asked = engine.handle(engine.start().state, "what is a flux capacitor")
    assert "not in my glossary" in asked.replies[0].text


def test_invalid_fact_is_explained(engine):
    result = run(engine, "2")
    wrong = engine.handle(result.state, "not an address")
    assert wrong.state == result.state
    assert "@" in texts(wrong)


def test_bad_input_at_every_state_reprompts_and_keeps_state(engine):
    checked = 0
    for visit in explore(engine):
        state = visit.state
        current = engine.flows[state["flow"]].states[state["state"]]
        for text in BAD_INPUTS:
            if current.get("fact") in {"subject", "connector", "ndr_code"} and any(c.isalnum() for c in text):
                continue  # free-text facts accept any words
            before = copy.deepcopy(state)
            result = engine.handle(state, text)
            assert result.state == before, (state["flow"], state["state"], text[:20])
            assert result.replies, text
            assert result.replies[-1].kind == "question", (state["state"], text[:20])
            checked += 1
    assert checked > 100


@pytest.mark.parametrize("stored", [
    {"flow": "scenario_a", "version": 0, "state": "a_step_removed_long_ago", "facts": {}, "history": []},
    {"flow": "retired_flow", "version": 3, "state": "x", "facts": {}, "history": []},
    {"garbage": True}, "not even a dict", 42,
])
def test_unknown_saved_state_restarts_politely(engine, stored):
    result = engine.handle(stored, "hello")
    assert "earlier version" in result.replies[0].text
    assert result.state == engine.start().state


def test_old_version_with_existing_state_resumes(engine):
    current = run(engine, "2", "bob@fabrikam.com")
    old = {**current.state, "version": 0}
    resumed = engine.handle(old, "alice@contoso.com")
    assert "earlier version" not in texts(resumed)
    assert resumed.state["facts"]["recipient"] == "alice@contoso.com"


def test_outcome_offers_next_steps_by_number(engine):
    for visit in explore(engine):
        if "outcome" in engine.flows[visit.state["flow"]].states[visit.state["state"]]:
            break
    again = engine.handle(visit.state, "1")
    assert again.state == engine.start().state


def test_saying_not_an_admin_mid_case_switches_to_the_helpdesk_path(engine):
    result = run(engine, "4", "user@contoso.com", "someone@fabrikam.com")
    switched = engine.handle(result.state, "I'm not an admin")
    assert switched.state["flow"] == "end_user"
    assert switched.state["facts"]["sender"] == "user@contoso.com"
    assert switched.replies[0].title == engine.flows["end_user"].title
    undone = engine.handle(switched.state, "back")
    assert (undone.state["flow"], undone.state["state"]) == (result.state["flow"], result.state["state"])


def test_a_conversation_that_loops_keeps_a_bounded_state(engine):
    from dialogs.engine import MAX_HISTORY

    result = engine.start()
    for _ in range(30):  # the general explanation hands back to the menu, which offers it again
        for text in ("1", "next", "next", "next", "next", "1"):
            result = engine.handle(result.state, text)
    assert len(result.state["history"]) == MAX_HISTORY
    assert len(json.dumps(result.state)) < 4096
    assert engine.handle(result.state, "back").state["history"] == result.state["history"][:-1]


def test_check_and_explain_commands():
    """The Teams command menu sends these words: 'check' runs the step's live check, 'explain' asks for evidence."""
    engine = Engine.default(today=lambda: TODAY, checks=True)
    result = engine.start()
    nothing = engine.handle(result.state, "check")
    assert "no live check" in nothing.replies[0].text
    assert nothing.state == result.state
    asked = engine.handle(result.state, "explain")
    assert "Paste the bounce" in asked.replies[0].text
    assert asked.state["state"] == result.state["state"]
    for text in ("4", "user@contoso.com", "someone@fabrikam.com", "yesterday", "pending", "noanswer"):
        result = engine.handle(result.state, text)
    assert result.state["state"] == "port25"
    run = engine.handle(result.state, "check")
    assert run.replies[-1].kind == "check" and run.replies[-1].check is not None
    assert run.replies[-1].check.kind == "smtp"
