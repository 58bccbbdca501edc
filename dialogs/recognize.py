"""Working out which troubleshooting case a person describes in their own words.

No cloud AI: keywords with typo tolerance (rapidfuzz) and the "from ... to ..." shape that people use
to describe a mail path. The result is always confirmed with the person before it is used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from mailflow.addresses import EMAIL_IN_TEXT_RE, InvalidName, normalize_email

# Multi-word phrases are joined with "_" before tokenising so that they count as one keyword.
_PHRASES = {
    "office 365": "o365", "microsoft 365": "o365", "exchange online": "o365", "office365": "o365",
    "on premises": "onprem", "on-premises": "onprem", "on prem": "onprem", "on-prem": "onprem",
    "on premise": "onprem", "on-premise": "onprem", "exchange server": "onprem",
    "third party": "external", "3rd party": "external", "third-party": "external", "3rd-party": "external",
    "other company": "external", "another company": "external", "other companies": "external",
    "smart host": "smarthost", "not an admin": "notadmin", "not admin": "notadmin",
    "not the admin": "notadmin", "not an administrator": "notadmin", "no admin": "notadmin",
    "not it": "notadmin", "end user": "notadmin", "just a user": "notadmin", "normal user": "notadmin",
    "how does": "learn", "how do": "learn", "how mail": "learn", "mail flow works": "learn",
    "route all": "centralized", "all outbound through": "centralized",
}
OURS = {"our", "us", "we", "o365", "m365", "exo", "tenant", "company", "internal", "my", "me", "i", "mine",
        "cloud", "office", "staff", "employees", "colleagues", "users", "mailboxes", "mailbox"}
EXTERNAL = {"gmail", "yahoo", "external", "outside", "partner", "partners", "customer", "customers", "vendor",
            "vendors", "supplier", "suppliers", "client", "clients", "internet", "hotmail", "aol", "icloud",
            "proton", "protonmail", "someone", "others", "people", "fabrikam", "zoho", "gmx"}
INBOUND = {"receive", "receiving", "received", "incoming", "inbound", "arrive", "arriving", "arrived", "arrives",
           "getting", "get", "coming"}
OUTBOUND = {"send", "sending", "sent", "outgoing", "outbound", "deliver", "delivering"}
HYBRID = {"hybrid", "onprem", "exchange2016", "exchange2019", "exchange2013", "remote", "routing", "migrated",
          "moved", "coexistence"}
CENTRAL = {"centralized", "centralised", "cmt", "smarthost", "centralize", "centralise"}
LEARN = {"learn", "explain", "understand", "basics", "overview", "tutorial", "works", "normally"}
NOT_ADMIN = {"notadmin"}
_SEND_VERBS = {"email", "emailing", "emails", "emailed", "send", "sending", "sends", "write", "writing",
               "mailing", "reach", "contact"}
_VOCAB = sorted({w for group in (OURS, EXTERNAL, INBOUND, OUTBOUND, HYBRID, CENTRAL, LEARN) for w in group
                 if len(w) >= 5})


@dataclass
class Recognition:
    flow: str | None
    reasons: list[str] = field(default_factory=list)
    facts: dict[str, str] = field(default_factory=dict)


def _tokens(text: str) -> list[str]:
    value = EMAIL_IN_TEXT_RE.sub(" ", text.lower())
    value = value.replace("’", "'")
    for phrase, word in sorted(_PHRASES.items(), key=lambda kv: -len(kv[0])):
        value = value.replace(phrase, f" {word} ")
    value = re.sub(r"exchange (20\d\d)", r"exchange\1", value)
    words = re.findall(r"[a-z0-9']+", value)
    fixed = []
    for word in words:
        if len(word) >= 5 and word not in _VOCAB:
            hit = process.extractOne(word, _VOCAB, scorer=fuzz.ratio, score_cutoff=84)
            word = hit[0] if hit else word
        fixed.append(word)
    return fixed


def _side(words: list[str]) -> str | None:
    ours = sum(w in OURS for w in words)
    ext = sum(w in EXTERNAL for w in words)
    if ours > ext:
        return "ours"
    if ext > ours:
        return "external"
    return None


def _direction(words: list[str]) -> tuple[str | None, str]:
    """inbound/outbound from "from X to Y", else from verbs like receive/send."""
    if "from" in words and "to" in words:
        i, j = words.index("from"), words.index("to")
        if i < j:
            later_from = words.index("from", j) if "from" in words[j:] else len(words)
            src, dst = words[i + 1: j], words[j + 1: later_from]
        else:
            src, dst = words[i + 1:], words[j + 1: i]
        s, d = _side(src), _side(dst)
        if (s == "external" or d == "ours") and d != "external":
            return "inbound", "the mail comes from outside into your organisation"
        if s == "ours" or d == "external":
            return "outbound", "the mail goes from your organisation to an outside recipient"
    verb = next((i for i, w in enumerate(words) if w in _SEND_VERBS), None)
    if verb is not None:
        s, d = _side(words[:verb]), _side(words[verb + 1:])
        if (s == "external" and d != "external") or (s is None and d == "ours"):
            return "inbound", "the mail comes from outside into your organisation"
        if (s == "ours" and d != "ours") or (s is None and d == "external"):
            return "outbound", "the mail goes from your organisation to an outside recipient"
    if "from" in words and _side(words[words.index("from") + 1:]) == "external":
        return "inbound", "the mail comes from outside into your organisation"
    inbound = sum(w in INBOUND for w in words)
    outbound = sum(w in OUTBOUND for w in words)
    if inbound > outbound:
        return "inbound", "people cannot receive mail"
    if outbound > inbound:
        return "outbound", "people cannot send mail out"
    return None, ""


def _facts(text: str) -> dict[str, str]:
    facts: dict[str, str] = {}
    for match in EMAIL_IN_TEXT_RE.finditer(text):
        before = text[max(0, match.start() - 12): match.start()].lower()
        role = "sender" if re.search(r"\bfrom\b", before) else "recipient" if re.search(r"\bto\b", before) else None
        if role and role not in facts:
            try:
                facts[role] = normalize_email(match.group(0))
            except InvalidName:
                continue
    return facts


def recognize(text: str) -> Recognition:
    """Guess the flow (general, scenario_a..d, end_user) that a description points to, with reasons."""
    words = _tokens(text)
    facts = _facts(text)
    if any(w in NOT_ADMIN for w in words):
        return Recognition("end_user", ["you are not a mail administrator"], facts)
    direction, why = _direction(words)
    hybrid = any(w in HYBRID for w in words)
    if direction is None and "mx" in words and "onprem" in words:
        direction, why = "inbound", "your MX record points to your own servers, so this is about incoming mail"
    central = any(w in CENTRAL for w in words)
    if (direction is None and any(w in LEARN for w in words)) or ("learn" in words and not facts):
        return Recognition("general", ["you want to learn how mail normally flows"], facts)
    reasons = [why] if why else []
    if central:
        reasons.append("centralized mail flow (sending out through on-premises) is involved")
        return Recognition("scenario_d", reasons, facts)
    if direction == "inbound":
        if hybrid:
            reasons.append("the organisation is hybrid, with Exchange on-premises in the path")
            return Recognition("scenario_b", reasons, facts)
        return Recognition("scenario_a", reasons, facts)
    if direction == "outbound":
        if hybrid:
            reasons.append("the organisation is hybrid; outbound mail may go through on-premises")
            return Recognition("scenario_d", reasons, facts)
        return Recognition("scenario_c", reasons, facts)
    return Recognition(None, reasons, facts)
