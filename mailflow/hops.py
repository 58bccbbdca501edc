"""Which hop of the mail path a bounce is about: the code's possible hops, narrowed by the bounce's direction.

Why this exists: a status code alone does not say which way the message was travelling. 5.1.1 written by
Exchange on-premises means the hybrid organisation's own server did not know the recipient (hop B), while
the same 5.1.1 quoted from Gmail or Postfix means an outside server refused an address that a Microsoft 365
user wrote to (hop C). The catalog lists every hop a code can occur on (``hop`` first, then ``other_hops``);
the servers named in the bounce (who wrote it, who refused) and the two addresses pick one of them. With no
such clue the catalog's first hop stands.

Hops: A = outside -> Office 365, B = outside -> hybrid (MX on-premises) -> Exchange Online, C = Office 365 ->
outside, D = Office 365 -> our on-premises smart host -> outside, X = inside one tenant.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Side = Literal["microsoft", "onprem", "outside"]

# Host names under these suffixes are Microsoft 365's own servers (EOP and Exchange Online:
# *.mail.protection.outlook.com, *.prod.outlook.com, *.prod.protection.outlook.com, *.mx.microsoft).
MICROSOFT_SUFFIXES = ("outlook.com", "office365.com", "mx.microsoft", "onmicrosoft.com")
# Outlook.com consumer mail (hotmail-com.olc.protection.outlook.com) is another organisation's mailbox
# service from a tenant's point of view, not the tenant's own EOP.
CONSUMER_SUFFIX = "olc.protection.outlook.com"
# Words only Exchange (online or on-premises) writes into its own replies: the recipient resolver and the
# mailbox store driver ("550 5.1.1 RESOLVER.ADR.RecipNotFound", "STOREDRV.Deliver").
_EXCHANGE_MARKS = ("resolver.", "storedrv.")
# Google's SMTP replies end with "- gsmtp": the refusal came from Google's servers.
_GOOGLE_MARK = re.compile(r"\bgsmtp\b", re.I)
# EOP tags its refusals with an anti-spam rule id ("(AS16012609)", "AS(201806281)") and often its own host
# name in brackets ("[BN8NAM11FT066.eop-nam11.prod.protection.outlook.com]").
_EOP_TAG = re.compile(r"\(AS\d{5,}\)|\bAS\(\d{5,}\)")
_BRACKET_HOST = re.compile(r"\[([A-Za-z][\w.-]*\.[A-Za-z]{2,})\]")


NAMES = {"A": "outside sender -> Office 365", "B": "outside sender -> hybrid, MX on-premises",
         "C": "Office 365 -> outside recipient", "D": "Office 365 -> on-premises smart host -> outside",
         "X": "inside the tenant"}


@dataclass(frozen=True)
class Direction:
    """Where the bounce says the message was going: the hops that fit, best first, and why in one sentence."""

    hops: tuple[str, ...]  # every hop the route fits, best first; only these count as "the direction"
    reason: str
    onprem: str | None = None  # the organisation's own on-premises Exchange server, when the bounce names it


@dataclass(frozen=True)
class HopChoice:
    hop: str | None
    reason: str | None
    basis: Literal["direction", "code"] | None  # what decided: the bounce's direction or the code alone
    direction: tuple[str, ...] = ()  # the hops the direction fits, best first (empty when unknown)
    onprem: str | None = None  # as in Direction


NO_HOP = HopChoice(None, None, None)


def host_side(host: str | None) -> Side | None:
    """Microsoft 365 or someone else, from the host name alone (on-premises needs more context)."""
    if not host:
        return None
    name = host.lower().strip().rstrip(".")
    if _under(name, CONSUMER_SUFFIX):
        return "outside"
    return "microsoft" if any(_under(name, s) for s in MICROSOFT_SUFFIXES) else "outside"


def _under(host: str, domain: str) -> bool:
    return bool(domain) and (host == domain or host.endswith("." + domain))


def _domain(address: str | None) -> str | None:
    return address.rsplit("@", 1)[1].lower() if address and "@" in address else None


def direction(*, reporter: str | None, reporter_is_exchange: bool, refuser: str | None, reply: str,
              sender: str | None, recipient: str | None) -> Direction | None:
    """Read the way the message went from who wrote the bounce, who refused it and the two addresses.

    ``reporter``: the server that wrote the bounce (Exchange's "Generating server", else Reporting-MTA);
    ``reporter_is_exchange``: the bounce is in Exchange's own format; ``refuser``: the server named as the
    one that said no (Remote-MTA, "host X said", "The following organization rejected your message: X");
    ``reply``: the refusal text; ``sender`` / ``recipient``: the original message's addresses.
    """
    sender_domain, recipient_domain = _domain(sender), _domain(recipient)
    same_org = sender_domain is not None and sender_domain == recipient_domain
    to_outside = None not in (sender_domain, recipient_domain) and not same_org
    wrote = host_side(reporter)
    if wrote == "outside" and reporter_is_exchange:
        wrote = "onprem"  # an Exchange bounce from a server outside Microsoft 365 comes from Exchange Server
    said, sent_by = _refusing_side(refuser, reply, wrote, sender_domain)
    named = refuser or (reporter if sent_by is None else None)  # the server that said no, when known
    where = f" ({named})" if named else ""
    if said == "microsoft":
        if sent_by == "onprem" or (same_org and sent_by == "outside"):
            return Direction(("B",), "Exchange Online refused a server of the recipient's own organisation that "
                                     "was passing the message on to it, as a hybrid server does")
        if same_org:
            return Direction(("X",), "Exchange Online refused it and both addresses are in the same "
                                     "organisation, so the message never left the tenant")
        if sent_by == "outside":
            return Direction(("A",), f"a server outside Microsoft 365 ({reporter}) was delivering straight to "
                                     f"Microsoft 365, which refused it")
        return Direction(("A", "B"), "a Microsoft 365 server refused a message coming from outside the "
                                     "recipient's organisation")
    if said == "onprem":
        if sent_by == "microsoft" and to_outside:
            return Direction(("D",), f"Exchange Online was handing a message for an outside recipient to the "
                                     f"sender's own on-premises server{where}, which refused it (centralized "
                                     f"mail flow)", named)
        return Direction(("B",), f"an Exchange server on-premises{where} at the recipient's organisation "
                                 f"refused it", named)
    if said == "outside":
        if sent_by == "onprem":
            return Direction(("D", "C"), f"an on-premises Exchange server{f' ({reporter})' if reporter else ''} "
                                         f"was sending the message out and a server outside Microsoft 365{where} "
                                         f"refused it", reporter)
        if sent_by == "microsoft":
            return Direction(("C",), f"Exchange Online was delivering straight to a server outside Microsoft "
                                     f"365{where}, which refused it")
        return Direction(("C", "D"), f"a server outside Microsoft 365{where} refused it, so the message was "
                                     f"on its way out to another organisation")
    return None


def _refusing_side(refuser: str | None, reply: str, wrote: Side | None,
                   sender_domain: str | None) -> tuple[Side | None, Side | None]:
    """Who said no, and who was sending to them (None when the server that said no also wrote the bounce)."""
    exchange_words = any(mark in reply.lower() for mark in _EXCHANGE_MARKS)
    if refuser:
        side = host_side(refuser)
        own_server = wrote == "microsoft" and sender_domain is not None and _under(
            refuser.lower().rstrip("."), sender_domain)
        if side == "outside" and (exchange_words or own_server):
            side = "onprem"  # Exchange Server's own words, or the sender's own server behind Exchange Online
        return side, wrote
    if _GOOGLE_MARK.search(reply):
        return "outside", wrote
    if _EOP_TAG.search(reply) or any(host_side(h) == "microsoft" for h in _BRACKET_HOST.findall(reply)):
        return "microsoft", wrote
    if exchange_words and wrote in ("microsoft", "onprem"):
        return wrote, None  # Exchange refused it itself, inside the server that wrote the bounce
    # A server outside Microsoft 365 that names no other host wrote about its own refusal (Postfix, Gmail).
    return ("outside", None) if wrote == "outside" and not exchange_words else (None, None)


def choose_hop(code: str, hop: str | None, other_hops: tuple[str, ...], found: Direction | None) -> HopChoice:
    """The first hop the direction prefers among those the code can occur on; else the code's usual hop."""
    seen = found.hops if found else ()
    allowed = tuple(h for h in (hop, *other_hops) if h)
    if not allowed:
        return HopChoice(None, None, None, seen)
    if found is None:
        return HopChoice(hop, f"Nothing in the bounce shows which way the message was going, so this is the "
                              f"hop where {code} usually comes from.", "code")
    pick = next((h for h in found.hops if h in allowed), None)
    if pick is None:
        return HopChoice(hop, f"The bounce suggests {found.reason}, but {code} does not occur on that path, so "
                              f"the code's usual hop is kept.", "code", seen, found.onprem)
    return HopChoice(pick, found.reason[:1].upper() + found.reason[1:] + ".", "direction", seen, found.onprem)
