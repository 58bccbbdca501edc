"""Turning probe transcripts into a verdict, a one-line summary and findings in plain English.

Replies are read by their RFC 3463 enhanced code where the server sends one, and by well-known words
otherwise. Rejections aimed at the probe itself (its IP on a block list, its HELO name, its sender address)
say nothing about the recipient, so they are UNCHECKED rather than ERROR.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mailflow.smtp_session import Outcome, SessionResult
from mailflow.smtp_wire import Reply
from mailflow.verdict import Verdict

_BLOCK_WORDS = ("blocked using", "block list", "blocklist", "blacklist", "spamhaus", "dnsbl", "listed at",
                "listed on", "listed in", "banned sending ip", "poor reputation")
_UNKNOWN_WORDS = ("user unknown", "unknown user", "unknown recipient", "recipient unknown", "no such user",
                  "no such mailbox", "does not exist", "doesn't exist", "recipnotfound", "recipientnotfound",
                  "invalid recipient", "mailbox not found", "address not found")
_RELAY_WORDS = ("relay", "relaying")
_CLIENT_WORDS = ("client host rejected", "cannot find your hostname", "reverse dns", "rdns")
_GREY_WORDS = ("greylist", "graylist", "grey list", "gray list")
_THROTTLE_WORDS = ("rate limit", "too many", "throttl", "exceeded", "slow down")
_HELLO_STEPS = ("ehlo", "helo", "ehlo-tls")  # step names, as in the transcript
_PORT_BLOCKED = ("Many ISPs, cloud providers and corporate networks block outbound port 25, so from here a "
                 "timeout often says more about this network than about the server")


@dataclass
class Finding:
    kind: str
    severity: Verdict
    text: str

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "severity": self.severity.value, "text": self.text}


@dataclass
class Attempt:
    """Everything tried against one address, after any TLS retries."""

    host: str
    preference: int
    address: str | None
    result: SessionResult
    tls_error: str | None = None  # a handshake failure that made the probe reconnect without STARTTLS


@dataclass
class Judgement:
    verdict: Verdict
    summary: str
    findings: list[Finding]


def _has(text: str, words: Sequence[str]) -> bool:
    return any(word in text for word in words)


def _quoted(reply: Reply) -> str:
    text = " ".join(reply.lines)
    return f'"{reply.code} {text[:240]}{"..." if len(text) > 240 else ""}"'


def judge_reply(step: str, reply: Reply, who: str, recipient: str, sender: str) -> tuple[str, Verdict, str, str]:
    """(kind, verdict, summary, explanation) for a reply that ended a session."""
    text, enhanced, said = reply.text.lower(), reply.enhanced or "", f"{who} said {_quoted(reply)}."
    temporary = reply.code // 100 == 4
    if reply.code == 421:
        return ("service-unavailable", Verdict.WARNING,
                f"{who} answered 421 at the {step} step: its mail service is not available right now; try later.",
                f"{said} 421 means the server is closing the connection: it is overloaded, in maintenance or "
                "limiting connections from this IP address. Senders retry later on their own.")
    if _has(text, _BLOCK_WORDS):
        return ("block-list", Verdict.UNCHECKED,
                f"{who} refused this test's IP address because of a block list ({reply.short}); "
                "the recipient could not be checked from here.",
                f"{said} The listed address is the one this test connects from, not necessarily your mail "
                "servers': look your sending IPs up on the list the text names, and ask its operator for removal.")
    if _has(text, _CLIENT_WORDS):
        return ("client-rejected", Verdict.UNCHECKED,
                f"{who} refused this test's IP address ({reply.short}); the recipient could not be checked from here.",
                f"{said} The server checks the connecting address (often for reverse DNS); that is this test's "
                "address, not necessarily your mail servers'.")
    if "starttls" in text or (enhanced == "5.7.0" and "tls" in text):
        return ("tls-required", Verdict.ERROR,
                f"{who} accepts mail only over TLS ({reply.short}), and TLS with it did not work from here.",
                f"{said} RFC 3207 lets a server insist on STARTTLS; see the TLS findings for why it failed.")
    # Postfix and others delay HELO and sender rejections until RCPT, so the words count at any step.
    if "helo" in text or "ehlo" in text:
        return ("helo-rejected", Verdict.UNCHECKED,
                f"{who} rejected this test's HELO name ({reply.short}); the recipient could not be checked.",
                f"{said} Run the test with a helo name whose DNS resolves to the IP address it runs from.")
    if step == "mail" or "sender address rejected" in text:
        return ("sender-rejected", Verdict.UNCHECKED,
                f"{who} refused the sender {sender or '<>'} ({reply.short}); the recipient could not be checked.",
                f"{said} The test runs from this machine, so SPF and other sender checks may fail for a domain "
                "whose mail normally comes from elsewhere; try another sender address or the null sender <>.")
    if step == "banner" or step in _HELLO_STEPS:
        where = "greeting" if step == "banner" else f"{step.upper()} step"
        return ("service-refused", Verdict.WARNING if temporary else Verdict.ERROR,
                f"{who} refused the SMTP session at the {where} ({reply.short}).",
                f"{said} RFC 5321 lets a server answer 554 instead of 220 when it takes no mail from the "
                "connecting address or does not receive mail at all.")
    if temporary:
        kind, why = "deferred", "a temporary refusal"
        if _has(text, _THROTTLE_WORDS):
            kind, why = "throttled", "the server is limiting how much it accepts from this IP or sender"
        elif _has(text, _GREY_WORDS) or enhanced.startswith("4.7."):
            kind, why = "greylisted", ("typical of greylisting: the server refuses the first attempt from an "
                                       "unknown sender and accepts a retry a few minutes later")
        return (kind, Verdict.WARNING,
                f"{who} temporarily deferred {recipient} ({reply.short}): try again in 5-15 minutes.",
                f"{said} A 4xx reply is temporary, {why}. Real senders retry on their own, so mail is "
                "delayed rather than lost; run the test again later.")
    subject = enhanced.split(".")[1] if enhanced else ""
    # X.1.0, X.1.7 and X.1.8 are about the sender or unspecific; the rest of X.1.x about the recipient.
    if (subject == "1" and enhanced not in ("5.1.0", "5.1.7", "5.1.8")) or _has(text, _UNKNOWN_WORDS):
        return ("unknown-recipient", Verdict.NOT_FOUND,
                f"{who} does not know {recipient} ({reply.short}): the address is wrong or the mailbox is gone.",
                f"{said} X.1.x codes (RFC 3463) are about the address itself: check the spelling and whether the "
                "mailbox was deleted, renamed or moved. In Exchange Online RESOLVER.ADR.RecipNotFound means "
                "no recipient has that address.")
    if enhanced == "5.4.1" or _has(text, _RELAY_WORDS):
        return ("relay-denied", Verdict.ERROR,
                f"{who} will not take mail for {recipient} ({reply.short}): relaying or access denied.",
                f"{said} The server does not consider itself responsible for this address: the domain is not "
                "set up on it (in Exchange Online: not an accepted domain), or Directory-Based Edge Blocking "
                "found no such recipient.")
    if enhanced == "5.2.2":
        return ("mailbox-full", Verdict.ERROR, f"{who} says the mailbox of {recipient} is full ({reply.short}).",
                f"{said} The recipient has to make room or have the quota raised.")
    if subject == "7":
        return ("policy-rejected", Verdict.ERROR, f"{who} rejected {recipient} by policy ({reply.short}).",
                f"{said} 5.7.x codes are security or policy decisions (RFC 3463): the recipient may accept mail "
                "only from certain senders, or the server refuses this connection; the text names the rule.")
    return ("rejected", Verdict.ERROR, f"{who} rejected {recipient} ({reply.short}).",
            f"{said} A 5xx reply is permanent; the text gives the reason.")


def _where(attempts: Sequence[Attempt]) -> str:
    return ", ".join(f"{a.host} [{a.address}]" if a.address else a.host for a in attempts)


def _network_text(outcome: Outcome, attempts: Sequence[Attempt], port: int, timeouts: tuple[float, float, float],
                  ) -> tuple[str, str]:
    """(summary, explanation) for sessions that ended without an SMTP answer."""
    first = attempts[0]
    who, step = first.host, first.result.step
    detail = "; ".join(dict.fromkeys(a.result.detail for a in attempts if a.result.detail))
    where, (connect, stall, overall) = _where(attempts), timeouts
    texts = {
        Outcome.CONNECT_TIMEOUT: (
            f"No answer on port {port} from {who}: port {port} may be blocked on this network, or the host is down.",
            f"No answer to the connection on port {port} from {where} within {connect:g} s. {_PORT_BLOCKED}; "
            "otherwise the host is down or firewalled. Try again from a network that allows outbound SMTP."),
        Outcome.CONNECT_REFUSED: (
            f"{who} refused the connection on port {port}: no mail service is listening there.",
            f"{where} refused the connection on port {port}: the SMTP service is stopped, the MX record points at "
            "the wrong machine, or a firewall rejects the connection."),
        Outcome.CONNECT_ERROR: (f"Could not connect to {who}: {detail}.", f"Connecting to {where} failed: {detail}."),
        Outcome.STALLED: (
            f"{who} accepted the connection but did not answer the {step} step in time.",
            f"{where} sent no reply to the {step} step within {stall:g} s: an overloaded server, a tarpit, or a "
            "firewall that holds SMTP connections."),
        Outcome.DROPPED: (
            f"{who} closed the connection during the {step} step.",
            f"{where} closed the connection during the {step} step without an SMTP reply: a firewall, a "
            "connection limit, or a server silently refusing this IP address."),
        Outcome.GARBAGE: (
            f"{who} does not answer in SMTP on port {port}.",
            f"{where} answered the {step} step with something that is not SMTP ({detail}): another service "
            "is listening there, or a proxy interferes."),
        Outcome.NO_SMTPUTF8: (
            f"{who} cannot receive mail for a non-ASCII address: it does not offer SMTPUTF8.",
            f"{where} does not offer SMTPUTF8 (RFC 6531), which an address with non-ASCII characters needs."),
        Outcome.POLICY_REFUSED: (f"Not tested: {detail}.", f"Not tested: {detail}."),
        Outcome.NO_ADDRESS: (f"Not tested: {who} has no IP address.",
                             f"{where}: no IP address was found for this host, so it cannot receive mail."),
        Outcome.BUSY: (
            "Not tested: too many port-25 tests are running right now; try again in a minute.",
            f"This test waited {overall:g} s for one of the limited test slots and gave up."),
        Outcome.TLS_FAILED: (f"The TLS handshake with {who} failed: {detail}.",
                             f"The TLS handshake with {where} failed: {detail}."),
        Outcome.VERIFY_FAILED: (f"The certificate of {who} is not trusted: {detail}.",
                                f"The certificate of {where} is not trusted: {detail}."),
        Outcome.OVERALL_TIMEOUT: (
            f"The test was stopped after {overall:g} s, before {who} answered for the recipient.",
            f"The whole test may take at most {overall:g} s; {who} was at the {step} step when it ran out."),
    }
    return texts[outcome]


_NOT_ANSWERS = (Outcome.GARBAGE, Outcome.TLS_FAILED, Outcome.VERIFY_FAILED)  # they carry a reply, not an answer
_NETWORK_VERDICT = {Outcome.NO_SMTPUTF8: Verdict.ERROR}
_RANK = [  # which attempt explains the result best when no host answered the RCPT
    (Outcome.SENDER_REJECTED, Outcome.SERVICE_REFUSED, Outcome.UNAVAILABLE, Outcome.NO_SMTPUTF8),
    (Outcome.OVERALL_TIMEOUT, Outcome.GARBAGE, Outcome.DROPPED, Outcome.STALLED),
    (Outcome.CONNECT_ERROR, Outcome.CONNECT_REFUSED, Outcome.CONNECT_TIMEOUT, Outcome.NO_ADDRESS, Outcome.BUSY),
]


def _rank(attempt: Attempt) -> int:
    outcome = attempt.result.outcome
    return 0 if outcome.definitive else next((i + 1 for i, g in enumerate(_RANK) if outcome in g), len(_RANK) + 1)


def interpret(attempts: Sequence[Attempt], *, recipient: str, sender: str, port: int,
              timeouts: tuple[float, float, float]) -> tuple[Attempt | None, Judgement]:
    """The attempt that decides the report, and the verdict, summary and findings over all attempts."""
    if not attempts:
        return None, Judgement(Verdict.UNCHECKED, "Nothing was tested: no MX hosts were given.", [])
    chosen = min(attempts, key=_rank)
    findings: list[Finding] = []
    verdict, summary = Verdict.UNCHECKED, ""
    by_outcome: dict[tuple[Outcome, str], list[Attempt]] = {}
    for attempt in attempts:
        result = attempt.result
        if result.reply is not None and result.outcome not in _NOT_ANSWERS:
            kind, severity, line, text = judge_reply(result.step, result.reply, attempt.host, recipient, sender)
            if attempt is chosen:
                verdict, summary = severity, line
            if result.outcome is not Outcome.ACCEPTED:
                findings.append(Finding(kind, severity, text))
        else:
            by_outcome.setdefault((result.outcome, result.step), []).append(attempt)
    for (outcome, _), group in by_outcome.items():
        line, text = _network_text(outcome, group, port, timeouts)
        severity = _NETWORK_VERDICT.get(outcome, Verdict.UNCHECKED)
        findings.append(Finding(outcome.value, severity, text))
        if chosen in group:
            verdict, summary = severity, line
            if outcome is Outcome.CONNECT_TIMEOUT and 1 < len(group) == len(attempts):
                summary = (f"No MX host answered on port {port}: port {port} is probably blocked on the network "
                           "this test runs from, or the hosts are down.")
    if chosen.result.outcome is Outcome.ACCEPTED:
        verdict, summary = Verdict.OK, (f"{chosen.host} accepted {recipient}: the server would accept mail "
                                        "for this recipient.")
    if chosen.result.outcome.definitive:
        findings.extend(_fallback_findings(chosen, attempts))
    tls = tls_findings(chosen)
    findings.extend(tls)
    if tls and verdict is Verdict.OK:
        summary = f"{summary[:-1]}; see the TLS warning."
    return chosen, Judgement(verdict, summary, findings)


def _fallback_findings(chosen: Attempt, attempts: Sequence[Attempt]) -> list[Finding]:
    skipped = [a for a in attempts if a.host != chosen.host and a.preference < chosen.preference
               and a.result.outcome is not Outcome.POLICY_REFUSED]
    if not skipped:
        return []
    hosts = ", ".join(dict.fromkeys(a.host for a in skipped))
    return [Finding("backup-mx", Verdict.WARNING,
                    f"The answer came from {chosen.host} (preference {chosen.preference}) because the preferred "
                    f"host {hosts} did not answer properly. Senders fall back the same way, but mail may be delayed "
                    "or handled by a backup that does not know all recipients.")]


def tls_findings(attempt: Attempt) -> list[Finding]:
    """Problems a sender that enforces TLS would hit; opportunistic senders deliver anyway."""
    who, result, info = attempt.host, attempt.result, attempt.result.tls
    out: list[Finding] = []

    def add(kind: str, text: str) -> None:
        out.append(Finding(kind, Verdict.WARNING, text))

    if attempt.tls_error:
        add("tls-handshake-failed", f"{who} offered STARTTLS but the TLS handshake failed ({attempt.tls_error}); "
            "the test went on without TLS, as opportunistic senders do, but senders that require TLS cannot deliver.")
    elif result.starttls_refused is not None:
        add("starttls-refused", f"{who} offers STARTTLS but refused it ({_quoted(result.starttls_refused)}), "
            "so mail to it travels unencrypted.")
    elif result.starttls_offered is False:
        add("no-starttls", f"{who} does not offer STARTTLS, so mail to it travels unencrypted; senders that "
            "require TLS fail (Exchange Online reports 5.7.321 starttls-not-supported).")
    if info is None:
        return out
    enforced = "senders that enforce TLS (MTA-STS, DANE, a connector that requires TLS) will not deliver"
    if info.expired:
        add("tls-expired", f"The certificate of {who} expired on {(info.not_after or '')[:10]}: {enforced} "
            "(Exchange Online: 4.7.322/5.7.322 certificate-expired).")
    if info.self_signed:
        add("tls-self-signed", f"{who} presents a self-signed certificate ({info.subject}): {enforced} "
            "(Exchange Online: 450 4.4.317 UntrustedRoot).")
    if info.name_matches is False:
        names = ", ".join(info.san) or info.subject or "no names"
        add("tls-name-mismatch", f"The certificate of {who} is issued for {names}, which does not cover {who}: "
            f"{enforced} (Exchange Online: 5.7.325 certificate-host-mismatch).")
    if info.verified is False and not (info.expired or info.self_signed or info.name_matches is False):
        add("tls-untrusted", f"The certificate chain of {who} does not verify against this machine's trusted CAs "
            f"({info.verify_error}); a missing intermediate certificate on the server is the usual cause.")
    return out
