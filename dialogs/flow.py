"""A flow as reviewed data, and the one shared `transitions` machine built from it.

A flow module exports FLOW, a dict shaped like the ``Machine`` constructor (name, initial, states,
transitions) whose states also carry what the bot says. Keys a state may have:

- ``say``: what the bot explains at this step; ``{recipient}`` style fields are filled from facts.
- ``run``: commands to run, filled the same way.
- ``ask`` + ``choices`` (id -> label): a question; each id is the trigger of a transition.
- ``fact``: ask for one fact (see dialogs.facts); the trigger is ``answered`` (or ``skip``; a fact
  marked ``required`` cannot be skipped). A fact already known is not asked again; ``example``
  replaces the fact's usual example where it would read wrong.
- ``interpret``: read free text with a named interpreter (dialogs.interpreters).
- ``outcome`` (+ ``evidence``, optional ``who``): an end of the flow.
- ``hop``: the hop of the flow's ``path`` (see dialogs.path) the step is about; on an outcome, where delivery
  stops (or, when solved, how far the message got). Outcomes that are not "solved" need one when the flow
  declares a path.
- ``handoff``: continue in another flow (``{scenario}`` means the flow a fact names).
- ``codes``: the NDR status codes (RFC 3463 enhanced codes, exact like ``"5.7.1"`` or inclusive ranges like
  ``"5.7.606-5.7.649"``, written as in mailflow.ndr_catalog) that lead straight to this step when a bounce
  carrying one is pasted while this flow is entered or under way. Only on question steps (``choices``); one
  flow may not claim a code twice, so a code leads to at most one step per flow.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from transitions import Machine, State

from dialogs.facts import DERIVED_FIELDS, FACT_TYPES, template_fields
from mailflow.ndr_catalog import code_in

OUTCOMES: Mapping[str, tuple[str, str]] = {
    "solved": ("Solved", "Nobody: the problem is solved"),
    "our_admin": ("Action for your Microsoft 365 / Exchange admin", "Your Microsoft 365 / Exchange administrator"),
    "other_admin": ("Action for the other side's mail admin", "The other organisation's mail administrator"),
    "escalate": ("Escalate to Microsoft support", "Your admin, by opening a case with Microsoft support"),
    "helpdesk": ("Ticket for the helpdesk", "The helpdesk"),
}

FACT_TRIGGERS = ("answered", "skip")
_MACHINE_KEYS = ("trigger", "source", "dest", "conditions", "unless")


@dataclass(frozen=True)
class Flow:
    """One flow's data plus its machine; built once per process and shared by all conversations."""

    name: str
    version: int
    title: str
    initial: str
    states: Mapping[str, Mapping[str, Any]]
    transitions: tuple[Mapping[str, Any], ...]
    machine: Machine
    triggers: Mapping[str, frozenset[str]]
    uses: Mapping[str, tuple[str, ...]]
    intro: str = ""
    codes: tuple[tuple[str, str], ...] = ()  # (code pattern, state) from the states' ``codes``, in state order
    path: tuple[str, ...] = ()  # the hops the flow's mail crosses, in order (dialogs.path.HOPS ids)

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Flow:
        states = {s["name"]: s for s in data["states"]}
        if len(states) != len(data["states"]):
            raise ValueError(f"flow {data['name']}: duplicate state names")
        transitions = tuple(data["transitions"])
        machine = build_machine(data)
        triggers: dict[str, set[str]] = {name: set() for name in states}
        for t in transitions:
            for source in _sources(t, states):
                triggers[source].add(t["trigger"])
        return cls(
            name=data["name"], version=int(data.get("version", 1)), title=data["title"],
            initial=data["initial"], states=states, transitions=transitions, machine=machine,
            triggers={k: frozenset(v) for k, v in triggers.items()},
            uses={name: _facts_used(s) for name, s in states.items()}, intro=data.get("intro", ""),
            codes=tuple((pattern, name) for name, s in states.items() for pattern in s.get("codes", ())),
            path=tuple(data.get("path", ())),
        )

    def state(self, name: str) -> Mapping[str, Any]:
        return self.states[name]

    def state_for_code(self, code: str | None) -> str | None:
        """The step a bounce with this status code leads to in this flow, if one declares it."""
        if not code:
            return None
        return next((name for pattern, name in self.codes if code_in(pattern, code)), None)


def state_texts(state: Mapping[str, Any]) -> list[str]:
    """Every template a state shows, for fact extraction and the lint."""
    texts = [state.get("say", ""), state.get("ask", ""), state.get("handoff", ""), *state.get("run", ()),
             *state.get("evidence", ()), state.get("who", ""), *state.get("choices", {}).values()]
    return [t for t in texts if t]


def _facts_used(state: Mapping[str, Any]) -> tuple[str, ...]:
    """The case facts a step's text refers to, shown next to the step."""
    found: list[str] = []
    for text in state_texts(state):
        for name in template_fields(text):
            base = DERIVED_FIELDS.get(name, name)
            if base in FACT_TYPES and base not in found:
                found.append(base)
    return tuple(found)


def _sources(transition: Mapping[str, Any], states: Mapping[str, Any]) -> list[str]:
    source = transition["source"]
    if source == "*":
        return list(states)
    return [source] if isinstance(source, str) else list(source)


def machine_kwargs(data: Mapping[str, Any]) -> dict[str, Any]:
    """The ``Machine`` constructor arguments for a flow: the runtime and the diagrams share them."""
    return {
        "states": [State(s["name"], final="outcome" in s or "handoff" in s) for s in data["states"]],
        "transitions": [{k: t[k] for k in _MACHINE_KEYS if k in t} for t in data["transitions"]],
        "initial": data["initial"],
        "auto_transitions": False,
        "ignore_invalid_triggers": True,
        "title": data["title"],
    }


def build_machine(data: Mapping[str, Any]) -> Machine:
    kwargs = machine_kwargs(data)
    kwargs.pop("title")
    # model=None: no model is attached; each turn triggers events on a throwaway position object.
    return Machine(model=None, **kwargs)
