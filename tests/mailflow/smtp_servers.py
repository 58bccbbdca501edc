"""Real SMTP servers on 127.0.0.1 for the port-25 probe tests, plus certificates made on the spot.

Two kinds: aiosmtpd's SMTP protocol (a real, standards-following server) with handlers that answer any
code, and a tiny scripted asyncio server for behaviour no sane server shows (stalls, drops, garbage).
Both listen on a free port picked by the kernel, in the test's own event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

from aiosmtpd.smtp import SMTP
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

# ---------------------------------------------------------------- certificates


@dataclass
class Issued:
    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey

    def write(self, folder: Path, stem: str) -> tuple[Path, Path]:
        cert_path, key_path = folder / f"{stem}.crt", folder / f"{stem}.key"
        cert_path.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(self.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                    serialization.NoEncryption()))
        return cert_path, key_path


def issue(common_name: str, *, sans: tuple[str, ...] = (), issuer: Issued | None = None, ca: bool = False,
          expired: bool = False) -> Issued:
    """A certificate for ``common_name``: self-signed unless ``issuer`` is given. EC keys keep it fast."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    start, end = (now - dt.timedelta(days=60), now - dt.timedelta(days=1)) if expired else (
        now - dt.timedelta(days=1), now + dt.timedelta(days=30))
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    builder = (x509.CertificateBuilder().subject_name(name)
               .issuer_name(issuer.cert.subject if issuer else name)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(start).not_valid_after(end)
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in sans]), critical=False)
    if ca:
        builder = builder.add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=False, data_encipherment=False,
            key_agreement=False, key_cert_sign=True, crl_sign=True, encipher_only=False, decipher_only=False),
            critical=True)
    signer = issuer.key if issuer else key
    return Issued(builder.sign(signer, hashes.SHA256()), key)


def server_context(cert: Issued, folder: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*cert.write(folder, "server"))
    return context


def trusting_context(ca: Issued, folder: Path) -> ssl.SSLContext:
    """What ``verifying_context`` returns in tests: our CA instead of the system's."""
    cafile, _ = ca.write(folder, "ca")
    return ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=str(cafile))


# ---------------------------------------------------------------- aiosmtpd


@dataclass
class Handler:
    """aiosmtpd handler: fixed replies for MAIL/RCPT, and a record of what reached it."""

    mail_reply: str | None = None
    rcpt_reply: str | None = None
    rcpts: list[str] = field(default_factory=list)
    data_calls: int = 0

    async def handle_MAIL(self, server: SMTP, session: object, envelope: object, address: str,
                          options: list[str]) -> str:
        if self.mail_reply:
            return self.mail_reply
        envelope.mail_from = address  # type: ignore[attr-defined]
        return "250 2.1.0 Sender OK"

    async def handle_RCPT(self, server: SMTP, session: object, envelope: object, address: str,
                          options: list[str]) -> str:
        self.rcpts.append(address)
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)  # type: ignore[attr-defined]
        return "250 2.1.5 Recipient OK"

    async def handle_DATA(self, server: SMTP, session: object, envelope: object) -> str:
        self.data_calls += 1
        return "250 2.0.0 Queued"


@contextlib.asynccontextmanager
async def aiosmtpd_server(handler: Handler, tls: ssl.SSLContext | None = None) -> AsyncIterator[int]:
    """aiosmtpd on 127.0.0.1 in the running loop; yields the port."""
    loop = asyncio.get_running_loop()
    protocols: list[SMTP] = []

    def factory() -> SMTP:
        protocol = SMTP(handler, hostname="mx.test", tls_context=tls, loop=loop, timeout=5)
        protocols.append(protocol)
        return protocol

    server = await loop.create_server(factory, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()
        for protocol in protocols:
            if protocol.transport is not None:
                protocol.transport.close()
            if protocol._handler_coroutine is not None:
                protocol._handler_coroutine.cancel()
        await asyncio.sleep(0)


# ---------------------------------------------------------------- scripted server

EHLO_PLAIN = "250-mx.test greets you\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250 8BITMIME"
DEFAULT_REPLIES = {
    "EHLO": EHLO_PLAIN, "HELO": "250 mx.test", "MAIL": "250 2.1.0 Sender OK", "RCPT": "250 2.1.5 Recipient OK",
    "RSET": "250 2.0.0 OK", "QUIT": "221 2.0.0 Bye", "DATA": "354 Start mail input", "NOOP": "250 2.0.0 OK",
}


@dataclass
class Script:
    """How one connection behaves. Replies are raw lines joined with CRLF; None as banner means silence."""

    banner: str | None = "220 mx.test ESMTP ready"
    drop: bool = False  # close as soon as the connection is accepted
    hold: float = 0.0  # wait this long before the banner
    replies: dict[str, str] = field(default_factory=dict)
    raw_after: dict[str, bytes] = field(default_factory=dict)  # bytes sent right after a verb's reply
    close_after: frozenset[str] = frozenset()  # verbs after whose reply the server hangs up
    stall_at: frozenset[str] = frozenset()  # verbs the server never answers

    def reply(self, verb: str) -> str:
        return self.replies.get(verb, DEFAULT_REPLIES.get(verb, "500 5.5.1 Command unrecognized"))


class ScriptedServer:
    """Plays Script objects, one per connection (the last repeats), and records every command line."""

    def __init__(self, *scripts: Script, hosts: tuple[str, ...] = ("127.0.0.1",)) -> None:
        self.scripts = scripts or (Script(),)
        self.hosts = hosts
        self.commands: list[str] = []
        self.connections = 0
        self.active = 0
        self.max_active = 0
        self.port = 0
        self._servers: list[asyncio.Server] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def verbs(self) -> list[str]:
        return [c.split(" ", 1)[0].split(":", 1)[0].upper() for c in self.commands]

    async def __aenter__(self) -> ScriptedServer:
        for host in self.hosts:  # the first picks a free port, the other loopback addresses share it
            server = await asyncio.start_server(self._serve, host, self.port)
            self.port = server.sockets[0].getsockname()[1]
            self._servers.append(server)
        return self

    async def __aexit__(self, *exc: object) -> None:
        for server in self._servers:
            server.close()
            await server.wait_closed()
        for writer in self._writers:
            writer.transport.abort()  # the handlers then see EOF and return on their own
        if self._tasks:
            # Python 3.11's start_server logs an error for a cancelled handler, so cancelling is the last resort.
            _, pending = await asyncio.wait(self._tasks, timeout=1)
            for task in pending:
                task.cancel()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._writers.add(writer)
        script = self.scripts[min(self.connections, len(self.scripts) - 1)]
        self.connections += 1
        self.active += 1
        self.max_active = max(self.max_active, self.active)
        try:
            await self._play(script, reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self.active -= 1
            writer.transport.abort()

    async def _play(self, script: Script, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if script.drop:
            return
        await asyncio.sleep(script.hold)
        if script.banner is None:
            await reader.read()  # say nothing until the client gives up
            return
        await self._send(writer, script.banner)
        while line := await reader.readline():
            command = line.decode("utf-8", "replace").rstrip("\r\n")
            self.commands.append(command)
            verb = command.split(" ", 1)[0].split(":", 1)[0].upper()
            if verb in script.stall_at:
                await reader.read()
                return
            await self._send(writer, script.reply(verb))
            if verb in script.raw_after:
                writer.write(script.raw_after[verb])
                await writer.drain()
            if verb in script.close_after or verb == "QUIT":
                return

    @staticmethod
    async def _send(writer: asyncio.StreamWriter, reply: str) -> None:
        writer.write(reply.encode() + b"\r\n")
        await writer.drain()
