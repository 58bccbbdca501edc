"""``mailflow check DOMAIN``: every live check for one domain, as one JSON object or a terminal table (issue 3).

No chat code: the same checks the conversation offers, run together for one domain, optional sending IPs
and an optional port-25 test. The domain's DNS checks, the IP checks and the port-25 test run concurrently;
the test only waits for its own MX lookup, not for the rest of the DNS checks, so a slow SPF tree or a
dropped MTA-STS query never holds it up. That costs one MX lookup twice (the domain report makes its own).

The port-25 test goes only to the domain's MX hosts (or to its implicit MX, RFC 5321 section 5.1), under
the ProbePolicy the caller passes (no private or loopback addresses, port 25 only, unless the policy says
otherwise), and asks only about a recipient at that domain: the test never asks a server to relay.

Input is checked before anything touches the network; :func:`validate` raises InvalidName for a bad domain,
IP or address. Everything else, DNS failures and refused connections included, ends up in the report.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import dns.asyncresolver

from mailflow.addresses import InvalidName, domain_of, normalize_email, normalize_ip
from mailflow.dns_mx import MxResult, check_mx
from mailflow.dnsquery import ascii_domain, display_name, recording
from mailflow.domain_report import DomainReport, check_domain
from mailflow.ip_checks import IpReport, check_ip
from mailflow.smtp_policy import ProbeError, ProbePolicy
from mailflow.smtp_probe import DEFAULT_HELO, ProbeReport, ProbeTarget, probe
from mailflow.verdict import Verdict, worst

MAX_IPS = 16  # each IP costs a PTR lookup, its forward check and one query per block list
Progress = Callable[[str], None]

# The domain checks in the order the table shows them: (key in the JSON, label).
DOMAIN_CHECKS = (("mx", "MX"), ("spf", "SPF"), ("dmarc", "DMARC"), ("dkim", "DKIM"),
                 ("autodiscover", "Autodiscover"), ("mta_sts", "MTA-STS"), ("tls_rpt", "TLS-RPT"),
                 ("microsoft365_details", "Microsoft 365"))
SMTP_CHECK = "Port 25"


@dataclass(frozen=True)
class CheckRequest:
    """What to check, validated and normalised; nothing here has touched the network yet."""

    domain: str  # ASCII (punycode for IDN), as DNS is asked
    ips: tuple[str, ...]
    smtp: bool
    recipient: str | None  # None when no port-25 test runs and none was given
    recipient_default: bool  # True when postmaster@DOMAIN was chosen because none was given
    sender: str  # "" is the null sender, MAIL FROM:<>

    def to_json(self) -> dict[str, Any]:
        return {"ips": list(self.ips), "smtp": self.smtp, "recipient": self.recipient,
                "recipient_default": self.recipient_default, "sender": self.sender}


def validate(domain: str, *, recipient: str | None = None, ips: Sequence[str] = (), smtp: bool = False,
             sender: str | None = None) -> CheckRequest:
    """The request in canonical form, or InvalidName saying which input is wrong and why."""
    name = ascii_domain(domain)
    addresses: list[str] = []
    for text in ips:
        address = normalize_ip(text)
        if address not in addresses:
            addresses.append(address)
    if len(addresses) > MAX_IPS:
        raise InvalidName(f"at most {MAX_IPS} IP addresses can be checked at once, not {len(addresses)}")
    chosen, default = None, False
    if recipient is not None and recipient.strip():
        chosen = normalize_email(recipient)
        if ascii_domain(domain_of(chosen)) != name:
            raise InvalidName(f"the recipient {chosen} is not at {display_name(name)}: the port-25 test asks "
                              f"{display_name(name)}'s own MX hosts about one of its own mailboxes, never to relay "
                              "to another domain")
    elif smtp:
        chosen, default = f"postmaster@{name}", True  # RFC 5321 section 4.5.1: every domain has a postmaster
    mail_from = "" if sender is None or sender.strip() in ("", "<>") else normalize_email(sender)
    return CheckRequest(name, tuple(addresses), smtp, chosen, default, mail_from)


class _Pending:
    """What is still running, for a status line: 'DNS checks for contoso.com, IP 192.0.2.1, port-25 test'."""

    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress
        self.running: dict[str, str] = {}  # key -> what the status line says about it
        self.total = 0

    def start(self, key: str) -> None:
        self.running[key] = key
        self.total += 1
        self._say()

    def relabel(self, key: str, label: str) -> None:
        self.running[key] = label
        self._say()

    def finish(self, key: str) -> None:
        self.running.pop(key, None)
        self._say()

    def _say(self) -> None:
        if self.progress is not None and self.running:
            done = self.total - len(self.running)
            self.progress(f"waiting for {', '.join(self.running.values())} ({done} of {self.total} done)")


async def _tracked(pending: _Pending, key: str, work: Any) -> Any:
    pending.start(key)
    try:
        return await work
    finally:
        pending.finish(key)


def _targets(mx: MxResult) -> list[ProbeTarget]:
    """The hosts a sending server would use: the MX hosts, or the domain itself when it has none (implicit MX)."""
    targets = [ProbeTarget(h.host, h.preference, h.addresses) for h in mx.hosts]
    if not targets and mx.implicit_mx and not mx.null_mx:
        targets = [ProbeTarget(mx.domain, 0, mx.implicit_mx)]
    return targets


@dataclass
class _SmtpOutcome:
    targets: list[ProbeTarget]
    report: ProbeReport | None  # None when the test did not run
    why_not: str = ""
    verdict: Verdict = Verdict.UNCHECKED  # when it did not run


async def _smtp(request: CheckRequest, *, resolver: dns.asyncresolver.Resolver, policy: ProbePolicy, port: int,
                timeout: float | None, helo: str, rate_key: str, pending: _Pending, label: str) -> _SmtpOutcome:
    mx = await check_mx(request.domain, resolver=resolver, timeout=timeout)
    targets = _targets(mx)
    if not targets:
        verdict = Verdict.UNCHECKED if mx.verdict in (Verdict.OK, Verdict.UNCHECKED) else mx.verdict
        return _SmtpOutcome([], None, f"The port-25 test did not run: there is no mail server to test. {mx.summary}",
                            verdict)
    try:
        policy.acquire(rate_key)
    except ProbeError as exc:
        return _SmtpOutcome(targets, None, f"The port-25 test did not run: {exc}")
    pending.relabel(label, f"port-25 test ({targets[0].host})")
    timeouts = {} if timeout is None else {"connect_timeout": timeout, "step_timeout": timeout}
    assert request.recipient is not None  # validate() sets one whenever smtp is asked for
    report = await probe(targets, sender=request.sender, recipient=request.recipient, helo=helo, port=port,
                         policy=policy, **timeouts)
    return _SmtpOutcome(targets, report)


def _smtp_json(request: CheckRequest, outcome: _SmtpOutcome, port: int) -> dict[str, Any]:
    report = outcome.report
    data: dict[str, Any] = {"ran": report is not None, "host": None, "address": None, "port": port,
                            "verdict": str(outcome.verdict), "summary": outcome.why_not, "tls": None, "findings": []}
    if report is not None:
        data.update({k: v for k, v in report.to_json().items() if k != "steps"})
    data.update({"recipient": request.recipient, "recipient_default": request.recipient_default,
                 "sender": request.sender,
                 "targets": [{"host": t.host, "preference": t.preference, "addresses": list(t.addresses)}
                             for t in outcome.targets]})
    return data


def _notes(request: CheckRequest) -> list[str]:
    notes = []
    if request.smtp and request.recipient_default:
        notes.append(f"No recipient was given, so the port-25 test asked about {request.recipient} "
                     "(every domain should accept mail for postmaster, RFC 5321 section 4.5.1); "
                     "use --recipient for a real mailbox.")
    if request.smtp and not request.sender:
        notes.append("The port-25 test used the null sender (MAIL FROM:<>), as bounces do; use --sender to test "
                     "a real sender address.")
    if not request.smtp and request.recipient:
        notes.append(f"The recipient {request.recipient} is only used by the port-25 test (--smtp), which did "
                     "not run.")
    if not request.smtp and request.sender:
        notes.append("The sender is only used by the port-25 test (--smtp), which did not run.")
    return notes


def check_rows(data: dict[str, Any]) -> list[dict[str, str]]:
    """One row per check (name, verdict, summary) from run_checks' data, in the order the table shows them."""
    rows = [{"name": label, "verdict": data[key]["verdict"], "summary": data[key]["summary"]}
            for key, label in DOMAIN_CHECKS if isinstance(data.get(key), dict)]
    rows += [{"name": f"IP {ip['ip']}", "verdict": ip["verdict"], "summary": ip["summary"]}
             for ip in data.get("ips", [])]
    if "smtp_report" in data:
        report = data["smtp_report"]
        rows.append({"name": SMTP_CHECK, "verdict": report["verdict"], "summary": report["summary"]})
    return rows


def _needs_attention(row: dict[str, str], microsoft365: bool) -> bool:
    """Not ok, except records that are optional (MTA-STS, TLS-RPT) or only matter with Microsoft 365."""
    if row["verdict"] == Verdict.OK.value:
        return False
    optional = {"MTA-STS", "TLS-RPT", "Microsoft 365"} | (set() if microsoft365 else {"DKIM", "Autodiscover"})
    return not (row["verdict"] == Verdict.NOT_FOUND.value and row["name"] in optional)


def _overall(rows: list[dict[str, str]], microsoft365: bool) -> dict[str, Any]:
    """The worst verdict of the checks that need attention, and their names, worst first.

    As in the domain report, a missing record that matters (SPF, DMARC) counts as a warning overall.
    """
    flagged = [r for r in rows if _needs_attention(r, microsoft365)]
    if not flagged:
        return {"verdict": str(Verdict.OK), "summary": f"All {len(rows)} checks look fine.", "attention": []}
    def weight(row: dict[str, str]) -> Verdict:
        return Verdict.WARNING if row["verdict"] == Verdict.NOT_FOUND.value else Verdict(row["verdict"])

    order = [Verdict.ERROR, Verdict.WARNING, Verdict.UNCHECKED]
    flagged.sort(key=lambda r: order.index(weight(r)))  # stable: the table's order within one verdict
    verdict = worst(*(weight(r) for r in flagged))
    names = ", ".join(f"{r['name']} ({r['verdict']})" for r in flagged)
    count = len(flagged)
    return {"verdict": str(verdict), "summary": f"{count} check{'s' if count != 1 else ''} of {len(rows)} "
            f"need{'s' if count == 1 else ''} attention: {names}.", "attention": [r["name"] for r in flagged]}


async def run_checks(domain: str, *, recipient: str | None = None, ips: Sequence[str] = (), smtp: bool = False,
                     resolver: dns.asyncresolver.Resolver, policy: ProbePolicy, smtp_port: int = 25,
                     timeout: float | None = None, sender: str | None = None, helo: str = DEFAULT_HELO,
                     rate_key: str = "cli", progress: Progress | None = None) -> dict[str, Any]:
    """Every check for ``domain`` (plus ``ips`` and, with ``smtp``, the port-25 test) as one JSON-able dict.

    ``timeout`` bounds each DNS lookup and, for the port-25 test, the connection and each reply; None keeps
    the resolver's and the probe's defaults. ``progress`` is called with a short sentence whenever the set
    of running checks changes. Raises InvalidName for bad input, before any network traffic.

    The keys of check_domain's report come first and keep their meaning (``verdict`` and ``summary`` are the
    domain's); then ``request``, ``ips``, ``smtp`` (the steps) and ``smtp_report``, ``checks`` (one row per
    check, as the table shows them), ``overall`` (the worst verdict over everything) and ``notes``.
    """
    request = validate(domain, recipient=recipient, ips=ips, smtp=smtp, sender=sender)
    pending = _Pending(progress)
    started = time.perf_counter()
    shown = display_name(request.domain)
    with recording() as answers:  # the domain report records its own queries, so these are the others
        work: list[Any] = [_tracked(pending, f"DNS checks for {shown}",
                                    check_domain(request.domain, resolver=resolver, timeout=timeout))]
        work += [_tracked(pending, f"IP {ip}", check_ip(ip, resolver=resolver, timeout=timeout))
                 for ip in request.ips]
        if request.smtp:
            label = "MX lookup for the port-25 test"
            work.append(_tracked(pending, label, _smtp(request, resolver=resolver, policy=policy, port=smtp_port,
                                                       timeout=timeout, helo=helo, rate_key=rate_key,
                                                       pending=pending, label=label)))
        results = await asyncio.gather(*work)
    report: DomainReport = results[0]
    ip_reports: list[IpReport] = results[1:1 + len(request.ips)]
    data = report.to_json()
    data["request"] = request.to_json()
    if request.ips:
        data["ips"] = [r.to_json() for r in ip_reports]
    if request.smtp:
        outcome: _SmtpOutcome = results[-1]
        data["smtp"] = [s.to_json() for s in outcome.report.steps] if outcome.report else []
        data["smtp_report"] = _smtp_json(request, outcome, smtp_port)
    rows = check_rows(data)
    data["checks"] = rows
    data["overall"] = _overall(rows, report.microsoft365)
    data["notes"] = _notes(request)
    data["timing"] |= {"total_ms": round((time.perf_counter() - started) * 1000, 3),
                       "total_queries": report.queries + len(answers)}
    return data


# ---------------------------------------------------------------- the terminal table

_VERDICT_WIDTH = len("[not-found]") + 1


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _fit(line: str, width: int | None) -> str:
    return line if width is None or len(line) <= width else line[: max(width - 1, 10)] + "…"


def format_report(data: dict[str, Any], *, width: int | None = None) -> str:
    """run_checks' data as a table: one line per check with its verdict, then MX hosts, IPs and SMTP steps.

    ``width`` cuts long lines to fit a terminal (the JSON output keeps every word); None leaves them whole.
    """
    rows = check_rows(data)
    name_width = max((len(r["name"]) for r in rows), default=10) + 2
    indent = " " * (_VERDICT_WIDTH + name_width)

    def row(verdict: str, name: str, text: str) -> str:
        tag = f"[{verdict}]" if verdict else ""
        return _fit(f"{tag:<{_VERDICT_WIDTH}}{name:<{name_width}}{_one_line(text)}", width)

    def detail(name: str, text: str) -> str:
        return row("", name, text)

    overall = data.get("overall") or _overall(rows, bool(data.get("microsoft365")))
    out = [f"Mail flow checks for {data['domain']}", "",
           _fit(f"{'VERDICT':<{_VERDICT_WIDTH}}{'CHECK':<{name_width}}SUMMARY", width)]
    by_name = {r["name"]: r for r in rows}
    for _key, label in DOMAIN_CHECKS:
        if label in by_name:
            out.append(row(by_name[label]["verdict"], label, by_name[label]["summary"]))
        if label == "MX":
            out += [detail("", f"MX {h['preference']:<4} {h['host']}  "
                           f"{', '.join(h['addresses']) or '(no address)'}") for h in data["mx"]["hosts"]]
            implicit = data["mx"].get("implicit_mx") or []
            if implicit:
                out.append(detail("", f"implicit MX (no MX record): {', '.join(implicit)}"))
    hint = data.get("scenario_hint") or {}
    if hint.get("reasons"):
        letters = "/".join(x for x in (hint.get("inbound"), hint.get("outbound")) if x) or "none"
        out.append(detail("Scenario", f"{letters}: {hint['reasons'][0]}"))
    for ip in data.get("ips", []):
        out.append(row(ip["verdict"], f"IP {ip['ip']}", ip["summary"]))
        out += [detail("", f"listed on {x['zone']} ({x['name']}): {x['meaning']} {x['reason']}".rstrip())
                for x in ip["listed_on"]]
        out += [detail("", f"not checked on {x['zone']}: {x['why']}") for x in ip["unchecked_on"]]
    if data.get("ips"):
        out.append(detail("", data["ips"][0]["microsoft_note"]))
    if "smtp_report" in data:
        out += _smtp_lines(data, row, detail, indent, width)
    out += ["", _fit(f"Overall: [{overall['verdict']}] {overall['summary']}", width)]
    out += [_fit(f"Note: {note}", width) for note in data.get("notes", [])]
    return "\n".join(out)


def _smtp_lines(data: dict[str, Any], row: Callable[[str, str, str], str], detail: Callable[[str, str], str],
                indent: str, width: int | None) -> list[str]:
    report = data["smtp_report"]
    sender = report["sender"] or "<> (null sender)"
    recipient = f"{report['recipient']}{' (default)' if report['recipient_default'] else ''}"
    out = [row(report["verdict"], SMTP_CHECK, report["summary"]),
           detail("", f"port {report['port']}, RCPT TO {recipient}, MAIL FROM {sender}")]
    out += [row(f["severity"], "", f"{f['kind']}: {f['text']}") for f in report["findings"]
            if f["severity"] != Verdict.OK.value and f["text"] != report["summary"]]
    steps = data.get("smtp") or []
    if steps:
        out.append(_fit(f"{indent}{'STEP':<10}{'CODE':<6}{'MS':>6}  TEXT", width))
        for step in steps:
            code = "-" if step["code"] is None else str(step["code"])
            text = " | ".join(line for line in str(step["text"]).splitlines() if line.strip())
            out.append(_fit(f"{indent}{step['step']:<10}{code:<6}{step['ms']:>6}  {_one_line(text)}", width))
    return out
