"""SPF: the record, its expansion through includes, and the limits receivers enforce."""

from __future__ import annotations

import pytest

from mailflow import spf_record
from mailflow.dns_spf import LOOKUP_LIMIT, check_spf
from mailflow.verdict import Verdict
from tests.mailflow.conftest import FAST_TIMEOUT


async def test_exchange_online_spf(resolver):
    result = await check_spf("contoso.com", resolver=resolver)
    assert result.record == "v=spf1 include:spf.protection.outlook.com -all"
    assert result.includes_exchange_online and result.verdict is Verdict.OK
    assert result.dns_lookups == 2  # the include, and spf.protection.outlook.com's own include
    assert result.all_qualifier == "-"
    assert result.followed == ("spf.protection.outlook.com", "spfd.protection.outlook.com")


async def test_exchange_online_found_through_nested_includes(resolver):
    result = await check_spf("spf-nested.example", resolver=resolver)
    assert result.includes_exchange_online and result.verdict is Verdict.OK
    assert result.dns_lookups == 4  # include _spf, include EOP, mx, EOP's include


async def test_redirect_is_followed_and_counted(resolver):
    result = await check_spf("spf-redirect.example", resolver=resolver)
    assert result.includes_exchange_online and result.dns_lookups == 3
    assert result.verdict is Verdict.OK and result.all_qualifier is None


async def test_over_the_lookup_limit_is_an_error(resolver):
    result = await check_spf("spf-many.example", resolver=resolver)
    assert result.dns_lookups == 11 > LOOKUP_LIMIT
    assert result.verdict is Verdict.ERROR and "11 DNS lookups" in result.summary


async def test_loop_is_detected(resolver):
    result = await check_spf("spf-loop.example", resolver=resolver)
    assert result.verdict is Verdict.ERROR
    assert "spf-loop.example -> a.spf-loop.example -> spf-loop.example" in result.summary


async def test_two_records_are_an_error(resolver):
    result = await check_spf("spf-two.example", resolver=resolver)
    assert result.verdict is Verdict.ERROR and len(result.records) == 2 and "2 SPF records" in result.summary


@pytest.mark.parametrize(("domain", "verdict", "qualifier", "words"), [
    ("spf-plusall.example", Verdict.ERROR, "+", "any server in the world"),
    ("spf-neutral.example", Verdict.WARNING, "?", "?all"),
    ("spf-noall.example", Verdict.WARNING, None, "no 'all'"),
    ("nullmx.example", Verdict.OK, "-", "no server may send"),
])
async def test_the_all_mechanism(resolver, domain, verdict, qualifier, words):
    result = await check_spf(domain, resolver=resolver)
    assert (result.verdict, result.all_qualifier) == (verdict, qualifier)
    assert words in result.summary


async def test_plus_all_inside_an_include_is_an_error(resolver):
    result = await check_spf("spf-openinclude.example", resolver=resolver)
    assert result.verdict is Verdict.ERROR and "open.spf-openinclude.example" in result.summary


async def test_void_lookups_over_the_limit(resolver):
    result = await check_spf("spf-void.example", resolver=resolver)
    assert result.void_lookups == 3 and result.verdict is Verdict.ERROR
    assert any("has no SPF record" in n for n in result.notes)


async def test_syntax_errors(resolver):
    result = await check_spf("spf-syntax.example", resolver=resolver)
    assert result.verdict is Verdict.ERROR
    assert any("999.1.1.1" in n for n in result.notes) and any("foo:bar" in n for n in result.notes)


async def test_missing_and_unreachable(resolver):
    missing = await check_spf("nomx.example", resolver=resolver)
    assert missing.verdict is Verdict.NOT_FOUND and missing.record is None
    slow = await check_spf("slow.example", resolver=resolver, timeout=FAST_TIMEOUT)
    assert slow.verdict is Verdict.UNCHECKED and not slow.complete


async def test_an_include_that_times_out_leaves_the_result_incomplete(dns_server):
    server = dns_server({"contoso.com": '@ TXT "v=spf1 include:_spf.slow.contoso.com -all"\n'},
                        behaviours={"slow.contoso.com": "drop"})
    result = await check_spf("contoso.com", resolver=server.resolver(), timeout=FAST_TIMEOUT)
    assert not result.complete and result.verdict is Verdict.UNCHECKED
    assert result.dns_lookups == 1


def test_parse_terms():
    terms, errors = spf_record.parse("v=spf1 a/24 mx:mail.contoso.com/28 -ip4:192.0.2.0/24 ~all exp=x.contoso.com")
    assert errors == []
    assert [(t.name, t.qualifier, t.value) for t in terms] == [
        ("a", "+", ""), ("mx", "+", "mail.contoso.com"), ("ip4", "-", "192.0.2.0/24"), ("all", "~", ""),
        ("exp", "", "x.contoso.com")]
    assert spf_record.all_qualifier(terms) == "~"


@pytest.mark.parametrize("record", ["v=spf1 include", "v=spf1 ip6:192.0.2.1", "v=spf1 all:x", "v=spf1 bogus",
                                    "v=spf1 redirect=a.test redirect=b.test"])
def test_parse_errors(record):
    _, errors = spf_record.parse(record)
    assert errors


def test_only_v_spf1_records_count():
    assert spf_record.is_spf("v=spf1 -all") and spf_record.is_spf("V=SPF1")
    assert not spf_record.is_spf("v=spf10 -all") and not spf_record.is_spf("MS=ms123")
