"""Who runs an MX host, recognised from its name, so a technician knows whose admin to talk to.

A data table rather than code: add a row when a new filtering service shows up in tickets.
"""

from __future__ import annotations

from dataclasses import dataclass

EXCHANGE_ONLINE = "exchange-online"
OTHER = "other"
NONE = "none"

# Exchange Online Protection: the classic form and the DNSSEC/DANE form (<domain-dashes>.<x>-v1.mx.microsoft).
EOP_SUFFIXES = (".mail.protection.outlook.com", ".mx.microsoft")
# Hosts Microsoft retired (NDR 4.4.62 / ATTR35 after the cut-over); mail to them is no longer accepted reliably.
EOP_LEGACY_SUFFIXES = (".mail.eo.outlook.com", ".mail.messaging.microsoft.com", ".mail.global.frontbridge.com")


@dataclass(frozen=True)
class Provider:
    name: str  # as a technician would say it
    suffixes: tuple[str, ...]  # host equals the suffix without its dot, or ends with it


PROVIDERS: tuple[Provider, ...] = (
    Provider("Google Workspace", (".google.com", ".googlemail.com")),
    Provider("Outlook.com (consumer)", (".olc.protection.outlook.com",)),
    Provider("Mimecast", (".mimecast.com", ".mimecast.co.za", ".mimecast-offshore.com")),
    Provider("Proofpoint", (".pphosted.com", ".ppe-hosted.com")),
    Provider("Barracuda Email Protection", (".barracudanetworks.com",)),
    Provider("Cisco Secure Email (IronPort)", (".iphmx.com",)),
    Provider("Zoho Mail", (".zoho.com", ".zoho.eu", ".zoho.in", ".zoho.com.au")),
    Provider("Broadcom/Symantec Email Security", (".messagelabs.com",)),
    Provider("Trend Micro Email Security", (".tmes.trendmicro.com", ".tmes.trendmicro.eu")),
    Provider("Sophos Email", (".hydra.sophos.com",)),
    Provider("Hornetsecurity", (".hornetsecurity.com",)),
    Provider("Forcepoint Email Security", (".mailcontrol.com",)),
    Provider("Fastmail", (".messagingengine.com",)),
    Provider("Yahoo Mail", (".yahoodns.net",)),
)


@dataclass(frozen=True)
class Classification:
    kind: str  # "exchange-online" or "other"
    provider: str  # a readable name; "" when the host is not one we know
    legacy: bool = False  # an EOP host Microsoft no longer supports


def _matches(host: str, suffixes: tuple[str, ...]) -> bool:
    return any(host.endswith(suffix) or host == suffix[1:] for suffix in suffixes)


def classify(host: str) -> Classification:
    """Classify one MX host name (lower case, no final dot)."""
    name = host.lower().rstrip(".")
    if _matches(name, EOP_LEGACY_SUFFIXES):
        return Classification(EXCHANGE_ONLINE, "Exchange Online (retired EOP host)", legacy=True)
    if name.endswith(".olc.protection.outlook.com"):  # consumer Outlook.com shares the parent name
        return Classification(OTHER, "Outlook.com (consumer)")
    if _matches(name, EOP_SUFFIXES):
        return Classification(EXCHANGE_ONLINE, "Exchange Online")
    for provider in PROVIDERS:
        if _matches(name, provider.suffixes):
            return Classification(OTHER, provider.name)
    return Classification(OTHER, "")
