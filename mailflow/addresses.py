"""Parsing and deriving the names that mail flow troubleshooting revolves around.

Addresses follow RFC 5321 section 4.1.2 loosely: we accept what people paste into a ticket
(``<user@contoso.com>``, ``mailto:``, trailing dots) and reject what can never be a mailbox.
"""

from __future__ import annotations

import ipaddress
import re

# RFC 1035 section 2.3.1 label rules, relaxed to allow the underscores seen in real hostnames.
_LABEL = r"(?!-)[a-z0-9_-]{1,63}(?<!-)"
_DOMAIN_RE = re.compile(rf"^(?:{_LABEL}\.)+[a-z][a-z0-9-]{{0,62}}$")
# The local part stays permissive: quoted strings and most printable characters are legal.
# RFC 6531 (SMTPUTF8) also allows non-ASCII letters there.
_LOCAL_RE = re.compile(r"^[\w!#$%&'*+/=?^`{|}~.-]{1,64}$")
EMAIL_IN_TEXT_RE = re.compile(r"[\w.+'-]+@(?:[\w-]+\.)+[a-z]{2,}", re.IGNORECASE)
DOMAIN_IN_TEXT_RE = re.compile(r"\b(?:[a-z0-9-]+\.)+[a-z]{2,}\b", re.IGNORECASE)

EOP_MX_SUFFIX = "mail.protection.outlook.com"
ROUTING_SUFFIX = "mail.onmicrosoft.com"


class InvalidName(ValueError):
    """Raised when text is not a usable address, domain, host or IP; the message says why."""


def _to_ascii(domain: str) -> str:
    """IDNA-encode a domain so that internationalised names validate like DNS sees them."""
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise InvalidName(f"'{domain}' is not a valid international domain name") from exc


def normalize_domain(text: str) -> str:
    """Return a lower-case domain, or raise InvalidName with a readable reason."""
    domain = text.strip().strip("<>").rstrip(".").lower()
    if domain.startswith("@"):
        domain = domain[1:]
    if not domain:
        raise InvalidName("that is empty; a domain looks like contoso.com")
    if "@" in domain:
        raise InvalidName("that looks like an email address; give just the part after the @")
    ascii_domain = _to_ascii(domain) if not domain.isascii() else domain
    if len(ascii_domain) > 253 or not _DOMAIN_RE.match(ascii_domain):
        raise InvalidName(f"'{text.strip()[:80]}' is not a domain name; a domain looks like contoso.com")
    return domain


def normalize_email(text: str) -> str:
    """Return ``local@domain`` in lower case, or raise InvalidName."""
    value = text.strip().strip("<>").strip()
    if value.lower().startswith("mailto:"):
        value = value[7:]
    if value.count("@") != 1:
        raise InvalidName("an email address has exactly one @, like user@contoso.com")
    local, domain = value.rsplit("@", 1)
    if not _LOCAL_RE.match(local.lower()) or local.startswith(".") or local.endswith("."):
        raise InvalidName(f"'{local[:64]}' is not a valid mailbox name before the @")
    return f"{local.lower()}@{normalize_domain(domain)}"


def normalize_host(text: str) -> str:
    """A server name (FQDN) or an IP literal, as people name sending and smart hosts."""
    value = text.strip().strip("[]")
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        pass
    try:
        return normalize_domain(value)
    except InvalidName as exc:
        raise InvalidName(
            f"'{text.strip()[:80]}' is neither a server name (like mail.contoso.com) nor an IP address"
        ) from exc


def normalize_ip(text: str) -> str:
    """An IPv4 or IPv6 address as text."""
    try:
        return str(ipaddress.ip_address(text.strip().strip("[]")))
    except ValueError as exc:
        raise InvalidName(f"'{text.strip()[:80]}' is not an IP address (like 203.0.113.25)") from exc


def domain_of(address: str) -> str:
    """The domain part of an address that normalize_email already accepted."""
    return address.rsplit("@", 1)[1]


def local_part(address: str) -> str:
    return address.rsplit("@", 1)[0]


def eop_mx_host(domain: str) -> str:
    """The MX host Exchange Online Protection publishes for an accepted domain.

    Dots and hyphens map as Microsoft documents: contoso.com -> contoso-com.mail.protection.outlook.com
    (a hyphen in the domain itself is kept, so the mapping is not always reversible).
    """
    return f"{_to_ascii(domain).replace('.', '-')}.{EOP_MX_SUFFIX}"


def tenant_name(text: str) -> str:
    """The tenant's initial-domain prefix from ``contoso``, ``contoso.onmicrosoft.com`` or the routing domain."""
    value = text.strip().lower().rstrip(".")
    for suffix in (f".{ROUTING_SUFFIX}", ".onmicrosoft.com"):
        if value.endswith(suffix):
            value = value[: -len(suffix)]
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,62}", value) or value.isdigit():
        raise InvalidName(
            f"'{text.strip()[:80]}' is not a tenant name; it is the part before .onmicrosoft.com, like contoso"
        )
    return value


def routing_domain(tenant: str) -> str:
    """The coexistence domain that remote routing addresses use in a hybrid organisation."""
    return f"{tenant}.{ROUTING_SUFFIX}"
