"""Bounce parsing and code explanations, against fixture bounces written for these tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailflow.bounce import NOTHING, parse_bounce
from mailflow.hops import direction
from mailflow.ndr_catalog import CATALOG, code_in, explain, lookup, valid_pattern

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


def test_code_patterns_for_flows() -> None:
    assert code_in("5.7.606-5.7.649", "5.7.620") and code_in("5.7.1", "5.7.1")
    assert not code_in("5.7.1", "5.7.12") and not code_in("5.7.606-5.7.649", "5.7.65")
    assert not code_in("junk", "5.7.1") and not code_in("5.7.1", "junk")
    assert valid_pattern("4.7.500-4.7.699") and not valid_pattern("5.7.649-5.7.606") and not valid_pattern("5.7")


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
    # Google's own reply ("- gsmtp"): an outside server refused the address, not Exchange on-premises (B).
    assert d["hop"] == "C" and d["hop_basis"] == "direction"


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
    assert d["sender"] == "kim@adatum.example" and d["hop_basis"] == "direction"
    assert "recipient's own organisation" in d["hop_reason"]
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


# --- the hop, from the code's possible hops and the way the message was going (mailflow.hops) -------------

@pytest.mark.parametrize(("name", "status", "hop", "direction"), [
    # Postfix at the recipient's own (non-Microsoft) server bounces an address our user wrote to.
    ("postfix_unknown_user.eml", "5.1.1", "C", ["C", "D"]),
    # Exchange Online of the recipient's tenant bounces an outside sender's message: A, not the code's usual B.
    ("exo_unknown_in_own_tenant.eml", "5.1.1", "A", ["A", "B"]),
    # Exchange Online quotes a third-party server's refusal for our user's message.
    ("exo_remote_third_party.eml", "5.1.1", "C", ["C"]),
    # Our own on-premises smart host refuses Exchange Online (centralized mail flow).
    ("exo_smarthost_refused.txt", "5.7.1", "D", ["D"]),
    # Exchange on-premises at the recipient's organisation does not know the recipient.
    ("onprem_exchange.txt", "5.1.1", "B", ["B"]),
    # A third-party sending server quotes EOP's refusal.
    ("postfix_dsn.eml", "5.7.606", "A", ["A"]),
])
def test_hop_follows_the_direction_of_the_bounce(name: str, status: str, hop: str, direction: list[str]) -> None:
    d = load(name)
    assert (d["status"], d["hop"], d["hop_basis"], d["direction"]) == (status, hop, "direction", direction)
    assert d["hop_reason"] and any(f.startswith(f"Why hop {hop} (") for f in d["findings"])
    assert f"Hop {hop}." in d["findings"][0]


def test_direction_facts_are_read_from_the_bounce() -> None:
    c = load("exo_remote_third_party.eml")
    assert c["sender"] == "megan@contoso.example" and c["remote_mta"] == "mx1.fabrikam.example"
    assert "mx1.fabrikam.example" in c["hop_reason"]
    d = load("exo_smarthost_refused.txt")
    assert d["smtp_code"] == 530 and d["remote_mta"] == "mail.contoso.example"
    assert d["sender"] == "megan@contoso.example" and d["recipients"] == ["rosa@tailspin.example"]
    assert "centralized mail flow" in d["hop_reason"] and d["onprem_server"] == "mail.contoso.example"
    a = load("exo_unknown_in_own_tenant.eml")
    assert a["sender"] == "ivan@partner.example" and a["recipients"] == ["oscar@contoso.example"]
    assert load("postfix_unknown_user.eml")["reporting_mta"] == "mx.fabrikam.example"
    assert load("postfix_dsn.eml")["sending_ip"] == "192.0.2.44"


def test_without_direction_the_codes_usual_hop_stands() -> None:
    d = load("several_codes.txt")
    assert d["hop"] == "C" and d["hop_basis"] == "code" and d["direction"] == []
    assert "usually" in d["hop_reason"]
    fragment = parse_bounce("550 5.1.1 User unknown").to_json()
    assert fragment["hop"] == "B" and fragment["hop_basis"] == "code"


def test_direction_that_the_code_cannot_have_keeps_the_usual_hop() -> None:
    # 5.7.606-5.7.649 is only ever EOP's answer (A or B); a Google reply cannot move it to C.
    d = parse_bounce("550 5.7.606 Access denied, banned sending IP [192.0.2.9] - gsmtp").to_json()
    assert d["hop"] == "A" and d["hop_basis"] == "code" and d["direction"] == ["C", "D"]
    assert "does not occur on that path" in d["hop_reason"]


def test_unknown_codes_name_no_hop() -> None:
    d = parse_bounce("550 5.3.777 something odd - gsmtp").to_json()
    assert d["hop"] is None and d["hop_reason"] is None and d["direction"] == ["C", "D"]


@pytest.mark.parametrize(("kwargs", "hops"), [
    # Outlook.com consumer mail is another organisation, though its servers sit under outlook.com.
    ({"refuser": "hotmail-com.olc.protection.outlook.com", "reporter": "AM0PR01MB0001.eurprd01.prod.outlook.com"},
     ("C",)),
    ({"refuser": "contoso-com.mail.protection.outlook.com", "reporter": "mail.fabrikam.example"}, ("A",)),
    # Only the code's text shows EOP answered; who delivered to it is unknown: A, or B behind on-premises.
    ({"reply": "550 5.4.1 Recipient address rejected: Access denied. AS(201806281)"}, ("A", "B")),
    # Both addresses in one domain and Exchange Online answered itself: inside the tenant.
    ({"reporter": "AM0PR01MB0001.eurprd01.prod.outlook.com", "reply": "550 5.7.12 STOREDRV.Deliver; no",
      "sender": "a@contoso.example"}, ("X",)),
    # An on-premises Exchange server sends out and an outside server refuses: D's second hop first.
    ({"reporter": "ex01.contoso.example", "reporter_is_exchange": True, "refuser": "mx.fabrikam.example"},
     ("D", "C")),
    # Exchange's resolver words with no server named: Exchange said no, but which one is unknown.
    ({"reply": "550 5.1.1 RESOLVER.ADR.RecipNotFound; not found"}, None),
])
def test_direction_rules(kwargs: dict, hops: tuple[str, ...] | None) -> None:
    args = {"reporter": None, "reporter_is_exchange": False, "refuser": None, "reply": "",
            "sender": "someone@fabrikam.example", "recipient": "b@contoso.example", **kwargs}
    found = direction(**args)
    assert (found.hops if found else None) == hops


@pytest.mark.parametrize(("name", "side"), [("postfix_unknown_user.eml", "theirs"),
                                            ("exo_unknown_in_own_tenant.eml", "yours"),
                                            ("exo_smarthost_refused.txt", "yours")])
def test_who_must_act_says_whose_side_it_is(name, side):
    report = parse_bounce((BOUNCES / name).read_bytes()).to_json()
    assert report["who_side"] == side
    wording = {"yours": "(your organisation)", "theirs": "(the other organisation)"}[side]
    assert f"Who must act: {report['who']} {wording}." in report["findings"][0]
