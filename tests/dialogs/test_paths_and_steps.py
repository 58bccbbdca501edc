"""What the engine hands channels besides text: each case's mail path, and the token of the step a reply asks."""

from __future__ import annotations

import copy

import pytest

from dialogs.flow import Flow
from dialogs.flows import load_flows
from dialogs.flows.scenario_c import FLOW as SCENARIO_C
from dialogs.lint import lint_flow
from dialogs.path import HOPS, MailPath


def _lint(change) -> list[str]:
    data = copy.deepcopy(SCENARIO_C)
    change(data)
    return lint_flow(Flow.from_data(data), set(load_flows()))


def _outcome(data: dict, name: str) -> dict:
    return next(s for s in data["states"] if s["name"] == name)


@pytest.mark.parametrize(("change", "expected"), [
    (lambda d: d.update(path=(*d["path"], "carrier_pigeon")), "path hop 'carrier_pigeon'"),
    (lambda d: _outcome(d, "remote_refused").update(hop="onprem"), "hop 'onprem' is not on the flow's path"),
    (lambda d: _outcome(d, "remote_refused").pop("hop"), "must name the hop where delivery stops"),
])
def test_the_lint_checks_paths_and_hops(change, expected):
    assert _lint(lambda d: None) == []
    assert any(expected in p for p in _lint(change))


def test_every_case_declares_its_path_and_every_hop_has_a_name():
    flows = load_flows()
    for name in ("scenario_a", "scenario_b", "scenario_c", "scenario_d"):
        assert flows[name].path[0] == "client"
        assert set(flows[name].path) <= set(HOPS)
    assert "onprem" in flows["scenario_b"].path and "onprem" in flows["scenario_d"].path
    assert "onprem" not in flows["scenario_a"].path and "onprem" not in flows["scenario_c"].path


def test_entering_a_case_and_reaching_its_outcome_hand_over_the_path(engine):
    state = engine.start().state
    replies = []
    for text in ("c", "me@contoso.com", "someone@fabrikam.com", "yesterday", "failed", "remote", "no", "unknown"):
        result = engine.handle(state, text)
        state, replies = result.state, [*replies, *result.replies]
    paths = [r.path for r in replies if r.path is not None]
    assert paths == [MailPath(("client", "exo", "eop", "recipient_server")),
                     MailPath(("client", "exo", "eop", "recipient_server"), "recipient_server")]
    assert paths[1].stop_text() == "Delivery stops at: Recipient's mail server."


def test_step_tokens_change_with_every_answer_and_come_back_with_back(engine):
    start = engine.start()
    assert engine.step_token(None) == engine.step_token(start.state) == start.replies[-1].step
    first = engine.handle(start.state, "general")
    assert first.replies[-1].step == engine.step_token(first.state) != engine.step_token(start.state)
    again = engine.handle(first.state, "summary")  # looking at the case is not an answer
    assert engine.step_token(again.state) == engine.step_token(first.state) == again.replies[-1].step
    second = engine.handle(first.state, "next")
    assert engine.step_token(second.state) not in (engine.step_token(first.state), engine.step_token(start.state))
    back = engine.handle(second.state, "back")
    assert engine.step_token(back.state) == engine.step_token(first.state)
    assert engine.step_token({"flow": "nowhere", "state": "x"}) == engine.step_token(None)


def test_current_repeats_the_question_without_changing_anything(engine):
    state = engine.handle(engine.start().state, "general").state
    (question,) = engine.current(state)
    assert question.kind == "question" and question.step == engine.step_token(state)
    assert [c.value for c in question.choices] == ["next"]
