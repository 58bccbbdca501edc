"""Reading a bounce (NDR / DSN) pasted by a user and saying what went wrong, where, and who has to act.

Accepts a whole MIME report (RFC 3464 multipart/report), Exchange's human-readable NDR text, or a bare
SMTP reply line. Never raises on bad input: a bounce we cannot read is still an answer ("nothing recognised").
The hop it points to is one the code can occur on, picked by which way the message was going (mailflow.hops).
"""

from __future__ import annotations

import contextlib
import email
import ipaddress
import re
from dataclasses import dataclass, field
from email import policy
from email.message import Message
from typing import Any

from mailflow.hops import NAMES, NO_HOP, HopChoice, choose_hop, direction
from mailflow.ndr_catalog import explain, is_generic, lookup

# RFC 3463 section 2: class.subject.detail; class is 2/4/5, subject 0-7 (section 3), detail up to 3 digits.
# The look-arounds keep IPs (203.0.113.7) and versions (15.20.7452.28, v2.4.1) out;
# "554-5.7.1" (an RFC 5321 multiline reply) still matches.
ENHANCED_RE = re.compile(r"(?<![\w./])([245]\.[0-7]\.\d{1,3})(?![\w]|\.\d)")
# RFC 5321 section 4.2: three-digit reply code, here only when it sits right before an enhanced code.
REPLY_RE = re.compile(r"(?<![\w.])([245][0-5]\d)[ \-]+([245]\.[0-7]\.\d{1,3})(?![\w]|\.\d)")
ADDR_RE = re.compile(r"[A-Za-z0-9._%+\-=']+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")
BRACKET_RE = re.compile(r"\[([0-9A-Fa-f:.]{3,45})\]")
MSGID_RE = re.compile(r"^\s*Message-ID:\s*(<[^>\s]+>)", re.I | re.M)
DATE_RE = re.compile(r"^\s*Date:\s*(.+)$", re.I | re.M)
_SYSTEM_ADDR = re.compile(r"^(mailer-daemon|postmaster|microsoftexchange[0-9a-f]*|no-?reply)@", re.I)
_RCPT_PATTERNS = (
    re.compile(r"(?:delivered to|couldn't be delivered to|could not be delivered to|message to)\s+<?("
               + ADDR_RE.pattern + ")", re.I),
    re.compile(r"^\s*<(" + ADDR_RE.pattern + r")>:?\s*$", re.M),              # Postfix: "<bob@x>:" line
    re.compile(r"^\s*(" + ADDR_RE.pattern + r")\s*$", re.M),                  # Exchange diag: address alone
    re.compile(r"RCPT TO:?\s*<(" + ADDR_RE.pattern + ")>", re.I),
    re.compile(r"(?:Recipient address|Recipient):\s*<?(" + ADDR_RE.pattern + ")", re.I),
)
_RETURNED_RE = re.compile(r"Remote Server returned '([^'\n]+)'", re.I)
_GENERATING_RE = re.compile(r"Generating server:\s*([^\s<>]+)", re.I)
_SAID_RE = re.compile(r"host\s+([\w.\-]+)\s*\[[0-9A-Fa-f:.]+\]\s+said:", re.I)
# Exchange names the refusing server in its user section ("The following organization rejected your message:
# mx.fabrikam.com.") and on the line just above "Remote Server returned" in the administrators' section.
_REJECTED_BY_RE = re.compile(r"following organi[sz]ation rejected your message:\s*([A-Za-z0-9][\w.\-]*[\w\-])", re.I)
_HOST_ABOVE_RE = re.compile(r"^[ \t]*([A-Za-z0-9][\w\-]*(?:\.[\w\-]+)+?)\.?(?:[ \t]+\([^)\n]*\))?[ \t]*\r?\n"
                            r"[ \t]*Remote Server returned", re.I | re.M)
_POSTFIX_HOST_RE = re.compile(r"This is the mail system at host ([\w.\-]+?)\.?\s", re.I)
# The refused sending server's IP, as EOP and block-list replies quote it.
_SENDING_IP_RE = re.compile(r"(?:sending IP|client host|client IP|connecting IP)\s*\[([0-9A-Fa-f:.]{3,45})\]", re.I)
_FROM_RE = re.compile(r"^\s*From:\s*(.+)$", re.I | re.M)
_ORIGINAL_HEADERS = re.compile(r"Original message headers:|-----\s*Original message|Return-Path:", re.I)
NOTHING = "Nothing in this text was recognised as a bounce: no RFC 3463 status code or delivery report."


@dataclass
class Bounce:
    """What one bounce says; `status` is the code we explain, `codes` everything seen in order."""

    status: str | None = None
    smtp_code: int | None = None
    codes: list[str] = field(default_factory=list)
    recipients: list[str] = field(default_factory=list)
    reporting_mta: str | None = None
    remote_mta: str | None = None
    generating_server: str | None = None
    ips: list[str] = field(default_factory=list)
    original_message_id: str | None = None
    original_date: str | None = None
    diagnostic: str | None = None
    action: str | None = None
    sender: str | None = None  # the original message's sender (the bounce goes back to them)
    sending_ip: str | None = None  # the sending server's IP when the refusal quotes it
    route: HopChoice = field(default_factory=lambda: NO_HOP)  # the hop and why (mailflow.hops)
    findings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        info = explain(self.status) if self.status else None
        return {"kind": "ndr", "status": self.status, "smtp_code": self.smtp_code,
                "recipients": list(self.recipients), "sender": self.sender, "sending_ip": self.sending_ip,
                "hop": self.route.hop, "hop_reason": self.route.reason, "hop_basis": self.route.basis,
                "direction": list(self.route.direction), "onprem_server": self.route.onprem,
                "who": info.who if info else None, "who_side": whose(info.who, self.route.hop) if info else None,
                "title": info.title if info else None,
                "cause": info.cause if info else None, "fix": info.fix if info else None,
                "source": info.source if info else None, "known": bool(info and info.known),
                "other_codes": [c for c in self.codes if c != self.status], "action": self.action,
                "reporting_mta": self.reporting_mta, "remote_mta": self.remote_mta,
                "generating_server": self.generating_server, "ips": list(self.ips),
                "original_message_id": self.original_message_id, "original_date": self.original_date,
                "diagnostic": self.diagnostic, "findings": list(self.findings)}


def _add(items: list[str], value: str | None) -> None:
    if value and value not in items:
        items.append(value)


def _strip_type(value: str | None) -> str | None:
    """RFC 3464 fields carry a type prefix ("dns; mx.example.com", "rfc822; bob@x", "smtp; 550 ...")."""
    if not value:
        return None
    value = " ".join(str(value).split())
    return value.split(";", 1)[1].strip() if ";" in value else value


def _rank(code: str, order: int, structured: bool) -> tuple[int, int, int, int, int, int]:
    """Higher is better: catalog hit, not x.0.0, longer detail, from a Status field, permanent, earlier."""
    detail_len = len(code.rsplit(".", 1)[1]) + len(code.split(".")[1])
    return (lookup(code) is not None, not is_generic(code), detail_len, structured, code[0] == "5", -order)


def _scan_text(text: str, bounce: Bounce, smtp: dict[str, int]) -> None:
    """Codes, SMTP replies, bracketed IPs and server names from free text."""
    for m in REPLY_RE.finditer(text):
        smtp.setdefault(m[2], int(m[1]))
    for m in ENHANCED_RE.finditer(text):
        _add(bounce.codes, m[1])
    for m in BRACKET_RE.finditer(text):
        try:
            _add(bounce.ips, str(ipaddress.ip_address(m[1])))
        except ValueError:
            continue
    if bounce.generating_server is None and (m := _GENERATING_RE.search(text)):
        bounce.generating_server = m[1]
    if bounce.remote_mta is None and (m := _SAID_RE.search(text) or _REJECTED_BY_RE.search(text)
                                      or _HOST_ABOVE_RE.search(text)):
        bounce.remote_mta = m[1]
    if bounce.reporting_mta is None and (m := _POSTFIX_HOST_RE.search(text)):
        bounce.reporting_mta = m[1]
    if bounce.sending_ip is None and (m := _SENDING_IP_RE.search(text)):
        with contextlib.suppress(ValueError):
            bounce.sending_ip = str(ipaddress.ip_address(m[1]))
    if bounce.diagnostic is None and (m := _RETURNED_RE.search(text)):
        bounce.diagnostic = m[1].strip()


def _recipients_from_text(text: str) -> list[str]:
    found: list[str] = []
    for pattern in _RCPT_PATTERNS:
        for m in pattern.finditer(text):
            if not _SYSTEM_ADDR.match(m[1]):
                _add(found, m[1].lower())
    return found


def _original_from_text(text: str, bounce: Bounce) -> None:
    """Exchange prints the original headers after 'Original message headers:'; read Message-ID/Date there."""
    m = _ORIGINAL_HEADERS.search(text)
    tail = text[m.start():] if m else text
    if bounce.original_message_id is None and (mid := MSGID_RE.search(tail)):
        bounce.original_message_id = mid[1]
    if bounce.original_date is None and m and (date := DATE_RE.search(tail)):
        bounce.original_date = date[1].strip()
    if bounce.sender is None and m and (sender := _FROM_RE.search(tail)):
        bounce.sender = _person(sender[1])


def _person(value: object) -> str | None:
    """The address in a From/To header value, unless it is a mail system's own (mailer-daemon, postmaster)."""
    m = ADDR_RE.search(str(value or ""))
    return m[0].lower() if m and not _SYSTEM_ADDR.match(m[0]) else None


def _read_status_part(part: Message, bounce: Bounce, structured: list[str], smtp: dict[str, int]) -> None:
    """RFC 3464 section 2.2/2.3: one per-message block, then one block per recipient."""
    payload = part.get_payload()
    blocks = payload if isinstance(payload, list) else []
    if not blocks:  # truncated or oddly formed: read the fields as text
        raw = part.get_payload(decode=True) or b""
        blocks = [email.message_from_string(chunk, policy=policy.default)
                  for chunk in re.split(r"\n\s*\n", raw.decode("utf-8", "replace")) if chunk.strip()]
    for block in blocks:
        bounce.reporting_mta = bounce.reporting_mta or _strip_type(block.get("Reporting-MTA"))
        bounce.remote_mta = bounce.remote_mta or _strip_type(block.get("Remote-MTA"))
        bounce.action = bounce.action or (str(block.get("Action") or "").strip().lower() or None)
        for name in ("Final-Recipient", "Original-Recipient"):
            if (addr := _strip_type(block.get(name))) and ADDR_RE.fullmatch(addr):
                _add(bounce.recipients, addr.lower())
        if (status := str(block.get("Status") or "").strip()) and ENHANCED_RE.fullmatch(status):
            _add(structured, status)
            _add(bounce.codes, status)
        if diag := _strip_type(block.get("Diagnostic-Code")):
            bounce.diagnostic = bounce.diagnostic or diag
            _scan_text(diag, bounce, smtp)


def _read_mime(msg: Message, bounce: Bounce, structured: list[str], smtp: dict[str, int]) -> list[str]:
    """Walk the report; the attached original (message/rfc822) only gives its Message-ID and Date."""
    texts: list[str] = []
    for part in msg.walk():
        ctype = part.get_content_type()
        if ctype == "message/delivery-status":
            _read_status_part(part, bounce, structured, smtp)
        elif ctype in ("message/rfc822", "text/rfc822-headers"):
            inner = part.get_payload()
            inner = inner[0] if isinstance(inner, list) and inner else inner
            if isinstance(inner, Message) and inner.get_content_type() != "multipart/report":
                bounce.original_message_id = bounce.original_message_id or inner.get("Message-ID")
                bounce.original_date = bounce.original_date or inner.get("Date")
                bounce.sender = bounce.sender or _person(inner.get("From"))
            elif isinstance(inner, str):
                _original_from_text("Original message headers:\n" + inner, bounce)
        elif part.get_content_maintype() == "text" and not _inside_original(msg, part):
            try:
                texts.append(str(part.get_content()))
            except (LookupError, ValueError, AssertionError):
                texts.append(str(part.get_payload()))
    return texts


def _inside_original(root: Message, target: Message) -> bool:
    for part in root.walk():
        if part.get_content_type() == "message/rfc822" and any(
                sub is target for sub in part.walk() if sub is not part):
            return True
    return False


def _html_to_text(text: str) -> str:
    return re.sub(r"<[^>]+>", " ", text) if "<html" in text[:2000].lower() else text


def parse_bounce(text: str | bytes) -> Bounce:
    """Best effort: structured RFC 3464 fields first, then the human-readable text, then a bare fragment."""
    bounce = Bounce()
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    if not text or not text.strip() or "\x00" in text:
        bounce.findings.append(NOTHING if text and text.strip() else "The text is empty: " + NOTHING)
        return bounce
    structured: list[str] = []
    smtp: dict[str, int] = {}
    texts = [text]
    if re.match(r"^[A-Za-z][\w-]*:\s", text.lstrip("\r\n")) and re.search(r"^Content-Type:", text, re.I | re.M):
        try:
            msg = email.message_from_string(text.lstrip("\r\n"), policy=policy.default)
            texts = _read_mime(msg, bounce, structured, smtp) or [text]
            if msg.get_content_type() in ("multipart/report", "message/delivery-status"):
                bounce.sender = bounce.sender or _person(msg.get("To"))  # a bounce goes back to the sender
        except Exception:  # the stdlib parser is lenient; anything it still chokes on falls back to text
            texts = [text]
    for chunk in texts:
        chunk = _html_to_text(chunk)
        m = _ORIGINAL_HEADERS.search(chunk) if texts == [text] and chunk is text else None
        body = chunk[:m.start()] if m and m.start() > 0 else chunk
        _scan_text(body, bounce, smtp)
        if not bounce.recipients:
            bounce.recipients.extend(_recipients_from_text(body))
        _original_from_text(chunk, bounce)
    _decide(bounce, structured, smtp, texts)
    return bounce


def _route(bounce: Bounce, status: str) -> HopChoice:
    """The hop: one of those the code can occur on, picked by which way the message was going (mailflow.hops)."""
    found = direction(reporter=bounce.generating_server or bounce.reporting_mta,
                      reporter_is_exchange=bounce.generating_server is not None, refuser=bounce.remote_mta,
                      reply=bounce.diagnostic or "", sender=bounce.sender,
                      recipient=bounce.recipients[0] if bounce.recipients else None)
    entry = lookup(status)
    if entry is None:
        return HopChoice(None, None, None, found.hops if found else (), found.onprem if found else None)
    return choose_hop(status, entry.hop, entry.other_hops, found)


def whose(who: str | None, hop: str | None) -> str | None:
    """Whether "the sender's admin" and the like is the reader's own organisation ("yours") or the other one.

    The reader is on the Microsoft 365 side: in hops A and B their organisation receives, in C it sends,
    and D (Exchange Online -> our smart host) and X (inside the tenant) have us at both ends.
    """
    if not who or not hop:
        return None
    if who.startswith("our") or hop in ("D", "X"):
        return "yours"
    sending = who.startswith(("sender", "the sender"))
    receiving = who.startswith("recipient")
    if hop in ("A", "B"):
        return "theirs" if sending else "yours" if receiving else None
    if hop == "C":
        return "yours" if sending else "theirs" if receiving else None
    return None


def _decide(bounce: Bounce, structured: list[str], smtp: dict[str, int], texts: list[str]) -> None:
    """Several codes: the most specific known one wins (catalog beats RFC fallback, x.0.0 loses)."""
    if not bounce.codes:
        bounce.findings.append(NOTHING)
        return
    ranked = sorted(enumerate(bounce.codes), key=lambda p: _rank(p[1], p[0], p[1] in structured), reverse=True)
    bounce.status = ranked[0][1]
    bounce.smtp_code = smtp.get(bounce.status)
    if bounce.diagnostic is None:
        bounce.diagnostic = next((line.strip() for chunk in texts for line in chunk.splitlines()
                                  if bounce.status in line), None)
    info = explain(bounce.status)
    bounce.route = _route(bounce, bounce.status)
    side = {"yours": " (your organisation)", "theirs": " (the other organisation)"}.get(
        whose(info.who, bounce.route.hop) or "", "")
    who = f" Who must act: {info.who}{side}." if info.who else ""
    hop = f" Hop {bounce.route.hop}." if bounce.route.hop else ""
    bounce.findings.append(f"{bounce.status} — {info.title}. {info.cause} Fix: {info.fix}{who}{hop}")
    if bounce.route.hop and bounce.route.reason:
        bounce.findings.append(f"Why hop {bounce.route.hop} ({NAMES[bounce.route.hop]}): {bounce.route.reason}")
    if bounce.recipients:
        bounce.findings.append("Failed recipient(s): " + ", ".join(bounce.recipients))
    for code in bounce.codes:
        if code != bounce.status:
            bounce.findings.append(f"Also seen: {code} ({explain(code).title})")
    if bounce.ips:
        bounce.findings.append("IP address(es) named in the bounce: " + ", ".join(bounce.ips))
    servers = [f"{k}: {v}" for k, v in (("generating server", bounce.generating_server),
                                        ("reporting MTA", bounce.reporting_mta),
                                        ("remote MTA", bounce.remote_mta)) if v]
    if servers:
        bounce.findings.append("Servers: " + "; ".join(servers))
