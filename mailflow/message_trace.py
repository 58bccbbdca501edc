"""Reading a message trace export and saying, per message and recipient, what happened and which scenario it fits.

Accepts CSV exports of Get-MessageTrace, Get-MessageTraceV2, Get-MessageTraceDetail(V2) and the EAC summary,
enhanced summary and extended reports (layouts: shared reference evidence-formats.md, "Message trace").
Never raises on bad input: anything that is not a trace is still an answer ("not a message trace").
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from mailflow.trace_csv import (
    LAYOUT_DETAIL,
    LAYOUT_ENHANCED,
    LAYOUT_EXTENDED,
    NOT_A_TRACE,
    decode_bytes,
    detect_layout,
    looks_binary,
    read_rows,
)
from mailflow.trace_decode import DI_MEANINGS, CustomData, decode_custom_data, decode_mep_xml, parse_date

__all__ = ["NOT_A_TRACE", "TraceMessage", "TraceReport", "parse_trace"]

_DATE = ("received", "date", "datetime", "receiveddatetime", "origintimestamp")
_SENDER = ("senderaddress", "sender", "fromaddress")
_RCPT = ("recipientaddress", "recipient", "recipients")
_STATUS = ("status", "deliverystatus")
_MSGID = ("messageid", "internetmessageid")
_TRACEID = ("messagetraceid", "networkmessageid", "id")
_SUBJECT = ("subject", "messagesubject")
_STATUSES = ("Delivered", "Expanded", "Failed", "FilteredAsSpam", "GettingStatus", "None", "Pending", "Quarantined")
# Event -> status it leaves the message in; SEND is a hand-off outside EXO, which the EAC shows as Delivered.
_EVENT_STATUS = {"DELIVER": "Delivered", "SEND": "Delivered", "FAIL": "Failed", "DELIVERFAIL": "Failed",
                 "DROP": "Failed", "EXPAND": "Expanded", "DEFER": "Pending", "QUARANTINE": "Quarantined"}
_FIVE_XX = re.compile(r"(?<![\w.])(?:5\d\d[ \-]+)?5\.\d\.\d{1,3}(?![\w]|\.\d)|(?<![\w.])5\d\d[ \-]+[A-Za-z]")
_REMOTE = re.compile(r"remote|said:|returned|recipient server|rejected by", re.I)


def _get(row: dict[str, str], names: tuple[str, ...]) -> str:
    """First non-empty value among a column's aliases."""
    return next((row[n].strip() for n in names if row.get(n, "").strip()), "")


def _kind(event: str) -> str:
    """`Send external` (detail export) and `SEND` (extended) are the same step: first word, upper case."""
    words = event.split()
    return words[0].upper() if words else ""


def _status(raw: str) -> str:
    """`Filtered as spam` (EAC) and `filteredAsSpam` (Graph) -> `FilteredAsSpam`."""
    squashed = raw.replace(" ", "").lower()
    return next((s for s in _STATUSES if s.lower() == squashed), raw.strip())


@dataclass
class TraceMessage:
    """One message to one recipient: its final status, timeline and what the hygiene stamps said."""

    message_id: str
    recipient: str
    trace_id: str = ""
    sender: str = ""
    subject: str = ""
    status: str | None = None
    received: str | None = None
    events: list[dict[str, Any]] = field(default_factory=list)
    data: CustomData = field(default_factory=CustomData)
    verdict: str = ""
    scenario: str | None = None
    conclusions: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view; `connector` is None when no outbound connector was stamped."""
        return {
            "message_id": self.message_id, "trace_id": self.trace_id, "sender": self.sender,
            "recipient": self.recipient, "subject": self.subject, "status": self.status, "received": self.received,
            "events": self.events, "connector": self.data.connector, "verdict": self.verdict,
            "scenario": self.scenario, "spam": self.data.spam or None, "malware": self.data.malware or None,
            "transport_rules": self.data.transport_rules, "pool": self.data.pool,
            "external_send_latency": self.data.latency,
        }


@dataclass
class TraceReport:
    """Everything read from one export; `layout` is None when the text was not a message trace."""

    layout: str | None = None
    findings: list[str] = field(default_factory=list)
    messages: list[TraceMessage] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Plain structure for the dialogs and for JSON."""
        return {"kind": "trace", "layout": self.layout, "findings": list(self.findings),
                "messages": [m.to_dict() for m in self.messages]}

    def to_json(self) -> str:
        """Serialised form of to_dict()."""
        return json.dumps(self.to_dict(), ensure_ascii=False)


class _Builder:
    """Collects rows into messages keyed by (trace id or message id, recipient), keeping first-seen order."""

    def __init__(self) -> None:
        self.messages: dict[tuple[str, str], TraceMessage] = {}
        self.findings: list[str] = []
        self.raw_dates = 0

    def date(self, raw: str) -> str | None:
        if not raw.strip():
            return None
        value, ok = parse_date(raw)
        self.raw_dates += not ok
        return value

    def message(self, row: dict[str, str], recipient: str) -> TraceMessage:
        trace_id, msg_id = _get(row, _TRACEID), _get(row, _MSGID)
        key = ((trace_id or msg_id).lower(), recipient.lower())
        msg = self.messages.get(key)
        if msg is None:
            msg = self.messages[key] = TraceMessage(message_id=msg_id, recipient=recipient, trace_id=trace_id)
        msg.message_id = msg.message_id or msg_id
        msg.sender = msg.sender or _get(row, _SENDER)
        msg.subject = msg.subject or _get(row, _SUBJECT)
        return msg

    def decode_data(self, raw: str, where: str) -> tuple[Any, CustomData]:
        """Data/custom_data cell -> (what to show, decoded); bad XML becomes a finding, not an error."""
        text = raw.strip()
        if text.startswith("<"):
            entries, data, error = decode_mep_xml(text)
            if error:
                self.findings.append(f"{where}: {error}")
                return text, CustomData()
            return entries, data
        if text:
            return text, decode_custom_data(text)
        return None, CustomData()

    def add_event(self, msg: TraceMessage, date: str | None, event: str, action: str = "", detail: str = "",
                  data: Any = None, decoded: CustomData | None = None) -> None:
        msg.events.append({"date": date, "event": event, "action": action, "detail": detail, "data": data})
        if decoded:
            msg.data.merge(decoded)
        if date and msg.received is None:
            msg.received = date


def _summary(b: _Builder, rows: list[dict[str, str]]) -> None:
    """Get-MessageTrace(V2) and EAC summary: one row per message and recipient, status given."""
    for row in rows:
        msg = b.message(row, _get(row, _RCPT))
        msg.status = _status(_get(row, _STATUS)) or msg.status
        msg.received = msg.received or b.date(_get(row, _DATE))


def _detail(b: _Builder, rows: list[dict[str, str]]) -> None:
    """Get-MessageTraceDetail(V2): one row per event; the status follows from the last decisive event."""
    for n, row in enumerate(rows, start=2):
        msg = b.message(row, _get(row, _RCPT))
        shown, decoded = b.decode_data(row.get("data", ""), f"row {n}")
        b.add_event(msg, b.date(_get(row, ("date", "datetime"))), row.get("event", "").strip(),
                    row.get("action", "").strip(), row.get("detail", "").strip() or row.get("description", "").strip(),
                    shown, decoded)


def _recipient_status(value: str) -> list[tuple[str, list[str]]]:
    """`a@x##Receive, Send;b@y##Receive, Fail` -> [("a@x", ["Receive", "Send"]), ...]."""
    out = []
    for part in value.split(";"):
        addr, _, events = part.partition("##")
        if addr.strip():
            out.append((addr.strip(), [e.strip() for e in events.split(",") if e.strip()]))
    return out


def _eac(b: _Builder, rows: list[dict[str, str]], extended: bool) -> None:
    """Enhanced summary (events per recipient in recipient_status) and extended (one row per event)."""
    for n, row in enumerate(rows, start=2):
        shown, decoded = b.decode_data(row.get("customdata", ""), f"row {n}")
        date = b.date(_get(row, ("datetime", "date", "origintimestamp")))
        if extended and row.get("eventid", "").strip():
            rcpts = [r.strip() for r in re.split(r"[;,]", _get(row, _RCPT)) if r.strip()]
            rcpts = rcpts or [a for a, _ in _recipient_status(row.get("recipientstatus", ""))] or [""]
            for rcpt in rcpts:
                b.add_event(b.message(row, rcpt), date, row["eventid"].strip(), row.get("source", "").strip(),
                            row.get("recipientstatus", "").strip() or row.get("sourcecontext", "").strip(),
                            shown, decoded)
            continue
        for rcpt, events in _recipient_status(row.get("recipientstatus", "")) or [(_get(row, _RCPT), [])]:
            msg = b.message(row, rcpt)
            for event in events:
                b.add_event(msg, date, event)
            msg.data.merge(decoded)
            msg.received = msg.received or date
            if shown is not None and not events:
                msg.events.append({"date": date, "event": "", "action": "", "detail": "", "data": shown})


def _final_status(msg: TraceMessage) -> None:
    """Derive the status from the timeline when the export does not carry one."""
    if msg.status:
        return
    status = None
    for ev in msg.events:
        name = _kind(ev["event"])
        status = _EVENT_STATUS.get(name, "Quarantined" if "QUARANTIN" in name else status)
    if msg.data.spam.get("DI") in ("SQ",) and status != "Failed":
        status = "Quarantined"
    msg.status = status or ("Pending" if msg.events else None)


def _conclude(msg: TraceMessage) -> None:
    """Map what was seen to a verdict sentence and the scenario letter used by the dialogs."""
    d, parts = msg.data, []
    conn = d.connector
    centralized = bool(conn and (conn.get("type") or "").lower() == "onpremises" and conn.get("use_mx_record") is False)
    hrdp = d.spam.get("DI") == "SO" or "highrisk" in (d.pool or "").lower()
    fail_text = " ".join(f"{e['detail']} {e['data'] if isinstance(e['data'], str) else ''} "
                         f"{' '.join(e['data'].values()) if isinstance(e['data'], dict) else ''}"
                         for e in msg.events if _kind(e["event"]) in ("FAIL", "DELIVERFAIL", "DROP"))
    sent_out = any(_kind(e["event"]) in ("SEND", "TRANSFER") for e in msg.events)
    remote = sent_out or bool(_REMOTE.search(fail_text))
    refused = msg.status == "Failed" and bool(_FIVE_XX.search(fail_text)) and remote
    held = msg.status in ("FilteredAsSpam", "Quarantined") or d.spam.get("DI") in ("SQ", "SD", "SB")
    if centralized:
        parts.append(f"sent through on-premises connector '{conn.get('name')}' without MX lookup: "
                     "centralized mail flow (scenario D)")
    if hrdp:
        parts.append("relayed through the high-risk delivery pool (HRDP, scenario C)")
    if refused:
        code = _FIVE_XX.search(fail_text)
        parts.append(f"the recipient side refused it ({code.group(0).strip() if code else '5xx'}, scenario C)")
    if held:
        parts.append(f"EOP held it ({msg.status or 'spam filter'})")
    if d.spam:
        di = d.spam.get("DI", "")
        spam = ", ".join(f"{k}={d.spam[k]}" for k in ("SFV", "SCL", "DI") if d.spam.get(k))
        parts.append(f"spam filter {spam}" + (f" ({DI_MEANINGS[di]})" if di in DI_MEANINGS else ""))
    if d.malware:
        parts.append("malware filter " + ", ".join(f"{k}={v}" for k, v in d.malware.items() if v and k != "SUM"))
    for rule in d.transport_rules:
        parts.append(f"transport rule {rule.get('ruleId', '?')} matched" + (f" ({rule['action']})"
                                                                           if rule.get("action") else ""))
    if d.pool and not hrdp:
        parts.append(f"sent from outbound pool {d.pool}")
    if d.latency is not None:
        parts.append(f"external send latency {d.latency:g}s")
    msg.verdict = "; ".join(parts) or (msg.status or "no status")
    msg.scenario = "D" if centralized else "C" if (hrdp or refused) else None
    msg.conclusions = parts[: int(centralized) + int(hrdp) + int(refused) + int(held)]


def parse_trace(text: str | bytes) -> TraceReport:
    """Read any supported trace export; unreadable input gives a report with a 'not a message trace' finding."""
    report = TraceReport()
    try:
        if isinstance(text, bytes):
            text = decode_bytes(text)
        header, rows = ([], []) if looks_binary(text) else read_rows(text)
    except Exception:  # defensive: the contract is "never raise on user input"
        header, rows = [], []
    layout = detect_layout(header) if header else None
    if layout is None:
        report.findings.append(f"{NOT_A_TRACE}: no message trace columns found")
        return report
    report.layout = layout
    b = _Builder()
    if layout == LAYOUT_DETAIL:
        _detail(b, rows)
    elif layout in (LAYOUT_ENHANCED, LAYOUT_EXTENDED):
        _eac(b, rows, layout == LAYOUT_EXTENDED)
    else:
        _summary(b, rows)
    report.findings.append(f"layout {layout}: {len(rows)} rows, {len(b.messages)} messages")
    report.findings.extend(b.findings)
    if b.raw_dates:
        report.findings.append(f"{b.raw_dates} dates in an unrecognised format were kept as raw text")
    for msg in b.messages.values():
        _final_status(msg)
        _conclude(msg)
        report.findings.extend(f"{msg.message_id or msg.trace_id} to {msg.recipient}: {c}" for c in msg.conclusions)
        report.messages.append(msg)
    if not report.messages:
        report.findings.append("the export has trace columns but no rows")
    return report
