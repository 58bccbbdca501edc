"""Rendering the engine's replies as terminal text."""

from __future__ import annotations

from dataclasses import dataclass

from dialogs.replies import Reply
from mailflow.verdict import Verdict


@dataclass(frozen=True)
class Style:
    """ANSI styling, switched off for pipes and files so scripted output stays plain."""

    enabled: bool

    def _wrap(self, code: str, text: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.enabled else text

    def bold(self, text: str) -> str:
        return self._wrap("1", text)

    def dim(self, text: str) -> str:
        return self._wrap("2", text)

    def command(self, text: str) -> str:
        return self._wrap("36", text)

    def accent(self, text: str) -> str:
        return self._wrap("33", text)

    def verdict(self, verdict: Verdict) -> str:
        colour = {Verdict.OK: "32", Verdict.WARNING: "33", Verdict.ERROR: "31"}.get(verdict, "2")
        return self._wrap(colour, f"[{verdict.value}]".ljust(11))


def render_reply(reply: Reply, style: Style) -> str:
    lines: list[str] = []
    if reply.title:
        marker = "==" if reply.kind == "outcome" else "--"
        lines.append(style.bold(f"{marker} {reply.title} {marker}"))
    if reply.kind == "notice":
        lines.append(style.accent(reply.text))
    elif reply.kind != "summary" and reply.text:
        lines.append(reply.text)
    for row in reply.rows:
        lines.append(f"  {style.verdict(row.verdict)} {row.name}: {row.summary}")
    if reply.facts:
        lines.append(style.dim("Using: " + "; ".join(f"{label} = {value}" for label, value in reply.facts)))
    if reply.commands:
        lines.append("Run:")
        lines += [style.command(f"    {command}") for command in reply.commands]
    if reply.ask:
        lines.append(style.bold(reply.ask))
    if reply.evidence and reply.kind == "outcome":
        lines.append("Collect first:")
        lines += [f"  * {item}" for item in reply.evidence]
    if reply.summary:
        lines.append(style.dim("-" * 60))
        lines.append(reply.summary.to_text())
        lines.append(style.dim("-" * 60))
    if reply.choices:
        lines += [f"  {i}) {choice.label}" for i, choice in enumerate(reply.choices, 1)]
    return "\n".join(lines)
