"""The facts of a case: what each one is, how to read it from text, and the values derived from it.

Facts are asked once and then filled into every command the flows show.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from mailflow import addresses
from mailflow.addresses import InvalidName


@dataclass(frozen=True)
class FactType:
    name: str
    label: str
    example: str
    parse: Callable[[str, dt.date], str]


_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}


def parse_date(text: str, today: dt.date) -> str:
    """Accept the ways people write a recent day; return ISO ``YYYY-MM-DD``."""
    value = text.strip().lower().rstrip(".")
    if value in {"today", "this morning", "now", "tonight"}:
        return today.isoformat()
    if value in {"yesterday", "last night"}:
        return (today - dt.timedelta(days=1)).isoformat()
    if m := re.fullmatch(r"(\d{1,3}) days? ago", value):
        return (today - dt.timedelta(days=int(m.group(1)))).isoformat()
    if m := re.match(r"(\d{4})-(\d{1,2})-(\d{1,2})", value):
        try:
            return dt.date(int(m[1]), int(m[2]), int(m[3])).isoformat()
        except ValueError as exc:
            raise InvalidName(f"{value[:10]} is not a real calendar day") from exc
    m = re.fullmatch(r"(\d{1,2}) ([a-z]{3})[a-z]*\.?(?: (\d{4}))?", value) or re.fullmatch(
        r"([a-z]{3})[a-z]*\.? (\d{1,2})(?:,? (\d{4}))?", value)
    if m:
        day_s, mon_s = (m[1], m[2]) if m[1].isdigit() else (m[2], m[1])
        if mon_s in _MONTHS:
            year = int(m[3]) if m[3] else today.year
            try:
                day = dt.date(year, _MONTHS[mon_s], int(day_s))
            except ValueError as exc:
                raise InvalidName(f"{value} is not a real calendar day") from exc
            if not m[3] and day > today:
                day = day.replace(year=year - 1)
            return day.isoformat()
    raise InvalidName("I could not read that date; try 2026-11-27, 'yesterday' or '3 days ago'")


def _no_date(func: Callable[[str], str]) -> Callable[[str, dt.date], str]:
    return lambda text, _today: func(text)


def _free_text(text: str) -> str:
    value = " ".join(text.split())
    if not any(ch.isalnum() for ch in value):
        raise InvalidName("I need some words or a code here")
    if len(value) > 500:
        raise InvalidName("that is too long for this; a line or two is enough")
    return value


FACT_TYPES: Mapping[str, FactType] = {
    t.name: t
    for t in (
        FactType("sender", "sender address", "someone@fabrikam.com", _no_date(addresses.normalize_email)),
        FactType("recipient", "recipient address", "user@contoso.com", _no_date(addresses.normalize_email)),
        FactType("date", "date of the message", "2026-11-27", parse_date),
        FactType("sending_server", "sending server", "server.fabrikam.com", _no_date(addresses.normalize_host)),
        FactType("sending_ip", "sending server's public IP", "203.0.113.25", _no_date(addresses.normalize_ip)),
        FactType("onprem_server", "on-premises Exchange server", "mail.contoso.com",
                 _no_date(addresses.normalize_host)),
        FactType("tenant", "tenant name", "contoso", _no_date(addresses.tenant_name)),
        FactType("connector", "outbound connector name", "Outbound to contoso on-premises", _no_date(_free_text)),
        FactType("ndr_code", "status code from the bounce", "5.1.1", _no_date(_free_text)),
        FactType("subject", "subject of the message", "Invoice 4711", _no_date(_free_text)),
    )
}


class _Filled(dict[str, str]):
    """Template values; a missing one shows as an obvious placeholder instead of failing."""

    def __missing__(self, key: str) -> str:
        fact = FACT_TYPES.get(key)
        return f"<{fact.label}>" if fact else f"<{key.replace('_', ' ')}>"


def template_values(facts: Mapping[str, str]) -> dict[str, str]:
    """The facts plus everything derived from them that commands need."""
    values = _Filled({k: v for k, v in facts.items() if v})
    for role in ("sender", "recipient"):
        if address := values.get(role):
            values[f"{role}_domain"] = addresses.domain_of(address)
            values[f"{role}_alias"] = addresses.local_part(address)
    if domain := values.get("recipient_domain"):
        values["recipient_eop_host"] = addresses.eop_mx_host(domain)
    if domain := values.get("sender_domain"):
        values["sender_eop_host"] = addresses.eop_mx_host(domain)
    if tenant := values.get("tenant"):
        values["routing_domain"] = addresses.routing_domain(tenant)
        if alias := values.get("recipient_alias"):
            values["routing_address"] = f"{alias}@{values['routing_domain']}"
        if alias := values.get("sender_alias"):
            values["sender_routing_address"] = f"{alias}@{values['routing_domain']}"
    if day := values.get("date"):
        when = dt.date.fromisoformat(day)
        values["start_date"] = (when - dt.timedelta(days=1)).isoformat()
        values["end_date"] = (when + dt.timedelta(days=2)).isoformat()
    return values


def fill(template: str, values: Mapping[str, str]) -> str:
    return template.format_map(values)


def template_fields(template: str) -> set[str]:
    """The names a template refers to, for the flow lint."""
    return set(re.findall(r"{([a-z_]+)}", template))


# Each derived template field and the fact it comes from.
DERIVED_FIELDS: Mapping[str, str] = {
    "sender_domain": "sender", "sender_alias": "sender", "sender_eop_host": "sender",
    "recipient_domain": "recipient", "recipient_alias": "recipient", "recipient_eop_host": "recipient",
    "routing_domain": "tenant", "routing_address": "tenant", "sender_routing_address": "tenant",
    "start_date": "date", "end_date": "date",
}
