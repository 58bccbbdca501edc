"""The port-25 test (issue 3): play the sending side of SMTP against a domain's MX hosts, up to RCPT.

It does what an admin would do by hand with telnet on port 25, and records every step: connect, banner,
EHLO, STARTTLS with the certificate's details, EHLO again, MAIL FROM, RCPT TO, then RSET and QUIT.
DATA is never sent. The caller resolves the MX hosts (this module does no DNS) and passes a ProbePolicy,
which decides which addresses and ports may be reached, how many probes run at once and how often.

Hosts are tried in preference order, each address in turn, until one answers the RCPT (RFC 5321 section 5.1);
a host that does not answer, or answers 421, passes the turn to the next one.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from mailflow.addresses import InvalidName, normalize_email, normalize_host
from mailflow.smtp_findings import Attempt, Finding, interpret
from mailflow.smtp_policy import (
    ConcurrencyLimit,
    ProbeError,
    ProbePolicy,
    ProbeRefused,
    RateLimited,
)
from mailflow.smtp_session import Outcome, Session, SessionResult, Step, TlsMode
from mailflow.smtp_tls import TlsInfo
from mailflow.smtp_wire import Envelope, make_envelope
from mailflow.verdict import Verdict

__all__ = [
    "DEFAULT_HELO",
    "ConcurrencyLimit",
    "Finding",
    "ProbeError",
    "ProbePolicy",
    "ProbeRefused",
    "ProbeReport",
    "ProbeTarget",
    "RateLimited",
    "Step",
    "TlsInfo",
    "probe",
]

# Servers may check the HELO name against DNS; callers should pass a name that resolves to their own IP.
# ".invalid" (RFC 2606) makes plain that the default one is not a real mail server.
DEFAULT_HELO = "mailflow-assistant.invalid"


class ProbeTarget(NamedTuple):
    """One MX host as the caller resolved it: name, MX preference and its IP addresses."""

    host: str
    preference: int
    addresses: Sequence[str]


@dataclass
class ProbeReport:
    """The transcript and its reading; ``host``/``address`` are those of the deciding attempt."""

    host: str | None
    address: str | None
    port: int
    verdict: Verdict
    summary: str
    tls: TlsInfo | None = None
    steps: list[Step] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "address": self.address,
            "port": self.port,
            "verdict": self.verdict.value,
            "summary": self.summary,
            "tls": self.tls.to_json() if self.tls else None,
            "steps": [s.to_json() for s in self.steps],
            "findings": [f.to_json() for f in self.findings],
        }


async def probe(targets: Sequence[ProbeTarget], *, sender: str, recipient: str, helo: str = DEFAULT_HELO,
                port: int = 25, policy: ProbePolicy, connect_timeout: float = 10, step_timeout: float = 15,
                overall_timeout: float = 60, tls_verify: bool = True) -> ProbeReport:
    """Run the test and report every step; network trouble and policy refusals end up in the report.

    Raises InvalidName (from mailflow.addresses) for an unusable sender, recipient or HELO name, before any
    connection. Rate limiting is the caller's move: call ``policy.acquire(conversation_id)`` first.
    """
    envelope = make_envelope(sender, recipient, helo)
    run = _Run(policy, envelope, port, policy.clamp(connect_timeout, step_timeout, overall_timeout), tls_verify)
    # sorted() is stable: hosts of equal preference keep the caller's order (RFC 5321 5.1 lets it shuffle them)
    ordered = sorted((ProbeTarget(*t) for t in targets), key=lambda t: t.preference)
    try:
        policy.check_port(port)
    except ProbeRefused as exc:
        first = ordered[0] if ordered else ProbeTarget("", 0, ())
        run.refuse(first.host, first.preference, None, Outcome.POLICY_REFUSED, str(exc))
    else:
        await run.all(ordered)
    shown_sender = normalize_email(sender) if envelope.mail_from else ""
    return run.report(recipient=normalize_email(recipient), sender=shown_sender)


class _Run:
    """State of one probe: the shared transcript, the attempts so far and the session in progress."""

    def __init__(self, policy: ProbePolicy, envelope: Envelope, port: int, timeouts: tuple[float, float, float],
                 tls_verify: bool) -> None:
        self.policy, self.envelope, self.port, self.timeouts = policy, envelope, port, timeouts
        self.tls_verify = tls_verify
        self.steps: list[Step] = []
        self.attempts: list[Attempt] = []
        self.notes: list[Finding] = []
        self.session: Session | None = None
        self.tls_error: str | None = None
        self._preference = 0

    def refuse(self, host: str, preference: int, address: str | None, outcome: Outcome, reason: str) -> None:
        """A target the probe will not touch: a step and an attempt, never an exception."""
        self.steps.append(Step("connect", None, f"{host} [{address or '-'}]: not attempted, {reason}", 0))
        self.attempts.append(Attempt(host, preference, address, SessionResult(outcome, "connect", detail=reason)))

    async def all(self, targets: Sequence[ProbeTarget]) -> None:
        deadline = asyncio.timeout(self.timeouts[2])
        got_slot = False
        try:
            async with deadline, self.policy.concurrency.slot():
                got_slot = True
                await self._in_order(targets)
        except TimeoutError:
            if not deadline.expired():
                raise
            if not got_slot:
                host = targets[0].host if targets else ""
                self.refuse(host, 0, None, Outcome.BUSY, f"waited {self.timeouts[2]:g} s for a free test slot "
                            f"(at most {self.policy.concurrency.limit} tests run at once)")
            elif self.session is not None:
                session = self.session
                ms = round((time.perf_counter() - session.started) * 1000)
                self.steps.append(Step(session.current, None, f"stopped: the whole test may take at most "
                                       f"{self.timeouts[2]:g} s", ms))
                result = session.result  # an RCPT answer already in stands, even if QUIT was cut short
                if not result.outcome.definitive:
                    result = SessionResult(Outcome.OVERALL_TIMEOUT, session.current)
                self.attempts.append(Attempt(session.host, self._preference, session.address, result, self.tls_error))

    async def _in_order(self, targets: Sequence[ProbeTarget]) -> None:
        tried: set[str] = set()
        left_out = 0
        for index, target in enumerate(targets):
            host, addresses = str(target.host).strip().rstrip(".").lower(), list(target.addresses)
            if index >= self.policy.max_hosts:
                left_out += len(addresses) or 1
                continue
            left_out += max(0, len(addresses) - self.policy.max_addresses_per_host)
            try:
                normalize_host(host)  # the name goes into TLS SNI and certificate checks
            except InvalidName as exc:
                self.refuse(host[:60], target.preference, None, Outcome.POLICY_REFUSED, str(exc))
                continue
            if not addresses:
                self.refuse(host, target.preference, None, Outcome.NO_ADDRESS, "the host has no IP address")
            for text in addresses[: self.policy.max_addresses_per_host]:
                try:
                    address = self.policy.check_address(str(text))
                except ProbeRefused as exc:
                    self.refuse(host, target.preference, str(text).strip()[:60], Outcome.POLICY_REFUSED, str(exc))
                    continue
                if address in tried:  # the same machine behind two MX names: one answer is enough
                    continue
                tried.add(address)
                if await self._address(host, target.preference, address):
                    return  # RFC 5321 section 5.1: stop at the first host that answers
        if left_out:
            self.notes.append(Finding("not-tried", Verdict.UNCHECKED, (
                f"Only the first {self.policy.max_hosts} hosts and {self.policy.max_addresses_per_host} addresses "
                f"per host are tried; {left_out} more address{'es were' if left_out != 1 else ' was'} left out.")))

    async def _address(self, host: str, preference: int, address: str) -> bool:
        """Try one address, reconnecting when TLS gets in the way; True when it answered the RCPT."""
        self._preference, self.tls_error = preference, None
        mode = TlsMode.VERIFY if self.tls_verify else TlsMode.UNVERIFIED
        result = await self._session(host, address, mode, None)
        if result.outcome is Outcome.VERIFY_FAILED:  # read the certificate anyway, as opportunistic TLS would
            result = await self._session(host, address, TlsMode.UNVERIFIED, result.detail)
        if result.outcome is Outcome.TLS_FAILED:  # opportunistic senders retry in clear text
            self.tls_error = result.detail
            result = await self._session(host, address, TlsMode.OFF, None)
        self.attempts.append(Attempt(host, preference, address, result, self.tls_error))
        self.session = None
        return result.outcome.definitive

    async def _session(self, host: str, address: str, mode: TlsMode, verify_error: str | None) -> SessionResult:
        connect, step, _ = self.timeouts
        self.session = Session(host, address, self.port, self.envelope, self.steps, connect_timeout=connect,
                               step_timeout=step, tls_mode=mode, verify_error=verify_error)
        return await self.session.run()

    def report(self, *, recipient: str, sender: str) -> ProbeReport:
        chosen, judgement = interpret(self.attempts, recipient=recipient, sender=sender, port=self.port,
                                      timeouts=self.timeouts)
        tls = chosen.result.tls if chosen else None
        if tls is None and chosen is not None and chosen.tls_error:
            tls = TlsInfo(handshake_error=chosen.tls_error)
        return ProbeReport(host=chosen.host if chosen else None, address=chosen.address if chosen else None,
                           port=self.port, verdict=judgement.verdict, summary=judgement.summary, tls=tls,
                           steps=self.steps, findings=judgement.findings + self.notes)
