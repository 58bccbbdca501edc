"""analyze_headers against header sets written for these tests, modelled on real Exchange Online headers."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from mailflow.headers import analyze_headers
from mailflow.headers_codes import compauth_meaning
from mailflow.headers_parse import parse_auth_results, parse_received

HERE = Path(__file__).parent / "headers"


def load(name: str) -> dict:
    return analyze_headers((HERE / name).read_text()).to_json()


def texts(report: dict, kind: str) -> list[str]:
    return [f["text"] for f in report["findings"] if f["kind"] == kind]


def test_junked_spam():
    r = load("junked_spam.txt")
    assert r["kind"] == "headers"
    assert r["verdict"] == "Went to junk because the spam filter marked it as spam (SFV:SPM, SCL 5)."
    assert r["sfv"] == "SPM" and r["scl"] == 5 and r["bcl"] == 0
    assert r["spf"] == {"result": "softfail", "domain": "promo-deals.example", "detail": "sender IP is 198.51.100.77"}
    assert r["dkim"] == {"result": "none", "domain": None, "detail": "message not signed"}
    assert r["dmarc"]["result"] == "none" and r["dmarc"]["action"] == "none"
    assert r["compauth"]["result"] == "softpass" and r["compauth"]["reason"] == "201"
    assert r["destination"] == "junk"
    # oldest first: the internet sender handed it to EOP's frontend
    first = r["hops"][0]
    assert first["from"] == "vps-4471.cheap-hosting.example" and first["from_ip"] == "198.51.100.77"
    assert first["by"] == "DB1PEPF000509E4.mail.protection.outlook.com"
    assert first["with"] == "Microsoft SMTP Server"
    assert first["time"] == "2024-03-06T14:02:38+00:00" and first["delay_s"] is None
    assert [h["delay_s"] for h in r["hops"][1:]] == [2.0, 0.0, 1.0]
    assert r["hops"][-1]["with"] == "HTTPS"
    assert "SFV:SPM - the spam filter marked the message as spam" in texts(r, "antispam")
    assert "CTRY:NL - country of the connecting IP address: NL" in texts(r, "antispam")
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
    assert r["compauth"] == {"result": "pass", "reason": "109",
                             "meaning": "pass: the sender's domain was authenticated"}
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
    ("BLK", "NLI", "Went to junk: the sender is on the recipient's Blocked Senders list (SFV:BLK, SCL 6)."),
    ("SFE", "NLI", "Delivered to the inbox: sender is on the recipient's Safe Senders list (SFV:SFE, SCL 6)."),
    ("SKS", "CAL", "Marked as spam before filtering, usually by a mail flow rule (SFV:SKS, SCL 6)."),
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
    assert compauth_meaning("601").startswith("implicit fail: intra-organisation")
    assert compauth_meaning("905").startswith("bypassed") and compauth_meaning("xyz") is None
