"""Exchange's transport stamps: X-MS-Exchange-Organization-AuthAs / AuthSource / MessageDirectionality /
Network-Message-Id (what the receiving organisation concluded about the sender), and the X-MS-Exchange-CrossTenant-*
family with X-MS-Exchange-Transport-CrossTenantHeadersStamped (which Microsoft 365 tenant handled the message, where
it got it from, and the IDs to search message trace with). Header firewall strips Organization headers at untrusted
boundaries; the CrossTenant ones survive, so they also show up on mail a Microsoft 365 tenant sent out."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.message import Message
from typing import Any

from mailflow.headers_codes_exchange import AUTH_AS, CROSS_TENANT_FIELDS, DIRECTIONALITY, FROM_ENTITY
from mailflow.headers_parse import unfold
from mailflow.headers_report import HeaderReport
from mailflow.smtp_findings import Finding
from mailflow.verdict import Verdict

_PREFIX = "x-ms-exchange-crosstenant-"
_STAMPED = "x-ms-exchange-transport-crosstenantheadersstamped"
_ATTRIBUTED = re.compile(r"TenantId=([^;\s]+)\s*;\s*Ip=\[?([^\];\s]+)\]?\s*;\s*Helo=\[?([^\];]*)\]?", re.I)


def exchange_time(value: str) -> str | None:
    """"12 May 2021 01:57:31.7201 (UTC)" (Exchange's arrival-time format) as ISO 8601, or None."""
    text = re.sub(r"\s*\(UTC\)\s*$", "", unfold(value), flags=re.I)
    text = re.sub(r"(\.\d{6})\d+", r"\1", text)  # strptime takes at most six fraction digits
    for fmt in ("%d %b %Y %H:%M:%S.%f", "%d %b %Y %H:%M:%S"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=UTC).isoformat()
        except ValueError:
            continue
    return None


def decode_exchange(msg: Message, report: HeaderReport) -> None:
    """The receiving organisation's own stamps, then the tenant-level ones that survive between tenants."""
    _organization(msg, report)
    _cross_tenant(msg, report)


def _value(msg: Message, name: str) -> str | None:
    """An unfolded header value, None when missing or blank."""
    raw = msg.get(name)
    return unfold(raw) or None if raw else None


def _organization(msg: Message, report: HeaderReport) -> None:
    """AuthAs / AuthSource per the header firewall page; directionality and Network Message ID as observed."""
    if auth_as := _value(msg, "X-MS-Exchange-Organization-AuthAs"):
        report.auth_as = auth_as
        report.findings.append(Finding("org", Verdict.OK, f"AuthAs {auth_as}: the sender was "
                                       f"{AUTH_AS.get(auth_as, 'treated as ' + auth_as)}."))
    if source := _value(msg, "X-MS-Exchange-Organization-AuthSource"):
        report.auth_source = source
        report.findings.append(Finding("org", Verdict.OK, f"AuthSource {source}: the server that judged how the "
                                       "sender authenticated, on behalf of the organisation."))
    if direction := _value(msg, "X-MS-Exchange-Organization-MessageDirectionality"):
        report.directionality = direction
        report.findings.append(Finding("org", Verdict.OK, f"Message directionality {direction} "
                                       f"({DIRECTIONALITY.get(direction, 'unrecognised value')})."))
    if network_id := _value(msg, "X-MS-Exchange-Organization-Network-Message-Id"):
        report.network_message_id = network_id
        report.findings.append(Finding("org", Verdict.OK, f"Network Message ID {network_id}: search message trace "
                                       "or Threat Explorer with it."))


def _cross_tenant(msg: Message, report: HeaderReport) -> None:
    """Every X-MS-Exchange-CrossTenant-* field, decoded where its meaning is known and kept raw otherwise."""
    fields: dict[str, str] = {}
    for name, value in msg.items():
        key = name.lower()
        if (key.startswith(_PREFIX) or key == _STAMPED) and unfold(value):
            fields.setdefault(key.removeprefix(_PREFIX), unfold(value))
    if not fields:
        return
    data: dict[str, Any] = {
        "tenant_id": fields.get("id"), "auth_as": fields.get("authas"), "auth_source": fields.get("authsource"),
        "from_entity": fields.get("fromentityheader"), "network_message_id": fields.get("network-message-id"),
        "original_arrival_time": exchange_time(fields.get("originalarrivaltime") or ""),
        "attributed": None, "stamped_by": fields.get(_STAMPED), "other": {}}
    if match := _ATTRIBUTED.search(fields.get("originalattributedtenantconnectingip") or ""):
        data["attributed"] = {"tenant_id": match.group(1), "ip": match.group(2), "helo": match.group(3) or None}
    texts = []
    if data["tenant_id"]:
        texts.append(f"tenant {data['tenant_id']}")
    if entity := data["from_entity"]:
        texts.append(f"FromEntityHeader {entity}: {FROM_ENTITY.get(entity, 'unrecognised value')}")
    if data["auth_as"]:
        texts.append(f"AuthAs {data['auth_as']}: {AUTH_AS.get(data['auth_as'], 'unrecognised value')}")
    if data["auth_source"]:
        texts.append(f"authenticated by {data['auth_source']}")
    if data["original_arrival_time"]:
        texts.append(f"arrived {data['original_arrival_time']}")
    if texts:
        report.findings.append(Finding("org", Verdict.OK, "Cross-tenant stamps (Microsoft 365 tenant that handled "
                                       f"the message): {'; '.join(texts)}."))
    if attributed := data["attributed"]:
        same = " (the same tenant)" if attributed["tenant_id"] == data["tenant_id"] else ""
        report.findings.append(Finding("org", Verdict.OK, f"The connection from {attributed['ip']} (HELO "
                                       f"{attributed['helo'] or '?'}) was attributed to tenant "
                                       f"{attributed['tenant_id']}{same}, usually by matching an inbound connector."))
    if network_id := data["network_message_id"]:
        same = network_id.lower() == (report.network_message_id or "").lower()
        report.findings.append(Finding("org", Verdict.OK, f"Cross-tenant Network Message ID {network_id}"
                                       + (" (same as the organisation's)." if same else ": search message trace in "
                                          "that tenant with it.")))
    if data["stamped_by"]:
        report.findings.append(Finding("org", Verdict.OK, f"Cross-tenant headers stamped by {data['stamped_by']} "
                                       "(the Exchange Online server that wrote them last)."))
    handled = {"id", "authas", "authsource", "fromentityheader", "network-message-id", "originalarrivaltime",
               "originalattributedtenantconnectingip", _STAMPED}
    for key, value in fields.items():
        if key not in handled:
            data["other"][key] = value
            meaning = CROSS_TENANT_FIELDS.get(key)
            report.findings.append(Finding("org", Verdict.OK, f"X-MS-Exchange-CrossTenant-{key}: {value}"
                                           + (f" - {meaning}" if meaning else " (not decoded; shown as is)")))
    report.cross_tenant = data
