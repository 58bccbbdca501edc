"""Walks every path of every flow through the real engine, typing answers as a person would."""

from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

from dialogs.engine import Engine
from dialogs.facts import FACT_TYPES

TODAY = dt.date(2026, 11, 28)
SAMPLE_FACTS = {name: fact.example for name, fact in FACT_TYPES.items()}
SAMPLE_FACTS["date"] = "yesterday"


@dataclass(frozen=True)
class Visit:
    state: dict
    inputs: tuple[str, ...]


def answers_for(engine: Engine, state: dict) -> list[str]:
    flow = engine.flows[state["flow"]]
    current = flow.states[state["state"]]
    if "fact" in current:
        return [SAMPLE_FACTS[current["fact"]], "skip"]
    return [str(i) for i in range(1, len(current.get("choices", {})) + 1)]


def explore(engine: Engine, limit: int = 20000) -> Iterator[Visit]:
    """Breadth-first over (flow, state, known facts), yielding each conversation state once."""
    start = engine.start().state
    seen = set()
    queue = deque([Visit(start, ())])
    while queue and len(seen) < limit:
        visit = queue.popleft()
        key = (visit.state["flow"], visit.state["state"], frozenset(visit.state["facts"]))
        if key in seen:
            continue
        seen.add(key)
        yield visit
        for text in answers_for(engine, visit.state):
            result = engine.handle(visit.state, text)
            queue.append(Visit(result.state, (*visit.inputs, text)))
