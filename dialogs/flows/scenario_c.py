"""Placeholder flow, being written."""

FLOW = {
    "name": "scenario_c", "version": 1, "title": "scenario_c", "initial": "end",
    "states": [{"name": "end", "title": "End", "outcome": "escalate", "say": "Not written yet.", "evidence": ["x"]}],
    "transitions": [],
}
