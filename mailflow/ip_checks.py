"""What DNS says about a sending IP: reverse DNS that confirms itself, and public block lists.

These are the two things a receiving server looks at before it reads a single header, so they
explain many rejections of mail sent from on-premises servers or relays.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import dns.asyncresolver
import dns.reversename

from mailflow.addresses import normalize_ip
from mailflow.dnsbl import DEFAULT_ZONES, Blocklist, blocklist_for, decode, query_name
from mailflow.dnsquery import lookup
from mailflow.verdict import Verdict, worst

MICROSOFT_NOTE = ("Microsoft's own block list (behind NDRs 5.7.606-649, 5.7.511 and 'blocked using Blocklist 1') "
                  "cannot be queried through DNS; request delisting at https://sender.office.com.")
MAX_PTR_NAMES = 5
_NOT_PUBLIC = tuple((ipaddress.ip_network(net), what) for net, what in (
    ("0.0.0.0/8", "a 'this network' address (RFC 1122)"), ("10.0.0.0/8", "a private address (RFC 1918)"),
    ("100.64.0.0/10", "a carrier-grade NAT address (RFC 6598)"), ("127.0.0.0/8", "a loopback address"),
    ("169.254.0.0/16", "a link-local address"), ("172.16.0.0/12", "a private address (RFC 1918)"),
    ("192.168.0.0/16", "a private address (RFC 1918)"), ("224.0.0.0/4", "a multicast address"),
    ("240.0.0.0/4", "a reserved address"), ("::/127", "an unspecified or loopback address"),
    ("fc00::/7", "a unique local address (RFC 4193)"), ("fe80::/10", "a link-local address"),
    ("ff00::/8", "a multicast address")))
# Documentation ranges (RFC 5737, RFC 3849) are checked like public ones: examples and test servers use them.
_DOCUMENTATION = tuple(ipaddress.ip_network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24",
                                                         "2001:db8::/32"))


def scope(ip: str) -> str | None:
    """Why an address never appears on the internet (private, loopback, ...), or None for public ones."""
    address = ipaddress.ip_address(ip)
    return next((what for net, what in _NOT_PUBLIC if address.version == net.version and address in net), None)


@dataclass(frozen=True)
class PtrResult:
    names: tuple[str, ...]
    forward_confirmed: bool | None  # None when it could not be checked
    verdict: Verdict
    summary: str

    def to_json(self) -> dict[str, Any]:
        return {"names": list(self.names), "forward_confirmed": self.forward_confirmed,
                "verdict": str(self.verdict), "summary": self.summary}


async def check_ptr(ip: str, *, resolver: dns.asyncresolver.Resolver,
                    timeout: float | None = None) -> PtrResult:
    """PTR of the IP, then forward-confirmed reverse DNS: does a PTR name resolve back to the IP?"""
    address = normalize_ip(ip)
    ptr = await lookup(dns.reversename.from_address(address), "PTR", resolver=resolver, timeout=timeout)
    if ptr.failed:
        return PtrResult((), None, Verdict.UNCHECKED, f"Could not look up the reverse DNS of {address}: {ptr.detail}.")
    names = tuple(ptr.targets()[:MAX_PTR_NAMES])
    if not names:
        return PtrResult((), False, Verdict.ERROR, f"{address} has no reverse DNS (PTR); many receivers refuse mail "
                         "from such addresses; the owner of the IP range (ISP or hosting provider) sets it.")
    rdtype = "A" if ipaddress.ip_address(address).version == 4 else "AAAA"
    forward = await asyncio.gather(*(lookup(n, rdtype, resolver=resolver, timeout=timeout) for n in names))
    if any(address in {str(ipaddress.ip_address(a)) for a in f.addresses()} for f in forward):
        return PtrResult(names, True, Verdict.OK, f"{address} has reverse DNS {names[0]}, which resolves back to it.")
    if all(f.failed for f in forward):
        return PtrResult(names, None, Verdict.UNCHECKED, f"{address} has reverse DNS {names[0]}, but its address "
                         "could not be looked up to confirm it.")
    back = sorted({a for f in forward for a in f.addresses()})
    points = f"resolves to {', '.join(back)}, not back to {address}" if back else "has no address"
    return PtrResult(names, False, Verdict.WARNING, f"{address} has reverse DNS {names[0]}, but that name {points} "
                     "(forward-confirmed reverse DNS fails); many receivers distrust that.")


@dataclass(frozen=True)
class Listing:
    zone: str
    name: str
    codes: tuple[str, ...]
    meaning: str
    reason: str  # the list's TXT record, often a lookup URL

    def to_json(self) -> dict[str, Any]:
        return {"zone": self.zone, "name": self.name, "codes": list(self.codes), "meaning": self.meaning,
                "reason": self.reason}


@dataclass(frozen=True)
class Unchecked:
    zone: str
    why: str

    def to_json(self) -> dict[str, Any]:
        return {"zone": self.zone, "why": self.why}


async def _ask(address: str, blocklist: Blocklist, resolver: dns.asyncresolver.Resolver,
               lifetime: float | None) -> Listing | Unchecked | None:
    name = query_name(address, blocklist.zone)
    answer = await lookup(name, "A", resolver=resolver, timeout=lifetime)
    if answer.missing:  # NXDOMAIN: not listed (RFC 5782 2.1)
        return None
    if answer.failed:
        return Unchecked(blocklist.zone, f"{answer.status}: {answer.detail}")
    decoded = decode(blocklist, answer.addresses())
    if not decoded.listed_codes:
        return Unchecked(blocklist.zone, decoded.refused) if decoded.refused else None
    txt = await lookup(name, "TXT", resolver=resolver, timeout=lifetime)
    return Listing(blocklist.zone, blocklist.name, decoded.listed_codes, decoded.meaning, " ".join(txt.texts()))


async def check_blocklists(ip: str, *, resolver: dns.asyncresolver.Resolver,
                           zones: Sequence[Blocklist | str] = DEFAULT_ZONES,
                           timeout: float | None = None,
                           ) -> tuple[list[Listing], list[Unchecked], list[str]]:
    """Ask every list at once; returns (listings, lists that could not be checked, lists that do not list it)."""
    address = normalize_ip(ip)
    lists = [blocklist_for(z) for z in zones]
    answers = await asyncio.gather(*(_ask(address, b, resolver, timeout) for b in lists))
    listed = [a for a in answers if isinstance(a, Listing)]
    unchecked = [a for a in answers if isinstance(a, Unchecked)]
    clean = [b.zone for b, a in zip(lists, answers, strict=True) if a is None]
    return listed, unchecked, clean


@dataclass(frozen=True)
class IpReport:
    ip: str
    ptr: PtrResult
    listed_on: tuple[Listing, ...]
    unchecked_on: tuple[Unchecked, ...]
    not_listed_on: tuple[str, ...]
    verdict: Verdict
    summary: str
    scope: str | None = None  # why block lists were skipped (private, loopback, ...)
    microsoft_note: str = MICROSOFT_NOTE
    lists_verdict: Verdict = Verdict.UNCHECKED  # block lists alone: error when listed, ok when clean

    @property
    def lists_summary(self) -> str:
        """The block-list part of the summary alone (the summary also speaks of reverse DNS)."""
        if self.scope:
            return self.summary
        return lists_sentence(self.ip, list(self.listed_on), list(self.unchecked_on), list(self.not_listed_on))

    def to_json(self) -> dict[str, Any]:
        return {"ip": self.ip, "ptr": self.ptr.to_json(), "listed_on": [x.to_json() for x in self.listed_on],
                "unchecked_on": [x.to_json() for x in self.unchecked_on], "not_listed_on": list(self.not_listed_on),
                "scope": self.scope, "microsoft_note": self.microsoft_note,
                "blocklists_verdict": str(self.lists_verdict), "verdict": str(self.verdict),
                "summary": self.summary}


def lists_sentence(address: str, listed: list[Listing], unchecked: list[Unchecked], clean: list[str]) -> str:
    if listed:
        what = "; ".join(f"{x.name} ({x.meaning})" for x in listed)
        return f"{address} is listed on {len(listed)} block list{'s' if len(listed) > 1 else ''}: {what}."
    if not clean and unchecked:
        return f"No block list could be checked for {address}: {unchecked[0].zone}: {unchecked[0].why}."
    more = f" and {len(unchecked) - 1} more" if len(unchecked) > 1 else ""
    skipped = f" Could not check {unchecked[0].zone}{more}: {unchecked[0].why}." if unchecked else ""
    checked = f"{len(clean)} block list{'s' if len(clean) > 1 else ''}"
    return f"{address} is on none of the {checked} checked.{skipped}"


async def check_ip(ip: str, *, resolver: dns.asyncresolver.Resolver, zones: Sequence[Blocklist | str] = DEFAULT_ZONES,
                   timeout: float | None = None,
                   ) -> IpReport:
    """Reverse DNS and block lists for one sending IP, concurrently; InvalidName if ip is not an IP address."""
    address = normalize_ip(ip)
    mapped = getattr(ipaddress.ip_address(address), "ipv4_mapped", None)
    address = str(mapped) if mapped else address  # ::ffff:192.0.2.1 is looked up as 192.0.2.1
    private = scope(address)
    if private:
        ptr = await check_ptr(address, resolver=resolver, timeout=timeout)
        summary = (f"{address} is {private}: it never appears on the internet, so block lists do not apply; "
                   "check the public IP the mail leaves from.")
        return IpReport(address, ptr, (), (), (), Verdict.UNCHECKED, summary, scope=private)
    ptr, (listed, unchecked, clean) = await asyncio.gather(
        check_ptr(address, resolver=resolver, timeout=timeout),
        check_blocklists(address, resolver=resolver, zones=zones, timeout=timeout))
    lists_verdict = Verdict.ERROR if listed else (Verdict.UNCHECKED if unchecked and not clean else Verdict.OK)
    summary = lists_sentence(address, listed, unchecked, clean)
    summary += f" {ptr.summary}" if ptr.verdict is not Verdict.OK else f" Reverse DNS {ptr.names[0]} matches."
    return IpReport(address, ptr, tuple(listed), tuple(unchecked), tuple(clean), worst(lists_verdict, ptr.verdict),
                    summary, lists_verdict=lists_verdict)
