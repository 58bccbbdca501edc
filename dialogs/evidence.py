"""Evidence pasted into the conversation (a bounce, headers, a trace, a protocol log): what it says as a
reply, the facts it gives the case, and the case it points to."""

from __future__ import annotations

import email.utils
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from dialogs.replies import Reply
from mailflow import evidence
from mailflow.addresses import InvalidName, normalize_email, normalize_host, normalize_ip

MAX_EVIDENCE = 1_000_000  # characters read from one message
TITLES = {"ndr": "Bounce decoded", "headers": "Message headers decoded", "trace": "Message trace read",
          "smtplog": "SMTP protocol log read"}
# The hop an NDR code points to, as the flow that troubleshoots it.
HOP_FLOWS: Mapping[str, str] = {"A": "scenario_a", "B": "scenario_b", "C": "scenario_c", "D": "scenario_d"}
# The cases where an outside sender writes to us; in the others our user writes outside.
INBOUND_FLOWS = frozenset({"scenario_a", "scenario_b"})


@dataclass(frozen=True)
class Evidence:
    reply: Reply
    facts: dict[str, str] = field(default_factory=dict)
    flow: str | None = None  # the case the evidence points to, if any
    label: str = ""  # how the step shows in the case summary
    # The cases the bounce's direction fits (its servers and addresses, not just its code); empty when only
    # the code points somewhere. The engine switches a case under way only when it is not one of these.
    fits: frozenset[str] = frozenset()


SHOWN_FINDINGS = 8  # a chat shows the first few; the command line shows them all
_ATTENTION = {"error": 0, "warning": 1}  # findings that need action come first in the few lines a chat shows


def _lines(report: Mapping[str, Any]) -> list[str]:
    lines = [report["verdict"]] if isinstance(report.get("verdict"), str) else []
    findings = list(report.get("findings", []))
    findings.sort(key=lambda f: _ATTENTION.get(f.get("severity"), 2) if isinstance(f, dict) else 2)
    for finding in findings[:SHOWN_FINDINGS]:
        lines.append(f"- {finding.get('text', finding) if isinstance(finding, dict) else finding}")
    if len(findings) > SHOWN_FINDINGS:
        lines.append(f"{len(findings) - SHOWN_FINDINGS} more findings are not shown here; `mailflow explain` on "
                     "the same text lists them all.")
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
    fits: frozenset[str] = frozenset()
    if kind == "ndr":
        facts = _bounce_facts(report)
        label = f"Bounce with {report['status']}"
        flow = HOP_FLOWS.get(report.get("hop") or "")
        if report.get("hop_basis") == "direction":
            fits = frozenset(HOP_FLOWS[h] for h in report.get("direction") or () if h in HOP_FLOWS)
    if kind == "headers" and _inbound(report):
        # Headers of mail Microsoft 365 received: its sender, our recipient and the connecting IP are the
        # facts of an inbound case (A/B); for a case going the other way they would mean the opposite.
        fits = INBOUND_FLOWS
        message = report.get("message") or {}
        _keep(facts, "sender", [message.get("from")], normalize_email)
        _keep(facts, "recipient", message.get("to") or [], normalize_email)
        _keep(facts, "sending_ip", [message.get("client_ip")], normalize_ip)
        _keep(facts, "date", [message.get("date")], _day)
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
    return Evidence(reply, facts, flow, label, fits)


def _inbound(report: Mapping[str, Any]) -> bool:
    """Stamped by Microsoft 365 as mail coming in from outside the organisation."""
    direction = [a.get("value", "").upper() for a in report.get("antispam") or [] if a.get("field") == "DIR"]
    if report.get("directionality"):
        return report["directionality"] == "Incoming"
    return direction == ["INB"]


def _bounce_facts(report: Mapping[str, Any]) -> dict[str, str]:
    """The case facts a bounce gives: its code, both addresses, the day, the refused IP, our on-premises server."""
    facts = {"ndr_code": str(report["status"])}
    _keep(facts, "recipient", report.get("recipients") or [], normalize_email)
    _keep(facts, "sender", [report.get("sender")], normalize_email)
    _keep(facts, "sending_ip", [report.get("sending_ip")], normalize_ip)
    _keep(facts, "date", [report.get("original_date")], _day)
    if report.get("hop") == "D":  # the on-premises server a D bounce names is the smart host of that case
        _keep(facts, "onprem_server", [report.get("onprem_server")], normalize_host)
    return facts


def _keep(facts: dict[str, str], name: str, values: list[Any], parse: Callable[[str], str]) -> None:
    """The first value that reads as a valid ``name``; the rest are ignored."""
    for value in values:
        if not value:
            continue
        try:
            facts[name] = parse(str(value))
            return
        except (InvalidName, ValueError, TypeError):
            continue


def _day(value: str) -> str:
    """An RFC 5322 date ("Tue, 4 Mar 2025 09:15:18 +0000") as the ISO day the date fact holds."""
    return email.utils.parsedate_to_datetime(value).date().isoformat()
