"""DNS block lists (RFC 5782): which to ask, how to ask, and what their answers mean.

A data table, because each list encodes its reasons in its own return codes, and some answers
(Spamhaus 127.255.255.x) mean "we refused to check" rather than "listed".
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field

import dns.name
import dns.reversename

# Spamhaus answers these in every zone instead of a listing (Spamhaus FAQ; see dns-facts.md).
SPAMHAUS_REFUSALS: Mapping[str, str] = {
    "127.255.255.252": "Spamhaus says the list name was mistyped",
    "127.255.255.254": "Spamhaus refuses queries that come through public resolvers such as 8.8.8.8 or 1.1.1.1; "
                       "ask through your own resolver or with a Spamhaus DQS key",
    "127.255.255.255": "Spamhaus refuses this resolver for sending too many queries",
}


@dataclass(frozen=True)
class Blocklist:
    zone: str
    name: str
    codes: Mapping[str, str]  # return code -> what the listing means
    refusals: Mapping[str, str] = field(default_factory=dict)  # codes that mean "not checked", never "listed"
    informational: frozenset[str] = frozenset()  # codes that describe a good reputation, not a listing
    website: str = ""


BLOCKLISTS: tuple[Blocklist, ...] = (
    Blocklist("zen.spamhaus.org", "Spamhaus ZEN", {
        "127.0.0.2": "Spamhaus SBL: a known spam source or spam operation",
        "127.0.0.3": "Spamhaus SBL CSS: snowshoe spam or a spam-sending setup",
        "127.0.0.4": "Spamhaus XBL: infected or hijacked machine (exploits, CBL)",
        "127.0.0.5": "Spamhaus XBL: infected or hijacked machine",
        "127.0.0.6": "Spamhaus XBL: infected or hijacked machine",
        "127.0.0.7": "Spamhaus XBL: infected or hijacked machine",
        "127.0.0.9": "Spamhaus DROP/EDROP: hijacked or criminal network",
        "127.0.0.10": "Spamhaus PBL (set by the ISP): an end-user range that should not send mail directly",
        "127.0.0.11": "Spamhaus PBL (set by Spamhaus): an end-user range that should not send mail directly",
    }, SPAMHAUS_REFUSALS, website="https://check.spamhaus.org"),
    Blocklist("bl.spamcop.net", "SpamCop", {"127.0.0.2": "SpamCop: reported as a spam source by SpamCop users"},
              website="https://www.spamcop.net"),
    Blocklist("b.barracudacentral.org", "Barracuda BRBL",
              {"127.0.0.2": "Barracuda Reputation Block List: poor sending reputation"},
              website="https://www.barracudacentral.org"),
    Blocklist("psbl.surriel.com", "PSBL", {"127.0.0.2": "PSBL: sent mail to spam traps"}, website="https://psbl.org"),
    Blocklist("bl.mailspike.net", "Mailspike", {
        "127.0.0.2": "Mailspike: listed for spam",
        "127.0.0.10": "Mailspike L5: worst possible reputation",
        "127.0.0.11": "Mailspike L4: very bad reputation",
        "127.0.0.12": "Mailspike L3: bad reputation",
        "127.0.0.13": "Mailspike L2: suspicious behaviour",
        "127.0.0.14": "Mailspike L1: neutral, probably spam",
    }, informational=frozenset(f"127.0.0.{n}" for n in range(15, 21)), website="https://mailspike.org"),
)
DEFAULT_ZONES: tuple[str, ...] = tuple(b.zone for b in BLOCKLISTS)


def blocklist_for(zone: Blocklist | str) -> Blocklist:
    """The table entry for a zone, or a plain entry for a list we know nothing about."""
    if isinstance(zone, Blocklist):
        return zone
    name = zone.lower().strip().rstrip(".")
    for known in BLOCKLISTS:
        if known.zone == name:
            return known
    spamhaus = name.endswith((".spamhaus.org", ".spamhaus.net"))
    return Blocklist(name, name, {}, SPAMHAUS_REFUSALS if spamhaus else {})


def query_name(ip: str, zone: str) -> str:
    """RFC 5782 2.1/2.4: IPv4 octets or IPv6 nibbles reversed, then the list's zone."""
    address = ipaddress.ip_address(ip)
    reverse = dns.reversename.from_address(str(address))
    base = dns.reversename.ipv4_reverse_domain if address.version == 4 else dns.reversename.ipv6_reverse_domain
    return reverse.relativize(base).concatenate(dns.name.from_text(zone)).to_text(omit_final_dot=True)


@dataclass(frozen=True)
class Decoded:
    listed_codes: tuple[str, ...]  # codes that are listings
    meaning: str  # what they mean, joined
    refused: str  # why the answer does not count, when nothing was listed


def decode(blocklist: Blocklist, codes: list[str]) -> Decoded:
    """Sort a list's answer into listings and refusals (RFC 5782 2.3: listings are 127.0.0.0/8, not 127.0.0.1)."""
    listed: list[str] = []
    refused: list[str] = []
    for code in codes:
        if code in blocklist.refusals:
            refused.append(f"{blocklist.refusals[code]} (answer {code})")
        elif code in blocklist.informational:
            continue
        elif not code.startswith("127."):
            refused.append(f"the answer {code} is not a block-list code; the resolver may be rewriting answers")
        elif code == "127.0.0.1":  # RFC 5782 5: never a listing; lists use it when they refuse the querier
            refused.append("the list answered 127.0.0.1, which usually means it refuses this resolver")
        else:
            listed.append(code)
    meaning = "; ".join(blocklist.codes.get(c, f"listed ({c})") for c in sorted(set(listed)))
    return Decoded(tuple(sorted(set(listed))), meaning, "" if listed else "; ".join(refused))
