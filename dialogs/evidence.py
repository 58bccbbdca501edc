"""Evidence pasted into the conversation (a bounce, headers, a trace, a protocol log): what it says as a
reply, the facts it gives the case, and the case it points to."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from dialogs.replies import Reply
from mailflow import evidence
from mailflow.addresses import InvalidName, normalize_email

MAX_EVIDENCE = 1_000_000  # characters read from one message
TITLES = {"ndr": "Bounce decoded", "headers": "Message headers decoded", "trace": "Message trace read",
          "smtplog": "SMTP protocol log read"}
# The hop an NDR code points to, as the flow that troubleshoots it.
HOP_FLOWS: Mapping[str, str] = {"A": "scenario_a", "B": "scenario_b", "C": "scenario_c", "D": "scenario_d"}


@dataclass(frozen=True)
class Evidence:
    reply: Reply
    facts: dict[str, str] = field(default_factory=dict)
    flow: str | None = None  # the case the evidence points to, if any
    label: str = ""  # how the step shows in the case summary


def _lines(report: Mapping[str, Any]) -> list[str]:
    lines = [report["verdict"]] if isinstance(report.get("verdict"), str) else []
    for finding in report.get("findings", [])[:8]:
        lines.append(f"- {finding.get('text', finding) if isinstance(finding, dict) else finding}")
    return lines


# Every kind of evidence spans several lines, except a pasted bounce line, which carries a status code.
# Checking this first keeps ordinary one-line answers off the parsers (the per-turn hot path).
_MAYBE_CODE = re.compile(r"[245]\.\d{1,3}\.\d")


def read(raw: str) -> Evidence | None:
    """None unless ``raw`` is evidence that a parser understood."""
    if "\n" not in raw and not _MAYBE_CODE.search(raw):
        return None
    text = raw[:MAX_EVIDENCE]
    kind = evidence.detect(text)
    if kind is None:
        return None
    report = evidence.explain(text, kind)
    if not evidence.recognised(report):
        return None
    facts: dict[str, str] = {}
    flow = None
    label = TITLES[kind]
    if kind == "ndr":
        facts["ndr_code"] = str(report["status"])
        label = f"Bounce with {report['status']}"
        for address in report.get("recipients") or []:
            try:
                facts["recipient"] = normalize_email(address)
                break
            except InvalidName:
                continue
        flow = HOP_FLOWS.get(report.get("hop") or "")
    if kind == "trace":
        messages = report.get("messages") or []
        scenarios = {m.get("scenario") for m in messages}
        if len(scenarios) == 1:
            flow = HOP_FLOWS.get(scenarios.pop() or "")
        if len(messages) == 1:
            for role in ("sender", "recipient"):
                try:
                    facts[role] = normalize_email(messages[0].get(role) or "")
                except InvalidName:
                    continue
    reply = Reply("\n".join(_lines(report)), kind="evidence", title=TITLES[kind])
    return Evidence(reply, facts, flow, label)
