"""The layers stay one-way: mailflow <- dialogs <- bot."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _imports(package: str) -> set[str]:
    found = set()
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module.split(".")[0])
    return found


def test_dialogs_never_imports_the_channel_stack():
    assert _imports("dialogs") & {"botbuilder", "botframework", "aiohttp", "bot", "msrest"} == set()


def test_mailflow_imports_neither_dialogs_nor_bot():
    assert _imports("mailflow") & {"dialogs", "bot", "botbuilder", "aiohttp", "transitions"} == set()


def test_running_a_conversation_loads_no_botbuilder_module():
    code = ("import sys; from dialogs.engine import Engine; e = Engine.default(); r = e.start();"
            "r = e.handle(r.state, '4'); import dialogs.diagram;"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in {'botbuilder', 'aiohttp', 'bot'}))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
