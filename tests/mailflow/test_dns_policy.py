"""DMARC, MTA-STS and TLS-RPT records."""

from __future__ import annotations

import pytest

from mailflow.dns_policy import check_dmarc, check_mta_sts, check_tls_rpt, tags
from mailflow.verdict import Verdict
from tests.mailflow.conftest import FAST_TIMEOUT


async def test_dmarc_reject(resolver):
    result = await check_dmarc("contoso.com", resolver=resolver)
    assert (result.policy, result.p, result.sp, result.pct) == ("reject", "reject", "quarantine", 100)
    assert result.rua == ("mailto:dmarc@contoso.com",) and not result.inherited
    assert result.verdict is Verdict.OK


async def test_dmarc_none_is_a_warning(resolver):
    result = await check_dmarc("google.example", resolver=resolver)
    assert result.policy == "none" and result.verdict is Verdict.WARNING and "monitoring only" in result.summary


async def test_dmarc_missing_is_not_found_with_advice(resolver):
    result = await check_dmarc("nomx.example", resolver=resolver)
    assert result.verdict is Verdict.NOT_FOUND and result.record is None
    assert "v=DMARC1; p=none" in result.summary


async def test_dmarc_subdomain_inherits_sp_from_the_parent(resolver):
    result = await check_dmarc("sub.contoso.com", resolver=resolver)
    assert result.inherited and result.source == "contoso.com"
    assert result.policy == "quarantine" and result.verdict is Verdict.OK
    assert "inherited from contoso.com" in result.summary


@pytest.mark.parametrize(("domain", "verdict", "words"), [
    ("dmarc-bad.example", Verdict.ERROR, "p=maybe"),
    ("dmarc-two.example", Verdict.ERROR, "2 DMARC records"),
    ("dmarc-pct.example", Verdict.WARNING, "50%"),
])
async def test_dmarc_problems(resolver, domain, verdict, words):
    result = await check_dmarc(domain, resolver=resolver)
    assert result.verdict is verdict and words in result.summary


async def test_dmarc_through_a_cname(resolver):
    result = await check_dmarc("dmarc-cname.example", resolver=resolver)
    assert result.policy == "reject" and result.verdict is Verdict.OK


async def test_dmarc_timeout_is_unchecked(resolver):
    result = await check_dmarc("slow.example", resolver=resolver, timeout=FAST_TIMEOUT)
    assert result.verdict is Verdict.UNCHECKED


async def test_mta_sts(resolver):
    ok = await check_mta_sts("contoso.com", resolver=resolver)
    assert ok.verdict is Verdict.OK and ok.id == "20250101T000000"
    assert ok.policy_url == "https://mta-sts.contoso.com/.well-known/mta-sts.txt"
    assert ok.policy_host_addresses == ("192.0.2.40",) and "not fetched" in ok.summary
    assert (await check_mta_sts("google.example", resolver=resolver)).verdict is Verdict.NOT_FOUND
    bad_id = await check_mta_sts("sts-badid.example", resolver=resolver)
    assert bad_id.verdict is Verdict.ERROR and "id=" in bad_id.summary
    no_host = await check_mta_sts("sts-nohost.example", resolver=resolver)
    assert no_host.verdict is Verdict.ERROR and "no address" in no_host.summary


async def test_tls_rpt(resolver):
    ok = await check_tls_rpt("contoso.com", resolver=resolver)
    assert ok.verdict is Verdict.OK and ok.rua == ("mailto:tlsrpt@contoso.com",)
    assert (await check_tls_rpt("google.example", resolver=resolver)).verdict is Verdict.NOT_FOUND
    assert (await check_tls_rpt("tlsrpt-norua.example", resolver=resolver)).verdict is Verdict.ERROR


def test_tags():
    assert tags("v=DMARC1; p=reject ;rua=mailto:a@b.test,mailto:c@d.test;") == {
        "v": "DMARC1", "p": "reject", "rua": "mailto:a@b.test,mailto:c@d.test"}
