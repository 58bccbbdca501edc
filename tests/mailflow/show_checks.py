"""Print every DNS check against the loopback test world, one line each, to read as a technician would.

    .venv/bin/python -m tests.mailflow.show_checks            # all domains and IPs
    .venv/bin/python -m tests.mailflow.show_checks contoso.com --json

Nothing leaves 127.0.0.1: the zones are tests/mailflow/zones.py.
"""

from __future__ import annotations

import asyncio
import json
import sys

from mailflow.domain_report import check_domain
from mailflow.ip_checks import check_ip
from tests.mailflow.dns_server import DnsTestServer
from tests.mailflow.zones import BEHAVIOURS, WORLD

DOMAINS = ["contoso.com", "fabrikam.com", "bücher.example", "hybrid.example", "hybrid2.example", "filtered.example",
           "google.example", "nullmx.example", "nomx.example", "twoeop.example", "mxalias.example", "deadmx.example",
           "missing.example", "servfail.example", "refused.example", "slow.example", "sub.contoso.com",
           "spf-many.example", "spf-loop.example", "spf-two.example", "spf-plusall.example", "spf-void.example",
           "dmarc-bad.example", "dmarc-pct.example"]
IPS = ["192.0.2.25", "192.0.2.66", "192.0.2.99", "192.0.2.100", "203.0.113.254", "2001:db8::99", "10.1.2.3"]


async def main(argv: list[str]) -> None:
    names = [a for a in argv if not a.startswith("--")]
    with DnsTestServer(WORLD, behaviours=BEHAVIOURS) as server:
        resolver = server.resolver()
        for domain in names or DOMAINS:
            report = await check_domain(domain, resolver=resolver, timeout=0.3)
            if "--json" in argv:
                print(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
                continue
            print(f"\n{report.domain} [{report.verdict}] {report.summary}")
            print(f"  ({report.queries} lookups, {report.elapsed_ms:.0f} ms, {report.query_ms:.0f} ms added up)")
            for line in report.lines():
                print(f"  {line}")
            print(f"  scenario: {report.scenario_hint.to_json()}")
        for ip in [] if names else IPS:
            report = await check_ip(ip, resolver=resolver, timeout=0.3)
            print(f"\n{report.ip} [{report.verdict}] {report.summary}")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
