"""Where a domain's mail goes: its MX hosts, their addresses and who runs them.

This decides the scenario: MX on Exchange Online Protection means mail enters Microsoft 365
directly; anywhere else means it passes another server first.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from typing import Any

import dns.asyncresolver

from mailflow import mx_providers
from mailflow.addresses import eop_mx_host
from mailflow.dnsquery import Answer, Status, ascii_domain, display_name, lookup
from mailflow.verdict import Verdict, worst

_IP_LIKE = re.compile(r"^[0-9.]+$|:")


@dataclass(frozen=True)
class MxHost:
    host: str
    preference: int
    addresses: tuple[str, ...] = ()
    kind: str = mx_providers.OTHER  # "exchange-online" or "other"
    provider: str = ""  # readable provider name, "" when unknown
    legacy: bool = False  # a retired EOP host
    alias_of: str = ""  # the CNAME target when the MX host is an alias (RFC 2181 10.3 forbids that)
    lookup_status: str = "ok"  # worst outcome of the A/AAAA lookups

    def to_json(self) -> dict[str, Any]:
        return {"host": self.host, "preference": self.preference, "addresses": list(self.addresses),
                "kind": self.kind, "provider": self.provider, "legacy": self.legacy, "alias_of": self.alias_of,
                "lookup_status": self.lookup_status}


@dataclass(frozen=True)
class MxResult:
    domain: str
    provider: str  # "exchange-online" | "other" | "none"
    provider_name: str
    hosts: tuple[MxHost, ...]
    verdict: Verdict
    summary: str
    null_mx: bool = False  # RFC 7505: the domain says it accepts no mail
    implicit_mx: tuple[str, ...] = ()  # RFC 5321 5.1: no MX, so senders use these addresses
    notes: tuple[str, ...] = field(default=())  # every finding, one sentence each
    lookup_status: str = "ok"

    @property
    def on_exchange_online(self) -> bool:
        return self.provider == mx_providers.EXCHANGE_ONLINE

    def to_json(self) -> dict[str, Any]:
        return {"provider": self.provider, "provider_name": self.provider_name,
                "hosts": [h.to_json() for h in self.hosts], "null_mx": self.null_mx,
                "implicit_mx": list(self.implicit_mx), "notes": list(self.notes),
                "lookup_status": self.lookup_status, "verdict": str(self.verdict), "summary": self.summary}


async def _addresses(host: str, resolver: dns.asyncresolver.Resolver, lifetime: float | None) -> tuple[Answer, Answer]:
    a, aaaa = await asyncio.gather(lookup(host, "A", resolver=resolver, timeout=lifetime),
                                   lookup(host, "AAAA", resolver=resolver, timeout=lifetime))
    return a, aaaa


def _host(host: str, preference: int, a: Answer, aaaa: Answer) -> MxHost:
    kind = mx_providers.classify(host)
    status = aaaa.status if aaaa.failed and not a.failed else a.status
    if a.ok or aaaa.ok:
        status = Status.OK
    return MxHost(host, preference, tuple(a.addresses() + aaaa.addresses()), kind.kind, kind.provider, kind.legacy,
                  alias_of=(a.cnames or aaaa.cnames or ("",))[-1], lookup_status=str(status))


def _problems(domain: str, hosts: tuple[MxHost, ...]) -> list[tuple[Verdict, str]]:
    found: list[tuple[Verdict, str]] = []
    eop = [h for h in hosts if h.kind == mx_providers.EXCHANGE_ONLINE]
    if len(eop) > 1:
        found.append((Verdict.WARNING, f"{len(eop)} MX records point at Exchange Online; it supports exactly one."))
    for h in hosts:
        if h.legacy:
            found.append((Verdict.WARNING, f"{h.host} is a retired Exchange Online host; use {eop_mx_host(domain)}."))
        if h.alias_of:
            found.append((Verdict.WARNING, f"MX host {h.host} is an alias (CNAME) for {h.alias_of}; "
                                           "an MX must name the server itself (RFC 2181 10.3)."))
        if _IP_LIKE.search(h.host):
            found.append((Verdict.ERROR, f"MX {h.host} is an IP address; an MX must be a host name (RFC 5321 5.1)."))
    if eop and len(eop) < len(hosts):
        found.append((Verdict.WARNING, "Some MX records point at Exchange Online and some elsewhere, so mail may "
                                       "bypass Exchange Online Protection."))
    unresolved = [h.host for h in hosts if not h.addresses and h.lookup_status in ("nxdomain", "nodata")]
    if unresolved and len(unresolved) == len(hosts):
        found.append((Verdict.ERROR, f"No MX host has an IP address ({', '.join(unresolved)}), so nobody can "
                                     "deliver mail to this domain."))
    elif unresolved:
        found.append((Verdict.WARNING, f"MX host {', '.join(unresolved)} has no IP address."))
    unchecked = [h.host for h in hosts if h.lookup_status in ("servfail", "timeout", "error")]
    if unchecked:
        found.append((Verdict.UNCHECKED, f"Could not look up the address of {', '.join(unchecked)}."))
    classic = [h.host for h in eop if h.host.endswith(mx_providers.EOP_SUFFIXES[0]) and not h.legacy]
    if classic and eop_mx_host(domain) not in classic:
        found.append((Verdict.OK, f"Note: Microsoft usually gives this domain the MX {eop_mx_host(domain)}; "
                                  f"check {classic[0]} is not copied from another domain."))
    return found


def _destination(hosts: tuple[MxHost, ...]) -> tuple[str, str, str]:
    """(provider, provider name, phrase) from the most preferred hosts, which receive the mail."""
    first = [h for h in hosts if h.preference == hosts[0].preference]
    eop = [h for h in first if h.kind == mx_providers.EXCHANGE_ONLINE]
    chosen = eop[0] if eop else first[0]
    more = f" and {len(hosts) - 1} more" if len(hosts) > 1 else ""
    if eop:
        return mx_providers.EXCHANGE_ONLINE, chosen.provider, f"Exchange Online ({chosen.host}{more})"
    if chosen.provider:
        return mx_providers.OTHER, chosen.provider, f"{chosen.provider} ({chosen.host}{more}), not Exchange Online"
    return (mx_providers.OTHER, "", f"{chosen.host}{more}, not Exchange Online "
                                    "(its own server or a service we do not recognise)")


async def check_mx(domain: str, *, resolver: dns.asyncresolver.Resolver,
                   timeout: float | None = None) -> MxResult:
    """Look up the MX records of ``domain`` and the addresses of every MX host, all concurrently."""
    name = ascii_domain(domain)
    shown = display_name(name)
    mx = await lookup(name, "MX", resolver=resolver, timeout=timeout)
    if mx.failed:
        return MxResult(name, mx_providers.NONE, "", (), Verdict.UNCHECKED,
                        f"Could not look up the MX records of {shown}: {mx.detail}.", lookup_status=str(mx.status))
    if mx.status is Status.NXDOMAIN:
        return MxResult(name, mx_providers.NONE, "", (), Verdict.ERROR,
                        f"{shown} does not exist in DNS (NXDOMAIN); check the spelling of the domain.",
                        lookup_status="nxdomain")
    if mx.status is Status.NODATA:
        return await _without_mx(name, resolver, timeout)
    records = sorted((r.preference, r.exchange.to_text(omit_final_dot=True).lower()) for r in mx.records)
    if any(host == "." for _, host in records):  # RFC 7505: "0 ." means no mail at all
        only = len(records) == 1
        text = (f"{shown} publishes a null MX (RFC 7505): it accepts no email at all." if only else
                f"{shown} mixes a null MX with other MX records, which RFC 7505 forbids; senders may refuse it.")
        return MxResult(name, mx_providers.NONE, "", (), Verdict.ERROR, text, null_mx=True)
    answers = await asyncio.gather(*(_addresses(host, resolver, timeout) for _, host in records))
    hosts = tuple(_host(host, pref, a, aaaa) for (pref, host), (a, aaaa) in zip(records, answers, strict=True))
    provider, provider_name, where = _destination(hosts)
    problems = _problems(name, hosts)
    verdict = worst(*(v for v, _ in problems))
    serious = [text for v, text in problems if v is not Verdict.OK]
    summary = f"Mail for {shown} goes to {where}." + (f" {serious[0]}" if serious else "")
    if len(serious) > 1:
        summary += f" (+{len(serious) - 1} more)"
    return MxResult(name, provider, provider_name, hosts, verdict, summary, notes=tuple(t for _, t in problems))


async def _without_mx(name: str, resolver: dns.asyncresolver.Resolver, lifetime: float | None) -> MxResult:
    """RFC 5321 5.1: with no MX, senders try the domain's own A/AAAA as if it were the MX."""
    shown = display_name(name)
    a, aaaa = await _addresses(name, resolver, lifetime)
    found = tuple(a.addresses() + aaaa.addresses())
    if found:
        return MxResult(name, mx_providers.NONE, "", (), Verdict.WARNING,
                        f"{shown} has no MX record, so senders fall back to its address {found[0]} "
                        "(RFC 5321 5.1); publish an MX if it should receive mail.",
                        implicit_mx=found, lookup_status="nodata")
    if a.failed or aaaa.failed:
        return MxResult(name, mx_providers.NONE, "", (), Verdict.UNCHECKED,
                        f"{shown} has no MX record and its address could not be looked up ({a.detail}).",
                        lookup_status="nodata")
    return MxResult(name, mx_providers.NONE, "", (), Verdict.NOT_FOUND,
                    f"{shown} has no MX record and no address, so it cannot receive email.", lookup_status="nodata")
