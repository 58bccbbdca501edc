"""Reading one SPF record (RFC 7208 section 4.6 and 12) into terms, without any DNS.

Kept apart from the lookups so the syntax rules can be tested on strings alone.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

# RFC 7208 4.6.4: these terms cost a DNS query each and count towards the limit of 10.
QUERYING = frozenset({"include", "a", "mx", "ptr", "exists", "redirect"})
MECHANISMS = frozenset({"all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists"})
_MODIFIER = re.compile(r"^([a-z][a-z0-9_.-]*)=(.*)$", re.IGNORECASE)
_MECHANISM = re.compile(r"^([+\-~?]?)([a-z][a-z0-9_.-]*)(?:([:/])(.*))?$", re.IGNORECASE)
_VERSION = re.compile(r"^v=spf1(?:\s|$)", re.IGNORECASE)  # RFC 7208 4.5: exactly "v=spf1", then a space or the end


@dataclass(frozen=True)
class Term:
    name: str  # mechanism or modifier name, lower case
    qualifier: str = "+"  # "+", "-", "~", "?"; "" for modifiers
    value: str = ""  # domain-spec, IP network or modifier value (CIDR suffixes of a/mx stripped)
    modifier: bool = False

    @property
    def text(self) -> str:
        if self.modifier:
            return f"{self.name}={self.value}"
        qualifier = "" if self.qualifier == "+" else self.qualifier
        return f"{qualifier}{self.name}" + (f":{self.value}" if self.value else "")


def is_spf(text: str) -> bool:
    """Only TXT records that start with exactly v=spf1 are SPF records (RFC 7208 4.5)."""
    return bool(_VERSION.match(text.strip()))


def _mechanism(text: str) -> tuple[Term | None, str]:
    match = _MECHANISM.match(text)
    if not match:
        return None, f"'{text}' is not a valid SPF term"
    qualifier, name, separator, rest = match.group(1) or "+", match.group(2).lower(), match.group(3), match.group(4)
    if name not in MECHANISMS:
        return None, f"'{text}' is not an SPF mechanism (RFC 7208 5)"
    value = rest or ""
    if name in ("a", "mx") and separator == "/":  # a/24 means the current domain with a prefix length
        value = ""
    elif name in ("a", "mx"):
        value = value.split("/", 1)[0]
    if name in ("include", "exists", "ip4", "ip6") and (separator != ":" or not value):
        return None, f"'{text}' needs a value after the colon"
    if name == "all" and separator:
        return None, f"'{text}' is not valid: 'all' takes no value"
    if name in ("ip4", "ip6"):
        try:
            network = ipaddress.ip_network(value, strict=False)
        except ValueError:
            return None, f"'{text}' does not contain a valid IP address or network"
        if network.version != int(name[-1]):
            return None, f"'{text}' has an IPv{network.version} value in an {name} mechanism"
    return Term(name, qualifier, value), ""


def parse(record: str) -> tuple[list[Term], list[str]]:
    """The terms of an SPF record and, separately, every syntax error found (each a permerror)."""
    terms: list[Term] = []
    errors: list[str] = []
    for part in record.split()[1:]:
        modifier = _MODIFIER.match(part)
        if modifier:
            name = modifier.group(1).lower()
            if name in ("redirect", "exp") and any(t.modifier and t.name == name for t in terms):
                errors.append(f"the '{name}' modifier appears twice (RFC 7208 6)")
            terms.append(Term(name, "", modifier.group(2), modifier=True))
            continue
        term, error = _mechanism(part)
        if term:
            terms.append(term)
        else:
            errors.append(error)
    return terms, errors


def all_qualifier(terms: list[Term]) -> str | None:
    """The qualifier of the 'all' mechanism, or None when the record has none."""
    return next((t.qualifier for t in terms if t.name == "all" and not t.modifier), None)


def target_of(term: Term, domain: str) -> str:
    """The domain a querying term looks up; a/mx without a value mean the current domain."""
    return (term.value or domain).lower().rstrip(".")
