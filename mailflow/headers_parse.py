"""Low-level parsing of pasted message headers: unfolding, Received hops and Authentication-Results.

Nothing here judges a message; it only turns header text into values, tolerating what people really paste
(Outlook's "Internet headers" box, a .eml file, headers with a stray banner line or broken dates).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_string
from email.message import Message
from email.policy import compat32
from email.utils import parsedate_to_datetime
from typing import Any

_HEADER_LINE = re.compile(r"^[!-9;-~]+:")  # RFC 5322 §2.2 field-name: printable ASCII except ":"
_FOLD = re.compile(r"\r?\n[ \t]+")


def parse_message(text: str) -> Message:
    """Headers as a Message, starting at the first header-looking line.

    Outlook 2010 prefixes "Microsoft Mail Internet Headers Version 2.0" and people paste with leading blank lines;
    the email parser would treat such a first line as the body, so those lines are dropped first.
    compat32 keeps raw values (no decoding surprises on malformed input).
    """
    lines = text.replace("\x00", "").splitlines()
    start = next((i for i, line in enumerate(lines) if _HEADER_LINE.match(line)), len(lines))
    return message_from_string("\n".join(lines[start:]) + "\n", policy=compat32)


def unfold(value: object) -> str:
    """RFC 5322 §2.2.3 unfolding: CRLF followed by white space is just white space."""
    return re.sub(r"\s+", " ", _FOLD.sub(" ", str(value))).strip()


def strip_comments(value: str) -> tuple[str, list[str]]:
    """Remove RFC 5322 §3.2.2 comments (nested parentheses), returning the rest and the comments in order."""
    out, comments, depth, current = [], [], 0, []
    for ch in value:
        if ch == "(":
            if depth:
                current.append(ch)
            depth += 1
        elif ch == ")" and depth:
            depth -= 1
            if depth:
                current.append(ch)
            else:
                comments.append("".join(current).strip())
                current = []
                out.append(" ")
        elif depth:
            current.append(ch)
        else:
            out.append(ch)
    return re.sub(r"\s+", " ", "".join(out)).strip(), comments


def parse_date(value: str | None) -> datetime | None:
    """An RFC 5322 §3.3 date, or None when missing or unparseable; -0000 (unknown zone) is taken as UTC."""
    if not value or not value.strip():
        return None
    try:
        when = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


_IP = re.compile(r"\[?((?:\d{1,3}\.){3}\d{1,3}|[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7})\]?")
_RECEIVED_KEYS = re.compile(r"(?:^|\s)(from|by|via|with|id|for)\s+", re.IGNORECASE)


@dataclass
class Hop:
    """One Received header (RFC 5322 §3.6.7 trace field): who handed the message to whom, and when."""

    from_host: str | None
    by_host: str | None
    with_protocol: str | None
    time: datetime | None
    from_ip: str | None = None
    raw: str = ""
    delay_s: float | None = None
    slowest: bool = False
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"from": self.from_host, "by": self.by_host, "with": self.with_protocol, "from_ip": self.from_ip,
                "time": self.time.isoformat() if self.time else None, "delay_s": self.delay_s,
                "slowest": self.slowest, "notes": list(self.notes)}


def parse_received(value: str) -> Hop:
    """Split a Received value into from/by/with and the date after the last ';' (RFC 5322 §3.6.7)."""
    raw = unfold(value)
    tokens, _ = strip_comments(raw)
    date_text = None
    if ";" in tokens:
        tokens, date_text = tokens.rsplit(";", 1)
    parts: dict[str, str] = {}
    matches = list(_RECEIVED_KEYS.finditer(tokens))
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(tokens)
        parts.setdefault(match.group(1).lower(), tokens[match.end():end].strip())
    from_ip = None
    if "from" in parts:
        # The connecting IP is in the comment after the from name: "from a.example (a.example [203.0.113.5])".
        after_from = raw[raw.lower().find("from") :]
        by_at = after_from.lower().find(" by ")
        for comment in strip_comments(after_from[: by_at if by_at > 0 else None])[1]:
            if found := _IP.search(comment):
                from_ip = found.group(1)
                break
    from_host = parts.get("from", "").split(" ")[0] or None
    by_host = parts.get("by", "").split(" ")[0] or None
    return Hop(from_host, by_host, parts.get("with") or None, parse_date(date_text), from_ip, raw)


@dataclass
class AuthResult:
    """One RFC 8601 §2.2 resinfo: method=result, an optional comment and ptype.property=value pairs."""

    method: str
    result: str
    comment: str | None = None
    props: dict[str, str] = field(default_factory=dict)


def _split_outside(value: str, sep: str) -> list[str]:
    """Split on sep outside comments and quoted strings, since reasons like "(sender IP is x; y)" happen."""
    parts, current, depth, quoted = [], [], 0, False
    for ch in value:
        if ch == '"' and not depth:
            quoted = not quoted
        elif ch == "(" and not quoted:
            depth += 1
        elif ch == ")" and depth and not quoted:
            depth -= 1
        if ch == sep and not depth and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


_RESINFO = re.compile(r"^([A-Za-z][\w.-]*)\s*=\s*([A-Za-z][\w.-]*)\s*(.*)$", re.DOTALL)
_PROP = re.compile(r"([A-Za-z][\w-]*(?:\.[A-Za-z][\w-]*)?)\s*=\s*(\"[^\"]*\"|\S+)")


def parse_auth_results(value: str) -> tuple[str | None, list[AuthResult]]:
    """The authserv-id and results of one Authentication-Results header (RFC 8601 §2.2).

    Exchange Online writes no authserv-id at all ("Authentication-Results: spf=pass ..."), so the first
    segment is treated as a result when it looks like one.
    """
    authserv, results = None, []
    for i, segment in enumerate(_split_outside(unfold(value), ";")):
        match = _RESINFO.match(segment)
        if not match:
            if i == 0:
                authserv = strip_comments(segment)[0].split(" ")[0] or None
            continue
        method, result, rest = match.group(1).lower(), match.group(2).lower(), match.group(3)
        rest_text, comments = strip_comments(rest)
        props = {k.lower(): v.strip('"') for k, v in _PROP.findall(rest_text)}
        results.append(AuthResult(method, result, comments[0] if comments else None, props))
    return authserv, results


def semicolon_fields(value: str) -> dict[str, str]:
    """Parse "KEY:value;KEY:value" (X-Forefront-Antispam-Report, X-Microsoft-Antispam); first ':' splits."""
    fields: dict[str, str] = {}
    for part in unfold(value).split(";"):
        key, sep, val = part.strip().partition(":")
        if key and sep:
            fields.setdefault(key.strip().upper(), val.strip())
    return fields


def tag_list(value: str) -> dict[str, str]:
    """A tag=value; list (RFC 6376 §3.2, reused by ARC-Seal and ARC-Message-Signature per RFC 8617 §4.1).

    Folding white space inside values (b=, bh=) is dropped; the first occurrence of a tag wins.
    """
    tags: dict[str, str] = {}
    for part in unfold(value).split(";"):
        name, sep, val = part.partition("=")
        if sep and name.strip():
            tags.setdefault(name.strip().lower(), re.sub(r"\s+", "", val))
    return tags


def parse_arc_aar(value: str) -> tuple[int | None, str | None, list[AuthResult]]:
    """ARC-Authentication-Results (RFC 8617 §4.1.1): "i=N;" followed by an ordinary Authentication-Results value."""
    text = unfold(value)
    match = re.match(r"\s*i\s*=\s*(\d+)\s*;", text)
    if not match:
        return None, *parse_auth_results(text)
    return int(match.group(1)), *parse_auth_results(text[match.end():])


@dataclass
class ReceivedSpf:
    """One Received-SPF header (RFC 7208 §9.1): result, the receiver's comment and key=value pairs."""

    result: str
    comment: str | None
    props: dict[str, str] = field(default_factory=dict)


SPF_RESULTS = ("pass", "fail", "softfail", "neutral", "none", "temperror", "permerror")  # RFC 7208 §2.6
_KEY_VALUE = re.compile(r"([A-Za-z][\w.-]*)\s*=\s*(\"[^\"]*\"|[^;\s]+)")


def parse_received_spf(value: str) -> ReceivedSpf | None:
    """The result, comment and key=value list (client-ip, envelope-from, helo, receiver, identity) of Received-SPF.

    None when the first word is not an RFC 7208 result (a mangled or non-standard header).
    """
    rest, comments = strip_comments(unfold(value))
    word, _, tail = rest.partition(" ")
    result = word.strip().rstrip(";").lower()
    if result not in SPF_RESULTS:
        return None
    props = {k.lower(): v.strip('"') for k, v in _KEY_VALUE.findall(tail)}
    return ReceivedSpf(result, comments[0] if comments else None, props)


def address_domain(value: str | None) -> str | None:
    """The domain of "user@domain", "<user@domain>" or a bare domain; None for empty, "<>" or "none"."""
    text = (value or "").strip().strip("<>").strip('"')
    domain = text.rsplit("@", 1)[-1].strip().rstrip(".").lower()
    return domain if domain and domain != "none" and "." in domain else None
