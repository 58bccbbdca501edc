"""Every DNS check for one domain, run concurrently, folded into one report (issue 3's JSON contract).

The checks are independent, so the slowest one sets the time, not their sum; only the tenant's
routing domain waits for DKIM, because DKIM is where the tenant name comes from.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

import dns.asyncresolver
import dns.name

from mailflow.dns_microsoft import (
    AutodiscoverResult,
    DkimResult,
    TenantRouting,
    check_autodiscover,
    check_dkim,
    check_tenant_routing,
)
from mailflow.dns_mx import MxResult, check_mx
from mailflow.dns_policy import DmarcResult, MtaStsResult, TlsRptResult, check_dmarc, check_mta_sts, check_tls_rpt
from mailflow.dns_spf import SpfResult, check_spf
from mailflow.dnsquery import ascii_domain, recording
from mailflow.microsoft365 import SIDES, Microsoft365, ScenarioHint, assess, scenario_hint
from mailflow.verdict import Verdict, worst


@dataclass(frozen=True)
class DomainReport:
    domain: str  # as the user wrote it (normalised; may be Unicode)
    ascii_domain: str  # what DNS was asked (punycode for IDN)
    mx: MxResult
    spf: SpfResult
    dmarc: DmarcResult
    dkim: DkimResult
    autodiscover: AutodiscoverResult
    mta_sts: MtaStsResult
    tls_rpt: TlsRptResult
    m365: Microsoft365
    scenario_hint: ScenarioHint
    verdict: Verdict
    summary: str
    elapsed_ms: float = 0.0  # wall time of the whole report
    queries: int = 0  # DNS lookups made
    query_ms: float = 0.0  # their individual times added up (more than elapsed_ms when they overlap)

    @property
    def microsoft365(self) -> bool:
        return self.m365.microsoft365

    def checks(self) -> dict[str, Any]:
        return {"mx": self.mx, "spf": self.spf, "dmarc": self.dmarc, "dkim": self.dkim,
                "autodiscover": self.autodiscover, "mta_sts": self.mta_sts, "tls_rpt": self.tls_rpt,
                "microsoft365": self.m365}

    def lines(self) -> list[str]:
        """One plain-English line per check, for a chat reply or a terminal."""
        return [f"[{check.verdict}] {name}: {check.summary}" for name, check in self.checks().items()]

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"domain": self.domain, "ascii_domain": self.ascii_domain}
        data.update({name: check.to_json() for name, check in self.checks().items() if name != "microsoft365"})
        data.update({"microsoft365": self.microsoft365, "microsoft365_details": self.m365.to_json(),
                     "scenario_hint": self.scenario_hint.to_json(), "verdict": str(self.verdict),
                     "summary": self.summary, "timing": {"elapsed_ms": round(self.elapsed_ms, 3),
                                                         "queries": self.queries,
                                                         "query_ms": round(self.query_ms, 3)}})
        return data


_LABELS = {"mx": "MX", "spf": "SPF", "dmarc": "DMARC", "microsoft365": "Microsoft 365"}


def _flagged(core: dict[str, Any]) -> list[tuple[str, Any]]:
    """Core checks that need attention, worst first; 'no Microsoft 365' is a fact, not a problem."""
    order = [Verdict.ERROR, Verdict.WARNING, Verdict.UNCHECKED, Verdict.NOT_FOUND]
    found = [(n, c) for n, c in core.items() if c.verdict is not Verdict.OK
             and not (n == "microsoft365" and c.verdict is Verdict.NOT_FOUND)]
    return sorted(found, key=lambda item: order.index(item[1].verdict))


def _verdict_and_summary(domain: str, core: dict[str, Any]) -> tuple[Verdict, str]:
    flagged = _flagged(core)
    if not flagged:
        lead = core["microsoft365"] if core["microsoft365"].verdict is Verdict.OK else core["mx"]
        return Verdict.OK, f"{lead.summary} SPF and DMARC look fine."
    # A missing SPF or DMARC record is worth a warning for the domain as a whole.
    verdict = worst(*(Verdict.WARNING if c.verdict is Verdict.NOT_FOUND else c.verdict for _, c in flagged))
    name, first = flagged[0]
    others = f" (also: {', '.join(_LABELS[n] for n, _ in flagged[1:])})" if len(flagged) > 1 else ""
    return verdict, f"{domain}: {_LABELS[name]} {first.verdict}: {first.summary}{others}"


async def _dkim_and_routing(name: str, resolver: dns.asyncresolver.Resolver,
                            lifetime: float | None) -> tuple[DkimResult, TenantRouting | None]:
    dkim = await check_dkim(name, resolver=resolver, timeout=lifetime)
    routing = await check_tenant_routing(dkim.tenant, resolver=resolver, timeout=lifetime) if dkim.tenant else None
    return dkim, routing


async def check_domain(domain: str, *, resolver: dns.asyncresolver.Resolver,
                       timeout: float | None = None,
                       side: str | None = None) -> DomainReport:
    """Run every domain check concurrently; DNS trouble shows up as verdicts, bad input as InvalidName.

    ``side`` ("sender" or "recipient") says which end of the mail the domain is, for the scenario hint.
    """
    if side not in (None, *SIDES):
        raise ValueError(f"side must be one of {SIDES} or None, not {side!r}")
    name = ascii_domain(domain)
    display = dns.name.from_text(name).to_unicode(omit_final_dot=True)
    started = time.perf_counter()
    with recording() as answers:
        mx, spf, dmarc, (dkim, routing), autodiscover, mta_sts, tls_rpt = await asyncio.gather(
            check_mx(name, resolver=resolver, timeout=timeout),
            check_spf(name, resolver=resolver, timeout=timeout),
            check_dmarc(name, resolver=resolver, timeout=timeout),
            _dkim_and_routing(name, resolver, timeout),
            check_autodiscover(name, resolver=resolver, timeout=timeout),
            check_mta_sts(name, resolver=resolver, timeout=timeout),
            check_tls_rpt(name, resolver=resolver, timeout=timeout),
        )
    elapsed = (time.perf_counter() - started) * 1000
    m365 = assess(mx, spf, dkim, autodiscover, routing)
    hint = scenario_hint(mx, m365, side)
    verdict, summary = _verdict_and_summary(display, {"mx": mx, "spf": spf, "dmarc": dmarc, "microsoft365": m365})
    return DomainReport(display, name, mx, spf, dmarc, dkim, autodiscover, mta_sts, tls_rpt, m365, hint, verdict,
                        summary, elapsed, len(answers), sum(a.elapsed_ms for a in answers))
