"""The policy records a domain publishes for receivers: DMARC, MTA-STS and TLS-RPT.

All three are tag=value TXT records at a fixed underscore name; only DNS is read here (the
MTA-STS policy file itself lives on HTTPS and is not fetched).
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from typing import Any

import dns.asyncresolver

from mailflow.dnsquery import Answer, ascii_domain, display_name, lookup
from mailflow.verdict import Verdict

POLICIES = ("none", "quarantine", "reject")
_STS_ID = re.compile(r"^[A-Za-z0-9]{1,32}$")  # RFC 8461 3.1


def tags(record: str) -> dict[str, str]:
    """tag=value pairs separated by semicolons (RFC 7489 6.4, RFC 8461 3.1, RFC 8460 3); first one wins."""
    found: dict[str, str] = {}
    for part in record.split(";"):
        tag, sep, value = part.partition("=")
        if sep:
            found.setdefault(tag.strip().lower(), value.strip())
    return found


def _starting(answer: Answer, version: str) -> list[str]:
    return [t for t in answer.texts() if re.match(rf"^\s*v\s*=\s*{version}\s*(;|$)", t)]


@dataclass(frozen=True)
class DmarcResult:
    domain: str
    verdict: Verdict
    summary: str
    record: str | None = None
    policy: str | None = None  # what receivers apply to this domain: sp= when inherited, else p=
    p: str | None = None
    sp: str | None = None
    pct: int = 100
    rua: tuple[str, ...] = ()
    ruf: tuple[str, ...] = ()
    source: str | None = None  # the domain whose _dmarc record applies
    inherited: bool = False  # found at the parent (organisational) domain
    notes: tuple[str, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        return {"record": self.record, "policy": self.policy, "p": self.p, "sp": self.sp, "pct": self.pct,
                "rua": list(self.rua), "ruf": list(self.ruf), "source": self.source, "inherited": self.inherited,
                "notes": list(self.notes), "verdict": str(self.verdict), "summary": self.summary}


def _dmarc_problems(values: dict[str, str]) -> list[str]:
    problems = []
    if values.get("p") not in POLICIES:
        problems.append(f"p={values['p']} is not none, quarantine or reject" if "p" in values else "p= is missing")
    if "sp" in values and values["sp"] not in POLICIES:
        problems.append(f"sp={values['sp']} is not none, quarantine or reject")
    if "pct" in values and not (values["pct"].isdigit() and 0 <= int(values["pct"]) <= 100):
        problems.append(f"pct={values['pct']} is not a number from 0 to 100")
    for tag in ("rua", "ruf"):
        bad = [u for u in _uris(values.get(tag, "")) if not u.lower().startswith("mailto:")]
        if bad:
            problems.append(f"{tag}= must list mailto: addresses, not {bad[0]}")
    return problems


def _uris(value: str) -> tuple[str, ...]:
    return tuple(u.strip() for u in value.split(",") if u.strip())


def _dmarc_result(domain: str, source: str, record: str) -> DmarcResult:
    values = tags(record)
    inherited = source != domain
    shown, shown_source = display_name(domain), display_name(source)
    problems = _dmarc_problems(values)
    p, sp = values.get("p"), values.get("sp")
    pct = int(values["pct"]) if values.get("pct", "").isdigit() else 100
    common = {"record": record, "p": p, "sp": sp, "pct": pct, "rua": _uris(values.get("rua", "")),
              "ruf": _uris(values.get("ruf", "")), "source": source, "inherited": inherited}
    if problems:
        return DmarcResult(domain, Verdict.ERROR, f"The DMARC record at _dmarc.{source} is malformed: {problems[0]}; "
                           "receivers may ignore it (RFC 7489 6.3).", notes=tuple(problems), **common)
    policy = (sp or p) if inherited else p
    where = f" (inherited from {shown_source})" if inherited else ""
    if policy == "none":
        return DmarcResult(domain, Verdict.WARNING, f"DMARC for {shown} is p=none{where}: monitoring only, spoofed "
                           "mail is still delivered.", policy=policy, **common)
    if pct < 100:
        return DmarcResult(domain, Verdict.WARNING, f"DMARC for {shown} is p={policy}{where} but only for {pct}% "
                           "of failing mail (pct).", policy=policy, **common)
    return DmarcResult(domain, Verdict.OK, f"DMARC for {shown} is p={policy}{where}: receivers "
                       f"{'reject' if policy == 'reject' else 'junk'} mail that fails DMARC.", policy=policy, **common)


async def check_dmarc(domain: str, *, resolver: dns.asyncresolver.Resolver,
                      timeout: float | None = None) -> DmarcResult:
    """_dmarc.<domain>, falling back once to the parent domain (a simple organisational domain, no PSL)."""
    name = ascii_domain(domain)
    shown = display_name(name)
    candidates = [name] + ([name.split(".", 1)[1]] if name.count(".") >= 2 else [])
    for source in candidates:
        answer = await lookup(f"_dmarc.{source}", "TXT", resolver=resolver, timeout=timeout)
        if answer.failed:
            return DmarcResult(name, Verdict.UNCHECKED, f"Could not look up the DMARC record _dmarc.{source}: "
                               f"{answer.detail}.")
        records = _starting(answer, "DMARC1")  # RFC 7489 6.6.3: other TXT records there are ignored
        if len(records) > 1:
            return DmarcResult(name, Verdict.ERROR, f"_dmarc.{source} has {len(records)} DMARC records; receivers "
                               "then apply none (RFC 7489 6.6.3). Keep one.", record=records[0], source=source)
        if records:
            return _dmarc_result(name, source, records[0])
    looked = " nor ".join(f"_dmarc.{c}" for c in candidates)
    return DmarcResult(name, Verdict.NOT_FOUND, f"{shown} has no DMARC record ({looked}), so receivers apply no "
                       "policy to mail spoofing it; start with v=DMARC1; p=none; rua=mailto:<reports address>.")


@dataclass(frozen=True)
class MtaStsResult:
    domain: str
    verdict: Verdict
    summary: str
    record: str | None = None
    id: str | None = None
    policy_url: str = ""  # where the policy file would be; not fetched
    policy_host_addresses: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"record": self.record, "id": self.id, "policy_url": self.policy_url,
                "policy_host_addresses": list(self.policy_host_addresses), "verdict": str(self.verdict),
                "summary": self.summary}


async def check_mta_sts(domain: str, *, resolver: dns.asyncresolver.Resolver,
                        timeout: float | None = None) -> MtaStsResult:
    """RFC 8461: the _mta-sts TXT record and whether the mta-sts host that serves the policy resolves."""
    name = ascii_domain(domain)
    shown = display_name(name)
    url = f"https://mta-sts.{name}/.well-known/mta-sts.txt"
    txt, a, aaaa = await asyncio.gather(*(lookup(n, t, resolver=resolver, timeout=timeout) for n, t in
                                          ((f"_mta-sts.{name}", "TXT"), (f"mta-sts.{name}", "A"),
                                           (f"mta-sts.{name}", "AAAA"))))
    if txt.failed:
        return MtaStsResult(name, Verdict.UNCHECKED, f"Could not look up _mta-sts.{name}: {txt.detail}.")
    records = _starting(txt, "STSv1")
    if not records:
        return MtaStsResult(name, Verdict.NOT_FOUND, f"{shown} publishes no MTA-STS record (optional: it makes "
                            "senders insist on TLS to the MX).")
    if len(records) > 1:
        return MtaStsResult(name, Verdict.ERROR, f"_mta-sts.{name} has {len(records)} MTA-STS records; senders then "
                            "ignore MTA-STS (RFC 8461 3.1).", record=records[0])
    sts_id = tags(records[0]).get("id")
    hosts = tuple(a.addresses() + aaaa.addresses())
    common = {"record": records[0], "id": sts_id, "policy_url": url, "policy_host_addresses": hosts}
    if not sts_id or not _STS_ID.match(sts_id):
        return MtaStsResult(name, Verdict.ERROR, f"The MTA-STS record of {shown} needs id= with 1-32 letters or "
                            "digits (RFC 8461 3.1); senders ignore it as it is.", **common)
    if not hosts and not (a.failed or aaaa.failed):
        return MtaStsResult(name, Verdict.ERROR, f"MTA-STS is announced but mta-sts.{name} has no address, so "
                            "senders cannot fetch the policy.", **common)
    return MtaStsResult(name, Verdict.OK, f"MTA-STS is announced for {shown} (id={sts_id}); the policy at {url} "
                        "was not fetched (DNS only).", **common)


@dataclass(frozen=True)
class TlsRptResult:
    domain: str
    verdict: Verdict
    summary: str
    record: str | None = None
    rua: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"record": self.record, "rua": list(self.rua), "verdict": str(self.verdict), "summary": self.summary}


async def check_tls_rpt(domain: str, *, resolver: dns.asyncresolver.Resolver,
                        timeout: float | None = None) -> TlsRptResult:
    """RFC 8460: _smtp._tls TXT, where senders report TLS failures to this domain."""
    name = ascii_domain(domain)
    shown = display_name(name)
    answer = await lookup(f"_smtp._tls.{name}", "TXT", resolver=resolver, timeout=timeout)
    if answer.failed:
        return TlsRptResult(name, Verdict.UNCHECKED, f"Could not look up _smtp._tls.{name}: {answer.detail}.")
    records = _starting(answer, "TLSRPTv1")
    if not records:
        return TlsRptResult(name, Verdict.NOT_FOUND, f"{shown} publishes no TLS-RPT record (optional: it asks "
                            "senders for reports about TLS failures).")
    if len(records) > 1:
        return TlsRptResult(name, Verdict.ERROR, f"_smtp._tls.{name} has {len(records)} TLS-RPT records; senders "
                            "then send no reports (RFC 8460 3).", record=records[0])
    rua = _uris(tags(records[0]).get("rua", ""))
    if not rua or any(not u.lower().startswith(("mailto:", "https:")) for u in rua):
        return TlsRptResult(name, Verdict.ERROR, f"The TLS-RPT record of {shown} needs rua= with mailto: or https: "
                            "addresses (RFC 8460 3).", record=records[0], rua=rua)
    return TlsRptResult(name, Verdict.OK, f"TLS-RPT reports for {shown} go to {', '.join(rua)}.",
                        record=records[0], rua=rua)
