"""Live DNS checks against the loopback test server with a 10 ms round trip: what running them concurrently buys.

1. One full domain check (check_domain) of an Exchange Online domain, several times: wall time against the
   sum of the individual query times (dnsquery.recording()), and against the same queries asked one after
   another. Target: the check at least 4x faster than its queries added up.
2. Checks per second: 100 check_domain calls for 100 different Exchange Online domains, a bounded number at
   once (--concurrency, several levels in one run).

The server (tests/mailflow/dns_server.py, zones from tests/mailflow/zones.py plus 100 generated tenants)
listens on 127.0.0.1 and runs in a thread of this process, so its CPU shares the interpreter with the
client's; part 2 is repeated with the same server in a child process, the way a real resolver is elsewhere.
Prints figures; asserts nothing.
Run: .venv/bin/python bench/dns_checks.py [--runs N] [--domains N] [--concurrency 1,10,25] [--latency SECONDS]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import statistics
import sys
import time
from multiprocessing.connection import Connection
from pathlib import Path

import dns.asyncresolver

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.mailflow is not an installed package

from mailflow.check_command import run_checks
from mailflow.dnsquery import lookup
from mailflow.domain_report import check_domain
from mailflow.resolver import Nameserver, make_resolver
from mailflow.smtp_policy import ProbePolicy
from tests.mailflow.dns_server import DnsTestServer
from tests.mailflow.zones import BEHAVIOURS, DKIM_KEY, WORLD

DOMAIN = "contoso.com"


def tenant_zones(count: int) -> tuple[dict[str, str], list[str]]:
    """WORLD plus ``count`` Exchange Online customers shaped like contoso.com, each with its own tenant."""
    extra = {"outlook.com": [], "onmicrosoft.com": [], "example": []}
    domains = []
    for i in range(count):
        name, tenant = f"customer{i:03d}", f"tenant{i:03d}"
        domains.append(f"{name}.example")
        extra["example"] += [
            f"{name} MX 0 {name}-example.mail.protection.outlook.com.",
            f'{name} TXT "v=spf1 include:spf.protection.outlook.com -all"',
            f'_dmarc.{name} TXT "v=DMARC1; p=reject"',
            *(f"selector{s}._domainkey.{name} CNAME selector{s}-{name}-example._domainkey.{tenant}.onmicrosoft.com."
              for s in (1, 2)),
            f"autodiscover.{name} CNAME autodiscover.outlook.com.",
        ]
        extra["outlook.com"] += [f"{name}-example.mail.protection A 192.0.2.10",
                                 f"{tenant}.mail.protection A 192.0.2.10"]
        extra["onmicrosoft.com"] += [
            *(f"selector{s}-{name}-example._domainkey.{tenant} TXT {DKIM_KEY}" for s in (1, 2)),
            f"{tenant}.mail MX 0 {tenant}.mail.protection.outlook.com.",
        ]
    zones = dict(WORLD)
    for origin, lines in extra.items():
        zones[origin] = zones[origin] + "\n".join(lines) + "\n"
    return zones, domains


async def one_check(server: DnsTestServer, runs: int) -> None:
    resolver = server.resolver(timeout=2.0, lifetime=4.0)
    await check_domain(DOMAIN, resolver=resolver)  # warm-up: imports, first sockets
    walls, sums, counts, sequential = [], [], [], []
    for _ in range(runs):
        asked = len(server.queries)
        started = time.perf_counter()
        report = await check_domain(DOMAIN, resolver=resolver)
        walls.append((time.perf_counter() - started) * 1000)
        # check_domain collects its answers with dnsquery.recording(); an outer recording() block would see
        # none of them (the inner block replaces the list), so the report's totals are the recorded ones.
        sums.append(report.query_ms)
        counts.append(report.queries)
        assert report.microsoft365  # the zones are what we think they are (not a benchmark assertion)
        # The same questions, one after another: what the check would cost without any concurrency.
        questions = server.queries[asked:]
        started = time.perf_counter()
        for name, rdtype, _transport in questions:
            await lookup(name, rdtype, resolver=resolver)
        sequential.append((time.perf_counter() - started) * 1000)
    wall, total, seq = statistics.median(walls), statistics.median(sums), statistics.median(sequential)
    count = statistics.median(counts)
    latency_ms = server.latency * 1000
    print(f"1. check_domain({DOMAIN}), {runs} runs, server round trip {latency_ms:g} ms, medians:")
    print(f"   DNS queries per check            {count:.0f}")
    print(f"   wall time                        {wall:7.1f} ms  (min {min(walls):.1f}, max {max(walls):.1f}; "
          f"= {wall / latency_ms:.1f} round trips)")
    print(f"   sum of the query times           {total:7.1f} ms  (recorded; {total / count:.1f} ms per query "
          "while they overlap)")
    print(f"   same queries one after another   {seq:7.1f} ms  ({seq / count:.1f} ms per query)")
    print(f"   concurrency ratio (sum / wall)   {total / wall:7.1f}x  target >= 4x")
    print(f"   speed-up over sequential         {seq / wall:7.1f}x")


async def with_ip(server: DnsTestServer, runs: int) -> None:
    resolver = server.resolver(timeout=2.0, lifetime=4.0)
    walls = {}
    for label, ips in (("domain only", ()), ("domain + 2 IPs", ("192.0.2.99", "192.0.2.25"))):
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            await run_checks(DOMAIN, ips=ips, resolver=resolver, policy=ProbePolicy())
            times.append((time.perf_counter() - started) * 1000)
        walls[label] = statistics.median(times)
    print(f"   run_checks (mailflow check): {', '.join(f'{k} {v:.1f} ms' for k, v in walls.items())} "
          "(IP checks run alongside the domain's)")


def udp_buffer_drops() -> int:
    """Linux's count of UDP datagrams dropped because a receiving socket's buffer was full (0 elsewhere)."""
    try:
        lines = [line.split() for line in Path("/proc/net/snmp").read_text().splitlines() if line.startswith("Udp:")]
    except OSError:
        return 0
    fields = dict(zip(lines[0][1:], lines[1][1:], strict=True)) if len(lines) >= 2 else {}
    return int(fields.get("RcvbufErrors", 0))


async def many(resolver: dns.asyncresolver.Resolver, domains: list[str], concurrency: int, where: str) -> None:
    gate = asyncio.Semaphore(concurrency)
    latencies: list[float] = []
    queries = 0

    async def check(domain: str) -> None:
        nonlocal queries
        async with gate:
            started = time.perf_counter()
            report = await check_domain(domain, resolver=resolver)
            latencies.append((time.perf_counter() - started) * 1000)
            queries += report.queries
            if not report.microsoft365 or report.dkim.tenant is None:
                print(f"   unexpected result for {domain}: {report.summary}")

    drops_before = udp_buffer_drops()
    cpu, started = time.process_time(), time.perf_counter()
    await asyncio.gather(*(check(d) for d in domains))
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    latencies.sort()
    p95 = latencies[int(0.95 * (len(latencies) - 1))]
    median = statistics.median(latencies)
    slow = sum(t > 2000 for t in latencies)  # longer than one attempt's timeout: a query was asked again
    drops = udp_buffer_drops() - drops_before
    print(f"   {where}, {concurrency:>2} at once: {len(domains) / wall:5.1f} checks/s, "
          f"{queries / wall:4.0f} queries/s, {wall:5.2f} s for {len(domains)}; per check median {median:6.1f} ms, "
          f"p95 {p95:6.1f} ms; CPU here {cpu * 1000 / len(domains):4.1f} ms per check"
          + (f"; {slow} checks over 2 s, {drops} UDP datagrams dropped for a full socket buffer" if slow else ""))


def serve_in_child(zones: dict[str, str], latency: float, conn: Connection) -> None:
    """The same server in its own process, so its CPU does not share this interpreter's."""
    with DnsTestServer(zones, behaviours=BEHAVIOURS, latency=latency) as server:
        conn.send(server.port)
        conn.recv()  # until the parent says stop


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--domains", type=int, default=100)
    parser.add_argument("--concurrency", default="1,10,25", help="comma-separated levels")
    parser.add_argument("--latency", type=float, default=0.01, help="seconds the server waits before each reply")
    args = parser.parse_args()
    zones, domains = tenant_zones(args.domains)
    levels = [int(x) for x in args.concurrency.split(",")]
    server = DnsTestServer(zones, behaviours=BEHAVIOURS, latency=args.latency).start()
    try:
        await one_check(server, args.runs)
        await with_ip(server, args.runs)
        print(f"2. {len(domains)} Exchange Online domains (each its own tenant), check_domain, bounded concurrency:")
        for level in levels:
            await many(server.resolver(timeout=2.0, lifetime=4.0), domains, level, "server thread ")
    finally:
        server.stop()
    parent, child = multiprocessing.Pipe()
    process = multiprocessing.Process(target=serve_in_child, args=(zones, args.latency, child), daemon=True)
    process.start()
    try:
        resolver = make_resolver([Nameserver("127.0.0.1", parent.recv())], timeout=2.0, lifetime=4.0)
        for level in levels:
            await many(resolver, domains, level, "server process")
    finally:
        parent.send("stop")
        process.join(timeout=10)


if __name__ == "__main__":
    asyncio.run(main())
