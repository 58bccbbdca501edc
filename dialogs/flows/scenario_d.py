"""Placeholder flow, being written."""

FLOW = {
    "name": "scenario_d", "version": 1, "title": "scenario_d", "initial": "end",
    "states": [{"name": "end", "title": "End", "outcome": "escalate", "say": "Not written yet.", "evidence": ["x"]}],
    "transitions": [],
}
