"""A domain's SPF record, expanded through includes and redirects the way a receiver evaluates it.

Receivers stop at 10 DNS-querying terms and at 2 void lookups (RFC 7208 4.6.4) and then fail SPF
for every message, so the count over the whole tree is what matters, not the top record alone.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import dns.asyncresolver

from mailflow import spf_record
from mailflow.dnsquery import Answer, Status, ascii_domain, display_name, lookup
from mailflow.verdict import Verdict, worst

EOP_SPF = "spf.protection.outlook.com"
LOOKUP_LIMIT = 10  # RFC 7208 4.6.4
VOID_LIMIT = 2  # RFC 7208 4.6.4
MX_NAME_LIMIT = 10  # RFC 7208 4.6.4: an "mx" mechanism may look at no more than 10 MX names
MAX_QUERIES = 60  # our own bound on one expansion, whatever the records say
CONCURRENCY = 8  # queries in flight at once during one expansion


@dataclass(frozen=True)
class SpfResult:
    domain: str
    record: str | None  # the v=spf1 record (the first one, when there are several)
    verdict: Verdict
    summary: str
    records: tuple[str, ...] = ()  # every v=spf1 record found at the domain
    includes_exchange_online: bool = False  # include:spf.protection.outlook.com anywhere in the tree
    dns_lookups: int = 0  # DNS-querying terms over the whole tree (limit 10)
    void_lookups: int = 0  # lookups that found nothing (limit 2)
    all_qualifier: str | None = None  # "-", "~", "?" or "+" of the top record; None when it has no 'all'
    followed: tuple[str, ...] = ()  # include and redirect targets, in the order they were read
    complete: bool = True  # False when a nested lookup failed or the expansion was cut short
    notes: tuple[str, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        return {"record": self.record, "records": list(self.records),
                "includes_exchange_online": self.includes_exchange_online, "dns_lookups": self.dns_lookups,
                "dns_lookup_limit": LOOKUP_LIMIT, "void_lookups": self.void_lookups, "all": self.all_qualifier,
                "followed": list(self.followed), "complete": self.complete, "notes": list(self.notes),
                "verdict": str(self.verdict), "summary": self.summary}


@dataclass
class _Walk:
    resolver: dns.asyncresolver.Resolver
    timeout: float | None
    gate: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(CONCURRENCY))
    lookups: int = 0
    voids: int = 0
    queries: int = 0
    eop: bool = False
    complete: bool = True
    followed: list[str] = field(default_factory=list)
    problems: list[tuple[Verdict, str]] = field(default_factory=list)

    async def query(self, name: str, rdtype: str) -> Answer | None:
        if self.queries >= MAX_QUERIES:
            if self.complete:
                self.problems.append((Verdict.UNCHECKED, f"Stopped after {MAX_QUERIES} lookups; the tree is larger."))
            self.complete = False
            return None
        self.queries += 1
        async with self.gate:
            answer = await lookup(name, rdtype, resolver=self.resolver, timeout=self.timeout)
        if answer.missing:
            self.voids += 1
        elif answer.failed:
            self.complete = False
            self.problems.append((Verdict.UNCHECKED, f"Could not look up {name} ({rdtype}): {answer.detail}."))
        return answer


def _spf_texts(answer: Answer) -> list[str]:
    return [text for text in answer.texts() if spf_record.is_spf(text)]


async def _evaluate(domain: str, record: str, path: tuple[str, ...], walk: _Walk) -> None:
    terms, errors = spf_record.parse(record)
    walk.problems += [(Verdict.ERROR, f"{domain}: {error}.") for error in errors]
    has_all = spf_record.all_qualifier(terms) is not None
    tasks = []
    for term in terms:
        if term.modifier and term.name == "redirect" and has_all:  # RFC 7208 6.1: ignored when 'all' is present
            walk.problems.append((Verdict.OK, f"Note: {domain} has both 'all' and redirect=; the redirect is ignored."))
            continue
        if term.name not in spf_record.QUERYING or (term.modifier and term.name != "redirect"):
            if term.name == "all" and term.qualifier == "+" and len(path) > 1:
                walk.problems.append((Verdict.ERROR, f"Included record {domain} ends in +all, so the include "
                                                     "passes for any server in the world."))
            continue
        walk.lookups += 1
        target = spf_record.target_of(term, domain)
        if term.name == "ptr":
            walk.problems.append((Verdict.WARNING, f"{domain} uses 'ptr', which RFC 7208 5.5 says not to use."))
        elif "%" in target:
            walk.problems.append((Verdict.OK, f"Note: {term.text} uses macros, which depend on the message; "
                                              "not expanded."))
        elif term.name in ("include", "redirect"):
            tasks.append(_follow(target, term.name, path, walk))
        else:
            tasks.append(_probe(term.name, target, walk))
    await asyncio.gather(*tasks)


async def _follow(target: str, how: str, path: tuple[str, ...], walk: _Walk) -> None:
    walk.eop = walk.eop or target == EOP_SPF
    if target in path:
        loop = " -> ".join((*path, target))
        walk.problems.append((Verdict.ERROR, f"SPF loop: {loop}; receivers give up with a permanent error."))
        return
    walk.followed.append(target)
    answer = await walk.query(target, "TXT")
    if answer is None or answer.failed:
        return
    records = _spf_texts(answer)
    if len(records) != 1:  # RFC 7208 5.2: an include without exactly one SPF record is a permanent error
        state = "has no SPF record" if not records else f"has {len(records)} SPF records"
        walk.problems.append((Verdict.ERROR, f"{how} {target} {state}, so SPF fails with a permanent error."))
        return
    await _evaluate(target, records[0], (*path, target), walk)


async def _probe(mechanism: str, target: str, walk: _Walk) -> None:
    """Look up what a/mx/exists would look up, to count void lookups and the MX name limit."""
    if mechanism == "mx":
        answer = await walk.query(target, "MX")
        if answer is not None and len(answer.records) > MX_NAME_LIMIT:
            walk.problems.append((Verdict.ERROR, f"mx:{target} has {len(answer.records)} MX records; "
                                                 f"SPF allows {MX_NAME_LIMIT} (RFC 7208 4.6.4)."))
        return
    answer = await walk.query(target, "A")
    if mechanism == "a" and answer is not None and answer.status is Status.NODATA:
        walk.voids -= 1  # only count it as void when AAAA is empty as well
        await walk.query(target, "AAAA")


def _findings(shown: str, walk: _Walk, qualifier: str | None, has_redirect: bool) -> list[tuple[Verdict, str]]:
    found = list(walk.problems)
    if walk.lookups > LOOKUP_LIMIT:
        found.insert(0, (Verdict.ERROR, f"SPF for {shown} needs {walk.lookups} DNS lookups; RFC 7208 allows "
                                        f"{LOOKUP_LIMIT}, so receivers fail SPF for every message (permerror)."))
    if walk.voids > VOID_LIMIT:
        found.insert(0, (Verdict.ERROR, f"SPF for {shown} has {walk.voids} lookups that find nothing; RFC 7208 allows "
                                        f"{VOID_LIMIT}, so receivers fail SPF (permerror)."))
    if qualifier == "+":
        found.insert(0, (Verdict.ERROR, f"SPF ends in +all, which lets any server in the world send as {shown}."))
    elif qualifier == "?":
        found.append((Verdict.WARNING, "SPF ends in ?all (neutral), so it protects nothing; use -all or ~all."))
    elif qualifier is None and not has_redirect:
        found.append((Verdict.WARNING, "SPF has no 'all' at the end, so mail from any other server is neutral; "
                                       "end it with -all or ~all."))
    return found


async def check_spf(domain: str, *, resolver: dns.asyncresolver.Resolver,
                    timeout: float | None = None) -> SpfResult:
    """Find the domain's SPF record and expand it, with at most CONCURRENCY queries in flight."""
    name = ascii_domain(domain)
    shown = display_name(name)
    answer = await lookup(name, "TXT", resolver=resolver, timeout=timeout)
    if answer.failed:
        return SpfResult(name, None, Verdict.UNCHECKED,
                         f"Could not look up the SPF record of {shown}: {answer.detail}.", complete=False)
    records = tuple(_spf_texts(answer))
    if not records:
        where = "does not exist in DNS" if answer.status is Status.NXDOMAIN else "has no SPF record"
        return SpfResult(name, None, Verdict.NOT_FOUND, f"{shown} {where}, so receivers cannot tell which servers may "
                         "send its mail (for Microsoft 365: v=spf1 include:spf.protection.outlook.com -all).")
    if len(records) > 1:
        return SpfResult(name, records[0], Verdict.ERROR, f"{shown} has {len(records)} SPF records; RFC 7208 4.5 makes "
                         "that a permanent error, so SPF fails everywhere. Merge them into one.", records=records,
                         includes_exchange_online=any(EOP_SPF in r.lower() for r in records))
    walk = _Walk(resolver, timeout)
    await _evaluate(name, records[0], (name,), walk)
    terms, _ = spf_record.parse(records[0])
    qualifier = spf_record.all_qualifier(terms)
    found = _findings(shown, walk, qualifier, any(t.name == "redirect" for t in terms if t.modifier))
    serious = [text for verdict, text in found if verdict is not Verdict.OK]
    if serious:
        summary = serious[0] + (f" (+{len(serious) - 1} more)" if len(serious) > 1 else "")
    elif qualifier == "-" and all(t.name == "all" or t.modifier for t in terms):
        summary = f"SPF for {shown} is v=spf1 -all: no server may send mail as {shown}."
    else:
        eop = "includes Exchange Online" if walk.eop else "does not include Exchange Online"
        ending = f"ends in {qualifier}all" if qualifier else "ends in a redirect"
        summary = f"SPF for {shown} {eop}, uses {walk.lookups} of {LOOKUP_LIMIT} DNS lookups and {ending}."
    return SpfResult(name, records[0], worst(*(v for v, _ in found)), summary, records, walk.eop, walk.lookups,
                     walk.voids, qualifier, tuple(walk.followed), walk.complete, tuple(t for _, t in found))
