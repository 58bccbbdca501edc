"""Exchange SMTP protocol logs (SEND*.LOG / RECV*.LOG): which conversations failed, and with whom.

An admin hands us a log of hundreds of MB; what they need is the failed sessions grouped per remote
endpoint (4xx deferrals, 5xx rejections, TLS and certificate failures, dropped connections), not the
rows. Rows are streamed by :mod:`mailflow.protolog_stream`; each session is analysed when it ends and
then dropped, so memory depends on the sessions open at once, not on the file size.

Direction matters: in a Send log we are the client, so the remote's replies are ``<`` rows and our
commands ``>`` rows; in a Receive log it is the other way round.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from operator import itemgetter
from typing import Any

from mailflow.protolog_stream import (
    DIRECTIONS,
    MAX_OPEN,
    ByteSource,
    Header,
    RawSession,
    Row,
    StreamStats,
    stream_sessions,
)
from mailflow.verdict import Verdict

NOT_A_LOG = "not an Exchange protocol log"
MAX_FINDINGS = 50  # remote/problem pairs listed; the rest are summed up in one line
# Most serious first: a session's verdict is its most serious problem.
_ORDER = ("rejected", "tls-failed", "certificate", "auth-failed", "connection-error", "deferred", "no-quit")
_SEVERITY = {"rejected": Verdict.ERROR, "tls-failed": Verdict.ERROR, "certificate": Verdict.ERROR,
             "auth-failed": Verdict.ERROR, "connection-error": Verdict.WARNING, "deferred": Verdict.WARNING,
             "no-quit": Verdict.WARNING}
_TEXT = {"rejected": "5xx rejection", "tls-failed": "TLS negotiation failed", "certificate": "certificate problem",
         "auth-failed": "authentication failed", "connection-error": "connection error",
         "deferred": "4xx deferral", "no-quit": "connection closed without QUIT"}
# Chain statuses that only mean "the client sent no certificate": normal for anonymous Internet mail.
_HARMLESS_CERT = ("'valid'", "'emptycertificate'")
_CERT_WORDS = ("certificate expired", "remotecertificatenamemismatch", "remotecertificatechainerrors",
               "untrustedroot", "certificate is not valid", "certificate has expired", "revoked")


@dataclass
class Session:
    """One SMTP conversation, rows ordered by sequence-number, with what went wrong in it."""

    session_id: str
    remote: str = ""
    local: str = ""
    start: str = ""
    end: str = ""
    verdict: str = "ok"  # "ok", "incomplete" (no disconnect seen) or the most serious problem kind
    problems: list[dict[str, str]] = field(default_factory=list)
    mail_from: list[str] = field(default_factory=list)
    rcpt_to: list[str] = field(default_factory=list)
    lines: int = 0
    ended: bool = True
    note: str = ""

    @property
    def failed(self) -> bool:
        return bool(self.problems)

    def to_json(self) -> dict[str, Any]:
        return {"session_id": self.session_id, "remote": self.remote, "local": self.local, "start": self.start,
                "end": self.end, "verdict": self.verdict, "problems": self.problems,
                "mail_from": ", ".join(self.mail_from), "rcpt_to": self.rcpt_to, "lines": self.lines,
                **({"note": self.note} if self.note else {})}


def _address(data: str) -> str:
    """The address between <> in ``MAIL FROM:<a@b> SIZE=1`` / ``RCPT TO:<c@d>``, lower-cased."""
    start, end = data.find("<"), data.find(">")
    if start >= 0 and end > start:
        return data[start + 1:end].strip().lower()
    return data.partition(":")[2].strip().split(" ")[0].lower()


def _problem(kind: str, detail: str, when: str) -> dict[str, str]:
    return {"kind": kind, "detail": detail.strip()[:300], "time": when}


def analyse(raw: RawSession, header: Header) -> Session:
    """Orders one session's rows and reads its envelope and problems; runs once per session, not per file."""
    i_time, i_seq, i_local, i_remote, i_event, i_data, i_ctx = _columns(tuple(header.fields))
    rows = raw.rows
    if i_seq >= 0:
        _order(rows, i_seq)
    first, last = rows[0], rows[-1]
    session = Session(raw.session_id, lines=raw.lines or len(rows), ended=raw.ended, note=raw.note,
                      remote=_first_value(rows, i_remote), local=_first_value(rows, i_local),
                      start=first[i_time] if i_time >= 0 else "", end=last[i_time] if i_time >= 0 else "")
    if i_data < 0:
        return session
    log_type = header.log_type or _guess_type(rows, i_event, i_data)
    reply_dir, command_dir = DIRECTIONS[log_type]
    problems = session.problems
    # One list comprehension per question instead of one branchy loop: this runs for every row of the file.
    # Only rows at or above "4" can be 4xx/5xx replies; the string comparison discards 2xx/3xx cheaply.
    for row in [r for r in rows if r[i_event] == reply_dir and r[i_data] >= "4"]:
        code = row[i_data][:3]
        if code.isdigit() and code[0] in "45":
            problems.append(_problem("rejected" if code[0] == "5" else "deferred", row[i_data], row[i_time]))
    commands = [r[i_data] for r in rows if r[i_event] == command_dir]
    quit_seen = False
    for data in commands:
        verb = data[:9].upper()
        if verb.startswith("MAIL FROM"):
            session.mail_from.append(_address(data))
        elif verb.startswith("RCPT TO"):
            session.rcpt_to.append(_address(data))
        elif verb.startswith("QUIT"):
            quit_seen = True
    info = [r for r in rows if r[i_event] == "*" or r[i_event] == "-"]
    texts = [f"{r[i_data]} {r[i_ctx]}".strip() for r in info] if i_ctx >= 0 else [r[i_data] for r in info]
    if _screen("\n".join(texts).lower()):
        for row, text in zip(info, texts, strict=True):
            _information(row[i_event], text, row[i_time] if i_time >= 0 else "", problems)
    problems.sort(key=lambda p: p["time"])
    if session.ended and not quit_seen:
        problems.append(_problem("no-quit", "disconnected without a QUIT command", session.end))
    if problems:
        session.verdict = min((p["kind"] for p in problems), key=_ORDER.index)
    elif not session.ended:
        session.verdict = "incomplete"
    return session


@lru_cache(maxsize=16)
def _columns(fields: tuple[str, ...]) -> tuple[int, ...]:
    """Positions of the fields ``analyse`` reads (-1 when absent), worked out once per #Fields line."""
    names = ("date-time", "sequence-number", "local-endpoint", "remote-endpoint", "event", "data", "context")
    return tuple(fields.index(name) if name in fields else -1 for name in names)


def _order(rows: list[Row], i_seq: int) -> None:
    """Sorts rows by sequence-number; they nearly always arrive in order already, which is checked first."""
    try:
        numbers = list(map(int, map(itemgetter(i_seq), rows)))
    except ValueError:
        numbers = [int(s) if s.isdigit() else 0 for s in map(itemgetter(i_seq), rows)]
    if numbers != sorted(numbers):
        rows[:] = [row for _, row in sorted(zip(numbers, rows, strict=True), key=itemgetter(0))]


def _screen(low: str) -> bool:
    """Could any information row be a problem? Plain substring tests; most sessions answer no and skip the rest."""
    if "fail" in low or "(" in low or any(word in low for word in _CERT_WORDS):
        return True
    checks = low.count("validation status")
    return checks > low.count("'emptycertificate'") + low.count("'valid'") if checks else False


@lru_cache(maxsize=4096)
def _risky(text: bytes) -> bool:
    """The stream's screen for one information row (raw data and context): could ``_information`` object?"""
    return _screen(text.decode("utf-8", "replace").lower())


def _first_value(rows: list[Row], i: int) -> str:
    """Send logs' first row ("attempting to connect") has no local endpoint yet: take the first one given."""
    if i < 0:
        return ""
    return next((row[i] for row in rows if row[i]), "")


def _information(event: str, text: str, when: str, problems: list[dict[str, str]]) -> None:
    """Reads the ``*`` and ``-`` rows' context strings Exchange writes for TLS, certificates, auth and drops."""
    low = text.lower()
    if event == "-":
        # "Local"/"Remote" are ordinary closes; "Remote(SocketError)", "Remote(TimedOut)"... are not.
        if "(" in text and ")" in text:
            problems.append(_problem("connection-error", text, when))
        return
    if "tls negotiation failed" in low:
        problems.append(_problem("tls-failed", text, when))
    elif "chain validation status" in low:
        if not any(ok in low for ok in _HARMLESS_CERT):
            problems.append(_problem("certificate", text, when))
    elif any(word in low for word in _CERT_WORDS):
        problems.append(_problem("certificate", text, when))
    elif "auth" in low and "failed" in low:
        problems.append(_problem("auth-failed", text, when))


def _guess_type(rows: list[Row], i_event: int, i_data: int) -> str:
    """Without a #Log-type line: our ``>`` rows are 3-digit replies only when we are the receiving side."""
    for row in rows:
        if row[i_event] == ">" and i_data >= 0:
            return "receive" if row[i_data][:3].isdigit() else "send"
    return "receive"


def _remote_keep(prefix: str) -> Callable[[Row, dict[str, int]], bool]:
    """``10.0.0.5`` matches ``10.0.0.5:25`` but not ``10.0.0.50:25``; ``10.0.`` and ``10.0.0.5:2`` are prefixes."""
    want = prefix.strip().lstrip("[")
    exact_host = ":" not in want and want[-1:] != "."

    def keep(row: Row, index: dict[str, int]) -> bool:
        i = index.get("remote-endpoint", -1)
        remote = row[i].lstrip("[") if i >= 0 else ""
        if not remote.startswith(want):
            return False
        rest = remote[len(want):]
        return not exact_host or not rest or rest[0] in ":]"
    return keep


def _since_text(since: datetime) -> str:
    """``since`` in the log's own ISO form, so sessions are compared as strings without parsing each date."""
    if since.tzinfo is not None:
        since = since.astimezone(UTC).replace(tzinfo=None)
    return since.strftime("%Y-%m-%dT%H:%M:%S.%f")[:23] + "Z"


def iter_sessions(stream: ByteSource, *, address: str | None = None, remote: str | None = None,
                  since: datetime | None = None, progress: Callable[[int], None] | None = None,
                  max_open: int = MAX_OPEN, header: Header | None = None, stats: StreamStats | None = None,
                  screened: bool = False) -> Iterator[Session]:
    """Every session (ok or not) that passes the filters, as it ends.

    ``address`` matches MAIL FROM / RCPT TO (case-insensitive), ``remote`` an IP or IP:port prefix of the
    remote endpoint, ``since`` keeps sessions still going at or after that time (naive means UTC).
    ``screened`` skips sessions the stream's screen cleared: they are only counted (``stats.cleared``),
    which is all a failure report needs; the address and since filters turn it off.
    """
    header = header if header is not None else Header()
    stats = stats if stats is not None else StreamStats()
    want = address.strip().strip("<>").lower() if address else None
    after = _since_text(since) if since else None
    keep = _remote_keep(remote) if remote else None
    screen = _risky if screened and not (want or after) else None
    for raw in stream_sessions(stream, header, stats, progress=progress, max_open=max_open, keep=keep,
                               screen=screen):
        session = analyse(raw, header)
        if after and session.end and session.end < after:
            continue
        if want and want not in session.mail_from and want not in session.rcpt_to:
            continue
        yield session


@dataclass
class LogReport:
    """What ``analyze_log`` found: failed sessions in full, ok ones only counted."""

    log_type: str | None
    findings: list[dict[str, Any]]
    sessions: list[Session]
    totals: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"kind": "smtplog", "log_type": self.log_type, "findings": self.findings,
                "sessions": [s.to_json() for s in self.sessions], "totals": self.totals}


def analyze_log(stream: ByteSource, *, address: str | None = None, remote: str | None = None,
                since: datetime | None = None, progress: Callable[[int], None] | None = None,
                max_failed: int = 1000, max_open: int = MAX_OPEN) -> LogReport:
    """Reads a whole protocol log and summarises failures per remote endpoint; never raises on bad input.

    At most ``max_failed`` failed sessions are kept in full (the counts still cover all of them), so a
    log full of failures still gives a bounded report.
    """
    header, stats = Header(), StreamStats()
    failed: list[Session] = []
    counts: Counter[str] = Counter()
    per_remote: dict[tuple[str, str], list[Any]] = {}
    try:
        for session in iter_sessions(stream, address=address, remote=remote, since=since, progress=progress,
                                     max_open=max_open, header=header, stats=stats, screened=True):
            counts["sessions"] += 1
            counts[session.verdict] += 1
            if not session.failed:
                continue
            counts["failed"] += 1
            if len(failed) < max_failed:
                failed.append(session)
            host = session.remote.rsplit(":", 1)[0] if session.remote.count(":") == 1 else session.remote
            for kind in dict.fromkeys(p["kind"] for p in session.problems):
                entry = per_remote.setdefault((host, kind), [0, ""])
                entry[0] += 1
                entry[1] = entry[1] or next(p["detail"] for p in session.problems if p["kind"] == kind)
    except (OSError, ValueError) as exc:  # an unreadable stream is a finding, not a crash
        stats.not_a_log = stats.not_a_log or f"read error: {exc}"
    findings = _findings(per_remote, stats)
    counts["sessions"] += stats.cleared
    counts["ok"] += stats.cleared
    totals = {"sessions": counts["sessions"], "ok": counts["ok"], "failed": counts["failed"],
              "incomplete": counts["incomplete"], "by_verdict": {k: counts[k] for k in _ORDER if counts[k]},
              "lines": stats.lines, "bad_lines": stats.bad_lines, "quoted_lines": stats.quoted_lines,
              "bytes": stats.bytes_read, "flushed": stats.flushed, "listed": len(failed)}
    return LogReport(header.log_type, findings, failed, totals)


def _findings(per_remote: dict[tuple[str, str], list[Any]], stats: StreamStats) -> list[dict[str, Any]]:
    """One finding per (remote, problem), most serious and most frequent first."""
    if stats.not_a_log or (not stats.headers and not stats.lines):
        reason = stats.not_a_log or "empty input"
        return [{"kind": "not-a-log", "severity": Verdict.UNCHECKED.value, "text": f"{NOT_A_LOG} ({reason})"}]
    if not stats.lines:
        return [{"kind": "empty", "severity": Verdict.UNCHECKED.value,
                 "text": "the log has its # header lines but no rows (an empty or freshly rotated file)"}]
    findings = []
    ranked = sorted(per_remote.items(), key=lambda kv: (_ORDER.index(kv[0][1]), -kv[1][0], kv[0][0]))
    for (host, kind), (count, example) in ranked[:MAX_FINDINGS]:
        findings.append({"kind": kind, "severity": _SEVERITY[kind].value, "remote": host, "count": count,
                         "text": f"{host}: {count} session(s) with {_TEXT[kind]}", "example": example})
    if len(ranked) > MAX_FINDINGS:  # an internet-facing log can name tens of thousands of remotes
        rest = ranked[MAX_FINDINGS:]
        findings.append({"kind": "more", "severity": Verdict.WARNING.value, "count": len(rest),
                         "text": f"{len(rest)} more remote/problem pair(s) with {sum(v[0] for _, v in rest)} "
                                 "session(s) not listed; narrow with --remote, --address or --since"})
    if stats.flushed:
        findings.append({"kind": "flushed", "severity": Verdict.WARNING.value, "count": stats.flushed,
                         "text": f"{stats.flushed} session(s) handed on unfinished: too many open at once"})
    return findings
