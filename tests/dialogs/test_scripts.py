"""The scripted conversations reach their outcomes through the engine."""

from __future__ import annotations

import pytest

from tests.scripts import SCRIPTS


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda s: s.name)
def test_script_reaches_its_outcome(engine, script):
    result = engine.start()
    for text in script.inputs:
        result = engine.handle(result.state, text)
        assert result.replies, text
    assert (result.state["flow"], result.state["state"]) == (script.flow, script.state)
    flow = engine.flows[script.flow]
    if "outcome" in flow.states[script.state]:
        summary = result.replies[-1].summary
        assert summary is not None
        assert summary.conclusion == flow.states[script.state]["title"]
        assert [step.answer for step in summary.steps][-1]
