"""check_domain: every check at once, the issue 3 JSON contract, and failures that stay results."""

from __future__ import annotations

import json
import time

import pytest

from mailflow.addresses import InvalidName
from mailflow.domain_report import check_domain
from mailflow.verdict import Verdict
from tests.mailflow.conftest import FAST_TIMEOUT
from tests.mailflow.zones import WORLD

CHECKS = ("mx", "spf", "dmarc", "dkim", "autodiscover", "mta_sts", "tls_rpt")


async def test_contract_keys_for_an_exchange_online_domain(resolver):
    report = await check_domain("contoso.com", resolver=resolver)
    data = json.loads(json.dumps(report.to_json()))  # plain JSON all the way down
    assert data["domain"] == "contoso.com"
    assert data["mx"]["provider"] == "exchange-online"
    assert data["mx"]["hosts"] == [{"host": "contoso-com.mail.protection.outlook.com", "preference": 0,
                                    "addresses": ["192.0.2.10"], "kind": "exchange-online",
                                    "provider": "Exchange Online", "legacy": False, "alias_of": "",
                                    "lookup_status": "ok"}]
    assert data["spf"]["record"] == "v=spf1 include:spf.protection.outlook.com -all"
    assert data["spf"]["includes_exchange_online"] is True
    assert data["spf"]["dns_lookups"] == 2
    assert data["spf"]["verdict"] == "ok"
    assert data["dmarc"]["policy"] == "reject" and data["dmarc"]["verdict"] == "ok"
    assert data["dkim"]["tenant"] == "contoso.onmicrosoft.com"
    assert data["microsoft365"] is True
    assert data["scenario_hint"]["inbound"] == "A" and data["scenario_hint"]["reasons"]
    for name in CHECKS:
        assert data[name]["verdict"] in {v.value for v in Verdict} and data[name]["summary"], name
    assert data["verdict"] == "ok" and "SPF and DMARC look fine" in data["summary"]
    assert data["timing"]["queries"] == report.queries > 10


async def test_third_party_and_hybrid_domains(resolver):
    google = (await check_domain("google.example", resolver=resolver)).to_json()
    assert google["mx"]["provider"] == "other" and google["microsoft365"] is False
    assert google["scenario_hint"]["inbound"] is None and google["dkim"]["tenant"] is None
    assert google["verdict"] == "warning"  # DMARC p=none
    hybrid = (await check_domain("hybrid.example", resolver=resolver, side="recipient")).to_json()
    assert hybrid["mx"]["provider"] == "other" and hybrid["microsoft365"] is True
    assert hybrid["scenario_hint"]["inbound"] == "B" and hybrid["scenario_hint"]["scenario"] == "B"
    assert hybrid["dkim"]["tenant"] == "hybridcorp.onmicrosoft.com"


async def test_no_mx_and_null_mx(resolver):
    nomx = (await check_domain("nomx.example", resolver=resolver)).to_json()
    assert nomx["mx"]["provider"] == "none" and nomx["mx"]["hosts"] == []
    nullmx = await check_domain("nullmx.example", resolver=resolver)
    assert nullmx.verdict is Verdict.ERROR and "null MX" in nullmx.summary


async def test_nxdomain_domain(resolver):
    report = await check_domain("missing.example", resolver=resolver)
    assert report.mx.verdict is Verdict.ERROR and report.verdict is Verdict.ERROR
    assert report.microsoft365 is False and "does not exist" in report.summary


@pytest.mark.parametrize("domain", ["servfail.example", "refused.example"])
async def test_failing_server_makes_every_check_unchecked(resolver, domain):
    report = await check_domain(domain, resolver=resolver)
    for name in CHECKS:
        assert getattr(report, name).verdict is Verdict.UNCHECKED, name
    assert report.verdict is Verdict.UNCHECKED and report.microsoft365 is False
    assert report.m365.verdict is Verdict.UNCHECKED  # not "no Microsoft 365": we could not tell
    assert report.scenario_hint.inbound is None and "failed" in report.scenario_hint.reasons[0]


async def test_a_server_that_never_answers_gives_unchecked_fast(resolver):
    started = time.perf_counter()
    report = await check_domain("slow.example", resolver=resolver, timeout=FAST_TIMEOUT)
    elapsed = time.perf_counter() - started
    for name in CHECKS:
        assert getattr(report, name).verdict is Verdict.UNCHECKED, name
    assert elapsed < 2.0  # concurrent: about one timeout, not one per lookup
    assert report.query_ms > 3 * report.elapsed_ms


async def test_idn_domain(resolver):
    report = await check_domain("Bücher.example", resolver=resolver)
    data = report.to_json()
    assert data["domain"] == "bücher.example" and data["ascii_domain"] == "xn--bcher-kva.example"
    assert data["mx"]["provider"] == "exchange-online" and data["scenario_hint"]["inbound"] == "A"
    assert "bücher.example" in report.summary


async def test_checks_run_concurrently(dns_server):
    server = dns_server(WORLD, latency=0.03)
    report = await check_domain("contoso.com", resolver=server.resolver())
    assert report.verdict is Verdict.OK
    # 18 queries of 30 ms each would take over half a second one after another.
    assert report.query_ms > 2.5 * report.elapsed_ms


@pytest.mark.parametrize("text", ["", "user@contoso.com", "not a domain", "-bad-.com", "a" * 300 + ".com"])
async def test_invalid_domain_input_raises(resolver, text):
    with pytest.raises(InvalidName):
        await check_domain(text, resolver=resolver)


async def test_bad_side_is_refused_before_any_lookup(world, resolver):
    before = len(world.queries)
    with pytest.raises(ValueError, match="side"):
        await check_domain("contoso.com", resolver=resolver, side="inbound")
    assert len(world.queries) == before


async def test_lines_read_one_per_check(resolver):
    report = await check_domain("hybrid2.example", resolver=resolver)
    lines = report.lines()
    assert len(lines) == 8 and all("\n" not in line for line in lines)
    assert report.verdict is Verdict.WARNING and "brokenhybrid.mail.onmicrosoft.com" in report.summary
