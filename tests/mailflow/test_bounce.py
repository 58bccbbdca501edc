"""Bounce parsing and code explanations, against fixture bounces written for these tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailflow.bounce import NOTHING, parse_bounce
from mailflow.ndr_catalog import CATALOG, explain, lookup

BOUNCES = Path(__file__).parent / "bounces"


def load(name: str) -> dict:
    return parse_bounce((BOUNCES / name).read_text()).to_json()


def test_catalog_size_and_fields() -> None:
    assert len(CATALOG) >= 60
    for entry in CATALOG:
        assert entry.hop in {"A", "B", "C", "D", "X", None}
        assert entry.title and entry.cause and entry.fix and entry.who and entry.source


def test_lookup_exact_beats_range() -> None:
    assert lookup("5.7.620").code == "5.7.606-5.7.649"
    assert lookup("5.4.14").code == "5.4.6-5.4.20"
    assert lookup("5.1.1").code == "5.1.1"
    assert lookup("5.9.9") is None
    assert lookup("not a code") is None


def test_explain_fallback_uses_rfc3463() -> None:
    info = explain("4.2.2")
    assert not info.known and info.severity == "transient" and info.title == "Mailbox full"
    vendor = explain("5.3.777")
    assert "mail system" in vendor.cause and "vendor-specific" in vendor.cause
    assert explain("5.7.606").known and explain("5.7.606").hop == "A"
    assert explain("junk").severity == "unknown"


def test_exchange_online_multipart() -> None:
    d = load("exo_multipart.eml")
    assert d["status"] == "5.1.10" and d["smtp_code"] == 550
    assert d["recipients"] == ["bob@contoso.example"]
    assert d["hop"] == "A" and d["who"] == "recipient's admin"
    assert d["reporting_mta"] == "AM0PR01MB0001.eurprd01.prod.outlook.com"
    assert d["generating_server"] == "AM0PR01MB0001.eurprd01.prod.outlook.com"
    assert d["original_message_id"] == "<orig-1234@AM0PR01MB0002.eurprd01.prod.outlook.com>"
    assert "2025" in d["original_date"]
    assert d["action"] == "failed"
    assert d["other_codes"] == []  # 5.2.2 in the attached original's body is ignored
    assert d["diagnostic"].startswith("550 5.1.10 RESOLVER.ADR.RecipientNotFound")


def test_exchange_onprem_text() -> None:
    d = load("onprem_exchange.txt")
    assert d["status"] == "5.1.1" and d["smtp_code"] == 550
    assert d["recipients"] == ["dave@northwind.example"]
    assert d["generating_server"] == "EX01.corp.northwind.example"
    assert d["original_message_id"] == "<A1B2C3@EX02.corp.northwind.example>"
    assert d["other_codes"] == []  # "15.2.1544.4" and IPs are not status codes


def test_postfix_dsn_specific_code_beats_generic() -> None:
    d = load("postfix_dsn.eml")
    assert d["status"] == "5.7.606" and d["other_codes"] == ["5.0.0"]
    assert d["recipients"] == ["frank@tailspin.example"]
    assert d["remote_mta"] == "tailspin-example.mail.protection.outlook.com"
    assert d["reporting_mta"] == "mail.example.org"
    assert d["ips"] == ["192.0.2.44", "198.51.100.25"]
    assert d["original_message_id"] == "<xyz-42@example.org>"
    assert d["hop"] == "A" and d["who"] == "sender's admin"


def test_gmail_text() -> None:
    d = load("gmail.txt")
    assert d["status"] == "5.1.1" and d["smtp_code"] == 550
    assert d["recipients"] == ["grace@woodgrove.example"]


def test_several_codes_most_specific_known_wins() -> None:
    d = load("several_codes.txt")
    assert d["status"] == "5.4.316"
    assert set(d["other_codes"]) == {"4.4.7", "4.4.0", "4.4.2"}
    assert d["recipients"] == ["heidi@litware.example"]
    assert any(f.startswith("Also seen: 4.4.7") for f in d["findings"])


def test_nested_report_inside_rfc822() -> None:
    d = load("nested.eml")
    assert d["status"] == "5.2.2" and d["smtp_code"] == 552
    assert d["recipients"] == ["judy@contoso.example"]
    assert d["reporting_mta"] == "mx.contoso.example"
    assert d["original_message_id"] is None  # the attached NDR is not the original message


def test_single_part_delivery_status() -> None:
    d = load("singlepart_dsn.eml")
    assert d["status"] == "5.7.64" and d["hop"] == "B" and d["who"] == "our admin"
    assert d["recipients"] == ["lee@adatum.example"]
    assert d["remote_mta"] == "adatum-example.mail.protection.outlook.com"


def test_truncated_mime() -> None:
    d = load("truncated.eml")
    assert d["status"] == "5.1.10"
    assert d["recipients"] == ["bob@contoso.example"]


@pytest.mark.parametrize(("text", "status", "smtp"), [
    ("550 5.7.606 Access denied, banned sending IP [203.0.113.7]", "5.7.606", 550),
    ("451 4.7.500 Server busy. Please try again later from [198.51.100.9]. (AS761)", "4.7.500", 451),
    ("Remote Server returned '550 5.7.64 TenantAttribution; Relay Access Denied'", "5.7.64", 550),
    ("5.4.1 Recipient address rejected: Access denied", "5.4.1", None),
    ("554-5.7.1 Service unavailable; Client host [192.0.2.1] blocked", "5.7.1", 554),
])
def test_fragments(text: str, status: str, smtp: int | None) -> None:
    d = parse_bounce(text).to_json()
    assert d["status"] == status and d["smtp_code"] == smtp and d["kind"] == "ndr"


def test_fragment_ip_and_no_false_codes() -> None:
    d = parse_bounce("550 5.7.606 Access denied, banned sending IP [203.0.113.7]").to_json()
    assert d["ips"] == ["203.0.113.7"] and d["other_codes"] == []
    d = parse_bounce("host 5.1.1.1 runs version 15.20.7452.28 and v2.4.1").to_json()
    assert d["status"] is None


@pytest.mark.parametrize("text", ["", "   \n", "hello, how are you?", "\x00\x01\x02binary\x00", b"\xff\xfe\x00"])
def test_garbage_never_raises(text: str | bytes) -> None:
    d = parse_bounce(text).to_json()
    assert d["status"] is None and d["hop"] is None
    assert any(NOTHING in f for f in d["findings"])


def test_broken_mime_headers_do_not_raise() -> None:
    text = "From: x@y\nContent-Type: multipart/report; boundary=\"zz\n\n--zz\nContent-Type: message/delivery-status\n"
    assert parse_bounce(text).status is None
