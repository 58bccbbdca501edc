"""Named readers of free text that flows can use at a step (``"interpret": NAME``).

Each returns the trigger to fire (or None when it understood nothing) and facts it learned.
TRIGGERS lists what each can fire so the flow lint can check every one has a transition.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from dialogs.recognize import recognize

Interpretation = tuple[str | None, dict[str, str]]

SCENARIO_TITLES: Mapping[str, str] = {
    "general": "an explanation of how mail normally flows between organisations",
    "scenario_a": "case A, outside senders -> your Office 365 mailboxes (MX on Exchange Online)",
    "scenario_b": "case B, outside senders -> your hybrid organisation (MX on-premises)",
    "scenario_c": "case C, your Office 365 users -> an outside recipient",
    "scenario_d": "case D, your users -> outside through on-premises (centralized mail flow)",
    "end_user": "a problem to hand to your helpdesk (you are not a mail administrator)",
}


def interpret_scenario(text: str) -> Interpretation:
    found = recognize(text)
    if found.flow is None:
        return None, found.facts
    facts = dict(found.facts)
    facts["scenario"] = found.flow
    facts["scenario_title"] = SCENARIO_TITLES[found.flow]
    facts["scenario_reasons"] = "; ".join(found.reasons)
    return "understood", facts


INTERPRETERS: Mapping[str, Callable[[str], Interpretation]] = {"scenario": interpret_scenario}
TRIGGERS: Mapping[str, frozenset[str]] = {"scenario": frozenset({"understood"})}
