"""Safety rules for the port-25 probe: where it may connect, how often, and how many at once.

The probe opens real TCP connections on behalf of whoever chats with the bot, so every target passes
through a ProbePolicy first: the bot must never become a port scanner, a way into private networks,
or a tool for hammering someone's mail server.
"""

from __future__ import annotations

import asyncio
import ipaddress
import math
import time
import weakref
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

# RFC 5321 section 4.5.4.2: servers listen on the SMTP port, assigned by IANA as 25.
# RFC 6409 puts message submission on 587; it must be switched on explicitly.
SMTP_PORT = 25
SUBMISSION_PORT = 587
DEFAULT_PORTS = frozenset({SMTP_PORT})
DEFAULT_CONCURRENCY = 4
_MAX_RATE_KEYS = 10_000  # forget idle conversations before the table grows without bound

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052: the last 32 bits are an IPv4 address
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")  # RFC 8215: local-use translation, never public


class ProbeError(Exception):
    """Base of the probe's typed errors; str(error) is a sentence that can be shown to the user."""


class ProbeRefused(ProbeError):
    """The policy forbids this target (port or address); nothing was sent to it."""


class RateLimited(ProbeError):
    """Too many probes for one key (usually a conversation) in the rate window."""

    def __init__(self, limit: int, window: float, retry_after: float) -> None:
        self.limit = limit
        self.window = window
        self.retry_after = retry_after
        minutes = max(1, math.ceil(retry_after / 60))
        super().__init__(
            f"This conversation has already run {limit} port-25 tests in the last {_minutes(window)}, the limit; "
            f"please wait about {minutes} minute{'s' if minutes != 1 else ''} before running another."
        )


def _minutes(seconds: float) -> str:
    minutes = round(seconds / 60)
    return f"{minutes} minutes" if minutes != 1 else "minute"


class ConcurrencyLimit:
    """At most ``limit`` probes at once; one instance (SHARED_LIMIT) is shared by every default policy.

    An asyncio.Semaphore binds itself to the first event loop that waits on it, so one is kept per loop:
    a bot process runs a single loop, while tests start a new loop per test.
    """

    def __init__(self, limit: int = DEFAULT_CONCURRENCY) -> None:
        if limit < 1:
            raise ValueError("the concurrency limit must be at least 1")
        self.limit = limit
        self._by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary()
        )

    def _semaphore(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        semaphore = self._by_loop.get(loop)
        if semaphore is None:
            semaphore = self._by_loop[loop] = asyncio.Semaphore(self.limit)
        return semaphore

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Wait for a free slot; the caller bounds the wait with its own timeout."""
        async with self._semaphore():
            yield


SHARED_LIMIT = ConcurrencyLimit(DEFAULT_CONCURRENCY)


@dataclass
class ProbePolicy:
    """What the probe may do. Create one per process and share it: the rate limit lives in it."""

    allowed_ports: frozenset[int] = DEFAULT_PORTS
    allow_private: bool = False  # only tests and lab set-ups should reach loopback or private networks
    max_hosts: int = 5
    max_addresses_per_host: int = 2
    rate_limit: int = 5  # probes per key ...
    rate_window: float = 600.0  # ... per this many seconds
    max_connect_timeout: float = 30.0
    max_step_timeout: float = 60.0
    max_overall_timeout: float = 120.0
    concurrency: ConcurrencyLimit = SHARED_LIMIT
    clock: Callable[[], float] = time.monotonic
    _history: dict[str, deque[float]] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.allowed_ports = frozenset(self.allowed_ports)
        if not self.allowed_ports or any(not 0 < p < 65536 for p in self.allowed_ports):
            raise ValueError("allowed_ports must hold TCP ports between 1 and 65535")
        if min(self.max_hosts, self.max_addresses_per_host, self.rate_limit) < 1 or self.rate_window <= 0:
            raise ValueError("limits must be positive")

    def check_port(self, port: int) -> None:
        """Raise ProbeRefused unless the port is one this deployment allows."""
        if port not in self.allowed_ports:
            allowed = " or ".join(str(p) for p in sorted(self.allowed_ports))
            raise ProbeRefused(f"port {port} is not allowed: this test only connects to port {allowed} (SMTP)")

    def check_address(self, text: str) -> str:
        """The address in canonical form, or ProbeRefused when it is not a public unicast address.

        Only canonical IP literals are accepted: forms like ``127.1`` would otherwise go to the system
        resolver and come back as loopback.
        """
        try:
            address = ipaddress.ip_address(text.strip())
        except ValueError:
            raise ProbeRefused(f"{text.strip()[:60]!r} is not an IP address") from None
        if not self.allow_private:
            problem = address_problem(address)
            if problem:
                raise ProbeRefused(f"{address} is {problem}; this test only connects to public internet addresses")
        return str(address)

    def clamp(self, connect: float, step: float, overall: float) -> tuple[float, float, float]:
        """Timeouts bounded by the policy, so a caller cannot hold a connection open for hours."""
        return (min(connect, self.max_connect_timeout), min(step, self.max_step_timeout),
                min(overall, self.max_overall_timeout))

    def acquire(self, key: str) -> None:
        """Count one probe for ``key`` (e.g. a conversation id); RateLimited when the window is full."""
        now = self.clock()
        recent = self._history.setdefault(key, deque())
        while recent and recent[0] <= now - self.rate_window:
            recent.popleft()
        if len(recent) >= self.rate_limit:
            raise RateLimited(self.rate_limit, self.rate_window, recent[0] + self.rate_window - now)
        recent.append(now)
        if len(self._history) > _MAX_RATE_KEYS:
            self._history = {k: v for k, v in self._history.items() if v and v[-1] > now - self.rate_window}


def address_problem(address: IPAddress) -> str | None:
    """Why an address is not a public unicast one (None when it is).

    Addresses that embed an IPv4 address (IPv4-mapped, NAT64, 6to4) are judged by the embedded one:
    Python 3.11 calls ``::ffff:127.0.0.1`` neither loopback nor private.
    """
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            problem = address_problem(embedded)
            return f"{problem} ({embedded}) in IPv6 form" if problem else None
        if address in _NAT64_LOCAL:
            return "a local-use NAT64 address"
    checks = (
        (address.is_unspecified, "the unspecified address"),
        (address.is_loopback, "a loopback address (this machine)"),
        (address.is_link_local, "a link-local address"),
        (address.is_multicast, "a multicast address"),
        (address.is_private, "a private or special-purpose address"),
        (address.is_reserved, "a reserved address"),
        (not address.is_global, "not a public internet address"),
    )
    return next((label for failed, label in checks if failed), None)
