"""Reading SMTP replies off the wire without trusting the server on the other end.

RFC 5321 section 4.2: a reply is one or more lines ``ddd-text`` ending with ``ddd text`` (or a bare
``ddd``), every line carrying the same code. Anything else is treated as "not SMTP" rather than guessed at,
and sizes are bounded so a hostile server cannot make the probe buffer without limit.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
from dataclasses import dataclass

from mailflow.addresses import normalize_email, normalize_host

# RFC 5321 section 4.5.3.1.5 limits a reply line to 512 octets; real servers exceed it a little.
MAX_LINE = 2048
MAX_LINES = 100
MAX_TEXT = 4000

# RFC 5321 section 4.2.1: the first digit is 2-5 (1yz is never used by SMTP) and the second 0-5.
_LINE_RE = re.compile(r"^([2-5][0-5][0-9])([ -]?)(.*)$")
# RFC 3463 section 2: class.subject.detail at the start of the text, e.g. 5.1.1 or 4.7.500.
_ENHANCED_RE = re.compile(r"^([245])\.(\d{1,3})\.(\d{1,3})(?=\s|$)")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class ReplyError(Exception):
    """The server did not give a usable reply; the message is shown as the step's text."""


class ServerClosed(ReplyError):
    """The connection ended (EOF or reset) before a complete reply."""


class GarbageReply(ReplyError):
    """Bytes that are not an SMTP reply: another protocol on the port, or a broken server."""


@dataclass(frozen=True)
class Reply:
    code: int
    lines: tuple[str, ...]

    @property
    def text(self) -> str:
        """All lines' text joined with newlines, without the codes."""
        return "\n".join(self.lines)

    @property
    def enhanced(self) -> str | None:
        """The RFC 3463 enhanced status code (``5.1.1``) of the first line, when the server sent one."""
        match = _ENHANCED_RE.match(self.lines[0]) if self.lines else None
        if match is None or match[1] != str(self.code)[0]:
            return None  # RFC 3463 section 2: the class must agree with the reply code's first digit
        return ".".join(match.groups())

    @property
    def short(self) -> str:
        """``550 5.1.1`` style label for summaries."""
        return f"{self.code} {self.enhanced}" if self.enhanced else str(self.code)


def clean(raw: bytes, limit: int = MAX_LINE) -> str:
    """Decode a line for display: UTF-8 (RFC 6531 servers may send it), control characters removed."""
    text = raw.decode("utf-8", errors="replace").rstrip("\r\n")
    return _CONTROL_RE.sub("?", text)[:limit]


async def read_reply(reader: asyncio.StreamReader) -> Reply:
    """One complete reply; raises ServerClosed or GarbageReply. The caller applies the timeout."""
    code: int | None = None
    lines: list[str] = []
    size = 0
    while True:
        try:
            raw = await reader.readuntil(b"\n")
        except asyncio.IncompleteReadError as exc:
            partial = clean(exc.partial)
            after = f" after {partial!r}" if partial else ""
            raise ServerClosed(f"the server closed the connection{after}") from None
        except asyncio.LimitOverrunError:
            raise GarbageReply(f"a reply line longer than {MAX_LINE} bytes") from None
        except ConnectionError as exc:
            raise ServerClosed(f"the connection was reset ({exc.strerror or exc})") from None
        line = clean(raw)
        match = _LINE_RE.match(line)
        if match is None or (code is not None and int(match[1]) != code):
            raise GarbageReply(f"not an SMTP reply: {line[:200]!r}")
        code = int(match[1])
        lines.append(match[3].strip())
        size += len(line)
        if match[2] != "-":
            return Reply(code, tuple(lines))
        if len(lines) >= MAX_LINES or size > MAX_TEXT:
            raise GarbageReply(f"a reply of more than {MAX_LINES} lines or {MAX_TEXT} characters")


@dataclass(frozen=True)
class Envelope:
    helo: str
    mail_from: str  # the reverse-path without brackets; empty is the null path <>
    rcpt_to: str
    smtputf8: bool  # RFC 6531: a non-ASCII local part may only be sent to servers that offer SMTPUTF8


def make_envelope(sender: str, recipient: str, helo: str) -> Envelope:
    """Validated, wire-ready names; raises InvalidName, so no CR/LF or other command can be smuggled in."""
    mail_from, utf8_from = _path(normalize_email(sender)) if sender.strip() not in ("", "<>") else ("", False)
    rcpt_to, utf8_to = _path(normalize_email(recipient))
    name = normalize_host(helo)
    try:
        literal = ipaddress.ip_address(name)
    except ValueError:
        name = name.encode("idna").decode("ascii")
    else:  # RFC 5321 section 4.1.3 address literals
        name = f"[IPv6:{literal}]" if literal.version == 6 else f"[{literal}]"
    return Envelope(name, mail_from, rcpt_to, utf8_from or utf8_to)


def _path(address: str) -> tuple[str, bool]:
    local, domain = address.rsplit("@", 1)
    return f"{local}@{domain.encode('idna').decode('ascii')}", not local.isascii()
