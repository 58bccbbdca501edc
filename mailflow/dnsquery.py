"""One DNS lookup that never raises for DNS outcomes, so every check can report what it saw.

NXDOMAIN, an empty answer, SERVFAIL or REFUSED, a timeout and an unreachable server all come back
as an :class:`Answer` with a :class:`Status`. Each answer carries the time it took, and
:func:`recording` collects every answer made inside it, so a benchmark can add query times up.
"""

from __future__ import annotations

import contextlib
import contextvars
import time
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import dns.asyncresolver
import dns.exception
import dns.message
import dns.name
import dns.rdata
import dns.rdatatype
import dns.resolver

from mailflow.addresses import InvalidName, normalize_domain


class Status(StrEnum):
    OK = "ok"  # at least one record of the type asked for
    NXDOMAIN = "nxdomain"  # the name does not exist
    NODATA = "nodata"  # the name exists but has no record of this type
    SERVFAIL = "servfail"  # every server failed or refused (detail says which)
    TIMEOUT = "timeout"  # no answer within the time allowed
    ERROR = "error"  # unusable name, unreachable server or a malformed answer


@dataclass(frozen=True)
class Answer:
    name: str  # the name asked for, ASCII, without the final dot
    rdtype: str
    status: Status
    records: tuple[dns.rdata.Rdata, ...] = ()
    cnames: tuple[str, ...] = ()  # aliases followed, in order; the last one is where the records live
    elapsed_ms: float = 0.0
    detail: str = ""  # why, when status is not OK

    @property
    def ok(self) -> bool:
        return self.status is Status.OK

    @property
    def missing(self) -> bool:
        """A definite 'nothing here' (NXDOMAIN or NODATA), unlike a failure that says nothing."""
        return self.status in (Status.NXDOMAIN, Status.NODATA)

    @property
    def failed(self) -> bool:
        """The lookup could not be completed, so the absence of records proves nothing."""
        return self.status in (Status.SERVFAIL, Status.TIMEOUT, Status.ERROR)

    @property
    def canonical_name(self) -> str:
        return self.cnames[-1] if self.cnames else self.name

    def texts(self) -> list[str]:
        """TXT records with their strings joined, as RFC 7208 3.3 and RFC 7489 6.4 require."""
        return [b"".join(r.strings).decode("utf-8", "replace") for r in self.records if hasattr(r, "strings")]

    def targets(self) -> list[str]:
        """Names that CNAME, PTR, NS or MX records point to, lower case, without the final dot."""
        names = [getattr(r, "target", None) or getattr(r, "exchange", None) for r in self.records]
        return [n.to_text(omit_final_dot=True).lower() for n in names if n is not None]

    def addresses(self) -> list[str]:
        return [r.address for r in self.records if hasattr(r, "address")]

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.rdtype, "status": str(self.status),
                "records": [r.to_text() for r in self.records], "cnames": list(self.cnames),
                "elapsed_ms": round(self.elapsed_ms, 3), "detail": self.detail}


_recorder: contextvars.ContextVar[list[Answer] | None] = contextvars.ContextVar("mailflow_dns_recorder",
                                                                                  default=None)


@contextlib.contextmanager
def recording() -> Iterator[list[Answer]]:
    """Collect every Answer made inside the block (tasks started inside it included)."""
    answers: list[Answer] = []
    token = _recorder.set(answers)
    try:
        yield answers
    finally:
        _recorder.reset(token)


def ascii_domain(text: str) -> str:
    """User input as the ASCII name DNS sees (IDNA 2008 via dnspython), or InvalidName saying why."""
    domain = normalize_domain(text)
    try:
        return dns.name.from_text(domain).to_text(omit_final_dot=True).lower()
    except dns.exception.DNSException as exc:
        raise InvalidName(f"'{domain}' cannot be written as a DNS name ({exc})") from exc


def display_name(name: str) -> str:
    """The Unicode form of an ASCII (punycode) domain, for sentences people read."""
    try:
        return dns.name.from_text(name).to_unicode(omit_final_dot=True)
    except dns.exception.DNSException:
        return name


def _text(name: dns.name.Name) -> str:
    return name.to_text(omit_final_dot=True).lower()


def _failure(exc: dns.resolver.NoNameservers) -> tuple[Status, str]:
    """Tell 'the server said SERVFAIL/REFUSED' apart from 'the server could not be reached'."""
    errors = exc.kwargs.get("errors") or []
    said = [str(err[3]) for err in errors if err[4] is not None]
    if said:
        return Status.SERVFAIL, f"the DNS server answered {', '.join(sorted(set(said)))}"
    reasons = sorted({str(err[3]) or type(err[3]).__name__ for err in errors})
    return Status.ERROR, f"no DNS server could be reached ({'; '.join(reasons) or 'no servers configured'})"


def _cnames_of(response: dns.message.Message | None) -> tuple[str, ...]:
    if response is None:
        return ()
    try:
        return tuple(_text(rrset[0].target) for rrset in response.resolve_chaining().cnames)
    except (dns.exception.DNSException, IndexError):
        return ()


async def lookup(name: str | dns.name.Name, rdtype: str | dns.rdatatype.RdataType, *,
                 resolver: dns.asyncresolver.Resolver, timeout: float | None = None) -> Answer:
    """Ask for one record type; the outcome is always an Answer, never a DNS exception.

    ``timeout`` is dnspython's lifetime for this lookup (retries included), so running out of time
    is reported as a TIMEOUT answer rather than a cancelled coroutine; None keeps the resolver's.
    CNAME chains in the answer are followed as dnspython does; the aliases are kept in ``cnames``.
    """
    kind = dns.rdatatype.to_text(dns.rdatatype.RdataType.make(rdtype))
    started = time.perf_counter()
    try:
        qname = name if isinstance(name, dns.name.Name) else dns.name.from_text(name)
    except dns.exception.DNSException as exc:
        answer = Answer(str(name), kind, Status.ERROR, detail=f"not a usable DNS name: {exc}")
    else:
        answer = await _resolve(qname, kind, resolver, timeout, started)
    found = _recorder.get()
    if found is not None:
        found.append(answer)
    return answer


async def _resolve(qname: dns.name.Name, kind: str, resolver: dns.asyncresolver.Resolver,
                   lifetime: float | None, started: float) -> Answer:
    def done(status: Status, records: tuple[dns.rdata.Rdata, ...] = (), cnames: tuple[str, ...] = (),
             detail: str = "") -> Answer:
        elapsed = (time.perf_counter() - started) * 1000
        return Answer(_text(qname), kind, status, records, cnames, elapsed, detail)

    try:
        result = await resolver.resolve(qname, kind, raise_on_no_answer=False, lifetime=lifetime, search=False)
    except dns.resolver.NXDOMAIN as exc:
        responses = exc.kwargs.get("responses") or {}
        return done(Status.NXDOMAIN, cnames=_cnames_of(responses.get(qname)), detail="the name does not exist")
    except dns.exception.Timeout:
        return done(Status.TIMEOUT, detail=f"no answer within {time.perf_counter() - started:.1f} s")
    except dns.resolver.NoNameservers as exc:
        status, detail = _failure(exc)
        return done(status, detail=detail)
    except dns.exception.DNSException as exc:  # YXDOMAIN, malformed answers and the like
        return done(Status.ERROR, detail=f"{type(exc).__name__}: {exc}")
    cnames = _cnames_of(result.response)
    if result.rrset is None:
        return done(Status.NODATA, cnames=cnames, detail=f"the name has no {kind} record")
    return done(Status.OK, tuple(result.rrset), cnames)
