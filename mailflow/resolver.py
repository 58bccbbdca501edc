"""Where DNS queries go: always from configuration, so tests and benchmarks can point at loopback.

``--nameserver HOST[:PORT]`` or ``MAILFLOW_NAMESERVERS=HOST[:PORT],...``; IPv6 as ``[::1]:5353``.
With neither, the system's resolver configuration is used.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import dns.asyncresolver
import dns.nameserver

ENV_NAMESERVERS = "MAILFLOW_NAMESERVERS"
DEFAULT_TIMEOUT = 3.0  # seconds per query attempt
DEFAULT_LIFETIME = 6.0  # seconds for one lookup, retries included


class BadNameserver(ValueError):
    """A nameserver setting that cannot be used; the message says what was expected."""


@dataclass(frozen=True)
class Nameserver:
    address: str
    port: int = 53

    @classmethod
    def parse(cls, text: str) -> Nameserver:
        value = text.strip()
        host, port = value, "53"
        if value.startswith("["):
            host, _, rest = value[1:].partition("]")
            port = rest[1:] if rest.startswith(":") else "53"
        elif value.count(":") == 1:
            host, port = value.split(":")
        try:
            address = str(ipaddress.ip_address(host))
        except ValueError as exc:
            raise BadNameserver(f"nameserver {text!r} must be an IP address, optionally with :PORT "
                                "(for example 127.0.0.1:5353 or [::1]:53)") from exc
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise BadNameserver(f"nameserver {text!r} has an invalid port")
        return cls(address, int(port))


def nameservers_from(values: Sequence[str] | None, environ: Mapping[str, str] = os.environ) -> list[Nameserver]:
    """Command-line values win over the environment; both empty means the system resolver."""
    texts = list(values or []) or [v for v in environ.get(ENV_NAMESERVERS, "").split(",") if v.strip()]
    return [Nameserver.parse(v) for v in texts]


def make_resolver(nameservers: Sequence[Nameserver] = (), *, timeout: float = DEFAULT_TIMEOUT,
                  lifetime: float = DEFAULT_LIFETIME) -> dns.asyncresolver.Resolver:
    """An async resolver for the given servers (or the system's), with bounded time per lookup."""
    resolver = dns.asyncresolver.Resolver(configure=not nameservers)
    if nameservers:
        resolver.nameservers = [dns.nameserver.Do53Nameserver(ns.address, ns.port) for ns in nameservers]
    resolver.timeout = timeout
    resolver.lifetime = lifetime
    return resolver
