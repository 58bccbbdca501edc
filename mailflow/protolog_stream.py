"""Streaming the rows of an Exchange SMTP protocol log (SEND*.LOG / RECV*.LOG) in constant memory.

Protocol logs reach hundreds of MB to GBs, so nothing here holds more than one read block and the
sessions still open. Blocks are cut at their last newline and decoded in one call (the same result as
decoding each line, without a Python-level call per line); unquoted lines are split on commas, which is
several times faster than ``csv.reader``, and only lines holding a quote go through the csv module.
Sessions are grouped by session-id and handed on when their ``-`` (disconnect) row arrives.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

BLOCK = 1 << 20
MAX_LINE = 1 << 20  # a "line" this long without a newline is not a log line: drop it rather than grow
MAX_OPEN = 10_000
# The fields the analysis reads; a #Fields header missing session-id or event is not a protocol log.
NEEDED = ("date-time", "session-id", "sequence-number", "local-endpoint", "remote-endpoint", "event", "data",
          "context")

Row = list[str]


@dataclass
class Header:
    """What the ``#`` lines said: the log type and where each needed field sits in a row."""

    log_type: str | None = None  # "send" | "receive" | None when #Log-type was missing or unknown
    fields: list[str] = field(default_factory=list)
    index: dict[str, int] = field(default_factory=dict)
    software: str = ""


@dataclass
class RawSession:
    """The rows of one session as read (not yet sorted), plus why it was handed on."""

    session_id: str
    rows: list[Row]
    ended: bool  # a "-" row was seen
    note: str = ""


@dataclass
class StreamStats:
    """Counters the report shows, so a reader can tell a partial or odd file from a clean one."""

    bytes_read: int = 0
    lines: int = 0
    bad_lines: int = 0
    quoted_lines: int = 0
    flushed: int = 0
    headers: int = 0
    not_a_log: str = ""  # why the stream was judged not to be a protocol log ("" when it is one)


def _header_line(line: str, header: Header, stats: StreamStats) -> None:
    """Reads one ``#Name: value`` line; a new #Fields line (log files may be concatenated) re-maps the columns."""
    name, _, value = line[1:].partition(":")
    name, value = name.strip().lower(), value.strip()
    if name == "fields":
        header.fields = [f.strip().lower() for f in value.split(",")]
        header.index = {f: i for i, f in enumerate(header.fields)}
        stats.headers += 1
    elif name == "log-type":
        low = value.lower()
        header.log_type = "send" if "send" in low else "receive" if "receive" in low else header.log_type
    elif name == "software":
        header.software = value


def _looks_binary(block: bytes) -> bool:
    """NUL bytes or mostly non-text in the first block: a zip, an image, a .msg - not worth parsing."""
    sample = block[:4096]
    if b"\x00" in sample:
        return True
    printable = sum(1 for b in sample if b >= 32 or b in (9, 10, 13))
    return bool(sample) and printable < 0.9 * len(sample)


def stream_sessions(stream: BinaryIO, header: Header, stats: StreamStats, *,
                    progress: Callable[[int], None] | None = None, max_open: int = MAX_OPEN,
                    keep: Callable[[Row, dict[str, int]], bool] | None = None) -> Iterator[RawSession]:
    """Yields each session when it disconnects, then the unfinished ones at end of file.

    ``keep`` is asked about a session's first row; sessions it refuses are skipped cheaply (their rows
    are counted but not stored), which is how the ``remote`` filter avoids holding unrelated sessions.
    Beyond ``max_open`` open sessions the oldest is handed on with a note, so memory stays bounded even
    when disconnects are missing (a truncated or mis-grouped log).
    """
    open_sessions: dict[str, list[Row] | None] = {}
    pending = b""
    first = True
    i_sid = i_event = -1
    width = 0
    csv_reader = csv.reader
    eof = False
    while not eof:
        block = stream.read(BLOCK)
        if not block:
            if not pending.strip():
                break
            # A truncated last line goes through the same path; rows missing fields count as bad lines.
            block, eof = b"\n", True
        else:
            stats.bytes_read += len(block)
        if first:
            first = False
            if _looks_binary(block):
                stats.not_a_log = "binary content"
                return
        data = pending + block
        cut = data.rfind(b"\n")
        if cut < 0:
            pending = data if len(data) <= MAX_LINE else b""
            stats.bad_lines += len(data) > MAX_LINE
            continue
        pending = data[cut + 1:]
        text = data[:cut + 1].decode("utf-8", "replace")
        # Exchange writes CRLF: splitting on it directly saves a full copy of the block for str.replace.
        lines = text.split("\r\n") if text.endswith("\r\n") else text.replace("\r\n", "\n").split("\n")
        stats.lines += len(lines)
        for line in lines:
            if not line or line[0] == "#":
                stats.lines -= 1
                if not line:
                    continue
                _header_line(line, header, stats)
                if "session-id" in header.index and "event" in header.index:
                    i_sid, i_event = header.index["session-id"], header.index["event"]
                    width = max(header.index[f] for f in NEEDED if f in header.index) + 1
                continue
            if i_sid < 0:
                stats.not_a_log = "no #Fields header with session-id and event before the first row"
                return
            if '"' in line:
                stats.quoted_lines += 1
                parts = line.split('"')
                # One quoted field without doubled quotes (banners, TLS lines): split around it by hand.
                if len(parts) == 3 and parts[0][-1:] in "," and parts[2][:1] in ",":
                    row = [*parts[0].split(",")[:-1], parts[1], *parts[2].split(",")[1:]]
                else:
                    row = next(csv_reader((line,)), [])
            else:
                row = line.split(",")
            if len(row) < width:
                stats.bad_lines += 1
                continue
            sid = row[i_sid]
            rows = open_sessions.get(sid, False)
            if rows is False:
                rows = [] if keep is None or keep(row, header.index) else None
                open_sessions[sid] = rows
                if len(open_sessions) > max_open:
                    old_id = next(iter(open_sessions))
                    old = open_sessions.pop(old_id)
                    stats.flushed += 1
                    if old is not None:
                        yield RawSession(old_id, old, False, f"flushed unfinished: more than {max_open} open sessions")
            if rows is not None:
                rows.append(row)
            if row[i_event] == "-":
                del open_sessions[sid]
                if rows is not None:
                    yield RawSession(sid, rows, True)
        if progress is not None:
            progress(stats.bytes_read)
    if stats.bytes_read and i_sid < 0 and not stats.not_a_log:
        stats.not_a_log = "no #Fields header with session-id and event"
    if progress is not None:
        progress(stats.bytes_read)
    for sid, rows in open_sessions.items():
        if rows is not None:
            yield RawSession(sid, rows, False, "unfinished at end of file")
