"""The port-25 probe against real SMTP servers on 127.0.0.1 (see smtp_servers.py); nothing leaves the machine."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import time

import pytest

from mailflow import smtp_tls
from mailflow.addresses import InvalidName
from mailflow.smtp_findings import Attempt, interpret, judge_reply
from mailflow.smtp_policy import SHARED_LIMIT, address_problem
from mailflow.smtp_probe import (
    ConcurrencyLimit,
    ProbeError,
    ProbePolicy,
    ProbeRefused,
    ProbeReport,
    ProbeTarget,
    RateLimited,
    probe,
)
from mailflow.smtp_session import Outcome, SessionResult
from mailflow.smtp_wire import GarbageReply, Reply, ServerClosed, read_reply
from mailflow.verdict import Verdict
from tests.mailflow.smtp_servers import Handler, Script, ScriptedServer, aiosmtpd_server, issue, server_context

RCPT = "user@contoso.com"
SENDER = "probe@fabrikam.com"


def local_policy(*ports: int, **kwargs) -> ProbePolicy:
    """Tests reach loopback, on the servers' random ports, with their own concurrency limit."""
    kwargs.setdefault("concurrency", ConcurrencyLimit(4))
    return ProbePolicy(allowed_ports=frozenset(ports), allow_private=True, **kwargs)


async def run(port: int, *, targets: list[ProbeTarget] | None = None, policy: ProbePolicy | None = None,
              **kwargs) -> ProbeReport:
    kwargs = {"connect_timeout": 2, "step_timeout": 2, "overall_timeout": 8, "recipient": RCPT,
              "sender": SENDER} | kwargs
    return await probe(targets or [ProbeTarget("mx1.test", 10, ["127.0.0.1"])], port=port,
                       policy=policy or local_policy(port), **kwargs)


def kinds(report: ProbeReport) -> list[str]:
    return [f.kind for f in report.findings]


def step_names(report: ProbeReport) -> list[str]:
    return [s.step for s in report.steps]


# ---------------------------------------------------------------- a normal conversation


async def test_normal_server_accepts_the_recipient():
    handler = Handler()
    async with aiosmtpd_server(handler) as port:
        report = await run(port)
    assert report.verdict is Verdict.OK
    assert "would accept mail for this recipient" in report.summary
    assert (report.host, report.address, report.port) == ("mx1.test", "127.0.0.1", port)
    assert step_names(report) == ["connect", "banner", "ehlo", "mail", "rcpt", "rset", "quit"]
    assert [s.code for s in report.steps] == [None, 220, 250, 250, 250, 250, 221]
    assert "mx.test" in report.steps[1].text
    assert "8BITMIME" in report.steps[2].text.splitlines()
    assert handler.rcpts == [RCPT] and handler.data_calls == 0
    assert report.tls is None
    assert kinds(report) == ["no-starttls"]  # a warning only: the verdict stays ok


async def test_report_json_follows_the_cli_contract():
    async with aiosmtpd_server(Handler()) as port:
        data = (await run(port)).to_json()
    json.dumps(data)
    assert list(data) == ["host", "address", "port", "verdict", "summary", "tls", "steps", "findings"]
    assert data["verdict"] == "ok" and data["tls"] is None
    assert all(list(step) == ["step", "code", "text", "ms"] for step in data["steps"])
    assert all(isinstance(step["ms"], int) for step in data["steps"])
    assert all(set(f) == {"kind", "severity", "text"} for f in data["findings"])


async def test_data_is_never_sent():
    async with ScriptedServer() as server:
        report = await run(server.port)
    assert report.verdict is Verdict.OK
    assert server.verbs == ["EHLO", "MAIL", "RCPT", "RSET", "QUIT"]
    assert server.commands[1:3] == [f"MAIL FROM:<{SENDER}>", f"RCPT TO:<{RCPT}>"]
    assert server.commands[0] == "EHLO mailflow-assistant.invalid"


async def test_multi_line_replies_are_joined():
    script = Script(banner="220-mx.test ESMTP\r\n220-no UCE\r\n220 ready",
                    replies={"RCPT": "250-2.1.5 first\r\n250 2.1.5 Recipient OK"})
    async with ScriptedServer(script) as server:
        report = await run(server.port)
    assert report.steps[1].text == "mx.test ESMTP\nno UCE\nready"
    assert report.steps[4].text == "2.1.5 first\n2.1.5 Recipient OK"
    assert report.verdict is Verdict.OK


async def test_helo_is_used_when_ehlo_is_unknown():
    async with ScriptedServer(Script(replies={"EHLO": "502 5.5.2 Command not implemented"})) as server:
        report = await run(server.port, helo="203.0.113.9")
    assert step_names(report)[:4] == ["connect", "banner", "ehlo", "helo"]
    assert server.commands[:2] == ["EHLO [203.0.113.9]", "HELO [203.0.113.9]"]
    assert report.verdict is Verdict.OK


# ---------------------------------------------------------------- STARTTLS (RFC 3207)


async def test_self_signed_starttls_is_recorded_and_not_verified(tmp_path):
    cert = issue("mx.test", sans=("mx.test",))
    async with aiosmtpd_server(Handler(), tls=server_context(cert, tmp_path)) as port:
        report = await run(port, targets=[ProbeTarget("mx.test", 10, ["127.0.0.1"])])
    assert report.verdict is Verdict.OK
    tls = report.tls
    assert tls is not None and tls.version and tls.version.startswith("TLS") and tls.cipher
    assert tls.subject == "CN=mx.test" and tls.san == ["mx.test"]
    assert tls.not_after == cert.cert.not_valid_after_utc.isoformat()
    assert tls.verified is False and "self-signed" in (tls.verify_error or "").replace(" ", "-")
    assert tls.self_signed is True and tls.expired is False and tls.name_matches is True
    # The verifying handshake fails, so the probe reconnects without verification to read the certificate.
    assert step_names(report) == ["connect", "banner", "ehlo", "starttls",
                                  "connect", "banner", "ehlo", "starttls", "ehlo-tls", "mail", "rcpt", "rset", "quit"]
    assert "certificate not trusted" in report.steps[3].text
    assert "tls-self-signed" in kinds(report) and "TLS warning" in report.summary
    assert report.to_json()["tls"]["verified"] is False


async def test_without_verification_one_connection_reads_the_certificate(tmp_path):
    cert = issue("mx.test", sans=("mx.test",))
    async with aiosmtpd_server(Handler(), tls=server_context(cert, tmp_path)) as port:
        report = await run(port, targets=[ProbeTarget("mx.test", 10, ["127.0.0.1"])], tls_verify=False)
    assert step_names(report).count("connect") == 1
    assert report.tls is not None and report.tls.verified is None and report.tls.self_signed is True


@pytest.mark.parametrize(("name", "expired", "finding"), [
    ("mx.test", False, None),
    ("mx.test", True, "tls-expired"),
    ("other.test", False, "tls-name-mismatch"),
])
async def test_certificates_from_a_trusted_ca(tmp_path, monkeypatch, name, expired, finding):
    from tests.mailflow.smtp_servers import trusting_context

    ca = issue("Test Root CA", ca=True)
    leaf = issue(name, sans=(name,), issuer=ca, expired=expired)
    monkeypatch.setattr(smtp_tls, "verifying_context", lambda: trusting_context(ca, tmp_path))
    async with aiosmtpd_server(Handler(), tls=server_context(leaf, tmp_path)) as port:
        report = await run(port, targets=[ProbeTarget("mx.test", 10, ["127.0.0.1"])])
    assert report.verdict is Verdict.OK
    tls_kinds = [k for k in kinds(report) if k.startswith("tls-")]
    assert report.tls is not None and report.tls.issuer == "CN=Test Root CA"
    if finding is None:
        assert report.tls.verified is True and tls_kinds == [] and "TLS" not in report.summary
    else:
        assert report.tls.verified is False and tls_kinds == [finding]


async def test_a_broken_tls_handshake_falls_back_to_clear_text():
    ehlo = "250-mx.test\r\n250-STARTTLS\r\n250 8BITMIME"
    script = Script(replies={"EHLO": ehlo, "STARTTLS": "220 2.0.0 Ready to start TLS"},
                    raw_after={"STARTTLS": b"this is not TLS at all\r\n" * 4}, close_after=frozenset({"STARTTLS"}))
    async with ScriptedServer(script) as server:
        report = await run(server.port)
    assert report.verdict is Verdict.OK
    assert server.verbs == ["EHLO", "STARTTLS", "EHLO", "MAIL", "RCPT", "RSET", "QUIT"]
    assert "TLS handshake failed" in report.steps[3].text
    assert report.tls is not None and report.tls.handshake_error
    assert "tls-handshake-failed" in kinds(report)


async def test_starttls_refused_with_454_goes_on_in_clear_text():
    script = Script(replies={"EHLO": "250-mx.test\r\n250 STARTTLS", "STARTTLS": "454 4.7.0 TLS not available"})
    async with ScriptedServer(script) as server:
        report = await run(server.port)
    assert report.verdict is Verdict.OK and "starttls-refused" in kinds(report)
    assert server.verbs == ["EHLO", "STARTTLS", "MAIL", "RCPT", "RSET", "QUIT"]


# ---------------------------------------------------------------- answers to RCPT


@pytest.mark.parametrize("reply", [
    "450 4.7.1 <user@contoso.com>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/",
    "451 4.7.1 Please try again later",
])
async def test_greylisting_is_a_warning_to_try_later(reply):
    async with aiosmtpd_server(Handler(rcpt_reply=reply)) as port:
        report = await run(port)
    assert report.verdict is Verdict.WARNING
    assert kinds(report)[0] == "greylisted"
    assert "try again" in report.summary and reply[:9] in report.summary
    assert step_names(report)[-2:] == ["rset", "quit"]


async def test_throttling_is_told_apart():
    async with aiosmtpd_server(Handler(rcpt_reply="452 4.5.3 Too many recipients, rate limit exceeded")) as port:
        report = await run(port)
    assert report.verdict is Verdict.WARNING and kinds(report)[0] == "throttled"


async def test_unknown_recipient_is_not_found():
    reply = "550 5.1.1 RESOLVER.ADR.RecipNotFound; not found"
    async with aiosmtpd_server(Handler(rcpt_reply=reply)) as port:
        report = await run(port)
    assert report.verdict is Verdict.NOT_FOUND
    assert "550 5.1.1" in report.summary and "wrong" in report.summary
    assert kinds(report)[0] == "unknown-recipient" and "RecipNotFound" in report.findings[0].text


async def test_block_list_rejection_quotes_the_server():
    reply = "550 5.7.1 Service unavailable; Client host [127.0.0.1] blocked using zen.spamhaus.org"
    async with aiosmtpd_server(Handler(rcpt_reply=reply)) as port:
        report = await run(port)
    # The block list names the IP this test runs from: it says nothing about the recipient.
    assert report.verdict is Verdict.UNCHECKED
    assert kinds(report)[0] == "block-list"
    assert "blocked using zen.spamhaus.org" in report.findings[0].text
    assert "block list" in report.summary


async def test_other_policy_rejections_are_errors():
    async with aiosmtpd_server(Handler(rcpt_reply="550 5.7.1 Delivery not authorized, message refused")) as port:
        report = await run(port)
    assert report.verdict is Verdict.ERROR and kinds(report)[0] == "policy-rejected"


async def test_a_rejected_sender_leaves_the_recipient_unchecked():
    async with aiosmtpd_server(Handler(mail_reply="550 5.7.23 SPF validation failed")) as port:
        report = await run(port)
    assert report.verdict is Verdict.UNCHECKED and kinds(report)[0] == "sender-rejected"
    assert "rcpt" not in step_names(report) and step_names(report)[-1] == "quit"


# ---------------------------------------------------------------- servers that misbehave


async def test_a_server_that_stalls_before_the_banner_times_out_quickly():
    async with ScriptedServer(Script(banner=None)) as server:
        started = time.monotonic()
        report = await run(server.port, step_timeout=0.3)
    assert time.monotonic() - started < 2
    assert report.verdict is Verdict.UNCHECKED
    assert report.steps[-1].step == "banner" and report.steps[-1].code is None
    assert "no reply within 0.3 s" in report.steps[-1].text
    assert kinds(report) == ["stalled"]


async def test_a_server_that_drops_the_connection():
    async with ScriptedServer(Script(drop=True)) as server:
        report = await run(server.port)
    assert report.verdict is Verdict.UNCHECKED and kinds(report) == ["dropped"]
    assert "closed the connection" in report.steps[-1].text


async def test_421_at_the_banner():
    async with ScriptedServer(Script(banner="421 4.3.2 Service not available, closing channel")) as server:
        report = await run(server.port)
    assert report.verdict is Verdict.WARNING and kinds(report) == ["service-unavailable"]
    assert report.steps[-1].code == 421 and server.commands == []  # RFC 5321 3.8: no QUIT after 421


@pytest.mark.parametrize("verb", ["EHLO", "MAIL", "RCPT"])
async def test_421_at_any_later_step(verb):
    script = Script(replies={verb: "421 4.7.0 Too many connections"}, close_after=frozenset({verb}))
    async with ScriptedServer(script) as server:
        report = await run(server.port)
    assert report.verdict is Verdict.WARNING and kinds(report)[0] == "service-unavailable"
    assert report.steps[-1].code == 421 and server.verbs[-1] == verb


async def test_garbage_instead_of_smtp():
    async with ScriptedServer(Script(banner="HTTP/1.1 400 Bad Request")) as server:
        report = await run(server.port)
    assert report.verdict is Verdict.UNCHECKED and kinds(report) == ["garbage"]
    assert "HTTP/1.1 400" in report.steps[-1].text


async def test_the_overall_timeout_stops_the_probe():
    async with ScriptedServer(Script(banner=None)) as server:
        started = time.monotonic()
        report = await run(server.port, step_timeout=5, overall_timeout=0.3)
    assert time.monotonic() - started < 2
    assert report.verdict is Verdict.UNCHECKED and kinds(report) == ["overall-timeout"]
    assert report.steps[-1].step == "banner" and "at most 0.3 s" in report.steps[-1].text


async def test_an_answer_stands_when_the_goodbyes_stall():
    async with ScriptedServer(Script(stall_at=frozenset({"RSET"}))) as server:
        report = await run(server.port, step_timeout=0.3)
    assert report.verdict is Verdict.OK and report.steps[-1].step == "rset" and report.steps[-1].code is None
    async with ScriptedServer(Script(stall_at=frozenset({"RSET"}))) as server:
        report = await run(server.port, step_timeout=5, overall_timeout=0.3)
    assert report.verdict is Verdict.OK and "at most 0.3 s" in report.steps[-1].text


# ---------------------------------------------------------------- several MX hosts


async def test_falls_back_to_the_second_mx_when_the_first_refuses_connections():
    # Nothing listens on 127.0.0.2 at the server's port (the server is bound to 127.0.0.1 only): refused.
    async with ScriptedServer() as server:
        targets = [ProbeTarget("mx2.test", 20, ["127.0.0.1"]), ProbeTarget("mx1.test", 10, ["127.0.0.2"])]
        report = await run(server.port, targets=targets)
    assert report.verdict is Verdict.OK and report.host == "mx2.test"
    assert report.steps[0].text.endswith("connection refused") and "mx1.test [127.0.0.2]" in report.steps[0].text
    assert kinds(report)[:2] == ["connect-refused", "backup-mx"]
    assert server.connections == 1


async def test_falls_back_after_421_and_stops_at_the_first_answer():
    async with ScriptedServer(Script(banner="421 4.3.2 busy"), Script(), hosts=("127.0.0.1", "127.0.0.2")) as server:
        targets = [ProbeTarget("mx1.test", 10, ["127.0.0.1"]), ProbeTarget("mx2.test", 20, ["127.0.0.1", "127.0.0.2"]),
                   ProbeTarget("mx3.test", 30, ["127.0.0.1"])]
        report = await run(server.port, targets=targets)
    # The same address behind two names is tried once, and mx3 is never needed.
    assert report.verdict is Verdict.OK and (report.host, report.address) == ("mx2.test", "127.0.0.2")
    assert server.connections == 2
    assert step_names(report).count("connect") == 2
    assert kinds(report)[:2] == ["service-unavailable", "backup-mx"]


async def test_the_number_of_hosts_is_capped():
    async with ScriptedServer() as server:
        targets = [ProbeTarget("mx1.test", 10, ["127.0.0.2"]), ProbeTarget("mx2.test", 20, ["127.0.0.1"])]
        report = await run(server.port, targets=targets, policy=local_policy(server.port, max_hosts=1))
    assert server.connections == 0 and report.verdict is Verdict.UNCHECKED
    assert kinds(report) == ["connect-refused", "not-tried"]


async def test_a_host_without_addresses_is_reported():
    report = await run(2525, targets=[ProbeTarget("mx1.test", 10, [])])
    assert report.verdict is Verdict.UNCHECKED and kinds(report) == ["no-address"]


async def test_no_targets_at_all():
    report = await probe([], sender=SENDER, recipient=RCPT, policy=local_policy(25))
    assert report.verdict is Verdict.UNCHECKED and report.host is None and report.steps == []


# ---------------------------------------------------------------- safety


async def test_loopback_is_refused_without_a_connection():
    async with ScriptedServer() as server:
        policy = ProbePolicy(allowed_ports=frozenset({server.port}), concurrency=ConcurrencyLimit(1))
        report = await run(server.port, policy=policy)
    assert server.connections == 0
    assert report.verdict is Verdict.UNCHECKED and kinds(report) == ["policy-refused"]
    assert "loopback" in report.steps[0].text and "not attempted" in report.steps[0].text


async def test_every_refused_address_is_explained():
    targets = [ProbeTarget("mx1.test", 10, ["10.0.0.5", "fe80::1"]), ProbeTarget("mx2.test", 20, ["not-an-ip"]),
               ProbeTarget("", 30, ["8.8.8.8"])]
    report = await probe(targets, sender=SENDER, recipient=RCPT, policy=ProbePolicy(concurrency=ConcurrencyLimit(1)))
    assert [s.step for s in report.steps] == ["connect"] * 4 and all(s.code is None for s in report.steps)
    assert kinds(report) == ["policy-refused"]
    text = report.findings[0].text
    assert "10.0.0.5 is a private" in text and "fe80::1 is a link-local" in text and "'not-an-ip'" in text
    assert "neither a server name" in text  # a blank host name is refused, not sent to 8.8.8.8


@pytest.mark.parametrize("address", [
    "127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0",
    "224.0.0.1", "239.1.2.3", "255.255.255.255", "240.0.0.1", "192.0.2.1", "::1", "::", "fe80::1", "fc00::1",
    "ff02::1", "2001:db8::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "64:ff9b::a00:1", "64:ff9b:1::1",
    "2002:7f00:1::1", "127.1", "0x7f.0.0.1", "localhost", "",
])
def test_non_public_addresses_are_refused(address):
    with pytest.raises(ProbeRefused) as err:
        ProbePolicy().check_address(address)
    assert isinstance(err.value, ProbeError) and str(err.value)


@pytest.mark.parametrize("address", ["8.8.8.8", "52.101.68.1", "2606:4700:4700::1111", "64:ff9b::808:808"])
def test_public_addresses_pass(address):
    assert ProbePolicy().check_address(address) == str(ipaddress.ip_address(address))
    assert address_problem(ipaddress.ip_address(address)) is None


async def test_ports_other_than_25_are_refused_unless_allowed():
    async with ScriptedServer() as server:
        report = await run(server.port, policy=ProbePolicy(allow_private=True))
    assert server.connections == 0
    assert kinds(report) == ["policy-refused"] and f"port {server.port} is not allowed" in report.summary
    with pytest.raises(ProbeRefused, match="port 587"):
        ProbePolicy().check_port(587)
    ProbePolicy(allowed_ports=frozenset({25, 587})).check_port(587)
    with pytest.raises(ValueError, match="between 1 and 65535"):
        ProbePolicy(allowed_ports=frozenset({0}))


@pytest.mark.parametrize(("sender", "recipient", "helo"), [
    (SENDER, "user@contoso.com\r\nDATA", "probe.fabrikam.com"),
    (SENDER + ">\r\nRCPT TO:<x@y.com", RCPT, "probe.fabrikam.com"),
    (SENDER, RCPT, "probe.fabrikam.com\r\nDATA"),
])
async def test_bad_names_raise_before_any_connection(sender, recipient, helo):
    async with ScriptedServer() as server:
        with pytest.raises(InvalidName):
            await probe([ProbeTarget("mx1.test", 10, ["127.0.0.1"])], sender=sender, recipient=recipient,
                        helo=helo, port=server.port, policy=local_policy(server.port))
    assert server.connections == 0


async def test_null_sender_and_international_domain():
    async with ScriptedServer() as server:
        report = await run(server.port, recipient="jürgen@bücher.de", sender="")
    assert server.verbs == ["EHLO", "QUIT"]  # a non-ASCII mailbox needs SMTPUTF8, which this server lacks
    assert report.verdict is Verdict.ERROR and kinds(report)[0] == "no-smtputf8"
    assert "non-ASCII" in report.summary
    async with ScriptedServer(Script(replies={"EHLO": "250-mx.test\r\n250 SMTPUTF8"})) as server:
        report = await run(server.port, recipient="jürgen@bücher.de", sender="")
    assert server.commands[1:3] == ["MAIL FROM:<> SMTPUTF8", "RCPT TO:<jürgen@xn--bcher-kva.de>"]
    assert report.verdict is Verdict.OK and "jürgen@bücher.de" in report.summary


def test_rate_limit_per_key():
    now = [1000.0]
    policy = ProbePolicy(rate_limit=2, rate_window=600, clock=lambda: now[0])
    policy.acquire("conv-1")
    policy.acquire("conv-1")
    policy.acquire("conv-2")
    with pytest.raises(RateLimited) as err:
        policy.acquire("conv-1")
    assert isinstance(err.value, ProbeError)
    assert err.value.retry_after == pytest.approx(600)
    assert "2 port-25 tests in the last 10 minutes" in str(err.value) and "10 minutes before" in str(err.value)
    now[0] += 601
    policy.acquire("conv-1")


async def test_concurrency_limit_runs_probes_one_at_a_time():
    limit = ConcurrencyLimit(1)
    async with ScriptedServer(Script(hold=0.15)) as server:
        policy = local_policy(server.port, concurrency=limit)
        reports = await asyncio.gather(*(run(server.port, policy=policy) for _ in range(3)))
    assert [r.verdict for r in reports] == [Verdict.OK] * 3
    assert server.connections == 3 and server.max_active == 1


async def test_a_probe_that_cannot_get_a_slot_gives_up():
    limit = ConcurrencyLimit(1)
    async with ScriptedServer(Script(banner=None)) as server:
        policy = local_policy(server.port, concurrency=limit)
        first = asyncio.create_task(run(server.port, policy=policy, step_timeout=0.5))
        await asyncio.sleep(0.05)
        second = await run(server.port, policy=policy, overall_timeout=0.1)
        assert server.connections == 1
        await first
    assert second.verdict is Verdict.UNCHECKED and kinds(second) == ["busy"]
    assert "free test slot" in second.steps[0].text


def test_default_policies_share_one_process_wide_limit():
    assert ProbePolicy().concurrency is ProbePolicy().concurrency is SHARED_LIMIT
    assert SHARED_LIMIT.limit == 4


def test_timeouts_are_clamped_by_the_policy():
    assert ProbePolicy().clamp(600, 600, 3600) == (30, 60, 120)


# ---------------------------------------------------------------- pieces without a network


def _attempt(host: str, outcome: Outcome, preference: int = 10) -> Attempt:
    return Attempt(host, preference, "203.0.113.5", SessionResult(outcome, "connect"))


def test_connect_timeouts_everywhere_point_at_a_blocked_port_25():
    attempts = [_attempt("mx1.contoso.com", Outcome.CONNECT_TIMEOUT),
                _attempt("mx2.contoso.com", Outcome.CONNECT_TIMEOUT, 20)]
    chosen, judgement = interpret(attempts, recipient=RCPT, sender=SENDER, port=25, timeouts=(10, 15, 60))
    assert chosen is attempts[0] and judgement.verdict is Verdict.UNCHECKED
    assert "port 25 is probably blocked" in judgement.summary
    assert judgement.findings[0].kind == "connect-timeout"
    assert "block outbound port 25" in judgement.findings[0].text and "mx2.contoso.com" in judgement.findings[0].text


@pytest.mark.parametrize(("text", "kind", "verdict"), [
    ("450 4.7.1 <mx.test>: Helo command rejected: Host not found", "helo-rejected", Verdict.UNCHECKED),
    ("553 5.7.1 <probe@fabrikam.com>: Sender address rejected: not owned by user", "sender-rejected",
     Verdict.UNCHECKED),
    ("450 4.7.25 Client host rejected: cannot find your hostname, [198.51.100.7]", "client-rejected",
     Verdict.UNCHECKED),
    ("550 5.4.1 Recipient address rejected: Access denied. AS(201806281)", "relay-denied", Verdict.ERROR),
    ("554 5.7.1 <user@contoso.com>: Relay access denied", "relay-denied", Verdict.ERROR),
    ("552 5.2.2 Mailbox full", "mailbox-full", Verdict.ERROR),
    ("550 No such user here", "unknown-recipient", Verdict.NOT_FOUND),
    ("550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup", "unknown-recipient",
     Verdict.NOT_FOUND),
    ("550 Requested action not taken: mailbox unavailable", "rejected", Verdict.ERROR),
    ("451 4.7.500 Server busy. Please try again later from [198.51.100.7]. (AS800)", "greylisted", Verdict.WARNING),
    ("451 4.3.0 Temporary lookup failure", "deferred", Verdict.WARNING),
])
def test_rcpt_replies_are_read_like_an_admin_would(text, kind, verdict):
    code, rest = text.split(" ", 1)
    reply = Reply(int(code), (rest,))
    got_kind, got_verdict, summary, explanation = judge_reply("rcpt", reply, "mx1.test", RCPT, SENDER)
    assert (got_kind, got_verdict) == (kind, verdict)
    assert summary.startswith("mx1.test") and rest[:20] in explanation


async def test_targets_may_be_plain_tuples():
    async with ScriptedServer() as server:
        report = await run(server.port, targets=[("mx1.test.", 10, ("127.0.0.1",))])
    assert report.verdict is Verdict.OK and report.host == "mx1.test"


def _reader(data: bytes) -> asyncio.StreamReader:
    reader = asyncio.StreamReader(limit=2048)
    reader.feed_data(data)
    reader.feed_eof()
    return reader


async def test_reply_parsing():
    reply = await read_reply(_reader(b"250-mx.test\r\n250-SIZE 100\r\n250 STARTTLS\r\n"))
    assert reply.code == 250 and reply.lines == ("mx.test", "SIZE 100", "STARTTLS")
    assert (await read_reply(_reader(b"550 5.1.1 no\r\n"))).enhanced == "5.1.1"
    assert (await read_reply(_reader(b"550 4.1.1 odd\r\n"))).enhanced is None  # RFC 3463: class must match
    assert (await read_reply(_reader(b"220\n"))).lines == ("",)
    for bad in (b"250-a\r\n251 b\r\n", b"hello\r\n", b"199 x\r\n", b"x" * 5000 + b"\r\n"):
        with pytest.raises(GarbageReply):
            await read_reply(_reader(bad))
    with pytest.raises(ServerClosed):
        await read_reply(_reader(b"250-a\r\n250-b"))


@pytest.mark.parametrize(("host", "names", "expected"), [
    ("mx.contoso.com", ["mx.contoso.com"], True),
    ("MX.contoso.com.", ["mx.contoso.com"], True),
    ("mx.contoso.com", ["*.contoso.com"], True),
    ("a.mx.contoso.com", ["*.contoso.com"], False),
    ("contoso.com", ["*.contoso.com"], False),
    ("mx.contoso.com", ["*.com"], False),
    ("mx.contoso.com", ["mail.contoso.com"], False),
    ("203.0.113.5", ["203.0.113.5"], True),
])
def test_certificate_name_matching(host, names, expected):
    assert smtp_tls.name_matches(host, names) is expected

