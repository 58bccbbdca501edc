"""The safe lookup layer: every DNS outcome is an Answer, never an exception."""

from __future__ import annotations

import socket

import dns.message
import dns.resolver
import pytest

from mailflow import dnsquery
from mailflow.addresses import InvalidName
from mailflow.dnsquery import Answer, Status, ascii_domain, display_name, lookup, recording
from mailflow.resolver import Nameserver, make_resolver


async def test_txt_strings_are_joined_and_records_kept(resolver):
    answer = await lookup("contoso.com", "TXT", resolver=resolver)
    assert answer.status is Status.OK
    assert "v=spf1 include:spf.protection.outlook.com -all" in answer.texts()
    assert answer.elapsed_ms > 0
    assert answer.to_json()["status"] == "ok"


@pytest.mark.parametrize(("name", "status"), [("servfail.example", Status.SERVFAIL),
                                              ("refused.example", Status.SERVFAIL),
                                              ("missing.example", Status.NXDOMAIN),
                                              ("nomx.example", Status.NODATA)])
async def test_failures_are_results(resolver, name, status):
    answer = await lookup(name, "MX", resolver=resolver)
    assert answer.status is status
    assert answer.detail
    assert answer.failed == (status is Status.SERVFAIL)
    assert answer.missing == (status in (Status.NXDOMAIN, Status.NODATA))


async def test_refused_is_told_apart_in_the_detail(resolver):
    answer = await lookup("refused.example", "A", resolver=resolver)
    assert "REFUSED" in answer.detail


async def test_a_closed_port_is_a_result_not_an_exception():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    resolver = make_resolver([Nameserver("127.0.0.1", port)], timeout=0.2, lifetime=0.2)
    answer = await lookup("contoso.com", "A", resolver=resolver)
    assert answer.status is Status.TIMEOUT  # dnspython's asyncio backend does not surface ICMP port unreachable


def test_servers_that_cannot_be_reached_are_errors_not_servfail():
    request = dns.message.make_query("contoso.com", "A")
    unreachable = dns.resolver.NoNameservers(request=request, errors=[
        ("127.0.0.1", False, 53, ConnectionRefusedError("connection refused"), None)])
    assert dnsquery._failure(unreachable)[0] is Status.ERROR
    answered = dns.resolver.NoNameservers(request=request, errors=[
        ("127.0.0.1", False, 53, "SERVFAIL", dns.message.make_response(request))])
    assert dnsquery._failure(answered) == (Status.SERVFAIL, "the DNS server answered SERVFAIL")


async def test_unusable_names_are_error_results(resolver):
    answer = await lookup("a" * 64 + ".example", "A", resolver=resolver)
    assert answer.status is Status.ERROR and "not a usable DNS name" in answer.detail


async def test_idn_names_are_sent_as_punycode(world, resolver):
    answer = await lookup("bücher.example", "MX", resolver=resolver)
    assert answer.ok and answer.name == "xn--bcher-kva.example"
    assert ("xn--bcher-kva.example", "MX", "udp") in world.queries


async def test_recording_collects_answers_from_concurrent_tasks(resolver):
    import asyncio

    with recording() as answers:
        await asyncio.gather(lookup("contoso.com", "MX", resolver=resolver),
                             lookup("fabrikam.com", "MX", resolver=resolver))
    assert sorted(a.name for a in answers) == ["contoso.com", "fabrikam.com"]
    assert all(isinstance(a, Answer) for a in answers)
    await lookup("contoso.com", "A", resolver=resolver)
    assert len(answers) == 2  # nothing recorded after the block


def test_ascii_domain_and_display_name():
    assert ascii_domain("Bücher.Example.") == "xn--bcher-kva.example"
    assert display_name("xn--bcher-kva.example") == "bücher.example"
    for bad in ["", "user@contoso.com", "not a domain", "☃.example"]:
        with pytest.raises(InvalidName):
            ascii_domain(bad)
