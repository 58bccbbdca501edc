"""What kind of evidence a paste or file is, and one call that reads it with the right parser.

Kinds: ``ndr`` (bounce / DSN), ``trace`` (message trace CSV), ``smtplog`` (Exchange protocol log),
``headers`` (message headers). Detection looks at markers each format always carries.
"""

from __future__ import annotations

import re
from typing import Any

KINDS = ("ndr", "trace", "smtplog", "headers")

# RFC 3463 enhanced status code preceded by a SMTP reply code, as pasted from a bounce: "550 5.7.606".
_REPLY_AND_CODE = re.compile(r"\b[245]\d\d[ -][245]\.\d{1,3}\.\d{1,3}\b")
_NDR_MARKERS = ("multipart/report", "message/delivery-status", "final-recipient:", "diagnostic-code:",
                "diagnostic information for administrators", "remote server returned", "delivery has failed",
                "undeliverable", "generating server:", "mail delivery failed", "delivery status notification")
_TRACE_MARKERS = ("messagetraceid", "recipientaddress", "senderaddress", "origin_timestamp", "network_message_id",
                  "recipient address", "sender address", "date,event,action", "\"date\",\"event\"")
_HEADER_MARKERS = ("received: from", "authentication-results:", "x-forefront-antispam-report:",
                   "x-ms-exchange-organization-", "message-id:")


def decode(data: bytes) -> str:
    """Evidence bytes as text: UTF-16 exports (Excel, Windows PowerShell) carry a byte-order mark, else UTF-8."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", "replace")
    return data.decode("utf-8-sig", "replace")


def detect(text: str) -> str | None:
    """The kind of evidence ``text`` looks like, or None when it looks like none of them."""
    head = text[:20_000].lower()
    if head.lstrip().startswith("#software: microsoft exchange") or "#fields: date-time" in head:
        return "smtplog"
    # The column header is the first line, or the second after PowerShell's "#TYPE ..." line.
    columns = [line for line in head.lstrip("\ufeff").split("\n", 2)[:2] if not line.startswith("#type")][:1]
    if columns and ("," in columns[0] or ";" in columns[0]) and any(m in columns[0] for m in _TRACE_MARKERS):
        return "trace"
    if any(marker in head for marker in _NDR_MARKERS):
        return "ndr"
    if sum(marker in head for marker in _HEADER_MARKERS) >= 1 and re.search(r"^[\w-]+: ", text, re.MULTILINE):
        return "headers"
    if _REPLY_AND_CODE.search(text[:20_000]):
        return "ndr"
    return None


def explain(text: str, kind: str | None = None) -> dict[str, Any]:
    """Read ``text`` as ``kind`` (detected when None); the report's JSON, always with ``kind`` and ``findings``."""
    kind = kind or detect(text)
    if kind == "ndr":
        from mailflow.bounce import parse_bounce

        return parse_bounce(text).to_json()
    if kind == "headers":
        from mailflow.headers import analyze_headers

        return analyze_headers(text).to_json()
    if kind == "trace":
        from mailflow.message_trace import parse_trace

        return parse_trace(text).to_dict()
    if kind == "smtplog":
        import io

        from mailflow.protocol_log import analyze_log

        return analyze_log(io.BytesIO(text.encode("utf-8", "replace"))).to_json()
    return {"kind": None, "findings": ["This does not look like a bounce, a message trace, an SMTP protocol log "
                                       "or message headers."]}


def recognised(report: dict[str, Any]) -> bool:
    """Did the parser find anything it understood (a status, hops, messages or sessions)?"""
    kind = report.get("kind")
    if kind == "ndr":
        return bool(report.get("status"))
    if kind == "headers":
        return bool(report.get("hops") or report.get("sfv") or report.get("spf"))
    if kind == "trace":
        return bool(report.get("messages"))
    if kind == "smtplog":
        if any(f.get("kind") == "not-a-log" for f in report.get("findings", [])):
            return False
        return bool(report.get("log_type") or report.get("totals", {}).get("sessions"))
    return False
