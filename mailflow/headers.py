"""Decoding pasted message headers into the story of one message: the hops it took, how it authenticated,
what Exchange Online's filters decided, where the mailbox put it, and one plain-English verdict line.

Received chain per RFC 5322 §3.6.7 (here); authentication per RFC 8601 / RFC 7208 (headers_auth); ARC per RFC 8617
(headers_arc); the X-Forefront-Antispam-Report / X-Microsoft-Antispam* stamps (headers_antispam) and the
X-MS-Exchange-Organization-* / CrossTenant-* stamps (headers_exchange) per Microsoft's documentation, cited in
headers_codes; the verdict in headers_verdict. Never raises on what a user pastes: garbage gives a report that says
nothing was recognised.
"""

from __future__ import annotations

from email.message import Message
from email.utils import getaddresses
from typing import Any

from mailflow.headers_antispam import decode_antispam
from mailflow.headers_arc import decode_arc
from mailflow.headers_auth import decode_auth
from mailflow.headers_exchange import decode_exchange
from mailflow.headers_parse import parse_message, parse_received, unfold
from mailflow.headers_report import HeaderReport, duration
from mailflow.headers_verdict import verdict
from mailflow.smtp_findings import Finding
from mailflow.verdict import Verdict

__all__ = ["SLOW_HOP_S", "HeaderReport", "analyze_headers"]

SLOW_HOP_S = 300  # a hop taking five minutes or more is worth pointing at; seconds are normal
_KNOWN = {"received", "authentication-results", "authentication-results-original", "from", "to", "subject", "date",
          "message-id", "return-path", "received-spf", "dkim-signature", "mime-version", "content-type", "reply-to",
          "cc", "x-originating-ip", "x-customspam"}


def _recognised(msg: Message) -> bool:
    """Only call it headers when a real mail header is there, so "Error: blah" pasted alone is not a message."""
    return any(k.lower() in _KNOWN or k.lower().startswith(("x-ms-", "x-microsoft-", "x-forefront-", "arc-"))
               for k, v in msg.items() if unfold(v))


def _message(msg: Message, report: HeaderReport) -> None:
    """Who sent it to whom and when, and the IP that connected to Microsoft 365 (CIP): the facts a case asks for."""
    found: dict[str, Any] = {}
    if sender := getaddresses([unfold(msg.get("From") or "")]):
        found["from"] = sender[0][1] or None
    found["to"] = [address for _, address in getaddresses([unfold(v) for v in msg.get_all("To") or []]) if address]
    found["date"] = unfold(msg.get("Date") or "") or None
    found["message_id"] = unfold(msg.get("Message-ID") or "").strip("<>") or None
    found["client_ip"] = report.field_value("CIP")
    report.message = found


def _hops(msg: Message, report: HeaderReport) -> None:
    """Received headers are prepended by each hop, so the bottom one is the oldest (RFC 5322 §3.6.7)."""
    report.hops = [parse_received(v) for v in reversed(msg.get_all("Received") or []) if unfold(v)]
    for prev, hop in zip(report.hops, report.hops[1:], strict=False):
        if prev.time and hop.time:
            delay = (hop.time - prev.time).total_seconds()
            if delay < 0:
                hop.notes.append(f"clock skew: this hop's time is {-delay:.0f} s before the previous hop's; shown as 0")
                delay = 0.0
            hop.delay_s = delay
    undated = sum(1 for h in report.hops if h.time is None)
    if undated:
        report.findings.append(Finding("received", Verdict.WARNING,
                                       f"{undated} of {len(report.hops)} Received headers have a missing or "
                                       "unreadable date, so the delay around them is unknown."))
    timed = [h for h in report.hops if h.delay_s is not None]
    if not timed:
        return
    slowest = max(timed, key=lambda h: h.delay_s or 0.0)
    if slowest.delay_s:
        slowest.slowest = True
        severity = Verdict.WARNING if slowest.delay_s >= SLOW_HOP_S else Verdict.OK
        report.findings.append(Finding("received", severity,
                                       f"Slowest hop: {slowest.from_host or '?'} -> {slowest.by_host or '?'} took "
                                       f"{duration(slowest.delay_s)}."))
    first, last = next((h for h in report.hops if h.time), None), next(
        (h for h in reversed(report.hops) if h.time), None)
    if first and last and first is not last and first.time and last.time:
        total = max((last.time - first.time).total_seconds(), 0.0)
        report.findings.append(Finding("received", Verdict.OK,
                                       f"{len(report.hops)} hops, {duration(total)} from first to last."))


def analyze_headers(text: str) -> HeaderReport:
    """Decode pasted headers (Outlook "Internet headers" or a .eml); never raises on malformed input."""
    report = HeaderReport()
    try:
        msg = parse_message(text if isinstance(text, str) else "")
    except Exception:  # the parser is lenient, but a paste must never crash the chat
        msg = None
    if msg is None or not _recognised(msg):
        report.findings.append(Finding("headers", Verdict.NOT_FOUND, "No message headers were recognised; paste the "
                                       "full Internet headers (Outlook: File > Properties > Internet headers)."))
        return report
    _hops(msg, report)
    for decode in (decode_auth, decode_arc, decode_antispam, decode_exchange):
        decode(msg, report)
    _message(msg, report)
    report.verdict = verdict(report)
    slow = next((h for h in report.hops if h.slowest and (h.delay_s or 0) >= SLOW_HOP_S), None)
    if slow and "slowest hop" not in report.verdict:
        report.verdict += (f" Slow hop: {slow.from_host or '?'} -> {slow.by_host or '?'} took "
                           f"{duration(slow.delay_s or 0)}.")
    return report
