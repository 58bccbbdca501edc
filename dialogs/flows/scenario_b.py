"""Placeholder flow, being written."""

FLOW = {
    "name": "scenario_b", "version": 1, "title": "scenario_b", "initial": "end",
    "states": [{"name": "end", "title": "End", "outcome": "escalate", "say": "Not written yet.", "evidence": ["x"]}],
    "transitions": [],
}
