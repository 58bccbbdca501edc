"""analyze_headers against header sets written for these tests, modelled on real Exchange Online headers."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from mailflow.evidence import detect
from mailflow.headers import analyze_headers
from mailflow.headers_codes import DMARC_ACTION, bcl_meaning, compauth_meaning, scl_meaning
from mailflow.headers_exchange import exchange_time
from mailflow.headers_parse import address_domain, parse_auth_results, parse_received, parse_received_spf

HERE = Path(__file__).parent / "headers"


def load(name: str) -> dict:
    return analyze_headers((HERE / name).read_text()).to_json()


def texts(report: dict, kind: str) -> list[str]:
    return [f["text"] for f in report["findings"] if f["kind"] == kind]


def test_junked_spam():
    r = load("junked_spam.txt")
    assert r["kind"] == "headers"
    assert r["verdict"] == "Went to junk because the spam filter marked it as spam (SFV:SPM, SCL 5, dest:J)."
    assert r["sfv"] == "SPM" and r["scl"] == 5 and r["bcl"] == 0
    assert r["spf"] == {"result": "softfail", "domain": "promo-deals.example", "detail": "sender IP is 198.51.100.77"}
    assert r["dkim"] == {"result": "none", "domain": None, "detail": "message not signed"}
    assert r["dmarc"]["result"] == "none" and r["dmarc"]["action"] == "none"
    assert r["compauth"]["result"] == "softpass" and r["compauth"]["reason"] == "201"
    assert r["destination"] == "junk"
    assert r["mailbox_delivery"]["ofr"] == "SpamFilterAuthJ"
    assert r["mailbox_delivery"]["ofr_meaning"] == "placed following the spam filter's verdict"
    assert r["spf_source"] == "Authentication-Results"
    assert r["received_spf"]["result"] == "softfail" and r["received_spf"]["domain"] == "promo-deals.example"
    # oldest first: the internet sender handed it to EOP's frontend
    first = r["hops"][0]
    assert first["from"] == "vps-4471.cheap-hosting.example" and first["from_ip"] == "198.51.100.77"
    assert first["by"] == "DB1PEPF000509E4.mail.protection.outlook.com"
    assert first["with"] == "Microsoft SMTP Server"
    assert first["time"] == "2024-03-06T14:02:38+00:00" and first["delay_s"] is None
    assert [h["delay_s"] for h in r["hops"][1:]] == [2.0, 0.0, 1.0]
    assert r["hops"][-1]["with"] == "HTTPS"
    assert "SFV:SPM - the spam filter marked the message as spam" in texts(r, "antispam")
    assert "CTRY:NL - country/region of the connecting IP address: NL" in texts(r, "antispam")
    assert "BCL 0: not from a bulk sender" in texts(r, "antispam")
    assert any(f["severity"] == "warning" and f["text"].startswith("SPF softfail") for f in r["findings"])


def test_ip_allow_list():
    r = load("ip_allow.txt")
    assert r["verdict"] == "Delivered to the inbox: sender is on the IP allow list (IPV:CAL)."
    assert r["sfv"] == "SKN" and r["scl"] == -1
    assert r["compauth"] is None
    assert r["dmarc"]["domain"] == "contoso.com"
    assert any(t.startswith("IPV:CAL - the source IP is on the IP Allow List") for t in texts(r, "antispam"))
    assert "PTR:InfoDomainNonexistent - reverse DNS (PTR) name of the connecting IP: InfoDomainNonexistent" in texts(
        r, "antispam")


def test_dmarc_fail_oreject():
    r = load("dmarc_oreject.txt")
    assert r["verdict"] == "Failed DMARC for fabrikam.com: action=oreject -> junk."
    assert r["dmarc"]["result"] == "fail" and r["dmarc"]["action"] == "oreject"
    assert "override reject" in r["dmarc"]["action_meaning"]
    assert r["spf"]["result"] == "pass" and r["spf"]["domain"] == "bounces.newsletter-tool.example"
    assert r["dkim"] == {"result": "pass", "domain": "newsletter-tool.example", "detail": "signature was verified"}
    assert r["compauth"]["reason"] == "000" and r["compauth"]["meaning"].startswith("explicit fail")
    assert r["bcl"] == 3 and r["scl"] == 5
    assert any(f["severity"] == "error" and f["text"].startswith("DMARC fail for fabrikam.com") for f in r["findings"])


def test_onprem_eop_exo_chain_with_slow_hop():
    r = load("onprem_chain.txt")  # also: Outlook 2010 banner line, tab-folded values
    hops = r["hops"]
    assert len(hops) == 7
    assert hops[0]["from"] == "EX01.corp.contoso.com" and hops[0]["with"] == "mapi"
    assert hops[0]["time"] == "2024-03-22T11:17:28+01:00"
    assert [h["delay_s"] for h in hops] == [None, 1.0, 2.0, 858.0, 1.0, 1.0, 1.0]
    assert [h["slowest"] for h in hops] == [False, False, False, True, False, False, False]
    assert hops[3]["from"] == "hybrid.contoso.com" and hops[3]["from_ip"] == "203.0.113.10"
    assert hops[3]["by"] == "AMS0EPF000001A4.mail.protection.outlook.com"
    assert r["verdict"] == ("Delivered to the inbox: intra-organisation message, spam filtering skipped "
                            "(SFV:SKI, SCL -1). Slow hop: hybrid.contoso.com -> "
                            "AMS0EPF000001A4.mail.protection.outlook.com took 14 min"
                            " (858 s).")
    slow = [f for f in r["findings"] if f["text"].startswith("Slowest hop")]
    assert slow[0]["severity"] == "warning"
    # topmost Authentication-Results (Exchange Online's) wins over the on-premises gateway's spf=fail
    assert r["spf"]["result"] == "pass" and r["dmarc"]["result"] == "bestguesspass"
    assert r["compauth"] == {"result": "pass", "reason": "109", "meaning": "pass: the message passed composite "
                             "authentication (last two digits are Microsoft-internal)"}
    assert r["auth_source"] == "EX02.corp.contoso.com"
    assert r["received_spf"]["client_ip"] == "203.0.113.10" and r["received_spf"]["helo"] == "hybrid.contoso.com"
    assert r["auth_as"] == "Internal" and r["directionality"] == "Originating"
    assert "XFOO:bar (not a documented field; shown as is)" in texts(r, "antispam")
    assert {"field": "H", "value": "hybrid.contoso.com",
            "meaning": "HELO/EHLO name the connecting server gave: hybrid.contoso.com"} in r["antispam"]


def test_broken_and_missing_dates():
    r = load("broken_dates.txt")
    hops = r["hops"]
    assert [h["from"] for h in hops] == ["desk.fabrikam.example", "build.fabrikam.example", "app.fabrikam.example",
                                         "relay1.fabrikam.example", "relay2.fabrikam.example"]
    assert hops[0]["time"] == "2024-03-05T08:59:00+00:00"  # -0000 taken as UTC
    assert hops[1]["time"] is None and hops[2]["time"] is None  # no date / "32 Foo 2024 99:61"
    assert [h["delay_s"] for h in hops] == [None, None, None, None, 0.0]
    assert "clock skew" in hops[4]["notes"][0] and "35 s" in hops[4]["notes"][0]
    assert not any(h["slowest"] for h in hops)
    assert "2 of 5 Received headers have a missing or unreadable date" in texts(r, "received")[0]
    assert r["spf"] is None and r["scl"] is None and r["sfv"] is None
    assert r["verdict"] == "No Exchange Online filtering stamps; 5 Received hop(s)."


def test_folded_lines_are_unfolded():
    text = ("Received: from a.example (a.example\r\n [192.0.2.1]) by\r\n\tmx.contoso.example with ESMTP;\r\n"
            " Tue, 5 Mar 2024 09:00:00 +0000\r\n"
            "Authentication-Results: spf=fail (sender IP is\r\n 192.0.2.1)\r\n smtp.mailfrom=a.example;\r\n"
            "\tdmarc=fail action=pct.quarantine\r\n header.from=a.example;compauth=fail\r\n reason=001\r\n"
            "X-Forefront-Antispam-Report: CIP:192.0.2.1;CTRY:;SFV:\r\n NSPM;SCL:1;\r\n\tSFTY:9.25;\r\n\r\n")
    r = analyze_headers(text).to_json()
    assert r["hops"][0]["from_ip"] == "192.0.2.1" and r["hops"][0]["by"] == "mx.contoso.example"
    assert r["spf"]["detail"] == "sender IP is 192.0.2.1"
    assert r["dmarc"]["action"] == "pct.quarantine"
    assert r["compauth"]["meaning"].startswith("implicit fail")
    assert r["sfv"] == "NSPM" and r["scl"] == 1
    assert "SFTY:9.25 - first contact safety tip" in " ".join(texts(r, "antispam"))
    assert r["verdict"] == "Delivered to the inbox: the spam filter found it clean (SFV:NSPM, SCL 1)."


@pytest.mark.parametrize("text", ["", "   \n\n", "\x00\x01\x02\xff\xfe binary", "hello world\nthis is not a header",
                                  "Error: something went wrong", bytes(range(256)).decode("latin-1") * 3,
                                  "Received:", ":::;;;((()))"])
def test_garbage_gives_empty_report(text):
    r = analyze_headers(text).to_json()
    assert r["hops"] == []
    assert r["scl"] is None and r["sfv"] is None and r["spf"] is None
    assert r["verdict"] == "No message headers were recognised."
    assert r["findings"][0]["severity"] == "not-found"
    assert "No message headers were recognised" in r["findings"][0]["text"]


@pytest.mark.parametrize(("sfv", "ipv", "expected"), [
    ("BLK", "NLI", "Went to junk (or quarantine, if the anti-spam policy's spam action says so): the sender is on "
                   "the recipient's Blocked Senders list (SFV:BLK, SCL 6)."),
    ("SFE", "NLI", "Delivered to the inbox: sender is on the recipient's Safe Senders list (SFV:SFE, SCL 6)."),
    ("SKS", "CAL", "Marked as spam before filtering by a mail flow rule or, in hybrid, by on-premises Exchange "
                   "(SFV:SKS, SCL 6)."),
    ("SPM", "NLI", "Went to junk because the spam filter marked it as spam (SFV:SPM, SCL 6)."),
])
def test_verdict_precedence(sfv, ipv, expected):
    text = ("Received: from x by y; Tue, 5 Mar 2024 09:00:00 +0000\n"
            f"X-Forefront-Antispam-Report: SFV:{sfv};IPV:{ipv};SCL:6;\n")
    assert analyze_headers(text).verdict == expected


def test_parse_received_and_auth_results_units():
    hop = parse_received("from EX01 ([fe80::1%13]) by EX02 (10.0.0.2) with Microsoft SMTP Server (version=TLS1_2, "
                         "cipher=X) id 15.2.1; Fri, 22 Mar 2024 11:17:28 +0100 (CET)")
    assert (hop.from_host, hop.by_host, hop.with_protocol) == ("EX01", "EX02", "Microsoft SMTP Server")
    assert hop.time == datetime(2024, 3, 22, 10, 17, 28, tzinfo=UTC)
    authserv, results = parse_auth_results('mx.example.net; dkim=fail (bad sig; body hash) header.d="a.example"; '
                                           "spf=pass smtp.mailfrom=a.example")
    assert authserv == "mx.example.net"
    assert [(r.method, r.result) for r in results] == [("dkim", "fail"), ("spf", "pass")]
    assert results[0].comment == "bad sig; body hash" and results[0].props["header.d"] == "a.example"
    assert compauth_meaning("601").startswith("implicit fail: the message claims one of your own accepted domains")
    assert compauth_meaning("130").startswith("pass: ARC was used to override a DMARC failure")
    assert compauth_meaning("905").startswith("bypassed") and compauth_meaning("xyz") is None


# --- ARC, Received-SPF, Authentication-Results-Original, cross-tenant and mailbox delivery -----------------------

ORIGINAL_KEYS = {"kind", "findings", "hops", "spf", "dkim", "dmarc", "scl", "sfv"}


def variant(name: str, *swaps: tuple[str, str]) -> dict:
    """A fixture with some values swapped, to test a neighbouring case without another near-identical file."""
    text = (HERE / name).read_text()
    for old, new in swaps:
        assert old in text, old
        text = text.replace(old, new)
    return analyze_headers(text).to_json()


def test_forwarded_message_saved_by_a_trusted_arc_sealer():
    r = load("arc_forwarded.txt")
    assert r["verdict"] == (
        "Delivered to the inbox: SPF, DKIM and DMARC failed after the message passed through tailspin-secure.example, "
        "but tailspin-secure.example's ARC seal shows it passed before, and Microsoft 365 trusts that sealer "
        "(compauth=pass reason=130; SFV:NSPM, SCL 1, dest:I).")
    # what Exchange Online saw at its own door: the forwarder's IP is not in fabrikam.com's SPF, the body was changed
    assert r["spf"] == {"result": "fail", "domain": "fabrikam.com", "detail": "sender IP is 198.51.100.61"}
    assert r["dkim"]["result"] == "fail" and r["dmarc"]["result"] == "fail" and r["dmarc"]["action"] == "none"
    assert r["compauth"]["reason"] == "130" and "ARC was used to override a DMARC failure" in r["compauth"]["meaning"]
    arc = r["arc"]
    assert arc["count"] == 2 and arc["chain"] == "pass"
    assert arc["sealers"] == ["tailspin-secure.example", "microsoft.com"]
    assert [(i["i"], i["cv"], i["selector"]) for i in arc["instances"]] == [(1, "none", "arc-2024"),
                                                                          (2, "pass", "arcselector10001")]
    assert arc["forwarder"] == "tailspin-secure.example"
    assert arc["oldest"]["authserv_id"] == "mx1.tailspin-secure.example"
    assert {m: (v["result"], v["domain"]) for m, v in arc["oldest"]["results"].items()} == {
        "spf": ("pass", "fabrikam.com"), "dkim": ("pass", "fabrikam.com"), "dmarc": ("pass", "fabrikam.com")}
    assert arc["microsoft_check"] == {"i": 2, "result": "pass", "oda": True} and arc["trusted"] is True
    assert any(t.startswith("Oldest results the chain preserves (i=1, recorded by mx1.tailspin-secure.example")
               for t in texts(r, "arc"))
    assert r["destination"] == "inbox" and r["mailbox_delivery"]["dest"] == "I"
    ct = r["cross_tenant"]
    assert ct["tenant_id"] == "2b7d4f90-61c3-4e8a-9f05-c4a1e6d3b872" and ct["from_entity"] == "Internet"
    assert ct["auth_as"] == "Anonymous" and ct["auth_source"] == "BN2PEPF000044A8.namprd04.prod.outlook.com"
    assert ct["original_arrival_time"] == "2024-04-09T08:15:09.812700+00:00"
    assert ct["network_message_id"] == r["network_message_id"] == "3f6a9c21-8d4e-4b7a-a0c5-08dc586e1f02"
    assert ct["stamped_by"] == "SN7PR11MB6702"
    assert "Cross-tenant Network Message ID 3f6a9c21-8d4e-4b7a-a0c5-08dc586e1f02 (same as the organisation's)." in (
        texts(r, "org"))


def test_forwarded_message_junked_when_the_arc_sealer_is_not_trusted():
    r = variant("arc_forwarded.txt", ("oda=1", "oda=0"), ("compauth=pass reason=130", "compauth=fail reason=000"),
                ("dmarc=fail action=none\n header.from=fabrikam.com;", "dmarc=fail action=oreject\n "
                 "header.from=fabrikam.com;"), ("SCL:1;SRV:;IPV:NLI;SFV:NSPM", "SCL:5;SRV:;IPV:NLI;SFV:SPM"),
                ("CAT:NONE", "CAT:SPOOF"), ("dest:I;", "dest:J;OFR:SpamFilterAuthJ;"))
    assert r["arc"]["trusted"] is False and r["arc"]["microsoft_check"]["oda"] is False
    assert r["verdict"] == (
        "Went to junk as spoofed: SPF, DKIM and DMARC failed after the message passed through tailspin-secure.example; "
        "its ARC seal shows dmarc=pass before that, but Microsoft 365 doesn't trust tailspin-secure.example as an ARC "
        "sealer (compauth=fail reason=000; SFV:SPM, SCL 5, dest:J). If tailspin-secure.example is a service you use, "
        "add it as a trusted ARC sealer.")
    warning = [f for f in r["findings"] if f["kind"] == "arc" and f["severity"] == "warning"]
    assert "Set-ArcConfig -ArcTrustedSealers" in warning[0]["text"]
    held = variant("arc_forwarded.txt", ("oda=1", "oda=0"), ("compauth=pass reason=130", "compauth=fail reason=000"),
                   ("dmarc=fail action=none\n header.from=fabrikam.com;", "dmarc=fail action=quarantine\n "
                    "header.from=fabrikam.com;"), ("dest:I;", ""))
    assert held["verdict"].startswith("Stopped as spoofed (DMARC action=quarantine): SPF, DKIM and DMARC failed")


@pytest.mark.parametrize(("arc_headers", "detail"), [
    ("ARC-Seal: i=2; a=rsa-sha256; d=relay.example; s=a; cv=pass; b=x\n"
     "ARC-Message-Signature: i=2; a=rsa-sha256; d=relay.example; s=a; h=from; bh=y; b=z\n"
     "ARC-Authentication-Results: i=2; relay.example; spf=pass smtp.mailfrom=a.example\n",
     "instances [2] are not 1..1 without gaps"),
    ("ARC-Seal: i=1; a=rsa-sha256; d=relay.example; s=a; cv=none; b=x\n"
     "ARC-Authentication-Results: i=1; relay.example; spf=pass smtp.mailfrom=a.example\n",
     "set(s) [1] lack one of ARC-Seal, ARC-Message-Signature, ARC-Authentication-Results"),
    ("ARC-Seal: i=1; a=rsa-sha256; d=relay.example; s=a; cv=fail; b=x\n"
     "ARC-Message-Signature: i=1; a=rsa-sha256; d=relay.example; s=a; h=from; bh=y; b=z\n"
     "ARC-Authentication-Results: i=1; relay.example; spf=pass smtp.mailfrom=a.example\n",
     "the newest seal (i=1) says cv=fail"),
])
def test_broken_arc_chains_are_reported(arc_headers, detail):
    r = analyze_headers("Received: from a by b; Tue, 5 Mar 2024 09:00:00 +0000\n" + arc_headers).to_json()
    assert r["arc"]["chain"] == "fail" and r["arc"]["chain_detail"] == detail
    chain = next(f for f in r["findings"] if f["text"].startswith("ARC chain of 1 set(s)"))
    assert chain["severity"] == "warning" and chain["text"].endswith(f"Chain fail: {detail}.")


def test_junk_by_the_recipients_blocked_senders_list():
    r = load("blocked_sender.txt")
    assert r["verdict"] == ("Went to junk: the sender is on the recipient's Blocked Senders list, which overrules the "
                            "spam filter; it landed in the Junk Email folder (SFV:BLK, SCL 6, dest:J).")
    assert r["sfv"] == "BLK" and r["scl"] == 6 and r["bcl"] == 4 and r["destination"] == "junk"
    # the sender authenticated fine: the user's own list, not spoofing or content, decided
    assert (r["spf"]["result"], r["dkim"]["result"], r["dmarc"]["result"]) == ("pass", "pass", "pass")
    assert r["compauth"]["result"] == "pass" and r["compauth"]["reason"] == "100"
    md = r["mailbox_delivery"]
    assert md["dest"] == "J" and md["folder"] == "junk" and md["ofr"] is None and md["ucf"] == "0"
    assert {"field": "rf", "value": "JunkEmail", "meaning": "folder the message was routed to"} in md["fields"]
    assert "Mailbox delivery dest:J - the message was put in the Junk Email folder." in texts(r, "delivery")
    assert any(t.startswith("SFV:BLK - filtering skipped: the sender is on the recipient's Blocked Senders list")
               for t in texts(r, "antispam"))


def test_safe_senders_list_overrules_a_spam_verdict():
    r = variant("junked_spam.txt", ("ucf:0;jmr:0;auth:0;dest:J;OFR:SpamFilterAuthJ;",
                                    "wl:1;pcwl:1;ucf:0;jmr:0;ex:0;auth:0;dest:I;OFR:TrustedSenderList;"))
    assert r["verdict"] == ("Delivered to the inbox despite the spam verdict: the recipient's Safe Senders list "
                            "overruled the filter (SFV:SPM, SCL 5, dest:I, OFR:TrustedSenderList).")
    assert r["mailbox_delivery"]["ofr_meaning"] == "the recipient's Safe Senders list kept it out of Junk"
    assert "Other mailbox delivery flags set (undocumented, shown as is): wl:1, pcwl:1, rf:JunkEmail." in texts(
        r, "delivery")


@pytest.mark.parametrize(("delivery", "expected"), [
    ("ucf:1;jmr:0;auth:0;dest:J;OFR:CustomRules;", "Went to junk because of the recipient's own inbox rule "
     "(OFR:CustomRules), not the spam filter (SFV:NSPM, SCL 1, dest:J)."),
    ("ucf:1;jmr:0;auth:0;dest:C;OFR:CustomRules;", "Moved to another folder by the recipient's own inbox rule "
     "(OFR:CustomRules); filter verdict SFV:NSPM, SCL 1, dest:C."),
    ("ucf:0;jmr:0;auth:0;dest:J;", "Went to junk (SFV:NSPM, SCL 1, dest:J) although the spam filter did not mark it "
     "as spam: the recipient's own junk settings decided. Check their Blocked Senders list, 'safe lists only' "
     "(TrustedListsOnly) and rules."),
])
def test_mailbox_placement_without_a_spam_verdict(delivery, expected):
    r = variant("junked_spam.txt", ("SCL:5;SRV:;IPV:NLI;SFV:SPM", "SCL:1;SRV:;IPV:NLI;SFV:NSPM"),
                ("CAT:SPM", "CAT:NONE"), ("ucf:0;jmr:0;auth:0;dest:J;OFR:SpamFilterAuthJ;", delivery))
    assert r["verdict"] == expected


def test_received_spf_only_from_a_non_microsoft_system():
    r = load("received_spf_only.txt")
    assert r["verdict"] == ("No Exchange Online filtering stamps; 3 Received hop(s); slowest hop 3 s; SPF pass for "
                            "mail.adventure-works.example from 203.0.113.88 (Received-SPF by mx.northwind.example).")
    assert r["spf"] == {"result": "pass", "domain": "mail.adventure-works.example", "detail": "mailfrom"}
    assert r["spf_source"] == "Received-SPF"
    assert r["received_spf"] == {
        "result": "pass", "domain": "mail.adventure-works.example", "client_ip": "203.0.113.88",
        "envelope_from": "bounce-2291@mail.adventure-works.example", "helo": "smtp2.adventure-works.example",
        "receiver": "mx.northwind.example", "detail": "mailfrom",
        "meaning": "the sending IP is allowed by the domain's SPF record"}
    assert r["dkim"] is None and r["dmarc"] is None and r["sfv"] is None and r["arc"] is None
    assert [(h["from"], h["from_ip"]) for h in r["hops"]] == [("app01.internal", "10.1.2.3"), (
        "smtp2.adventure-works.example", "203.0.113.88"), ("mx.northwind.example", None)]
    assert detect((HERE / "received_spf_only.txt").read_text()) == "headers"


def test_received_spf_units():
    ms = parse_received_spf("None (protection.outlook.com: scanner01.branch.contoso.com does\n not designate "
                            "permitted sender hosts)")
    assert (ms.result, ms.props) == ("none", {})
    google = parse_received_spf("pass (google.com: domain of Alerts@Mail.Fabrikam.example designates 192.0.2.7 as "
                                "permitted sender) client-ip=192.0.2.7;")
    assert google.result == "pass" and google.props == {"client-ip": "192.0.2.7"}
    assert parse_received_spf("Sender verified by magic") is None
    r = analyze_headers("Received: from a by b; Tue, 5 Mar 2024 09:00:00 +0000\nReceived-SPF: pass (google.com: "
                        "domain of Alerts@Mail.Fabrikam.example designates 192.0.2.7 as permitted sender) "
                        "client-ip=192.0.2.7;\n").to_json()
    assert r["spf"]["domain"] == "mail.fabrikam.example" and r["received_spf"]["client_ip"] == "192.0.2.7"
    helo = analyze_headers("Received-SPF: softfail (x) identity=helo; helo=gw.tailspin.example; "
                           "envelope-from=<>\n").to_json()
    assert helo["spf"] == {"result": "softfail", "domain": "gw.tailspin.example", "detail": "x"}
    assert address_domain("<>") is None and address_domain("User@Example.ORG") == "example.org"


def test_sent_from_on_premises_through_a_microsoft_365_tenant():
    r = load("cross_tenant_outbound.txt")
    assert r["verdict"] == (
        "Sent out through Microsoft 365 by tenant 7c1e5a9d-3b42-4f0e-9d6a-2e8b1c4f7a30 from the organisation's "
        "on-premises servers (FromEntityHeader HybridOnPrem); its outbound spam check found it clean (SFV:NSPM, SCL 1, "
        "DIR:OUT). These headers don't show where the recipient's system filed it.")
    assert r["cross_tenant"] == {
        "tenant_id": "7c1e5a9d-3b42-4f0e-9d6a-2e8b1c4f7a30", "auth_as": "Anonymous",
        "auth_source": "AM4PEPF00027A6B.eurprd04.prod.outlook.com", "from_entity": "HybridOnPrem",
        "network_message_id": "9b3e71c4-6a2f-4d8e-5b1a-08dc5a3f1e77",
        "original_arrival_time": "2024-04-11T14:02:12.408700+00:00",
        "attributed": {"tenant_id": "7c1e5a9d-3b42-4f0e-9d6a-2e8b1c4f7a30", "ip": "198.51.100.140",
                       "helo": "EXCH02.corp.woodgrove.example"},
        "stamped_by": "PA4PR09MB5588", "other": {}}
    assert r["auth_as"] is None and r["network_message_id"] is None  # Organization headers don't leave the tenant
    # the receiving system (not Microsoft) wrote the topmost Authentication-Results
    assert r["spf"]["result"] == "pass" and r["dkim"]["domain"] == "woodgrove.example"
    assert "Authentication results stamped by mx.litware.example." in texts(r, "auth")
    assert r["arc"]["count"] == 1 and r["arc"]["forwarder"] is None and r["arc"]["trusted"] is False
    assert r["arc"]["microsoft_check"] == {"i": 1, "result": "none", "oda": False}
    assert [h["from"] for h in r["hops"]][:2] == ["EXCH01.corp.woodgrove.example", "EXCH02.corp.woodgrove.example"]


def test_outbound_spam_and_unknown_cross_tenant_fields():
    r = variant("cross_tenant_outbound.txt", ("SCL:1;SRV:;IPV:NLI;SFV:NSPM", "SCL:5;SRV:;IPV:NLI;SFV:SPM"),
                ("CAT:NONE", "CAT:OSPM"), ("X-OriginatorOrg:", "X-MS-Exchange-CrossTenant-MailboxType: HOSTED\n"
                                           "X-MS-Exchange-CrossTenant-RMS-PersistedConsumerOrg: 00000000-0000\n"
                                           "X-OriginatorOrg:"))
    assert r["verdict"].startswith("Microsoft 365's outbound spam filter marked it as spam (SFV:SPM, SCL 5, DIR:OUT)")
    assert r["cross_tenant"]["other"] == {"mailboxtype": "HOSTED", "rms-persistedconsumerorg": "00000000-0000"}
    assert "X-MS-Exchange-CrossTenant-rms-persistedconsumerorg: 00000000-0000 (not decoded; shown as is)" in texts(
        r, "org")
    assert exchange_time("19 Jun 2023 19:05:21.4502\n (UTC)") == "2023-06-19T19:05:21.450200+00:00"
    assert exchange_time("yesterday") is None


def test_authentication_results_original_shown_as_earlier_results():
    text = ("Received: from gw.contoso.com by mx.contoso.example; Tue, 5 Mar 2024 09:00:00 +0000\n"
            "Authentication-Results: spf=fail (sender IP is 192.0.2.9) smtp.mailfrom=a.example; dkim=none (message "
            "not signed) header.d=none;dmarc=fail action=none header.from=a.example;compauth=fail reason=001\n"
            "Authentication-Results-Original: relay.gw.example;\tspf=pass smtp.mailfrom=news@a.example;\n"
            "\tdkim=pass header.d=a.example header.s=s1;\tdmarc=pass (policy=none) header.from=a.example\n")
    r = analyze_headers(text).to_json()
    assert r["spf"]["result"] == "fail"  # the current results stay the ones used
    assert r["auth_original"] == [{"authserv_id": "relay.gw.example", "results": {
        "spf": {"result": "pass", "domain": "a.example", "detail": None},
        "dkim": {"result": "pass", "domain": "a.example", "detail": None},
        "dmarc": {"result": "pass", "domain": "a.example", "detail": "policy=none"}}}]
    assert ("Earlier results by relay.gw.example, before Exchange re-stamped them (Authentication-Results-Original): "
            "spf=pass (a.example), dkim=pass (a.example), dmarc=pass (a.example).") in texts(r, "auth")
    assert any(f["severity"] == "warning" and f["text"].startswith("SPF and DMARC passed at the earlier hop by "
                                                                   "relay.gw.example") for f in r["findings"])


def test_exchange_authentication_results_used_when_no_authentication_results():
    r = analyze_headers("Received: from a by b; Tue, 5 Mar 2024 09:00:00 +0000\nX-MS-Exchange-Authentication-Results: "
                        "spf=fail (sender IP is 192.0.2.5) smtp.mailfrom=a.example; dkim=none (message not signed)"
                        " header.d=none;dmarc=fail action=quarantine header.from=a.example;\n").to_json()
    assert r["spf_source"] == "X-MS-Exchange-Authentication-Results" and r["dmarc"]["action"] == "quarantine"
    assert r["verdict"] == ("Failed DMARC for a.example: action=quarantine -> quarantine (Junk instead if the "
                            "anti-phishing policy says so).")


@pytest.mark.parametrize(("forefront", "extra", "expected"), [
    ("SFV:SPM;SCL:7;CAT:SPM;", "", "Went to junk because the spam filter marked it as high confidence spam "
     "(SFV:SPM, SCL 7)."),
    ("SFV:SPM;SCL:6;CAT:SPM;", "X-CustomSpam: Image links to remote sites\n", "Went to junk: an Advanced Spam Filter "
     "setting in the anti-spam policy matched (X-CustomSpam: Image links to remote sites; SFV:SPM, SCL 6)."),
    ("SFV:SKI;SCL:-1;DIR:INT;", "", "Delivered to the inbox: intra-organisation message, spam filtering skipped "
     "(SFV:SKI, SCL -1)."),
    ("SFV:SKI;SCL:6;DIR:INT;", "", "Went to junk because the spam filter marked it as spam (SFV:SKI, SCL 6)."),
])
def test_more_verdicts(forefront, extra, expected):
    text = f"Received: from x by y; Tue, 5 Mar 2024 09:00:00 +0000\nX-Forefront-Antispam-Report: {forefront}\n{extra}"
    assert analyze_headers(text).verdict == expected


def test_corrected_meanings():
    assert scl_meaning(3).startswith("never set by Microsoft 365's own spam filter")
    assert scl_meaning(7).startswith("high confidence spam; Junk Email folder under the default policy")
    assert scl_meaning(12) == "outside the documented range -1 to 9"
    assert bcl_meaning(8) == "bulk sender with many complaints"
    assert DMARC_ACTION["pct.quarantine"].endswith("so the policy was not applied")
    assert "oquarantine" not in DMARC_ACTION and "o.reject" in DMARC_ACTION
    assert compauth_meaning("905").startswith("bypassed") and "sender is allowed" not in compauth_meaning("905")
    assert compauth_meaning("701").startswith("pass: the message passed composite authentication")


@pytest.mark.parametrize("name", sorted(p.name for p in HERE.glob("*.txt")))
def test_json_keeps_its_original_keys(name):
    r = load(name)
    assert r.keys() >= ORIGINAL_KEYS
    assert all({"from", "by", "time", "delay_s"} <= h.keys() for h in r["hops"])
