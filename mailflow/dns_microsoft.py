"""DNS records that only Microsoft 365 asks for: DKIM selector CNAMEs, autodiscover, the routing domain.

The DKIM CNAME targets name the tenant's initial domain, which is the one fact DNS gives away
about which tenant a domain belongs to.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import Any

import dns.asyncresolver

from mailflow import mx_providers
from mailflow.addresses import routing_domain, tenant_name
from mailflow.dnsquery import Answer, ascii_domain, display_name, lookup
from mailflow.verdict import Verdict

SELECTORS = ("selector1", "selector2")
AUTODISCOVER_TARGET = "autodiscover.outlook.com"
# selector1-contoso-com._domainkey.contoso.onmicrosoft.com (legacy) and, for domains added from
# May 2025, selector1-contoso-com._domainkey.contoso.<x>-v1.dkim.mail.microsoft.
_DKIM_TARGET = re.compile(r"^selector[12]-[a-z0-9-]+\._domainkey\."
                          r"(?:(?P<legacy>[a-z0-9-]+)\.onmicrosoft\.com|(?P<new>[a-z0-9-]+)\.[a-z0-9]+-v1\.dkim\.mail\.microsoft)$")


def tenant_from_dkim(target: str) -> str | None:
    """The tenant's initial domain (contoso.onmicrosoft.com) from a DKIM CNAME target, if it is Microsoft's."""
    match = _DKIM_TARGET.match(target.lower().rstrip("."))
    if not match:
        return None
    return f"{match.group('legacy') or match.group('new')}.onmicrosoft.com"


@dataclass(frozen=True)
class DkimSelector:
    selector: str
    cname: str | None  # where selectorN._domainkey.<domain> points
    tenant: str | None  # initial domain derived from the target, when it is Microsoft's
    key_published: bool  # a TXT key answers at the end of the chain
    lookup_status: str
    detail: str = ""  # why the CNAME lookup failed, when it did

    def to_json(self) -> dict[str, Any]:
        return {"selector": self.selector, "cname": self.cname, "tenant": self.tenant,
                "key_published": self.key_published, "lookup_status": self.lookup_status}


@dataclass(frozen=True)
class DkimResult:
    domain: str
    selectors: tuple[DkimSelector, ...]
    tenant: str | None
    verdict: Verdict
    summary: str

    def to_json(self) -> dict[str, Any]:
        return {"tenant": self.tenant, "selectors": [s.to_json() for s in self.selectors],
                "verdict": str(self.verdict), "summary": self.summary}


async def _selector(name: str, selector: str, resolver: dns.asyncresolver.Resolver,
                    lifetime: float | None) -> DkimSelector:
    host = f"{selector}._domainkey.{name}"
    cname, txt = await asyncio.gather(lookup(host, "CNAME", resolver=resolver, timeout=lifetime),
                                      lookup(host, "TXT", resolver=resolver, timeout=lifetime))
    target = (cname.targets() or [None])[0]
    return DkimSelector(selector, target, tenant_from_dkim(target) if target else None, txt.ok, str(cname.status),
                        cname.detail if cname.failed else "")


def _dkim_verdict(shown: str, found: tuple[DkimSelector, ...]) -> tuple[Verdict, str]:
    tenants = sorted({s.tenant for s in found if s.tenant})
    ours = [s for s in found if s.tenant]
    if not ours:
        failed = [s for s in found if s.lookup_status in ("servfail", "timeout", "error")]
        if failed:
            return Verdict.UNCHECKED, f"Could not look up the DKIM selectors of {shown}: {failed[0].detail}."
        elsewhere = [f"{s.selector} points to {s.cname}" for s in found if s.cname]
        if elsewhere:
            return Verdict.NOT_FOUND, f"DKIM for {shown} is not Microsoft 365's: {'; '.join(elsewhere)}."
        return Verdict.NOT_FOUND, (f"{shown} has no Microsoft 365 DKIM CNAMEs (selector1/selector2._domainkey); mail "
                                   "it sends from Microsoft 365 is signed as onmicrosoft.com, which DMARC won't align.")
    if len(tenants) > 1:
        return Verdict.WARNING, f"The DKIM selectors of {shown} point to different tenants: {', '.join(tenants)}."
    if len(ours) < len(SELECTORS):
        missing = ", ".join(s.selector for s in found if not s.tenant)
        return Verdict.WARNING, (f"Only some DKIM CNAMEs of {shown} point to Microsoft 365 ({missing} missing); "
                                 "Microsoft rotates keys between both selectors.")
    unsigned = [s.selector for s in ours if not s.key_published]
    if unsigned:
        return Verdict.WARNING, (f"DKIM CNAMEs of {shown} point to Microsoft 365 ({tenants[0]}) but no key is "
                                 f"published behind {', '.join(unsigned)}; check Get-DkimSigningConfig.")
    return Verdict.OK, f"DKIM CNAMEs of {shown} point to Microsoft 365 (tenant {tenants[0]})."


async def check_dkim(domain: str, *, resolver: dns.asyncresolver.Resolver,
                     timeout: float | None = None) -> DkimResult:
    """selector1/selector2._domainkey CNAMEs, the tenant they name and whether a key answers behind them."""
    name = ascii_domain(domain)
    shown = display_name(name)
    found = tuple(await asyncio.gather(*(_selector(name, s, resolver, timeout) for s in SELECTORS)))
    verdict, summary = _dkim_verdict(shown, found)
    tenants = sorted({s.tenant for s in found if s.tenant})
    return DkimResult(name, found, tenants[0] if tenants else None, verdict, summary)


@dataclass(frozen=True)
class AutodiscoverResult:
    domain: str
    verdict: Verdict
    summary: str
    target: str | None = None  # the CNAME target
    addresses: tuple[str, ...] = ()
    microsoft365: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"target": self.target, "addresses": list(self.addresses), "microsoft365": self.microsoft365,
                "verdict": str(self.verdict), "summary": self.summary}


async def check_autodiscover(domain: str, *, resolver: dns.asyncresolver.Resolver,
                             timeout: float | None = None) -> AutodiscoverResult:
    """autodiscover.<domain>: a CNAME to autodiscover.outlook.com means mailboxes live in Microsoft 365."""
    name = ascii_domain(domain)
    host = f"autodiscover.{name}"
    cname, a = await asyncio.gather(lookup(host, "CNAME", resolver=resolver, timeout=timeout),
                                    lookup(host, "A", resolver=resolver, timeout=timeout))
    if cname.failed and a.failed:
        return AutodiscoverResult(name, Verdict.UNCHECKED, f"Could not look up {host}: {cname.detail}.")
    target = (cname.targets() or [None])[0]
    addresses = tuple(a.addresses())
    if target == AUTODISCOVER_TARGET:
        return AutodiscoverResult(name, Verdict.OK, f"{host} points to Microsoft 365 ({AUTODISCOVER_TARGET}).",
                                  target, addresses, microsoft365=True)
    if target:
        return AutodiscoverResult(name, Verdict.OK, f"{host} points to {target}, not Microsoft 365 (usually "
                                  "on-premises Exchange in a hybrid setup).", target, addresses)
    if addresses:
        return AutodiscoverResult(name, Verdict.OK, f"{host} has its own address {addresses[0]}, not Microsoft 365 "
                                  "(usually on-premises Exchange).", None, addresses)
    return AutodiscoverResult(name, Verdict.NOT_FOUND, f"{host} does not exist, so Outlook cannot find mailbox "
                              "settings automatically (Microsoft 365 expects a CNAME to autodiscover.outlook.com).")


@dataclass(frozen=True)
class TenantRouting:
    tenant: str  # initial domain, contoso.onmicrosoft.com
    routing_domain: str  # contoso.mail.onmicrosoft.com, the target of remote routing addresses
    on_exchange_online: bool | None  # None when the lookup failed
    mx_hosts: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"tenant": self.tenant, "routing_domain": self.routing_domain,
                "on_exchange_online": self.on_exchange_online, "mx_hosts": list(self.mx_hosts)}


async def check_tenant_routing(tenant: str, *, resolver: dns.asyncresolver.Resolver,
                               timeout: float | None = None) -> TenantRouting:
    """Does <tenant>.mail.onmicrosoft.com have an Exchange Online MX? Hybrid mail to the cloud depends on it."""
    prefix = tenant_name(tenant)  # InvalidName for anything that is not a tenant name
    routing = routing_domain(prefix)
    answer: Answer = await lookup(routing, "MX", resolver=resolver, timeout=timeout)
    hosts = tuple(answer.targets())
    on_eop = None if answer.failed else any(mx_providers.classify(h).kind == mx_providers.EXCHANGE_ONLINE
                                            for h in hosts)
    return TenantRouting(f"{prefix}.onmicrosoft.com", routing, on_eop, hosts)
