"""Rewrite the README's flow diagrams from the flow data: .venv/bin/python tools/readme_diagrams.py"""

from __future__ import annotations

import importlib
from pathlib import Path

from dialogs.diagram import mermaid
from dialogs.flows import FLOW_MODULES

BEGIN, END = "<!-- diagrams:begin -->", "<!-- diagrams:end -->"


def main() -> None:
    readme = Path(__file__).resolve().parents[1] / "README.md"
    text = readme.read_text(encoding="utf-8")
    blocks = []
    for name in FLOW_MODULES:
        data = importlib.import_module(f"dialogs.flows.{name}").FLOW
        blocks.append(f"<details><summary><b>{data['title']}</b> (<code>{name}</code>)</summary>\n\n"
                      f"```mermaid\n{mermaid(data)}\n```\n</details>")
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    readme.write_text(f"{head}{BEGIN}\n" + "\n\n".join(blocks) + f"\n{END}{tail}", encoding="utf-8")


if __name__ == "__main__":
    main()
