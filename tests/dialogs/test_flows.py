"""Flow data: the lint passes, the lint catches mistakes, and every outcome is reachable by typing."""

from __future__ import annotations

import copy

import pytest

from dialogs.flow import Flow
from dialogs.flows import load_flows
from dialogs.flows.triage import FLOW as TRIAGE
from dialogs.lint import lint_all, lint_flow
from tests.dialogs.explore import explore


def test_every_flow_passes_the_lint():
    assert lint_all(load_flows()) == []


def _broken(change) -> list[str]:
    data = copy.deepcopy(TRIAGE)
    change(data)
    return lint_flow(Flow.from_data(data), set(load_flows()))


@pytest.mark.parametrize(("change", "expected"), [
    (lambda d: d["transitions"].pop(), "no transition"),
    (lambda d: d["states"].append({"name": "orphan", "title": "Orphan", "ask": "?", "choices": {"x": "X"}}),
     "cannot be reached"),
    (lambda d: d["transitions"].append({"trigger": "zzz", "source": "menu", "dest": "confirm"}),
     "matches no answer"),
    (lambda d: d["transitions"].append({"trigger": "a", "source": "menu", "dest": "go_a",
                                        "conditions": "no_such_condition"}), "condition 'no_such_condition'"),
    (lambda d: d["states"][0].update(interpret="telepathy"), "unknown interpreter"),
    (lambda d: d["states"][0].update(say="Hello {nobody}"), "{nobody}"),
    (lambda d: d["states"].append({"name": "go_x", "handoff": "nowhere"}) or d["transitions"].append(
        {"trigger": "x", "source": "pick", "dest": "go_x"}), "unknown flow"),
    (lambda d: d["states"][0].update(codes=("5.7.x",)), "is not a status code"),
    (lambda d: d["states"][0].update(codes=("5.7.649-5.7.606",)), "is not a status code"),
    (lambda d: d["states"][0].update(codes="5.7.1"), "non-empty list"),
    (lambda d: d["states"][-1].update(codes=("5.7.1",)), "belong on a question"),
    (lambda d: d["states"][0].update(codes=("5.7.600-5.7.610",)) or d["states"][1].update(codes=("5.7.606",)),
     "overlaps 5.7.600-5.7.610"),
])
def test_lint_reports_mistakes(change, expected):
    problems = _broken(change)
    assert any(expected in p for p in problems), problems


def test_lint_requires_evidence_on_unsolved_outcomes():
    def add_outcome(d):
        d["states"].append({"name": "end", "title": "End", "outcome": "escalate", "say": "Call support."})
        d["transitions"].append({"trigger": "x", "source": "pick", "dest": "end"})
    assert any("no evidence" in p for p in _broken(add_outcome))


def test_every_outcome_of_every_flow_is_reached_through_the_engine(engine):
    outcomes = {(name, s) for name, flow in load_flows().items()
                for s, state in flow.states.items() if "outcome" in state}
    reached = {}
    for visit in explore(engine):
        key = (visit.state["flow"], visit.state["state"])
        if key in outcomes:
            reached.setdefault(key, visit.inputs)
    assert outcomes - set(reached) == set()
    # Each path is a real conversation: replaying its inputs lands on the same outcome.
    for (flow, state), inputs in reached.items():
        result = engine.start()
        for text in inputs:
            result = engine.handle(result.state, text)
        assert (result.state["flow"], result.state["state"]) == (flow, state)
        assert result.replies[-1].summary is not None
        assert result.replies[-1].summary.conclusion == load_flows()[flow].states[state]["title"]


def test_every_scenario_is_reachable_from_the_menu(engine):
    flows_seen = {visit.state["flow"] for visit in explore(engine)}
    assert flows_seen == set(load_flows())


def test_machines_are_built_once_and_shared():
    first, second = load_flows(), load_flows()
    assert first is second
    assert all(flow.machine.models == [] for flow in first.values())


def test_declared_codes_name_one_step_per_flow():
    flows = load_flows()
    assert flows["scenario_a"].state_for_code("5.7.620") == "blocklist"
    assert flows["scenario_b"].state_for_code("5.4.14") == "exo_failed"
    assert flows["scenario_c"].state_for_code("5.1.1") == "remote_code"
    assert flows["scenario_d"].state_for_code("5.7.1") == "fail_reply"
    assert flows["scenario_c"].state_for_code("5.7.12") is None  # 5.7.1 is exact, not a prefix
    assert flows["triage"].state_for_code("5.1.1") is None
    assert flows["scenario_a"].state_for_code(None) is None
    assert flows["scenario_a"].state_for_code("not a code") is None
