"""Loopback DNS for the mailflow tests: a shared world server, and a factory for one-off servers.

    def test_something(dns_server):
        server = dns_server({"contoso.com": "@ MX 0 contoso-com.mail.protection.outlook.com."},
                            behaviours={"slow.contoso.com": "drop"})
        resolver = server.resolver()          # a dns.asyncresolver.Resolver aimed at 127.0.0.1:<port>
        ...                                   # server.queries lists what it was asked

Every server listens on 127.0.0.1 only and is stopped when the test (or the session) ends.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

import dns.asyncresolver
import pytest

from tests.mailflow.dns_server import Behaviour, DnsTestServer
from tests.mailflow.zones import BEHAVIOURS, WORLD

FAST_TIMEOUT = 0.3  # seconds, for the cases where the server never answers


@pytest.fixture
def dns_server() -> Iterator[Callable[..., DnsTestServer]]:
    """Factory: dns_server(zones, behaviours=..., latency=...) starts a server for this test only."""
    started: list[DnsTestServer] = []

    def start(zones: Mapping[str, str] | None = None, *, behaviours: Mapping[str, Behaviour | str] | None = None,
              latency: float = 0.0) -> DnsTestServer:
        server = DnsTestServer(zones, behaviours=behaviours, latency=latency).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def world() -> Iterator[DnsTestServer]:
    """One server with every zone in tests/mailflow/zones.py, shared by the whole session."""
    with DnsTestServer(WORLD, behaviours=BEHAVIOURS) as server:
        yield server


@pytest.fixture
def resolver(world: DnsTestServer) -> dns.asyncresolver.Resolver:
    return world.resolver(timeout=1.0, lifetime=2.0)
