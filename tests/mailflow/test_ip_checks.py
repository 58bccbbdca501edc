"""check_ip: reverse DNS that confirms itself, and block lists read the way each list means them."""

from __future__ import annotations

import json

import pytest

from mailflow import dnsbl
from mailflow.addresses import InvalidName
from mailflow.ip_checks import MICROSOFT_NOTE, check_ip, check_ptr, scope
from mailflow.verdict import Verdict
from tests.mailflow.conftest import FAST_TIMEOUT


async def test_clean_ip_with_forward_confirmed_ptr(resolver):
    report = await check_ip("192.0.2.25", resolver=resolver)
    data = json.loads(json.dumps(report.to_json()))
    assert data["ip"] == "192.0.2.25"
    assert data["ptr"]["names"] == ["mail.contoso.com"] and data["ptr"]["forward_confirmed"] is True
    assert data["listed_on"] == [] and data["unchecked_on"] == []
    assert sorted(data["not_listed_on"]) == sorted(dnsbl.DEFAULT_ZONES)  # Mailspike's 127.0.0.18 is a good rating
    assert data["verdict"] == "ok" and "none of the 5 block lists" in data["summary"]
    assert "sender.office.com" in data["microsoft_note"] == MICROSOFT_NOTE


async def test_ptr_mismatch_and_missing(resolver):
    mismatch = await check_ptr("192.0.2.66", resolver=resolver)
    assert mismatch.names == ("host.fabrikam.com",) and mismatch.forward_confirmed is False
    assert mismatch.verdict is Verdict.WARNING and "192.0.2.67" in mismatch.summary
    report = await check_ip("192.0.2.66", resolver=resolver)
    assert (report.verdict, report.lists_verdict) == (Verdict.WARNING, Verdict.OK)  # clean lists, bad PTR
    missing = await check_ptr("192.0.2.100", resolver=resolver)
    assert missing.names == () and missing.verdict is Verdict.ERROR


async def test_ipv6_ptr(resolver):
    result = await check_ptr("2001:db8::25", resolver=resolver)
    assert result.forward_confirmed is True


async def test_listed_ip_with_codes_and_reasons(resolver):
    report = await check_ip("192.0.2.99", resolver=resolver)
    listed = {x.zone: x for x in report.listed_on}
    assert set(listed) == {"zen.spamhaus.org", "bl.spamcop.net"}
    assert listed["zen.spamhaus.org"].codes == ("127.0.0.2", "127.0.0.4")
    assert "SBL" in listed["zen.spamhaus.org"].meaning and "XBL" in listed["zen.spamhaus.org"].meaning
    assert listed["zen.spamhaus.org"].reason == "https://check.spamhaus.org/sbl/query/SBL000000"
    assert report.verdict is report.lists_verdict is Verdict.ERROR and "listed on 2 block lists" in report.summary
    assert report.to_json()["listed_on"][0].keys() >= {"zone", "codes", "meaning", "reason"}


async def test_ipv6_listing_uses_nibbles(resolver):
    report = await check_ip("2001:db8::99", resolver=resolver, zones=["zen.spamhaus.org"])
    assert [x.codes for x in report.listed_on] == [("127.0.0.3",)]


async def test_spamhaus_public_resolver_answer_is_unchecked_not_listed(resolver):
    report = await check_ip("203.0.113.254", resolver=resolver)
    assert report.listed_on == ()
    assert [u.zone for u in report.unchecked_on] == ["zen.spamhaus.org"]
    assert "public resolvers such as 8.8.8.8" in report.unchecked_on[0].why
    assert report.to_json()["unchecked_on"][0].keys() == {"zone", "why"}


async def test_timeouts_and_odd_answers_are_unchecked(resolver):
    zones = ["slow.dnsbl.test", "hijack.dnsbl.test", "refusing.dnsbl.test", "bl.spamcop.net"]
    report = await check_ip("192.0.2.25", resolver=resolver, zones=zones, timeout=FAST_TIMEOUT)
    why = {u.zone: u.why for u in report.unchecked_on}
    assert why["slow.dnsbl.test"].startswith("timeout")
    assert "not a block-list code" in why["hijack.dnsbl.test"]
    assert "127.0.0.1" in why["refusing.dnsbl.test"]
    assert report.not_listed_on == ("bl.spamcop.net",) and report.verdict is Verdict.OK


async def test_every_list_timing_out_is_unchecked(resolver):
    report = await check_ip("203.0.113.10", resolver=resolver, zones=["slow.dnsbl.test"], timeout=FAST_TIMEOUT)
    assert report.verdict is Verdict.UNCHECKED and "No block list could be checked" in report.summary


async def test_private_addresses_are_not_sent_to_block_lists(world, resolver):
    before = len(world.queries)
    report = await check_ip("10.1.2.3", resolver=resolver)
    assert report.scope == "a private address (RFC 1918)" and report.listed_on == report.unchecked_on == ()
    assert report.verdict is Verdict.UNCHECKED
    assert "block lists do not apply" in report.summary
    assert not [q for q in world.queries[before:] if "spamhaus" in q[0]]


async def test_ipv4_mapped_ipv6_is_checked_as_ipv4(resolver):
    assert (await check_ip("::ffff:192.0.2.25", resolver=resolver)).ip == "192.0.2.25"


@pytest.mark.parametrize("text", ["", "not an ip", "192.0.2.300", "contoso.com"])
async def test_invalid_ip_input_raises(resolver, text):
    with pytest.raises(InvalidName):
        await check_ip(text, resolver=resolver)


def test_query_names_follow_rfc_5782():
    assert dnsbl.query_name("192.0.2.25", "zen.spamhaus.org") == "25.2.0.192.zen.spamhaus.org"
    assert dnsbl.query_name("2001:db8::1", "zen.spamhaus.org") == (
        "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.zen.spamhaus.org")


def test_decoding_return_codes():
    zen = dnsbl.blocklist_for("zen.spamhaus.org")
    assert dnsbl.decode(zen, ["127.0.0.10"]).listed_codes == ("127.0.0.10",)
    for code in ("127.255.255.252", "127.255.255.254", "127.255.255.255"):
        decoded = dnsbl.decode(zen, [code])
        assert decoded.listed_codes == () and decoded.refused
    dqs = dnsbl.blocklist_for("KEY.zen.dq.spamhaus.net")
    assert dnsbl.decode(dqs, ["127.255.255.254"]).listed_codes == ()
    unknown = dnsbl.blocklist_for("dnsbl.example")
    assert dnsbl.decode(unknown, ["127.0.0.5"]).meaning == "listed (127.0.0.5)"
    mailspike = dnsbl.blocklist_for("bl.mailspike.net")
    assert dnsbl.decode(mailspike, ["127.0.0.19"]).listed_codes == ()


@pytest.mark.parametrize(("ip", "expected"), [("192.168.1.1", "RFC 1918"), ("100.64.0.1", "RFC 6598"),
                                              ("127.0.0.1", "loopback"), ("fe80::1", "link-local"),
                                              ("fd00::1", "RFC 4193"), ("192.0.2.1", None), ("2001:db8::1", None)])
def test_scope(ip, expected):
    found = scope(ip)
    assert (found is None) if expected is None else (expected in found)
