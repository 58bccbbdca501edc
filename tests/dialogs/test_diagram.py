from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from bot.cli import main
from dialogs import diagram
from dialogs.flows import FLOW_MODULES, load_flows

ROOT = Path(__file__).resolve().parents[2]


def _data(name):
    import importlib

    return importlib.import_module(f"dialogs.flows.{name}").FLOW


@pytest.mark.parametrize("name", FLOW_MODULES)
def test_mermaid_shows_every_state_and_transition(name):
    text = diagram.mermaid(_data(name))
    assert "stateDiagram-v2" in text
    flow = load_flows()[name]
    for state in flow.states:
        assert f" as {state}\n" in text
    edges = set(re.findall(r"^\s*(\w+) --> (\w+):", text, re.MULTILINE))
    for t in flow.transitions:
        sources = [t["source"]] if isinstance(t["source"], str) else t["source"]
        for source in sources:
            assert (source, t["dest"]) in edges


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' is not installed (run.py test installs it)")
def test_svg_is_drawn(tmp_path):
    assert main(["diagram", "scenario_a", "--format", "svg", "-o", str(tmp_path / "a.svg")]) == 0
    svg = (tmp_path / "a.svg").read_text()
    assert svg.lstrip().startswith("<?xml") or "<svg" in svg[:400]
    assert "trace" in svg


def test_unknown_flow_is_a_clear_error(capsys):
    assert main(["diagram", "no_such_flow"]) == 2
    assert "no flow named" in capsys.readouterr().err


def test_readme_shows_the_current_diagrams():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in FLOW_MODULES:
        assert diagram.mermaid(_data(name)) in readme, f"README diagram of {name} is out of date: " \
            "regenerate with `mailflow diagram` (see README)"
