"""DKIM CNAMEs, autodiscover, the tenant routing domain, and what they add up to."""

from __future__ import annotations

import pytest

from mailflow.addresses import InvalidName
from mailflow.dns_microsoft import check_autodiscover, check_dkim, check_tenant_routing, tenant_from_dkim
from mailflow.dns_mx import check_mx
from mailflow.dns_spf import check_spf
from mailflow.microsoft365 import assess, scenario_hint
from mailflow.verdict import Verdict
from tests.mailflow.conftest import FAST_TIMEOUT


@pytest.mark.parametrize(("target", "tenant"), [
    ("selector1-contoso-com._domainkey.contoso.onmicrosoft.com", "contoso.onmicrosoft.com"),
    ("selector2-contoso-com._domainkey.contoso.onmicrosoft.com.", "contoso.onmicrosoft.com"),
    ("selector1-contoso-com._domainkey.contoso.o-v1.dkim.mail.microsoft", "contoso.onmicrosoft.com"),
    ("selector1-contoso-com._domainkey.contoso.j-v1.dkim.mail.microsoft", "contoso.onmicrosoft.com"),
    ("s1.domainkey.u123.wl.sendgrid.net", None),
])
def test_tenant_from_dkim_target(target, tenant):
    assert tenant_from_dkim(target) == tenant


async def test_dkim_legacy_form(resolver):
    result = await check_dkim("contoso.com", resolver=resolver)
    assert result.tenant == "contoso.onmicrosoft.com" and result.verdict is Verdict.OK
    assert [s.cname for s in result.selectors] == [
        "selector1-contoso-com._domainkey.contoso.onmicrosoft.com",
        "selector2-contoso-com._domainkey.contoso.onmicrosoft.com"]
    assert all(s.key_published for s in result.selectors)


async def test_dkim_new_form(resolver):
    result = await check_dkim("fabrikam.com", resolver=resolver)
    assert result.tenant == "fabrikam.onmicrosoft.com" and result.verdict is Verdict.OK


async def test_dkim_absent_partial_and_keyless(dns_server):
    server = dns_server({
        "contoso.com": "selector1._domainkey CNAME selector1-contoso-com._domainkey.contoso.onmicrosoft.com.\n",
        "fabrikam.com": "selector1._domainkey CNAME selector1-fabrikam-com._domainkey.fabrikam.onmicrosoft.com.\n"
                        "selector2._domainkey CNAME selector2-fabrikam-com._domainkey.fabrikam.onmicrosoft.com.\n",
        "onmicrosoft.com": 'selector1-contoso-com._domainkey.contoso TXT "v=DKIM1; p=abc"\n',
        "example": "",
    })
    resolver = server.resolver()
    partial = await check_dkim("contoso.com", resolver=resolver)
    assert partial.verdict is Verdict.WARNING and "selector2 missing" in partial.summary
    keyless = await check_dkim("fabrikam.com", resolver=resolver)
    assert keyless.tenant == "fabrikam.onmicrosoft.com" and keyless.verdict is Verdict.WARNING
    assert "no key is published" in keyless.summary
    absent = await check_dkim("none.example", resolver=resolver)
    assert absent.verdict is Verdict.NOT_FOUND and absent.tenant is None


async def test_dkim_timeout_is_unchecked(resolver):
    result = await check_dkim("slow.example", resolver=resolver, timeout=FAST_TIMEOUT)
    assert result.verdict is Verdict.UNCHECKED


async def test_autodiscover(resolver):
    cloud = await check_autodiscover("contoso.com", resolver=resolver)
    assert cloud.microsoft365 and cloud.target == "autodiscover.outlook.com" and cloud.verdict is Verdict.OK
    onprem = await check_autodiscover("hybrid.example", resolver=resolver)
    assert not onprem.microsoft365 and onprem.target == "mail.hybrid.example"
    assert onprem.addresses == ("203.0.113.10",)
    assert (await check_autodiscover("google.example", resolver=resolver)).verdict is Verdict.NOT_FOUND


async def test_tenant_routing_domain(resolver):
    good = await check_tenant_routing("hybridcorp.onmicrosoft.com", resolver=resolver)
    assert good.routing_domain == "hybridcorp.mail.onmicrosoft.com" and good.on_exchange_online is True
    broken = await check_tenant_routing("brokenhybrid", resolver=resolver)
    assert broken.on_exchange_online is False
    with pytest.raises(InvalidName):
        await check_tenant_routing("not a tenant!", resolver=resolver)


async def _assessment(resolver, domain, side=None):
    mx = await check_mx(domain, resolver=resolver)
    spf = await check_spf(domain, resolver=resolver)
    dkim = await check_dkim(domain, resolver=resolver)
    autodiscover = await check_autodiscover(domain, resolver=resolver)
    routing = await check_tenant_routing(dkim.tenant, resolver=resolver) if dkim.tenant else None
    m365 = assess(mx, spf, dkim, autodiscover, routing)
    return m365, scenario_hint(mx, m365, side)


async def test_exchange_online_is_scenario_a(resolver):
    m365, hint = await _assessment(resolver, "contoso.com", side="recipient")
    assert m365.microsoft365 and not m365.hybrid and m365.verdict is Verdict.OK
    assert (hint.inbound, hint.outbound, hint.scenario) == ("A", "C", "A")
    assert hint.reasons[0].startswith("A:")


async def test_on_premises_mx_with_microsoft_365_signals_is_hybrid_b(resolver):
    m365, hint = await _assessment(resolver, "hybrid.example", side="sender")
    assert m365.hybrid and m365.tenant == "hybridcorp.onmicrosoft.com" and m365.verdict is Verdict.OK
    assert m365.routing is not None and m365.routing.on_exchange_online
    assert (hint.inbound, hint.scenario) == ("B", "C")
    assert hint.reasons[0].startswith("C:") and "centralized mail flow" in hint.reasons[0]


async def test_hybrid_without_a_routing_mx_is_a_warning(resolver):
    m365, _ = await _assessment(resolver, "hybrid2.example")
    assert m365.hybrid and m365.verdict is Verdict.WARNING
    assert "brokenhybrid.mail.onmicrosoft.com" in m365.summary


async def test_a_filtering_service_in_front_is_not_called_broken(resolver):
    m365, hint = await _assessment(resolver, "filtered.example")
    assert m365.filtered_by == "Mimecast" and m365.verdict is Verdict.OK
    assert any("Enhanced Filtering" in n for n in m365.notes)
    assert hint.inbound == "B"


async def test_no_microsoft_365_means_no_scenario(resolver):
    m365, hint = await _assessment(resolver, "google.example")
    assert not m365.microsoft365 and m365.verdict is Verdict.NOT_FOUND
    assert (hint.inbound, hint.outbound) == (None, None) and hint.reasons


async def test_mx_on_exchange_online_without_spf_include_is_a_warning(dns_server):
    server = dns_server({"contoso.com": '@ MX 0 contoso-com.mail.protection.outlook.com.\n@ TXT "v=spf1 -all"\n',
                         "outlook.com": "contoso-com.mail.protection A 192.0.2.10\n"})
    m365, _ = await _assessment(server.resolver(), "contoso.com")
    assert m365.verdict is Verdict.WARNING and "fails SPF" in m365.summary


async def test_side_must_be_sender_or_recipient(resolver):
    with pytest.raises(ValueError, match="side"):
        await _assessment(resolver, "contoso.com", side="both")
