"""Turning an exported message trace file into rows keyed by normalised column names, and naming its layout.

Exports come from PowerShell (Export-Csv, maybe with a #TYPE line, UTF-16 from Windows PowerShell 5) and from the
EAC (UTF-8 with BOM, sometimes `;` in locales that use the decimal comma), so decoding and delimiter are guessed.
"""

from __future__ import annotations

import csv
import io
import re

NOT_A_TRACE = "not a message trace"

LAYOUT_V1 = "Get-MessageTrace"
LAYOUT_V2 = "Get-MessageTraceV2"
LAYOUT_DETAIL = "Get-MessageTraceDetail"
LAYOUT_EAC_SUMMARY = "EAC summary"
LAYOUT_ENHANCED = "EAC enhanced summary"
LAYOUT_EXTENDED = "EAC extended"

_V1_ONLY = {"index", "startdate", "enddate", "organization"}
_EXTENDED_ONLY = {"eventid", "sourcecontext", "source", "internalmessageid", "serverhostname", "clienthostname"}


def norm(name: str) -> str:
    """`Date (UTC)`, `origin_timestamp_utc`, `SenderAddress` -> `date`, `origintimestamp`, `senderaddress`."""
    key = re.sub(r"[^a-z0-9]", "", (name or "").lower())
    return key[:-3] if key.endswith("utc") and len(key) > 3 else key


def decode_bytes(data: bytes) -> str:
    """Honour a BOM, spot BOM-less UTF-16 by its NUL bytes, fall back to cp1252 so nothing raises."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    head = data[:200]
    if head and head.count(b"\x00") > len(head) // 4:
        codec = "utf-16-le" if head[1:2] == b"\x00" else "utf-16-be"
        return data.decode(codec, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def looks_binary(text: str) -> bool:
    """Control characters other than whitespace mean a binary file, not a CSV."""
    sample = text[:4000]
    if not sample:
        return True
    bad = sum(1 for ch in sample if (ord(ch) < 32 and ch not in "\r\n\t") or ch == "\ufffd")
    return bad > max(2, len(sample) // 100)


def _strip_preamble(text: str) -> str:
    """Drop the BOM, PowerShell's `#TYPE ...` line and leading blank lines."""
    text = text.lstrip("\ufeff")
    lines = text.splitlines(keepends=True)
    while lines and (not lines[0].strip() or lines[0].lstrip("\ufeff").startswith("#TYPE")):
        lines.pop(0)
    return "".join(lines)


def _delimiter(header: str) -> str:
    """The header never holds quoted separators, so the most frequent candidate wins."""
    counts = {d: header.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_rows(text: str) -> tuple[list[str], list[dict[str, str]]]:
    """Return (original header names, rows keyed by normalised name); empty on anything unreadable."""
    body = _strip_preamble(text)
    if not body.strip():
        return [], []
    delim = _delimiter(body.splitlines()[0])
    try:
        reader = csv.reader(io.StringIO(body, newline=""), delimiter=delim, strict=False)
        header = next(reader, [])
        keys = [norm(h) for h in header]
        rows = []
        for values in reader:
            if not any(v.strip() for v in values):
                continue
            rows.append({k: (values[i] if i < len(values) else "") for i, k in enumerate(keys) if k})
    except csv.Error:
        return [], []
    return [h.strip() for h in header], rows


def detect_layout(header: list[str]) -> str | None:
    """Name the export from its columns, most specific first; None when these are not trace columns."""
    cols = {norm(h) for h in header}
    if {"event", "action", "detail"} <= cols or {"date", "event", "data"} <= cols:
        return LAYOUT_DETAIL
    if "recipientstatus" in cols or ("customdata" in cols and "networkmessageid" in cols):
        return LAYOUT_EXTENDED if cols & _EXTENDED_ONLY else LAYOUT_ENHANCED
    has_rcpt = bool(cols & {"recipientaddress", "recipient", "recipients"})
    if "status" not in cols or not has_rcpt:
        return None
    if any(" " in h for h in header):
        return LAYOUT_EAC_SUMMARY
    if "messagetraceid" in cols:
        return LAYOUT_V1 if cols & _V1_ONLY else LAYOUT_V2
    return LAYOUT_EAC_SUMMARY
