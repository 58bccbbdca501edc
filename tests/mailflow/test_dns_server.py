"""The loopback DNS server itself: what it answers, over which transport, and how it misbehaves."""

from __future__ import annotations

import time

from mailflow.dnsquery import Status, lookup
from tests.mailflow.conftest import FAST_TIMEOUT


async def test_authoritative_answers_nxdomain_and_nodata(dns_server):
    server = dns_server({"contoso.com": "@ MX 0 contoso-com.mail.protection.outlook.com.\nx.y A 192.0.2.1\n"})
    resolver = server.resolver()
    assert (await lookup("contoso.com", "MX", resolver=resolver)).status is Status.OK
    assert (await lookup("contoso.com", "TXT", resolver=resolver)).status is Status.NODATA
    assert (await lookup("y.contoso.com", "A", resolver=resolver)).status is Status.NODATA  # empty non-terminal
    assert (await lookup("nope.contoso.com", "A", resolver=resolver)).status is Status.NXDOMAIN
    assert server.host == "127.0.0.1" and server.port > 0


async def test_names_outside_every_zone_are_refused(dns_server):
    server = dns_server({"contoso.com": "@ A 192.0.2.1\n"})
    answer = await lookup("fabrikam.com", "A", resolver=server.resolver())
    assert answer.status is Status.SERVFAIL and "REFUSED" in answer.detail


async def test_cname_chains_are_followed_across_zones(resolver):
    answer = await lookup("www.chain.example", "A", resolver=resolver)
    assert answer.ok and answer.addresses() == ["192.0.2.7"]
    assert answer.cnames == ("alias.chain.example", "host.chain.test")
    assert answer.canonical_name == "host.chain.test"


async def test_a_cname_loop_is_a_servfail_not_a_hang(resolver):
    answer = await lookup("loop1.example", "A", resolver=resolver)
    assert answer.status is Status.SERVFAIL


async def test_truncated_udp_answers_are_retried_over_tcp(world, resolver):
    answer = await lookup("tc.example", "TXT", resolver=resolver)
    assert answer.ok and answer.texts() == ["a record that only arrives over TCP"]
    assert ("tc.example", "TXT", "tcp") in world.queries


async def test_answers_too_big_for_udp_set_tc(dns_server):
    big = " ".join(f'"{c * 200}"' for c in "abcd")
    server = dns_server({"contoso.com": f"big TXT {big}\n"})
    answer = await lookup("big.contoso.com", "TXT", resolver=server.resolver())
    assert answer.ok and len(answer.texts()[0]) == 800
    assert [t for _, _, t in server.queries] == ["udp", "tcp"]


async def test_behaviours_apply_per_name_and_type(dns_server):
    server = dns_server({"contoso.com": "@ A 192.0.2.1\n@ MX 10 mail.contoso.com.\n"},
                        behaviours={"contoso.com/MX": "servfail"})
    resolver = server.resolver()
    assert (await lookup("contoso.com", "A", resolver=resolver)).ok
    assert (await lookup("contoso.com", "MX", resolver=resolver)).status is Status.SERVFAIL
    server.set_behaviour("contoso.com/MX", None)
    assert (await lookup("contoso.com", "MX", resolver=resolver)).ok


async def test_a_dropping_name_times_out(resolver):
    started = time.perf_counter()
    answer = await lookup("slow.example", "A", resolver=resolver, timeout=FAST_TIMEOUT)
    assert answer.status is Status.TIMEOUT
    assert time.perf_counter() - started < 1.5


async def test_latency_is_added_to_every_reply(dns_server):
    server = dns_server({"contoso.com": "@ A 192.0.2.1\n"}, latency=0.05)
    answer = await lookup("contoso.com", "A", resolver=server.resolver())
    assert answer.ok and answer.elapsed_ms >= 45
