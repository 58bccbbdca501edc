"""One SMTP conversation with one address, played as a sending server would, stopping before DATA.

RFC 5321 section 3 gives the order: greeting, EHLO, (STARTTLS per RFC 3207 and EHLO again), MAIL, RCPT.
The probe then ends the transaction with RSET and leaves with QUIT: it never sends DATA, BDAT or BURL,
so no message can ever be delivered or relayed through it.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import time
from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import Any

from mailflow import smtp_tls
from mailflow.smtp_tls import TlsInfo
from mailflow.smtp_wire import MAX_LINE, Envelope, GarbageReply, Reply, ServerClosed, read_reply

_GOODBYE_TIMEOUT = 5.0  # seconds for RSET and QUIT, once the RCPT answer is known
_FORBIDDEN_VERBS = frozenset({"DATA", "BDAT", "BURL"})  # RFC 5321 4.1.1.4, RFC 3030, RFC 4468: message content


class Outcome(StrEnum):
    """How a session ended; only the RCPT answers are definitive for the probe."""

    ACCEPTED = "accepted"  # RCPT 2xx
    DEFERRED = "deferred"  # RCPT 4xx
    REJECTED = "rejected"  # RCPT 5xx
    SENDER_REJECTED = "sender-rejected"  # MAIL answered 4xx/5xx, RCPT never asked
    SERVICE_REFUSED = "service-refused"  # greeting or EHLO/HELO answered with something other than 2xx
    UNAVAILABLE = "unavailable"  # 421 at any point (RFC 5321 section 3.8)
    NO_SMTPUTF8 = "no-smtputf8"  # non-ASCII address but the server lacks RFC 6531 SMTPUTF8
    CONNECT_TIMEOUT = "connect-timeout"
    CONNECT_REFUSED = "connect-refused"
    CONNECT_ERROR = "connect-error"
    STALLED = "stalled"
    DROPPED = "dropped"
    GARBAGE = "garbage"
    VERIFY_FAILED = "verify-failed"  # certificate not trusted: reconnect unverified to read it
    TLS_FAILED = "tls-failed"  # handshake broke: reconnect without STARTTLS
    POLICY_REFUSED = "policy-refused"
    BUSY = "busy"  # no free slot under the concurrency limit before the overall timeout
    NO_ADDRESS = "no-address"
    OVERALL_TIMEOUT = "overall-timeout"

    @property
    def definitive(self) -> bool:
        return self in (Outcome.ACCEPTED, Outcome.DEFERRED, Outcome.REJECTED)


class TlsMode(Enum):
    VERIFY = "verify"
    UNVERIFIED = "unverified"
    OFF = "off"


@dataclass
class Step:
    """One line of the transcript: what was done, the reply code and text, and how long it took."""

    step: str
    code: int | None
    text: str
    ms: int

    def to_json(self) -> dict[str, Any]:
        return {"step": self.step, "code": self.code, "text": self.text, "ms": self.ms}


@dataclass
class SessionResult:
    outcome: Outcome
    step: str
    reply: Reply | None = None
    detail: str = ""
    tls: TlsInfo | None = None
    starttls_offered: bool | None = None  # None: the session never got an EHLO answer
    starttls_refused: Reply | None = None


class _Stop(Exception):
    def __init__(self, outcome: Outcome, step: str, reply: Reply | None = None, detail: str = "") -> None:
        super().__init__(outcome.value)
        self.outcome, self.step, self.reply, self.detail = outcome, step, reply, detail


class Session:
    """Talks to one address once. ``current`` names the step in progress, for an overall timeout's report."""

    def __init__(self, host: str, address: str, port: int, envelope: Envelope, steps: list[Step], *,
                 connect_timeout: float, step_timeout: float, tls_mode: TlsMode,
                 verify_error: str | None = None) -> None:
        self.host, self.address, self.port, self.envelope, self.steps = host, address, port, envelope, steps
        self.connect_timeout, self.step_timeout = connect_timeout, step_timeout
        self.tls_mode, self.verify_error = tls_mode, verify_error
        self.current, self.started = "connect", time.perf_counter()
        self.result = SessionResult(Outcome.OVERALL_TIMEOUT, "connect")
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def run(self) -> SessionResult:
        try:
            await self._connect()
            await self._converse()
        except _Stop as stop:
            self.result.outcome, self.result.step = stop.outcome, stop.step
            self.result.reply, self.result.detail = stop.reply, stop.detail
            if stop.outcome in (Outcome.SERVICE_REFUSED, Outcome.SENDER_REJECTED, Outcome.NO_SMTPUTF8):
                await self._goodbye(rset=False)  # RFC 5321 section 3.1: after a refusal the client still QUITs
        finally:
            if self._writer is not None:  # not closed politely: error, or cancelled by the overall timeout
                self._writer.transport.abort()
        return self.result

    async def _connect(self) -> None:
        started = self.started = time.perf_counter()
        where = f"{self.host} [{self.address}]:{self.port}"
        try:
            async with asyncio.timeout(self.connect_timeout):
                # AI_NUMERICHOST: the address is a literal; the system resolver must never be consulted.
                self._reader, self._writer = await asyncio.open_connection(
                    self.address, self.port, limit=MAX_LINE, flags=socket.AI_NUMERICHOST)
        except TimeoutError:
            self._record("connect", None, f"{where}: no answer within {self.connect_timeout:g} s", started)
            raise _Stop(Outcome.CONNECT_TIMEOUT, "connect") from None
        except ConnectionRefusedError:
            self._record("connect", None, f"{where}: connection refused", started)
            raise _Stop(Outcome.CONNECT_REFUSED, "connect") from None
        except OSError as exc:
            reason = exc.strerror or str(exc) or type(exc).__name__
            self._record("connect", None, f"{where}: {reason}", started)
            raise _Stop(Outcome.CONNECT_ERROR, "connect", detail=reason) from None
        self._record("connect", None, f"connected to {where}", started)

    async def _converse(self) -> None:
        banner = await self._exchange("banner", None)
        if banner.code != 220:  # RFC 5321 section 3.1: 554 may replace the 220 greeting
            raise _Stop(Outcome.SERVICE_REFUSED, "banner", banner)
        extensions = await self._hello("ehlo")
        self.result.starttls_offered = "STARTTLS" in extensions
        if self.tls_mode is not TlsMode.OFF and "STARTTLS" in extensions and await self._starttls():
            extensions = await self._hello("ehlo-tls")  # RFC 3207 section 4.2: forget what was learnt before TLS
        utf8 = self.envelope.smtputf8
        if utf8 and "SMTPUTF8" not in extensions:
            self._record("mail", None, "not sent: the address is not ASCII and the server does not offer "
                         "SMTPUTF8 (RFC 6531)", time.perf_counter())
            raise _Stop(Outcome.NO_SMTPUTF8, "mail")
        mail = await self._exchange("mail", f"MAIL FROM:<{self.envelope.mail_from}>" + (" SMTPUTF8" if utf8 else ""))
        if mail.code // 100 != 2:
            raise _Stop(Outcome.SENDER_REJECTED, "mail", mail)
        rcpt = await self._exchange("rcpt", f"RCPT TO:<{self.envelope.rcpt_to}>")
        outcome = {2: Outcome.ACCEPTED, 4: Outcome.DEFERRED, 5: Outcome.REJECTED}.get(rcpt.code // 100)
        if outcome is None:  # a 3xx here is a protocol error (RFC 5321 section 4.3.2)
            raise _Stop(Outcome.GARBAGE, "rcpt", rcpt, f"unexpected reply {rcpt.code} to RCPT")
        self.result.outcome, self.result.step, self.result.reply = outcome, "rcpt", rcpt
        await self._goodbye(rset=True)

    async def _hello(self, step: str) -> set[str]:
        """EHLO, falling back to HELO for servers that predate it (RFC 5321 section 4.1.1.1)."""
        reply = await self._exchange(step, f"EHLO {self.envelope.helo}")
        if reply.code in (500, 502):
            reply = await self._exchange("helo", f"HELO {self.envelope.helo}")
            if reply.code // 100 != 2:
                raise _Stop(Outcome.SERVICE_REFUSED, "helo", reply)
            return set()
        if reply.code // 100 != 2:
            raise _Stop(Outcome.SERVICE_REFUSED, step, reply)
        # The first line greets; each further line starts with an EHLO keyword (RFC 5321 section 4.1.1.1).
        return {line.split()[0].upper() for line in reply.lines[1:] if line.split()}

    async def _starttls(self) -> bool:
        """Upgrade the connection; False when the server declined and the session stays in clear text."""
        started = time.perf_counter()
        reply = await self._exchange("starttls", "STARTTLS", record=False)
        if reply.code != 220:  # RFC 3207 section 4: 454 TLS not available; the client may go on without it
            self._record("starttls", reply.code, reply.text, started)
            self.result.starttls_refused = reply
            return False
        assert self._writer is not None
        verify = self.tls_mode is TlsMode.VERIFY
        context = smtp_tls.verifying_context() if verify else smtp_tls.unverified_context()
        try:
            async with asyncio.timeout(self.step_timeout):
                await self._writer.start_tls(context, server_hostname=self.host,
                                             ssl_handshake_timeout=self.step_timeout)
        except ssl.SSLCertVerificationError as exc:
            reason = smtp_tls.verify_reason(exc)
            self._record("starttls", reply.code, f"{reply.text}\nTLS: certificate not trusted ({reason}); "
                         "reconnecting without verification to read it", started)
            raise _Stop(Outcome.VERIFY_FAILED, "starttls", reply, reason) from None
        except (ssl.SSLError, OSError, ValueError) as exc:  # OSError: resets and the handshake timeout
            reason = smtp_tls.handshake_reason(exc)
            self._record("starttls", reply.code, f"{reply.text}\nTLS handshake failed: {reason}; "
                         "reconnecting without STARTTLS", started)
            raise _Stop(Outcome.TLS_FAILED, "starttls", reply, reason) from None
        ssl_object = self._writer.get_extra_info("ssl_object")
        verified = True if verify else (False if self.verify_error else None)
        info = smtp_tls.describe(ssl_object, self.host, verified=verified, verify_error=self.verify_error)
        self.result.tls = info
        trust = {True: "certificate verified", False: "certificate not trusted", None: "certificate not checked"}
        self._record("starttls", reply.code, f"{reply.text}\nTLS: {info.version} {info.cipher}; "
                     f"{trust[verified]}", started)
        return True

    async def _goodbye(self, *, rset: bool) -> None:
        """RSET ends the transaction (RFC 5321 section 4.1.1.5), QUIT the session (4.1.1.10)."""
        try:
            # The answer is in: a server that dawdles over the goodbyes gets little time.
            if rset:
                await self._exchange("rset", "RSET", within=_GOODBYE_TIMEOUT)
            await self._exchange("quit", "QUIT", within=_GOODBYE_TIMEOUT)
        except _Stop:
            return
        writer, self._writer = self._writer, None
        if writer is None:
            return
        writer.close()
        try:
            async with asyncio.timeout(1):
                await writer.wait_closed()
        except (TimeoutError, OSError):
            writer.transport.abort()

    async def _exchange(self, step: str, command: str | None, *, record: bool = True,
                        within: float | None = None) -> Reply:
        """Send one command (none for the greeting) and read its reply within the step timeout."""
        assert self._reader is not None
        assert self._writer is not None
        limit = min(within, self.step_timeout) if within else self.step_timeout
        self.current, self.started = step, time.perf_counter()
        started = self.started
        try:
            async with asyncio.timeout(limit):
                if command is not None:
                    self._send(command)
                    await self._writer.drain()
                reply = await read_reply(self._reader)
        except TimeoutError:
            self._record(step, None, f"no reply within {limit:g} s", started)
            raise _Stop(Outcome.STALLED, step) from None
        except ServerClosed as exc:
            self._record(step, None, str(exc), started)
            raise _Stop(Outcome.DROPPED, step, detail=str(exc)) from None
        except GarbageReply as exc:
            self._record(step, None, str(exc), started)
            raise _Stop(Outcome.GARBAGE, step, detail=str(exc)) from None
        except OSError as exc:  # reset while writing, or a TLS error on an established session
            self._record(step, None, f"the connection failed: {exc.strerror or exc}", started)
            raise _Stop(Outcome.DROPPED, step, detail=str(exc)) from None
        if record or reply.code == 421:
            self._record(step, reply.code, reply.text, started)
        if reply.code == 421:  # RFC 5321 section 3.8: the server is closing the channel, at any step
            raise _Stop(Outcome.UNAVAILABLE, step, reply)
        return reply

    def _send(self, command: str) -> None:
        verb = command.split(" ", 1)[0].upper()
        if verb in _FORBIDDEN_VERBS or "\r" in command or "\n" in command:
            raise RuntimeError(f"the probe never sends {verb} or line breaks")  # a bug, never user input
        assert self._writer is not None
        self._writer.write(command.encode("utf-8" if self.envelope.smtputf8 else "ascii") + b"\r\n")

    def _record(self, step: str, code: int | None, text: str, started: float) -> None:
        self.steps.append(Step(step, code, text, round((time.perf_counter() - started) * 1000)))
