"""Live checks inside the conversation, against real loopback DNS and SMTP servers.

The DNS server is the dnspython-based test server of tests/mailflow; the SMTP servers are aiosmtpd.
Nothing here leaves 127.0.0.1: the probe policy allows loopback only because these tests say so.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from dialogs.engine import Engine
from dialogs.live_checks import LiveChecks
from dialogs.session import Session
from mailflow.smtp_policy import ProbePolicy
from mailflow.verdict import Verdict
from tests.dialogs.explore import TODAY
from tests.mailflow.dns_server import DnsTestServer
from tests.mailflow.smtp_servers import Handler, aiosmtpd_server
from tests.mailflow.zones import BEHAVIOURS, WORLD

ROOT = Path(__file__).resolve().parents[2]
LAB = {  # a recipient domain whose MX is this machine, for the port-25 test
    "fabrikam.test": "@ MX 10 mx.fabrikam.test.\nmx A 127.0.0.1\nonprem A 127.0.0.1\n",
}


@pytest.fixture(scope="module")
def dns() -> Iterator[DnsTestServer]:
    with DnsTestServer({**WORLD, **LAB}, behaviours=BEHAVIOURS) as server:
        yield server


def session(dns: DnsTestServer, *, port: int = 25, **policy) -> Session:
    checks = LiveChecks(dns.resolver(timeout=1.0, lifetime=2.0),
                        ProbePolicy(allowed_ports=frozenset({port}), allow_private=True, **policy), smtp_port=port)
    return Session(Engine.default(today=lambda: TODAY, checks=True), checks)


async def walk(s: Session, *inputs: str, key: str = "t"):
    result = s.engine.start()
    for text in inputs:
        result = await s.turn(result.state, text, key=key)
    return result


def rows(result):
    return [row for reply in result.replies for row in reply.rows]


async def test_mx_on_exchange_online_answers_the_step(dns):
    s = session(dns)
    result = await walk(s, "2", "me@fabrikam.com", "user@contoso.com", "yesterday", "none", "check")
    assert result.state["state"] == "sender_logs"
    assert rows(result)[0].verdict is Verdict.OK
    assert "contoso-com.mail.protection.outlook.com" in rows(result)[0].summary
    assert result.state["history"][-1]["answer"].endswith("(live check)")


async def test_mx_elsewhere_is_shown_but_the_person_decides(dns):
    s = session(dns)
    result = await walk(s, "2", "me@fabrikam.com", "user@hybrid.example", "yesterday", "none", "check")
    assert result.state["state"] == "mx"
    assert "mail.hybrid.example" in rows(result)[0].summary
    assert rows(result)[0].verdict is Verdict.WARNING
    assert result.replies[-1].kind == "question"


async def test_mx_lookup_that_times_out_is_unchecked_not_an_error(dns):
    s = session(dns)
    result = await walk(s, "2", "me@fabrikam.com", "user@slow.example", "yesterday", "none", "check")
    assert result.state["state"] == "mx"
    assert rows(result)[0].verdict is Verdict.UNCHECKED


async def test_sending_ip_on_a_block_list_is_reported(dns):
    s = session(dns)
    result = await walk(s, "2", "me@fabrikam.com", "user@contoso.com", "yesterday", "none", "eop", "yes",
                        "192.0.2.99", "check")
    found = {row.name: row for row in rows(result)}
    assert found["block lists"].verdict is Verdict.ERROR
    assert "sender.office.com" in found["Microsoft's block list"].summary
    assert result.state["state"] == "eop_reply"


@pytest.mark.parametrize(("rcpt_reply", "state"), [
    (None, "auth_final"), ("550 5.1.1 <someone@fabrikam.test>: user unknown", "bad_address"),
])
async def test_port_25_test_against_the_recipients_mx(dns, rcpt_reply, state):
    handler = Handler(rcpt_reply=rcpt_reply)
    async with aiosmtpd_server(handler) as port:
        s = session(dns, port=port)
        result = await walk(s, "4", "user@contoso.com", "someone@fabrikam.test", "yesterday", "pending",
                            "noanswer", "check")
    assert handler.rcpts == ["someone@fabrikam.test"]
    assert handler.data_calls == 0
    assert any(row.name == "port 25" for row in rows(result))
    assert result.state["state"] == state
    assert result.state["history"][-1]["state"] == "port25"


async def test_probe_rate_limit_is_a_friendly_unchecked(dns):
    async with aiosmtpd_server(Handler()) as port:
        s = session(dns, port=port, rate_limit=1)
        first = await walk(s, "4", "user@contoso.com", "someone@fabrikam.test", "yesterday", "pending", "noanswer",
                           "check", "back", key="same")
        again = await s.turn(first.state, "check", key="same")
    assert rows(again)[0].verdict is Verdict.UNCHECKED
    assert again.state["state"] == "port25"


async def test_smart_host_that_does_not_resolve_answers_no_answer(dns):
    s = session(dns)
    result = await walk(s, "5", "user@contoso.com", "someone@fabrikam.test", "yesterday", "nothere.fabrikam.test",
                        "failed", "Outbound to contoso", "yes", "check")
    assert rows(result)[0].verdict is Verdict.ERROR
    assert result.state["history"][-1]["state"] == "fail_reply"


async def test_smart_host_that_answers_is_shown(dns):
    async with aiosmtpd_server(Handler()) as port:
        s = session(dns, port=port)
        result = await walk(s, "5", "user@contoso.com", "someone@fabrikam.test", "yesterday", "onprem.fabrikam.test",
                            "failed", "Outbound to contoso", "yes", "check")
    assert [row.verdict for row in rows(result)][:1] == [Verdict.OK]
    assert result.state["state"] == "fail_reply"


def test_console_runs_a_check_with_the_configured_nameserver(dns):
    lines = ["2", "me@fabrikam.com", "user@contoso.com", "yesterday", "none", "check"]
    out = subprocess.run([sys.executable, "-m", "bot", "chat", "--nameserver", f"127.0.0.1:{dns.port}"],
                         input="".join(f"{line}\n" for line in lines), capture_output=True, text=True, cwd=ROOT,
                         timeout=60, check=False)
    assert out.returncode == 0, out.stderr
    assert "Check it now" in out.stdout
    assert "One moment, looking up the MX record of contoso.com" in out.stdout
    assert "[ok]" in out.stdout
    assert "That answers this step" in out.stdout
    assert "Sender's send log" in out.stdout


@pytest.mark.parametrize(("recipient", "flow"), [("user@contoso.com", "scenario_a"),
                                                  ("user@hybrid.example", "scenario_b")])
async def test_dns_hint_answers_where_the_mx_points_during_triage(dns, recipient, flow):
    s = session(dns)
    result = await walk(s, f"mail from someone@fabrikam.com to {recipient} never arrives", "no", "unsure",
                        "inbound", "unknown", "check")
    assert result.state["flow"] == flow
    assert any(row.name == "scenario" for row in rows(result))
    back = s.engine.handle(result.state, "back")
    assert (back.state["flow"], back.state["state"]) == ("triage", "mx")
