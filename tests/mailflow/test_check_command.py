"""``mailflow check``: run_checks' JSON contract, the table, and the command line as a real subprocess.

DNS comes from the loopback test server (conftest's world / dns_server fixtures), SMTP from aiosmtpd or the
scripted server on 127.0.0.1. Only tests reach loopback: they pass a policy (or --allow-private) that says so.
"""

from __future__ import annotations

import asyncio
import json
import os
import pty
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from mailflow.addresses import InvalidName
from mailflow.check_command import MAX_IPS, check_rows, format_report, run_checks, validate
from mailflow.smtp_policy import ConcurrencyLimit, ProbePolicy
from mailflow.verdict import Verdict
from tests.mailflow.smtp_servers import Handler, Script, ScriptedServer, aiosmtpd_server

ROOT = Path(__file__).resolve().parents[2]
LAB = {"lab.example": '@ MX 10 mx.lab.example.\nmx A 127.0.0.1\n@ TXT "v=spf1 mx -all"\n'}
VERDICTS = {v.value for v in Verdict}
ENV = {k: v for k, v in os.environ.items() if k not in ("MAILFLOW_NAMESERVERS", "NO_COLOR")}


def local_policy(port: int) -> ProbePolicy:
    """What the probe tests use: loopback allowed, the server's random port, a concurrency limit of our own."""
    return ProbePolicy(allowed_ports=frozenset({port}), allow_private=True, concurrency=ConcurrencyLimit(4))


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", "check", *args], capture_output=True, text=True, cwd=ROOT,
                          env=env or ENV, timeout=60, check=False)


def no_traceback(out: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in out.stderr and "Traceback" not in out.stdout


# ---------------------------------------------------------------- run_checks: the JSON contract


async def test_exchange_online_domain_contract(resolver):
    data = json.loads(json.dumps(await run_checks("contoso.com", resolver=resolver, policy=ProbePolicy())))
    assert data["domain"] == "contoso.com"
    assert data["mx"]["provider"] == "exchange-online"
    assert [{k: h[k] for k in ("host", "preference", "addresses")} for h in data["mx"]["hosts"]] == [
        {"host": "contoso-com.mail.protection.outlook.com", "preference": 0, "addresses": ["192.0.2.10"]}]
    spf = data["spf"]
    assert spf["record"] == "v=spf1 include:spf.protection.outlook.com -all"
    assert spf["includes_exchange_online"] is True and spf["dns_lookups"] == 2 and spf["verdict"] == "ok"
    assert data["dmarc"]["policy"] == "reject" and data["dmarc"]["verdict"] == "ok"
    assert data["dkim"]["tenant"] == "contoso.onmicrosoft.com"
    assert data["microsoft365"] is True
    assert data["scenario_hint"]["inbound"] == "A" and data["scenario_hint"]["reasons"]
    assert "ips" not in data and "smtp" not in data and "smtp_report" not in data  # only what was asked for
    assert [r["name"] for r in data["checks"]] == ["MX", "SPF", "DMARC", "DKIM", "Autodiscover", "MTA-STS",
                                                   "TLS-RPT", "Microsoft 365"]
    assert all(r["verdict"] in VERDICTS and r["summary"] for r in data["checks"])
    assert data["overall"] == {"verdict": "ok", "summary": "All 8 checks look fine.", "attention": []}
    assert data["request"] == {"ips": [], "smtp": False, "recipient": None, "recipient_default": False,
                               "sender": ""}
    assert data["timing"]["total_queries"] == data["timing"]["queries"] > 10


async def test_on_premises_hybrid_domain(resolver):
    data = await run_checks("hybrid.example", resolver=resolver, policy=ProbePolicy())
    assert data["mx"]["provider"] == "other"
    assert data["mx"]["hosts"][0]["host"] == "mail.hybrid.example"
    assert data["mx"]["hosts"][0]["addresses"] == ["203.0.113.10"]
    assert data["spf"]["includes_exchange_online"] is True and data["spf"]["verdict"] == "ok"
    assert data["dmarc"]["policy"] == "quarantine"
    assert data["dkim"]["tenant"] == "hybridcorp.onmicrosoft.com"
    assert data["microsoft365"] is True and data["microsoft365_details"]["hybrid"] is True
    assert data["scenario_hint"]["inbound"] == "B" and data["scenario_hint"]["outbound"] == "C"
    assert data["overall"]["verdict"] == "ok"  # no MTA-STS / TLS-RPT is a fact, not a problem


async def test_listed_and_clean_ips(resolver):
    data = await run_checks("contoso.com", ips=["192.0.2.99", "192.0.2.25", " 192.0.2.99 "], resolver=resolver,
                            policy=ProbePolicy())
    listed, clean = data["ips"]  # the repeated IP is checked once
    assert listed["ip"] == "192.0.2.99" and listed["verdict"] == "error"
    assert sorted(x["zone"] for x in listed["listed_on"]) == ["bl.spamcop.net", "zen.spamhaus.org"]
    assert listed["unchecked_on"] == [] and listed["ptr"]["names"] == ["spammer.example"]
    assert clean["ip"] == "192.0.2.25" and clean["verdict"] == "ok" and clean["listed_on"] == []
    assert data["overall"]["verdict"] == "error" and data["overall"]["attention"] == ["IP 192.0.2.99"]
    assert [r["name"] for r in data["checks"]][-2:] == ["IP 192.0.2.99", "IP 192.0.2.25"]
    assert data["timing"]["total_queries"] > data["timing"]["queries"]  # the IP lookups are counted too


async def test_smtp_against_a_loopback_server(dns_server):
    server = dns_server(LAB)
    handler = Handler()
    async with aiosmtpd_server(handler) as port:
        data = await run_checks("lab.example", smtp=True, recipient="User@Lab.Example", resolver=server.resolver(),
                                policy=local_policy(port), smtp_port=port)
    json.dumps(data)
    assert [s["step"] for s in data["smtp"]] == ["connect", "banner", "ehlo", "mail", "rcpt", "rset", "quit"]
    assert [s["code"] for s in data["smtp"]] == [None, 220, 250, 250, 250, 250, 221]
    assert all(list(s) == ["step", "code", "text", "ms"] and isinstance(s["ms"], int) for s in data["smtp"])
    report = data["smtp_report"]
    assert report["ran"] is True and report["verdict"] == "ok"
    assert (report["host"], report["address"], report["port"]) == ("mx.lab.example", "127.0.0.1", port)
    assert report["recipient"] == "user@lab.example" and report["recipient_default"] is False
    assert report["targets"] == [{"host": "mx.lab.example", "preference": 10, "addresses": ["127.0.0.1"]}]
    assert handler.rcpts == ["user@lab.example"] and handler.data_calls == 0
    assert data["checks"][-1] == {"name": "Port 25", "verdict": "ok", "summary": report["summary"]}


async def test_smtp_defaults_to_postmaster_and_the_null_sender(dns_server):
    server = dns_server(LAB)
    async with ScriptedServer() as smtp:
        data = await run_checks("lab.example", smtp=True, resolver=server.resolver(), policy=local_policy(smtp.port),
                                smtp_port=smtp.port)
    assert "MAIL FROM:<>" in smtp.commands and "RCPT TO:<postmaster@lab.example>" in smtp.commands
    assert "DATA" not in smtp.verbs
    assert data["smtp_report"]["recipient"] == "postmaster@lab.example"
    assert data["smtp_report"]["recipient_default"] is True and data["smtp_report"]["sender"] == ""
    assert any("postmaster@lab.example" in n and "--recipient" in n for n in data["notes"])  # said in the output
    assert any("null sender" in n for n in data["notes"])


async def test_smtp_with_a_sender(dns_server):
    server = dns_server(LAB)
    async with ScriptedServer() as smtp:
        data = await run_checks("lab.example", smtp=True, sender="probe@contoso.com", resolver=server.resolver(),
                                policy=local_policy(smtp.port), smtp_port=smtp.port)
    assert "MAIL FROM:<probe@contoso.com>" in smtp.commands
    assert data["smtp_report"]["sender"] == "probe@contoso.com"


async def test_the_default_policy_never_connects_to_private_addresses(dns_server):
    server = dns_server(LAB)
    async with ScriptedServer() as smtp:
        policy = ProbePolicy(allowed_ports=frozenset({smtp.port}), concurrency=ConcurrencyLimit(4))  # no loopback
        data = await run_checks("lab.example", smtp=True, resolver=server.resolver(), policy=policy,
                                smtp_port=smtp.port)
        assert smtp.connections == 0
    report = data["smtp_report"]
    assert report["verdict"] == "unchecked" and "public internet addresses" in report["summary"]
    assert data["overall"]["attention"] == ["DMARC", "Port 25"]  # a missing DMARC record counts as a warning
    assert data["overall"]["verdict"] == "warning"


async def test_the_probe_does_not_wait_for_the_other_dns_checks(dns_server):
    """The port-25 test needs only the MX: it finishes while a dropped MTA-STS query still holds the report."""
    server = dns_server(LAB, behaviours={"_mta-sts.lab.example": "drop"})
    said: list[str] = []
    async with ScriptedServer(Script(hold=0.2)) as smtp:
        data = await run_checks("lab.example", smtp=True, resolver=server.resolver(timeout=1.0, lifetime=1.0),
                                policy=local_policy(smtp.port), smtp_port=smtp.port, progress=said.append)
    assert data["smtp_report"]["verdict"] == "ok" and data["mta_sts"]["verdict"] == "unchecked"
    probe_done = next(i for i, s in enumerate(said) if "(1 of 2 done)" in s)
    assert "port-25" not in said[probe_done] and "DNS checks for lab.example" in said[probe_done]
    assert any("port-25 test (mx.lab.example)" in s for s in said[:probe_done])


async def test_smtp_without_a_mail_server(resolver):
    data = await run_checks("nullmx.example", smtp=True, resolver=resolver, policy=ProbePolicy())
    assert data["smtp"] == [] and data["smtp_report"]["ran"] is False
    assert data["smtp_report"]["verdict"] == "error" and "null MX" in data["smtp_report"]["summary"]


async def test_a_recipient_elsewhere_is_refused_before_any_query(dns_server):
    server = dns_server(LAB)
    with pytest.raises(InvalidName, match="never to relay"):
        await run_checks("lab.example", smtp=True, recipient="someone@contoso.com", resolver=server.resolver(),
                         policy=ProbePolicy())
    assert server.queries == []


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"domain": "not a domain"}, "not a domain name"),
    ({"domain": "contoso.com", "ips": ["192.0.2.300"]}, "not an IP address"),
    ({"domain": "contoso.com", "recipient": "nobody"}, "exactly one @"),
    ({"domain": "contoso.com", "sender": "a@b@c"}, "exactly one @"),
    ({"domain": "contoso.com", "ips": [f"192.0.2.{i}" for i in range(MAX_IPS + 1)]}, "at most"),
])
def test_validate_rejects_bad_input(kwargs, message):
    with pytest.raises(InvalidName, match=message):
        validate(**kwargs)


def test_validate_normalises():
    request = validate("Bücher.Example.", smtp=True, sender="<>", ips=["::ffff:192.0.2.1", "192.0.2.1"])
    assert request.domain == "xn--bcher-kva.example"
    assert request.recipient == "postmaster@xn--bcher-kva.example" and request.recipient_default
    assert request.sender == ""
    assert validate("contoso.com", recipient="Admin@CONTOSO.com").recipient == "admin@contoso.com"


# ---------------------------------------------------------------- the table


async def test_table_has_one_line_per_check(resolver):
    handler = Handler()
    data = await run_checks("contoso.com", ips=["192.0.2.99"], resolver=resolver, policy=ProbePolicy())
    async with aiosmtpd_server(handler) as port:
        data["smtp_report"] = {"verdict": "ok", "summary": "x would accept mail.", "port": port, "findings": [],
                               "recipient": "postmaster@contoso.com", "recipient_default": True, "sender": ""}
        data["smtp"] = [{"step": "banner", "code": 220, "text": "mx.test ESMTP\nready", "ms": 3}]
    text = format_report(data)
    lines = text.splitlines()
    rows = check_rows(data)
    assert len(rows) == 10
    for row in rows:
        pattern = re.compile(rf"^\[{re.escape(row['verdict'])}\]\s+{re.escape(row['name'])}\s{{2,}}\S")
        assert sum(bool(pattern.match(line)) for line in lines) == 1, row["name"]
    assert any("MX 0" in line and "contoso-com.mail.protection.outlook.com" in line for line in lines)
    assert any(line.startswith("[error]") and "IP 192.0.2.99" in line for line in lines)
    assert any(re.search(r"banner\s+220\s+3\s+mx.test ESMTP \| ready", line) for line in lines)
    assert "Overall: [error]" in text and "Scenario" in text


async def test_table_fits_a_width(resolver):
    data = await run_checks("contoso.com", ips=["192.0.2.99"], resolver=resolver, policy=ProbePolicy())
    assert max(len(line) for line in format_report(data, width=80).splitlines()) <= 80
    assert max(len(line) for line in format_report(data).splitlines()) > 80  # whole sentences by default


# ---------------------------------------------------------------- the command line, as a subprocess


def test_cli_json_for_an_exchange_online_domain(world):
    out = cli("contoso.com", "--nameserver", f"127.0.0.1:{world.port}", "--json")
    assert out.returncode == 0, out.stderr
    assert out.stderr == ""  # no status line when stderr is not a terminal
    data = json.loads(out.stdout)
    assert data["domain"] == "contoso.com" and data["mx"]["provider"] == "exchange-online"
    assert data["dkim"]["tenant"] == "contoso.onmicrosoft.com" and data["microsoft365"] is True


def test_cli_json_with_a_listed_ip_and_the_environment_nameserver(world):
    out = cli("hybrid.example", "--ip", "192.0.2.99", "--json",
              env=ENV | {"MAILFLOW_NAMESERVERS": f"127.0.0.1:{world.port}"})
    assert out.returncode == 0, out.stderr  # the checks ran: a listed IP is a finding, not a failure
    data = json.loads(out.stdout)
    assert data["scenario_hint"]["inbound"] == "B"
    assert data["ips"][0]["ip"] == "192.0.2.99" and len(data["ips"][0]["listed_on"]) == 2
    assert data["overall"]["verdict"] == "error"


def test_cli_table(world):
    args = ("contoso.com", "--ip", "192.0.2.25", "--nameserver", f"127.0.0.1:{world.port}")
    table, data = cli(*args), json.loads(cli(*args, "--json").stdout)
    assert table.returncode == 0 and table.stderr == ""
    lines = table.stdout.splitlines()
    for row in data["checks"]:
        assert sum(line.startswith(f"[{row['verdict']}]") and f" {row['name']}  " in line for line in lines) == 1
    assert lines[0] == "Mail flow checks for contoso.com"


@pytest.mark.parametrize(("args", "message"), [
    (("not_a_domain!",), "is not a domain name"),
    (("contoso.com", "--ip", "192.0.2.1", "--ip", "300.1.2.3"), "is not an IP address"),
    (("contoso.com", "--nameserver", "dns.example.com"), "must be an IP address"),
    (("contoso.com", "--nameserver", "127.0.0.1:99999"), "invalid port"),
    (("contoso.com", "--smtp", "--recipient", "user@fabrikam.com"), "is not at contoso.com"),
    (("contoso.com", "--recipient", "not-an-address"), "exactly one @"),
    (("contoso.com", "--timeout", "soon"), "--timeout"),
    (("contoso.com", "--smtp-port", "70000"), "--smtp-port"),
])
def test_cli_bad_input_exits_2_with_one_line(world, args, message):
    out = cli(*args, "--nameserver", f"127.0.0.1:{world.port}", "--json")
    assert out.returncode == 2
    no_traceback(out)
    assert out.stdout == ""
    assert out.stderr.count("\n") == 1 and out.stderr.startswith("mailflow check: ") and message in out.stderr


def test_cli_bad_nameserver_in_the_environment_exits_2():
    out = cli("contoso.com", env=ENV | {"MAILFLOW_NAMESERVERS": "not-an-ip"})
    assert out.returncode == 2 and "must be an IP address" in out.stderr
    no_traceback(out)


def test_cli_unreachable_nameserver_still_reports():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    out = cli("contoso.com", "--nameserver", f"127.0.0.1:{port}", "--timeout", "0.5", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["mx"]["verdict"] == "unchecked" and data["overall"]["verdict"] == "unchecked"


async def test_cli_smtp_against_a_loopback_server(dns_server):
    server = dns_server(LAB)
    handler = Handler()
    async with aiosmtpd_server(handler) as port:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "check", "lab.example", "--smtp", "--recipient", "user@lab.example",
            "--nameserver", f"127.0.0.1:{server.port}", "--allow-private", "--smtp-port", str(port), "--json",
            cwd=ROOT, env=ENV, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, stderr.decode()
    data = json.loads(stdout)
    assert data["smtp_report"]["verdict"] == "ok" and data["smtp_report"]["port"] == port
    assert [s["code"] for s in data["smtp"]] == [None, 220, 250, 250, 250, 250, 221]
    assert handler.rcpts == ["user@lab.example"]


def test_cli_smtp_refuses_loopback_without_the_lab_option(dns_server):
    server = dns_server(LAB)
    out = cli("lab.example", "--smtp", "--nameserver", f"127.0.0.1:{server.port}", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["smtp_report"]["verdict"] == "unchecked"
    assert "loopback" in data["smtp_report"]["summary"] or "public internet" in data["smtp_report"]["summary"]


def test_cli_help_marks_the_lab_options():
    out = subprocess.run([sys.executable, "-m", "bot", "check", "--help"], capture_output=True, text=True, cwd=ROOT,
                         env=ENV | {"COLUMNS": "200"}, timeout=60, check=False)
    assert out.returncode == 0
    for option in ("--allow-private", "--smtp-port"):
        line = next(line for line in out.stdout.splitlines() if line.strip().startswith(option))
        assert "LAB/TESTING ONLY" in line
    for option in ("--recipient", "--ip", "--smtp", "--nameserver", "--json", "--timeout", "--sender"):
        assert option in out.stdout


def test_cli_status_line_on_a_terminal(world):
    """With stderr on a terminal the run shows a status line there, and erases it; stdout stays clean JSON."""
    master, slave = pty.openpty()
    captured: list[bytes] = []

    def drain() -> None:
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO once the child has gone and the buffer is empty
                return
            if not chunk:
                return
            captured.append(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        out = subprocess.run([sys.executable, "-m", "bot", "check", "contoso.com", "--json", "--nameserver",
                              f"127.0.0.1:{world.port}"], stdout=subprocess.PIPE, stderr=slave, cwd=ROOT, env=ENV,
                             timeout=60, check=False)
    finally:
        os.close(slave)
    deadline = time.monotonic() + 5
    while reader.is_alive() and time.monotonic() < deadline:
        reader.join(0.1)
    os.close(master)
    assert out.returncode == 0
    status = b"".join(captured).decode()
    assert "mailflow check: waiting for DNS checks for contoso.com" in status
    assert status.endswith("\r\x1b[K")  # erased before the report
    assert json.loads(out.stdout)["domain"] == "contoso.com"
