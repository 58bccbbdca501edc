"""Placeholder flow, being written."""

FLOW = {
    "name": "scenario_a", "version": 1, "title": "scenario_a", "initial": "end",
    "states": [{"name": "end", "title": "End", "outcome": "escalate", "say": "Not written yet.", "evidence": ["x"]}],
    "transitions": [],
}
