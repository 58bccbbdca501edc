"""Pictures of the flows, drawn by transitions' own diagram support from the same data the bot runs."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Mapping
from typing import Any

from transitions.extensions import GraphMachine

from dialogs.flow import machine_kwargs

FORMATS = ("mermaid", "svg")


class DiagramUnavailable(RuntimeError):
    """The requested format needs software that is not installed; the message says what to install."""


def _graph_machine(data: Mapping[str, Any], engine: str) -> GraphMachine:
    kwargs = machine_kwargs(data)
    kwargs["ignore_invalid_triggers"] = None
    # transitions logs a fallback warning when a backend is missing; we check for it ourselves.
    logging.getLogger("transitions.extensions.diagrams").setLevel(logging.ERROR)
    return GraphMachine(graph_engine=engine, show_conditions=True, **kwargs)


def mermaid(data: Mapping[str, Any]) -> str:
    """A Mermaid ``stateDiagram-v2`` of one flow."""
    source = str(_graph_machine(data, "mermaid").get_graph().draw(None))
    # transitions 0.9.3 writes a bare title between the front-matter fences and a capitalised "Class"
    # statement; Mermaid expects "title: ..." and "class".
    source = source.replace(f"---\n{data['title']}\n---", f"---\ntitle: \"{data['title']}\"\n---", 1)
    return "\n".join("  class " + line.strip()[6:] if line.strip().startswith("Class ") else line.rstrip()
                     for line in source.splitlines())


def svg(data: Mapping[str, Any]) -> bytes:
    """An SVG drawing of one flow, through Graphviz's ``dot``."""
    try:
        import graphviz  # noqa: F401  (only to fail early with a clear message)
    except ImportError as exc:
        raise DiagramUnavailable("SVG output needs the Python package 'graphviz' (pip install graphviz)") from exc
    if shutil.which("dot") is None:
        raise DiagramUnavailable("SVG output needs Graphviz's 'dot' program (Debian/Ubuntu: apt-get install "
                                 "graphviz; macOS: brew install graphviz). Mermaid output needs nothing.")
    graph = _graph_machine(data, "graphviz").get_graph()
    return bytes(graph.pipe(format="svg"))
