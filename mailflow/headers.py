"""Decoding pasted message headers into the story of one message: the hops it took, how it authenticated,
what Exchange Online's filters decided, and one plain-English verdict line.

Received chain per RFC 5322 §3.6.7, Authentication-Results per RFC 8601, the X-Forefront-Antispam-Report /
X-Microsoft-Antispam / X-MS-Exchange-Organization-* stamps per Microsoft's anti-spam header documentation
(see headers_codes). Never raises on what a user pastes: garbage gives a report that says nothing was recognised.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from email.message import Message
from typing import Any

from mailflow import headers_codes as codes
from mailflow.headers_parse import (
    AuthResult,
    Hop,
    parse_auth_results,
    parse_message,
    parse_received,
    semicolon_fields,
    unfold,
)
from mailflow.smtp_findings import Finding
from mailflow.verdict import Verdict

SLOW_HOP_S = 300  # a hop taking five minutes or more is worth pointing at; seconds are normal
_KNOWN = {"received", "authentication-results", "from", "to", "subject", "date", "message-id", "return-path",
          "received-spf", "dkim-signature", "mime-version", "content-type", "reply-to", "cc", "x-originating-ip"}


@dataclass
class HeaderReport:
    """Everything decoded from one set of headers; to_json() is what channels render."""

    hops: list[Hop] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    spf: dict[str, Any] | None = None
    dkim: dict[str, Any] | None = None
    dmarc: dict[str, Any] | None = None
    compauth: dict[str, Any] | None = None
    antispam: list[dict[str, Any]] = field(default_factory=list)  # X-Forefront-Antispam-Report field by field
    scl: int | None = None
    sfv: str | None = None
    bcl: int | None = None
    auth_as: str | None = None
    directionality: str | None = None
    destination: str | None = None  # "junk" / "inbox" from X-Microsoft-Antispam-Mailbox-Delivery dest:
    verdict: str = "No message headers were recognised."

    def to_json(self) -> dict[str, Any]:
        return {"kind": "headers", "findings": [f.to_json() for f in self.findings],
                "hops": [h.to_json() for h in self.hops], "spf": self.spf, "dkim": self.dkim, "dmarc": self.dmarc,
                "compauth": self.compauth, "antispam": self.antispam, "scl": self.scl, "sfv": self.sfv,
                "bcl": self.bcl, "auth_as": self.auth_as, "directionality": self.directionality,
                "destination": self.destination, "verdict": self.verdict}


def _recognised(msg: Message) -> bool:
    """Only call it headers when a real mail header is there, so "Error: blah" pasted alone is not a message."""
    return any(k.lower() in _KNOWN or k.lower().startswith(("x-ms-", "x-microsoft-", "x-forefront-", "arc-"))
               for k, v in msg.items() if unfold(v))


def _int(value: str | None) -> int | None:
    try:
        return int(value.strip()) if value is not None else None
    except ValueError:
        return None


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
                                       f"{_duration(slowest.delay_s)}."))
    first, last = next((h for h in report.hops if h.time), None), next(
        (h for h in reversed(report.hops) if h.time), None)
    if first and last and first is not last and first.time and last.time:
        total = max((last.time - first.time).total_seconds(), 0.0)
        report.findings.append(Finding("received", Verdict.OK,
                                       f"{len(report.hops)} hops, {_duration(total)} from first to last."))


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min ({seconds:.0f} s)"
    return f"{seconds / 3600:.1f} h ({seconds:.0f} s)"


def _auth_dict(result: AuthResult, domain_key: str) -> dict[str, Any]:
    domain = result.props.get(domain_key)
    domain = None if (domain or "").lower() == "none" else domain  # EOP writes header.d=none when unsigned
    return {"result": result.result, "domain": domain, "detail": result.comment}


def _auth(msg: Message, report: HeaderReport) -> None:
    """Use the topmost Authentication-Results: it was added last, by the receiving org (Exchange Online)."""
    headers = msg.get_all("Authentication-Results") or []
    parsed = [parse_auth_results(v) for v in headers]
    chosen = next(((sid, res) for sid, res in parsed if res), None)
    if chosen is None:
        return
    authserv, results = chosen
    if len(headers) > 1:
        report.findings.append(Finding("auth", Verdict.OK, f"Used the topmost of {len(headers)} "
                                       "Authentication-Results headers (the one the receiving organisation added)."))
    by_method: dict[str, AuthResult] = {}
    for res in results:
        by_method.setdefault(res.method, res)
    if spf := by_method.get("spf"):
        report.spf = _auth_dict(spf, "smtp.mailfrom")
    if dkim := by_method.get("dkim"):
        report.dkim = _auth_dict(dkim, "header.d")
    if dmarc := by_method.get("dmarc"):
        action = dmarc.props.get("action")
        report.dmarc = _auth_dict(dmarc, "header.from") | {
            "action": action, "action_meaning": codes.DMARC_ACTION.get((action or "").lower())}
    if comp := by_method.get("compauth"):
        reason = comp.props.get("reason")
        report.compauth = {"result": comp.result, "reason": reason, "meaning": codes.compauth_meaning(reason)}
    for name in ("spf", "dkim", "dmarc"):
        data = getattr(report, name)
        if data:
            bad = data["result"] in {"fail", "softfail", "permerror", "temperror"}
            text = f"{name.upper()} {data['result']}" + (f" for {data['domain']}" if data["domain"] else "")
            text += f" ({data['detail']})" if data.get("detail") else ""
            if name == "dmarc" and data.get("action"):
                text += f"; action={data['action']}: {data['action_meaning'] or 'unknown action'}"
            report.findings.append(Finding("auth", Verdict.ERROR if bad and name == "dmarc" else
                                           Verdict.WARNING if bad else Verdict.OK, text))
    if report.compauth:
        c = report.compauth
        report.findings.append(Finding("auth", Verdict.ERROR if c["result"] == "fail" else Verdict.OK,
                                       f"Composite authentication {c['result']}, reason {c['reason'] or '?'}: "
                                       f"{c['meaning'] or 'unknown reason code'}"))
    if authserv:
        report.findings.append(Finding("auth", Verdict.OK, f"Authentication results stamped by {authserv}."))


def _decode_field(key: str, value: str) -> str:
    """Meaning of one X-Forefront-Antispam-Report field, down to the value where the value is a code."""
    tables: dict[str, dict[str, str]] = {"SFV": codes.SFV, "CAT": codes.CAT, "IPV": codes.IPV, "EFV": codes.IPV,
                                         "SFTY": codes.SFTY, "DIR": codes.DIR}
    if key in tables:
        return tables[key].get(value.upper(), f"{codes.FOREFRONT_FIELDS[key]}: unrecognised value {value!r}")
    if key == "SCL" and (scl := _int(value)) is not None:
        return f"spam confidence level {scl}: {codes.scl_meaning(scl)}"
    if key == "SRV" and value.upper() == "BULK":
        return "identified as bulk mail (BCL at or above the bulk threshold)"
    return f"{codes.FOREFRONT_FIELDS[key]}: {value or '(empty)'}"


def _antispam(msg: Message, report: HeaderReport) -> None:
    """X-Forefront-Antispam-Report field by field, then BCL and the X-MS-Exchange-Organization-* stamps."""
    raw = msg.get("X-Forefront-Antispam-Report") or msg.get("X-MS-Exchange-Organization-Antispam-Report")
    fields = semicolon_fields(raw) if raw else {}
    for key, value in fields.items():
        known = key in codes.FOREFRONT_FIELDS
        meaning = _decode_field(key, value) if known else None
        report.antispam.append({"field": key, "value": value, "meaning": meaning})
        report.findings.append(Finding("antispam", Verdict.OK,
                                       f"{key}:{value} - {meaning}" if known else f"{key}:{value} (not a documented "
                                       "field; shown as is)"))
    report.sfv = fields.get("SFV", "").upper() or None
    report.scl = _int(fields.get("SCL"))
    org_scl = _int(unfold(msg["X-MS-Exchange-Organization-SCL"])) if msg["X-MS-Exchange-Organization-SCL"] else None
    if report.scl is None:
        report.scl = org_scl
    if org_scl is not None:
        report.findings.append(Finding("antispam", Verdict.OK, f"X-MS-Exchange-Organization-SCL {org_scl}: "
                                       f"{codes.scl_meaning(org_scl)}"))
    if ms := msg.get("X-Microsoft-Antispam"):
        report.bcl = _int(semicolon_fields(ms).get("BCL"))
        if report.bcl is not None:
            report.findings.append(Finding("antispam", Verdict.OK,
                                           f"BCL {report.bcl}: {codes.bcl_meaning(report.bcl)}"))
    if auth_as := msg.get("X-MS-Exchange-Organization-AuthAs"):
        report.auth_as = unfold(auth_as)
        treated = "inside the organisation" if report.auth_as == "Internal" else report.auth_as
        report.findings.append(Finding("org", Verdict.OK, f"AuthAs {report.auth_as}: the sender was treated as "
                                       f"{treated}."))
    if direction := msg.get("X-MS-Exchange-Organization-MessageDirectionality"):
        report.directionality = unfold(direction)
        origin = "sent by your organisation" if report.directionality == "Originating" else "received from outside"
        report.findings.append(Finding("org", Verdict.OK, f"Message directionality {report.directionality} "
                                       f"({origin})."))
    if box := msg.get("X-Microsoft-Antispam-Mailbox-Delivery"):
        dest = semicolon_fields(box).get("DEST", "").upper()
        report.destination = {"J": "junk", "I": "inbox"}.get(dest)
        if report.destination:
            report.findings.append(Finding("antispam", Verdict.OK, f"Mailbox delivery dest:{dest} - the mailbox put "
                                           f"it in the {'Junk Email folder' if dest == 'J' else 'inbox'}."))


def _verdict(report: HeaderReport) -> str:
    """One line, most decisive reason first: user/admin lists and rules override filtering, then auth, then spam."""
    sfv, scl = report.sfv, report.scl
    fields = {a["field"]: a["value"].upper() for a in report.antispam}
    tag = f"SFV:{sfv}" + (f", SCL {scl}" if scl is not None else "")
    overrides = {
        "BLK": "Went to junk: the sender is on the recipient's Blocked Senders list",
        "SKB": "Marked as spam: the sender is blocked in the anti-spam policy",
        "SKS": "Marked as spam before filtering, usually by a mail flow rule",
    }
    if sfv in overrides:
        return f"{overrides[sfv]} ({tag})."
    if fields.get("IPV") == "CAL":
        return "Delivered to the inbox: sender is on the IP allow list (IPV:CAL)."
    allowed = {
        "SFE": "sender is on the recipient's Safe Senders list",
        "SKA": "sender is allowed in the anti-spam policy",
        "SKN": "marked as not spam before filtering (for example a mail flow rule setting SCL -1)",
        "SKI": "intra-organisation message, spam filtering skipped",
    }
    if sfv in allowed:
        return f"Delivered to the inbox: {allowed[sfv]} ({tag})."
    if sfv == "SKQ":
        return f"Released from quarantine ({tag})."
    dmarc = report.dmarc
    if dmarc and dmarc["result"] == "fail" and (dmarc.get("action") or "").lower() in codes.DMARC_JUNK_ACTIONS:
        where = "rejected" if dmarc["action"].lower() == "reject" else "junk"
        return f"Failed DMARC for {dmarc['domain'] or 'the sender domain'}: action={dmarc['action']} -> {where}."
    comp = report.compauth
    junk = sfv == "SPM" or (scl is not None and scl >= 5) or report.destination == "junk"
    if comp and comp["result"] == "fail" and junk:
        return (f"Went to junk as spoofed: composite authentication failed (compauth=fail reason={comp['reason']}: "
                f"{comp['meaning'] or 'unknown reason'}).")
    category = fields.get("CAT")
    if category in {"PHSH", "HPHSH", "HPHISH", "MALW"}:
        return f"Caught as {codes.CAT[category]} (CAT:{category}, {tag})."
    if sfv == "SPM" or (scl is not None and scl >= 5):
        kind = "high confidence spam" if category == "HSPM" or (scl is not None and scl >= 9) else "spam"
        return f"Went to junk because the spam filter marked it as {kind} ({tag})."
    if category == "BULK" or fields.get("SRV") == "BULK":
        return f"Went to junk as bulk mail (BCL {report.bcl if report.bcl is not None else '?'}, {tag})."
    if report.destination == "junk":
        return "Went to junk (X-Microsoft-Antispam-Mailbox-Delivery dest:J), most likely by the mailbox's junk rule."
    if sfv == "NSPM" or (scl is not None and scl <= 1):
        return f"Delivered to the inbox: the spam filter found it clean ({tag})."
    if sfv or scl is not None:
        return f"Filtering verdict {tag}: no junk decision in these headers."
    if report.hops:
        slow = next((h for h in report.hops if h.slowest), None)
        extra = f"; slowest hop {_duration(slow.delay_s or 0)}" if slow else ""
        return f"No Exchange Online filtering stamps; {len(report.hops)} Received hop(s){extra}."
    return "Headers recognised, but no Received chain or filtering stamps to judge from."


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
    _auth(msg, report)
    _antispam(msg, report)
    report.verdict = _verdict(report)
    slow = next((h for h in report.hops if h.slowest and (h.delay_s or 0) >= SLOW_HOP_S), None)
    if slow and "slowest hop" not in report.verdict:
        report.verdict += (f" Slow hop: {slow.from_host or '?'} -> {slow.by_host or '?'} took "
                           f"{_duration(slow.delay_s or 0)}.")
    return report
