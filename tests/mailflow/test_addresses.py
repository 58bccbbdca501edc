from __future__ import annotations

import pytest

from mailflow import addresses
from mailflow.addresses import InvalidName
from mailflow.glossary import GLOSSARY, lookup


@pytest.mark.parametrize(("text", "expected"), [
    ("User@Contoso.com", "user@contoso.com"),
    ("<user@contoso.com>", "user@contoso.com"),
    ("mailto:first.last+tag@sub.contoso.co.uk", "first.last+tag@sub.contoso.co.uk"),
    ("jürgen@bücher.de", "jürgen@bücher.de"),
])
def test_addresses_are_normalised(text, expected):
    assert addresses.normalize_email(text) == expected


@pytest.mark.parametrize("text", ["", "user", "a@b@c.com", "user@", "@contoso.com", "user@-bad-.com",
                                  "user@contoso", ".user@contoso.com", "user@" + "a" * 300 + ".com"])
def test_bad_addresses_say_why(text):
    with pytest.raises(InvalidName) as err:
        addresses.normalize_email(text)
    assert str(err.value)


def test_hosts_accept_names_and_ips():
    assert addresses.normalize_host("Mail.Contoso.com.") == "mail.contoso.com"
    assert addresses.normalize_host("[203.0.113.7]") == "203.0.113.7"
    assert addresses.normalize_host("2001:db8::1") == "2001:db8::1"
    with pytest.raises(InvalidName):
        addresses.normalize_host("not a host")


def test_eop_host_and_routing_domain():
    assert addresses.eop_mx_host("contoso.com") == "contoso-com.mail.protection.outlook.com"
    assert addresses.eop_mx_host("sub.contoso.co.uk") == "sub-contoso-co-uk.mail.protection.outlook.com"
    assert addresses.tenant_name("Contoso.mail.onmicrosoft.com") == "contoso"
    assert addresses.tenant_name("contoso.onmicrosoft.com") == "contoso"
    assert addresses.routing_domain("contoso") == "contoso.mail.onmicrosoft.com"
    with pytest.raises(InvalidName):
        addresses.tenant_name("not a tenant!")


def test_glossary_covers_the_required_terms():
    for term in ["EOP", "EXO", "DSN", "NDR", "MX", "smart host", "connector", "remote routing address", "HRDP",
                 "centralized mail flow", "message trace", "protocol log", "hybrid"]:
        found = lookup(term)
        assert found is not None, term
        assert len(found.meaning) > 40
    assert lookup("Exchange Online Protection").name == "EOP"
    assert lookup("nothing like this") is None
    assert len({t.name for t in GLOSSARY}) == len(GLOSSARY)
