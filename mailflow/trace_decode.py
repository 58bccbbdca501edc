"""Decoding the small languages inside a message trace: localised dates, `S:` custom data and the MEP XML of Data.

Kept apart from the CSV handling so each piece can be tested alone; nothing here raises on bad input.
"""

from __future__ import annotations

import contextlib
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# Spam filter "delivery information" (DI=) of S:SFA; SO is the reason a message left via the high-risk pool.
DI_MEANINGS = {
    "SB": "sender blocked",
    "SQ": "quarantined as spam",
    "SD": "deleted as spam",
    "SJ": "sent to Junk Email",
    "SN": "routed through the normal delivery pool",
    "SO": "sent through the high-risk delivery pool",
}
_DATE_FORMATS = (
    "%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %I:%M %p", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M",
    "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M",
    "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%Y/%m/%d %H:%M:%S", "%m/%d/%Y", "%d.%m.%Y",
)
# Custom data is "S:key=value;S:key=value", but the connector entry itself contains ";ConnectorType=...",
# so only split where the next item starts with a type prefix such as "S:" / "L:".
_ITEM_SPLIT = re.compile(r";\s*(?=[A-Z]:[A-Za-z])")


def parse_date(raw: str) -> tuple[str, bool]:
    """Return (ISO 8601 text, parsed?); an unknown format keeps the raw text rather than guessing."""
    text = (raw or "").strip()
    if not text:
        return "", False
    try:
        return datetime.fromisoformat(text).isoformat(), True
    except ValueError:
        pass
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).isoformat(), True
        except ValueError:
            continue
    return text, False


@dataclass
class CustomData:
    """What the hygiene stamps in one event say; `items` keeps every key for the cases we do not interpret."""

    items: dict[str, str] = field(default_factory=dict)
    spam: dict[str, str] = field(default_factory=dict)
    malware: dict[str, str] = field(default_factory=dict)
    transport_rules: list[dict[str, str]] = field(default_factory=list)
    connector: dict[str, Any] | None = None
    pool: str | None = None
    latency: float | None = None

    def merge(self, other: CustomData) -> None:
        """Fold another event's data in; later events win for single values."""
        self.items.update(other.items)
        self.spam.update(other.spam)
        self.malware.update(other.malware)
        self.transport_rules.extend(r for r in other.transport_rules if r not in self.transport_rules)
        self.connector = other.connector or self.connector
        self.pool = other.pool or self.pool
        self.latency = other.latency if other.latency is not None else self.latency


def _pipe_fields(value: str) -> dict[str, str]:
    """`SUM|SFV=SPM|SCL=5` -> {"SFV": "SPM", "SCL": "5"}; bare words become their own key."""
    out: dict[str, str] = {}
    for part in value.split("|"):
        key, sep, val = part.partition("=")
        if key.strip():
            out[key.strip()] = val.strip() if sep else ""
    return out


def decode_custom_data(text: str, into: CustomData | None = None) -> CustomData:
    """Decode `S:SFA=...;S:TRA=ETR|ruleId=...;S:...TenantOutboundConnectorCustomData=Name=...` style text."""
    data = into or CustomData()
    for item in _ITEM_SPLIT.split((text or "").strip()):
        item = item.strip().strip(";")
        if len(item) > 2 and item[1] == ":" and item[0].isalpha():
            item = item[2:]
        key, sep, value = item.partition("=")
        key = key.strip()
        if not key or not sep:
            continue
        _assign(data, key, value.strip())
    return data


def _assign(data: CustomData, key: str, value: str) -> None:
    """Put one key/value where it belongs; shared by custom data and MEP entries."""
    data.items[key] = value
    low = key.lower()
    if low == "sfa":
        data.spam.update(_pipe_fields(value))
    elif low == "ama":
        data.malware.update(_pipe_fields(value))
    elif low == "tra":
        rule = _pipe_fields(value)
        if rule not in data.transport_rules:
            data.transport_rules.append(rule)
    elif low.endswith("outboundconnectorcustomdata"):
        parts = dict(p.partition("=")[::2] for p in value.split(";") if "=" in p)
        parts = {k.strip(): v.strip() for k, v in parts.items()}
        use_mx = parts.get("UseMxRecord")
        data.connector = {
            "name": parts.get("Name"),
            "type": parts.get("ConnectorType"),
            "use_mx_record": None if use_mx is None else use_mx.lower() == "true",
        }
    elif low == "outboundippoolname":
        data.pool = value
    elif low == "externalsendlatency":
        with contextlib.suppress(ValueError):
            data.latency = float(value)
    elif low == "customdata":
        decode_custom_data(value, data)


def decode_mep_xml(text: str) -> tuple[dict[str, str], CustomData, str | None]:
    """Parse `<root><MEP Name=".." String=".."/></root>`; returns (entries, decoded, error or None).

    ElementTree does not fetch external entities; a DOCTYPE is refused outright so entity tricks never expand.
    """
    entries: dict[str, str] = {}
    data = CustomData()
    if "<!DOCTYPE" in text.upper() or "<!ENTITY" in text.upper():
        return entries, data, "Data XML with a DOCTYPE/ENTITY declaration was ignored"
    try:
        root = ET.fromstring(text.strip())
    except ET.ParseError as exc:
        return entries, data, f"malformed Data XML ignored ({exc})"
    for mep in root.iter("MEP"):
        name = mep.get("Name")
        if not name:
            continue
        value = next((mep.get(k) for k in ("String", "Long", "Integer", "Blob", "Value") if mep.get(k) is not None), "")
        entries[name] = value
        if value.startswith(("S:", "L:")) and name.lower() != "customdata":
            decode_custom_data(value, data)
        _assign(data, name, value)
    return entries, data, None
