"""MX: where mail for a domain goes, and the mistakes that stop it arriving."""

from __future__ import annotations

import pytest

from mailflow import mx_providers
from mailflow.addresses import InvalidName
from mailflow.dns_mx import check_mx
from mailflow.verdict import Verdict
from tests.mailflow.conftest import FAST_TIMEOUT


async def test_exchange_online_classic_mx(resolver):
    result = await check_mx("contoso.com", resolver=resolver)
    assert result.provider == "exchange-online" and result.on_exchange_online
    assert result.verdict is Verdict.OK
    assert [(h.host, h.preference, h.addresses) for h in result.hosts] == [
        ("contoso-com.mail.protection.outlook.com", 0, ("192.0.2.10",))]
    assert result.summary.startswith("Mail for contoso.com goes to Exchange Online")


async def test_exchange_online_dnssec_mx(resolver):
    result = await check_mx("fabrikam.com", resolver=resolver)
    assert result.provider == "exchange-online" and result.verdict is Verdict.OK
    assert result.hosts[0].host == "fabrikam-com.o-v1.mx.microsoft"


async def test_on_premises_mx(resolver):
    result = await check_mx("hybrid.example", resolver=resolver)
    assert result.provider == "other" and result.provider_name == ""
    assert result.hosts[0].addresses == ("203.0.113.10",)
    assert "not Exchange Online" in result.summary


async def test_google_mx_sorted_by_preference(resolver):
    result = await check_mx("google.example", resolver=resolver)
    assert result.provider == "other" and result.provider_name == "Google Workspace"
    assert [h.preference for h in result.hosts] == [1, 5]
    assert "Google Workspace" in result.summary


async def test_null_mx_is_an_error(resolver):
    result = await check_mx("nullmx.example", resolver=resolver)
    assert result.null_mx and result.verdict is Verdict.ERROR and result.provider == "none"
    assert "RFC 7505" in result.summary


async def test_no_mx_falls_back_to_the_address(resolver):
    result = await check_mx("nomx.example", resolver=resolver)
    assert result.provider == "none" and result.verdict is Verdict.WARNING
    assert result.implicit_mx == ("192.0.2.80",)
    assert "RFC 5321" in result.summary


async def test_no_mx_and_no_address_cannot_receive(resolver):
    result = await check_mx("spf-loop.example", resolver=resolver)
    assert result.verdict is Verdict.NOT_FOUND and "cannot receive" in result.summary


async def test_two_exchange_online_mx_and_a_retired_host(resolver):
    result = await check_mx("twoeop.example", resolver=resolver)
    assert result.verdict is Verdict.WARNING
    assert any("supports exactly one" in n for n in result.notes)
    assert any("retired" in n for n in result.notes)
    assert [h.legacy for h in result.hosts] == [False, True]


async def test_mx_host_that_is_an_alias(resolver):
    result = await check_mx("mxalias.example", resolver=resolver)
    assert result.verdict is Verdict.WARNING
    assert result.hosts[0].alias_of == "real.mxalias.example"
    assert result.hosts[0].addresses == ("192.0.2.90",)


async def test_mx_hosts_without_addresses(resolver):
    result = await check_mx("deadmx.example", resolver=resolver)
    assert result.verdict is Verdict.ERROR and "nobody can deliver" in result.summary


async def test_nxdomain_servfail_and_timeout(resolver):
    missing = await check_mx("missing.example", resolver=resolver)
    assert missing.verdict is Verdict.ERROR and "does not exist" in missing.summary
    failing = await check_mx("servfail.example", resolver=resolver)
    assert failing.verdict is Verdict.UNCHECKED and "SERVFAIL" in failing.summary
    slow = await check_mx("slow.example", resolver=resolver, timeout=FAST_TIMEOUT)
    assert slow.verdict is Verdict.UNCHECKED and slow.lookup_status == "timeout"


async def test_idn_domain(resolver):
    result = await check_mx("bücher.example", resolver=resolver)
    assert result.domain == "xn--bcher-kva.example"
    assert result.on_exchange_online and result.verdict is Verdict.OK
    assert "bücher.example" in result.summary


async def test_an_exchange_online_host_made_for_another_domain_is_noted(dns_server):
    server = dns_server({"fabrikam.com": "@ MX 0 contoso-com.mail.protection.outlook.com.\n",
                         "outlook.com": "contoso-com.mail.protection A 192.0.2.10\n"})
    result = await check_mx("fabrikam.com", resolver=server.resolver())
    assert result.verdict is Verdict.OK
    assert any("fabrikam-com.mail.protection.outlook.com" in n for n in result.notes)


async def test_invalid_domain_input_raises(resolver):
    with pytest.raises(InvalidName):
        await check_mx("not a domain", resolver=resolver)


async def test_to_json_shape(resolver):
    data = (await check_mx("contoso.com", resolver=resolver)).to_json()
    assert data["provider"] == "exchange-online"
    assert set(data["hosts"][0]) >= {"host", "preference", "addresses"}
    assert data["verdict"] == "ok" and data["summary"]


@pytest.mark.parametrize(("host", "kind", "provider"), [
    ("contoso-com.mail.protection.outlook.com", "exchange-online", "Exchange Online"),
    ("contoso-com.j-v1.mx.microsoft", "exchange-online", "Exchange Online"),
    ("contoso-com.mail.eo.outlook.com", "exchange-online", "Exchange Online (retired EOP host)"),
    ("outlook-com.olc.protection.outlook.com", "other", "Outlook.com (consumer)"),
    ("aspmx.l.google.com", "other", "Google Workspace"),
    ("mxa-001.pphosted.com", "other", "Proofpoint"),
    ("mx1.hc123-45.iphmx.com", "other", "Cisco Secure Email (IronPort)"),
    ("d123.mx.ess.barracudanetworks.com", "other", "Barracuda Email Protection"),
    ("mx.zoho.eu", "other", "Zoho Mail"),
    ("mail.contoso.com", "other", ""),
])
def test_provider_table(host, kind, provider):
    found = mx_providers.classify(host)
    assert (found.kind, found.provider) == (kind, provider)
