"""Checks that a flow is complete and consistent, so reviewers can trust the data they read."""

from __future__ import annotations

from collections.abc import Mapping

from dialogs.checks import CHECK_KINDS
from dialogs.engine import CONDITIONS
from dialogs.facts import DERIVED_FIELDS, FACT_TYPES, template_fields
from dialogs.flow import FACT_TRIGGERS, OUTCOMES, Flow, state_texts
from dialogs.interpreters import INTERPRETERS, TRIGGERS
from dialogs.path import HOPS
from mailflow.ndr_catalog import pattern_bounds, valid_pattern

INTERPRETER_FACTS = frozenset({"scenario", "scenario_title", "scenario_reasons"})
KNOWN_KEYS = frozenset({"name", "title", "say", "ask", "run", "choices", "fact", "required", "interpret",
                        "outcome", "evidence", "who", "handoff", "example", "check", "codes", "hop"})


def _edges(flow: Flow) -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {name: set() for name in flow.states}
    for t in flow.transitions:
        sources = list(flow.states) if t["source"] == "*" else (
            [t["source"]] if isinstance(t["source"], str) else t["source"])
        for source in sources:
            edges.setdefault(source, set()).add(t["dest"])
    return edges


def _reach(edges: Mapping[str, set[str]], start: str) -> set[str]:
    seen, todo = {start}, [start]
    while todo:
        for nxt in edges.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def _lint_codes(flow: Flow) -> list[str]:
    """``codes``: a list of valid codes or ranges, on question steps only, and no code claimed by two steps."""
    where = f"flow {flow.name}"
    problems: list[str] = []
    claimed: list[tuple[str, str]] = []
    for name, state in flow.states.items():
        codes = state.get("codes")
        if codes is None:
            continue
        here = f"{where}, state {name}"
        if isinstance(codes, str) or not isinstance(codes, (list, tuple)) or not codes:
            problems.append(f"{here}: codes must be a non-empty list of status codes, such as (\"5.7.1\",)")
            continue
        if "choices" not in state or any(k in state for k in ("outcome", "handoff", "fact")):
            problems.append(f"{here}: codes lead to a step, so they belong on a question with choices")
        for pattern in codes:
            if not isinstance(pattern, str) or not valid_pattern(pattern):
                problems.append(f"{here}: {pattern!r} is not a status code or a range like 5.7.606-5.7.649")
                continue
            low, high = pattern_bounds(pattern)
            for other, other_state in claimed:
                other_low, other_high = pattern_bounds(other)
                if low <= other_high and other_low <= high:
                    problems.append(f"{here}: code {pattern} overlaps {other}, already leading to {other_state}")
            claimed.append((pattern, name))
    return problems


def _lint_path(flow: Flow) -> list[str]:
    """``path`` holds known hops; a step's ``hop`` is on it; every unsolved outcome says where mail stops."""
    where = f"flow {flow.name}"
    problems = [f"{where}: path hop {hop!r} is not one of {sorted(HOPS)}" for hop in flow.path if hop not in HOPS]
    for name, state in flow.states.items():
        hop = state.get("hop")
        if hop is not None and hop not in flow.path:
            problems.append(f"{where}, state {name}: hop {hop!r} is not on the flow's path {list(flow.path)}")
        if flow.path and hop is None and state.get("outcome") not in (None, "solved"):
            problems.append(f"{where}, state {name}: an outcome must name the hop where delivery stops")
    return problems


def lint_flow(flow: Flow, flow_names: set[str]) -> list[str]:
    """Every problem found, as sentences naming the flow and state; empty when the flow is sound."""
    where = f"flow {flow.name}"
    problems: list[str] = []
    if flow.initial not in flow.states:
        return [f"{where}: initial state {flow.initial!r} does not exist"]
    for t in flow.transitions:
        for source in [t["source"]] if isinstance(t["source"], str) else t["source"]:
            if source != "*" and source not in flow.states:
                problems.append(f"{where}: transition {t['trigger']!r} comes from unknown state {source!r}")
        if t["dest"] not in flow.states:
            problems.append(f"{where}: transition {t['trigger']!r} goes to unknown state {t['dest']!r}")
        for key in ("conditions", "unless"):
            names = t.get(key) or []
            for name in [names] if isinstance(names, str) else names:
                if name not in CONDITIONS:
                    problems.append(f"{where}: condition {name!r} is not defined on dialogs.engine.Position")
    problems += _lint_codes(flow)
    problems += _lint_path(flow)
    edges = _edges(flow)
    reachable = _reach(edges, flow.initial)
    ends = {n for n, s in flow.states.items() if "outcome" in s or "handoff" in s}
    for name, state in flow.states.items():
        here = f"{where}, state {name}"
        unknown = set(state) - KNOWN_KEYS
        if unknown:
            problems.append(f"{here}: unknown keys {sorted(unknown)}")
        if name not in reachable:
            problems.append(f"{here}: cannot be reached from {flow.initial!r}")
        triggers = flow.triggers.get(name, frozenset())
        if name in ends:
            if triggers:
                problems.append(f"{here}: an end state must have no way forward, has {sorted(triggers)}")
            if "outcome" in state:
                if state["outcome"] not in OUTCOMES:
                    problems.append(f"{here}: unknown outcome {state['outcome']!r}")
                if state["outcome"] not in ("solved",) and not state.get("evidence"):
                    problems.append(f"{here}: outcome names no evidence to collect")
                if not state.get("say") or not state.get("title"):
                    problems.append(f"{here}: outcome needs a title and a say text")
            if "handoff" in state and state["handoff"] not in flow_names and "{" not in state["handoff"]:
                problems.append(f"{here}: hands off to unknown flow {state['handoff']!r}")
            continue
        if not triggers:
            problems.append(f"{here}: has no way forward")
        if not _reach(edges, name) & ends:
            problems.append(f"{here}: no outcome can be reached from here")
        expected: set[str] = set(state.get("choices", {}))
        if "fact" in state:
            if state["fact"] not in FACT_TYPES:
                problems.append(f"{here}: unknown fact {state['fact']!r}")
            expected |= set(FACT_TRIGGERS)
            if "answered" not in triggers:
                problems.append(f"{here}: a fact question needs an 'answered' transition")
        if "interpret" in state:
            if state["interpret"] not in INTERPRETERS:
                problems.append(f"{here}: unknown interpreter {state['interpret']!r}")
            expected |= TRIGGERS.get(state["interpret"], frozenset())
        if "fact" not in state and "choices" not in state:
            problems.append(f"{here}: asks nothing (needs choices, a fact or an outcome)")
        if "fact" not in state and not state.get("title"):
            problems.append(f"{here}: a question needs a short title for the case summary")
        if spec := state.get("check"):
            kind = CHECK_KINDS.get(spec.get("kind", ""))
            if kind is None:
                problems.append(f"{here}: unknown check kind {spec.get('kind')!r}")
            else:
                for result, choice in spec.get("answers", {}).items():
                    if result not in kind.results:
                        problems.append(f"{here}: check {kind.name} never returns {result!r}")
                    if choice not in state.get("choices", {}):
                        problems.append(f"{here}: check answer {choice!r} is not one of the step's choices")
            for field in template_fields(spec.get("target", "")):
                if field not in FACT_TYPES and field not in DERIVED_FIELDS:
                    problems.append(f"{here}: check target field {{{field}}} is not a known fact")
        for choice in state.get("choices", {}):
            if choice not in triggers:
                problems.append(f"{here}: answer {choice!r} has no transition")
        for trigger in triggers - expected:
            problems.append(f"{here}: transition {trigger!r} matches no answer the user can give")
        for text in state_texts(state):
            for field in template_fields(text):
                if field not in FACT_TYPES and field not in DERIVED_FIELDS and field not in INTERPRETER_FACTS:
                    problems.append(f"{here}: template field {{{field}}} is not a known fact")
    return problems


def lint_all(flows: Mapping[str, Flow]) -> list[str]:
    names = set(flows)
    return [p for flow in flows.values() for p in lint_flow(flow, names)]
