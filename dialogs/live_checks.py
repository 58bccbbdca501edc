"""The runner that turns a step's CheckRequest into real lookups and probes (mailflow) and back into rows.

Where the network goes is decided here and only here: the resolver from configuration, SMTP only to
the MX hosts of the domain the case is about (or the on-premises smart host the person named), under
the probe policy's address, port, rate and concurrency limits.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import dns.asyncresolver

from dialogs.checks import CheckOutcome, CheckRequest, CheckRow
from mailflow.addresses import InvalidName, eop_mx_host
from mailflow.dns_mx import MxResult, check_mx
from mailflow.dnsquery import lookup
from mailflow.domain_report import check_domain
from mailflow.ip_checks import check_ip
from mailflow.resolver import make_resolver, nameservers_from
from mailflow.smtp_policy import ProbeError, ProbePolicy
from mailflow.smtp_probe import ProbeReport, ProbeTarget, probe
from mailflow.verdict import Verdict

# What a probe's findings mean for the port-25 step's question.
_SMTP_RESULTS = {"unknown-recipient": "unknown-recipient", "greylisted": "deferred", "throttled": "deferred",
                 "deferred": "deferred", "service-unavailable": "deferred", "relay-denied": "policy",
                 "policy-rejected": "policy", "rejected": "policy", "tls-required": "tls-error",
                 "tls-handshake-failed": "tls-error"}


def _unchecked(name: str, why: str) -> CheckOutcome:
    return CheckOutcome("unchecked", (CheckRow(name, Verdict.UNCHECKED, why),))


def _mx_row(mx: MxResult) -> CheckRow:
    return CheckRow("MX", mx.verdict, mx.summary)


def _probe_rows(report: ProbeReport) -> tuple[CheckRow, ...]:
    rows = [CheckRow("port 25", report.verdict, report.summary)]
    rows += [CheckRow(f.kind, f.severity, f.text) for f in report.findings if f.severity is not Verdict.OK][:3]
    return tuple(rows)


def smtp_result(report: ProbeReport) -> str:
    """The port-25 result key: accepted, deferred, unknown-recipient, policy, tls-error, no-connection."""
    if report.verdict is Verdict.OK:
        return "accepted"
    for finding in report.findings:
        if finding.kind in _SMTP_RESULTS:
            return _SMTP_RESULTS[finding.kind]
    if report.verdict is Verdict.UNCHECKED and answered(report):
        return "unchecked"
    return "no-connection" if not answered(report) else "unchecked"


def answered(report: ProbeReport) -> bool:
    """Did any server greet us (220), i.e. is something listening on port 25?"""
    return any(step.step == "banner" and step.code == 220 for step in report.steps)


@dataclass
class LiveChecks:
    resolver: dns.asyncresolver.Resolver
    policy: ProbePolicy = field(default_factory=ProbePolicy)
    smtp_port: int = 25
    helo: str = "mailflow-assistant.invalid"

    @classmethod
    def from_settings(cls, *, nameservers: Sequence[str] | None = None,
                      environ: Mapping[str, str] = os.environ) -> LiveChecks:
        """Nameservers from the command line or MAILFLOW_NAMESERVERS; the system's when neither is set."""
        return cls(make_resolver(nameservers_from(nameservers, environ)))

    async def run(self, request: CheckRequest, *, key: str) -> CheckOutcome:
        try:
            handler = {"scenario": self._scenario, "mx": self._mx, "ip": self._ip,
                       "routing_domain": self._routing_domain, "smtp": self._smtp,
                       "smarthost": self._smarthost}[request.kind]
        except KeyError:
            return _unchecked(request.kind, f"there is no live check called {request.kind!r}")
        try:
            return await handler(request, key)
        except InvalidName as exc:
            return _unchecked(request.kind, f"the check could not run: {exc}")
        except ProbeError as exc:
            return _unchecked(request.kind, str(exc))

    async def _scenario(self, request: CheckRequest, _key: str) -> CheckOutcome:
        report = await check_domain(request.target, resolver=self.resolver, side="recipient")
        hint = report.scenario_hint
        rows = [_mx_row(report.mx), CheckRow("Microsoft 365", report.m365.verdict, report.m365.summary),
                CheckRow("scenario", Verdict.OK if hint.inbound else Verdict.NOT_FOUND,
                         " ".join(hint.reasons) or "No Microsoft 365 signals in DNS.")]
        if report.mx.verdict is Verdict.UNCHECKED:
            return CheckOutcome("unchecked", tuple(rows))
        return CheckOutcome(hint.inbound or "none", tuple(rows))

    async def _mx(self, request: CheckRequest, _key: str) -> CheckOutcome:
        """Used where the case expects the MX on Exchange Online, so anything else is worth a warning."""
        mx = await check_mx(request.target, resolver=self.resolver)
        result = "unchecked" if mx.verdict is Verdict.UNCHECKED else mx.provider
        row = _mx_row(mx)
        if mx.verdict is Verdict.OK and not mx.on_exchange_online:
            row = CheckRow(row.name, Verdict.WARNING, f"{mx.summary} For this case it should point to Exchange "
                                                      f"Online ({eop_mx_host(mx.domain)}).")
        return CheckOutcome(result, (row,))

    async def _ip(self, request: CheckRequest, _key: str) -> CheckOutcome:
        report = await check_ip(request.target, resolver=self.resolver)
        rows = [CheckRow("reverse DNS", report.ptr.verdict, report.ptr.summary),
                CheckRow("block lists", report.lists_verdict, report.lists_summary),
                CheckRow("Microsoft's block list", Verdict.UNCHECKED, report.microsoft_note)]
        result = "listed" if report.listed_on else "clean" if report.lists_verdict is Verdict.OK else "unchecked"
        return CheckOutcome(result, tuple(rows))

    async def _routing_domain(self, request: CheckRequest, _key: str) -> CheckOutcome:
        mx = await check_mx(request.target, resolver=self.resolver)
        if mx.verdict is Verdict.UNCHECKED:
            return CheckOutcome("unchecked", (_mx_row(mx),))
        if mx.on_exchange_online:
            row = CheckRow("routing domain", Verdict.OK, f"{request.target} exists and its MX points to Exchange "
                                                          "Online, so the tenant name is right.")
            return CheckOutcome("exists", (row,))
        row = CheckRow("routing domain", Verdict.ERROR, f"{request.target} has no Exchange Online MX: check the "
                                                         "tenant name (the part before .onmicrosoft.com).")
        return CheckOutcome("missing", (row, _mx_row(mx)))

    async def _smtp(self, request: CheckRequest, key: str) -> CheckOutcome:
        mx = await check_mx(request.target, resolver=self.resolver)
        targets = [ProbeTarget(h.host, h.preference, h.addresses) for h in mx.hosts]
        if not targets and mx.implicit_mx:
            targets = [ProbeTarget(mx.domain, 0, mx.implicit_mx)]
        if not targets:
            return CheckOutcome("unchecked", (_mx_row(mx),))
        self.policy.acquire(key)
        report = await probe(targets, sender=request.sender, recipient=request.recipient, helo=self.helo,
                             port=self.smtp_port, policy=self.policy)
        return CheckOutcome(smtp_result(report), (_mx_row(mx), *_probe_rows(report)))

    async def _smarthost(self, request: CheckRequest, key: str) -> CheckOutcome:
        host = request.target
        try:
            addresses = [str(ipaddress.ip_address(host))]
        except ValueError:
            answers = await asyncio.gather(*(lookup(host, kind, resolver=self.resolver) for kind in ("A", "AAAA")))
            if any(a.failed for a in answers) and not any(a.ok for a in answers):
                return _unchecked("DNS", f"could not look up {host}: {answers[0].detail or answers[1].detail}")
            addresses = [ip for a in answers for ip in a.addresses()]
        if not addresses:
            row = CheckRow("DNS", Verdict.ERROR, f"{host} does not resolve to any address, so Exchange Online "
                                                 "cannot reach it either.")
            return CheckOutcome("no-address", (row,))
        resolved = CheckRow("DNS", Verdict.OK, f"{host} resolves to {', '.join(addresses[:4])}.")
        self.policy.acquire(key)
        report = await probe([ProbeTarget(host, 0, addresses)], sender=request.sender,
                             recipient=request.recipient, helo=self.helo, port=self.smtp_port, policy=self.policy)
        return CheckOutcome("answers" if answered(report) else "no-connection", (resolved, *_probe_rows(report)))
