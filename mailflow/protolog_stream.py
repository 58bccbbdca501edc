"""Streaming the sessions of an Exchange SMTP protocol log (SEND*.LOG / RECV*.LOG) in constant memory.

Protocol logs reach gigabytes. The file is read in blocks cut at their last newline; each block is indexed
in bulk by :mod:`mailflow.protolog_index` (lines grouped by session-id, sessions screened for trouble), so
Python works per session, not per line. A session is handed on when its ``-`` (disconnect) row arrives:
as parsed rows when it needs the full analysis, or only counted (``stats.cleared``) when the screen cleared
it. Blocks stay
in memory only while an open session still points into them, and at most ``MAX_PINNED`` of them.
"""

from __future__ import annotations

import csv
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from mailflow.protolog_index import BlockIndex, Fields, digest_of, header_lines, index_lines, line_bounds

BLOCK = 2 << 20
MAX_PINNED = 4  # blocks kept for sessions still open; older ones are copied out as parsed rows
MAX_LINE = 1 << 20  # a "line" this long without a newline is not a log line: drop it rather than grow
MAX_OPEN = 10_000
# The fields the analysis reads; a #Fields header missing session-id or event is not a protocol log.
NEEDED = ("date-time", "session-id", "sequence-number", "local-endpoint", "remote-endpoint", "event", "data",
          "context")
# Event markers of (the remote's replies, our commands) by log type: in a Send log we are the client.
DIRECTIONS = {"send": ("<", ">"), "receive": (">", "<")}

Row = list[str]


class ByteSource(Protocol):
    """Anything with ``read(size) -> bytes``: a file, a pipe, or a stream that replays a peeked head."""

    def read(self, size: int = -1, /) -> bytes: ...


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
    lines: int = 0  # lines the session had in the log; ``rows`` may leave out some the analysis never reads


@dataclass
class StreamStats:
    """Counters the report shows, so a reader can tell a partial or odd file from a clean one."""

    bytes_read: int = 0
    lines: int = 0
    bad_lines: int = 0
    quoted_lines: int = 0
    flushed: int = 0
    cleared: int = 0  # sessions the screen cleared: counted here, never handed on
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


def parse_line(line: str) -> Row:
    """One row by the csv rules; lines with one plain quoted field (banners, TLS lines) skip the csv module."""
    if '"' not in line:
        return line.split(",")
    parts = line.split('"')
    if len(parts) == 3 and parts[0][-1:] == "," and parts[2][:1] in ",":
        return [*parts[0].split(",")[:-1], parts[1], *parts[2].split(",")[1:]]
    return next(csv.reader((line,)), [])


def _fields(header: Header) -> Fields | None:
    """Where the index finds its fields; None until a #Fields line names session-id and event."""
    ix = header.index
    if "session-id" not in ix or "event" not in ix:
        return None
    reply, command = DIRECTIONS.get(header.log_type or "", ("\0", "\0"))
    width = max(ix[f] for f in NEEDED if f in ix) + 1
    seq, local, remote = (ix.get(f, -1) for f in ("sequence-number", "local-endpoint", "remote-endpoint"))
    return Fields(ix["session-id"], ix["event"], ix.get("data", -1), ix.get("context", -1), ord(reply),
                  ord(command), width, seq, local, remote)


def _looks_binary(block: bytes) -> bool:
    """NUL bytes or mostly non-text in the first block: a zip, an image, a .msg - not worth parsing."""
    sample = block[:4096]
    if b"\x00" in sample:
        return True
    printable = sum(1 for b in sample if b >= 32 or b in (9, 10, 13))
    return bool(sample) and printable < 0.9 * len(sample)


def _blocks(stream: ByteSource, stats: StreamStats) -> Iterator[tuple[bytes, int, int]]:
    """``(data, start, end)`` where ``data[start:end]`` holds whole lines. The line cut by a block boundary
    comes on its own first, so a block is never copied to glue it on. A truncated last line gets its
    newline; an endless "line" is dropped."""
    pending = b""
    first = True
    while True:
        block = stream.read(BLOCK)
        if not block:
            if pending.strip():
                yield pending + b"\n", 0, len(pending) + 1
            return
        stats.bytes_read += len(block)
        if first:
            first = False
            if _looks_binary(block):
                stats.not_a_log = "binary content"
                return
        cut = block.find(b"\n")
        if cut < 0:
            pending += block
            if len(pending) > MAX_LINE:
                pending = b""
                stats.bad_lines += 1
            continue
        start = 0
        if pending:
            head = pending + block[:cut + 1]
            yield head, 0, len(head)
            start = cut + 1
        end = block.rfind(b"\n") + 1
        if end > start:
            yield block, start, end
        pending = block[end:]


class _Open:
    """A session still open: pointers into indexed blocks, rows parsed so far, and what the screen saw."""

    __slots__ = ("chunks", "digest", "flagged", "kept", "lines", "quit", "rows")

    def __init__(self, kept: bool, digest: int) -> None:
        self.rows: list[Row] = []
        self.chunks: list[tuple[BlockIndex, int]] = []
        self.kept, self.digest = kept, digest
        self.flagged = self.quit = False
        self.lines = 0


class _Grouper:
    """Open sessions across blocks (keyed by the raw session-id bytes), with the limits that keep memory flat."""

    def __init__(self, header: Header, stats: StreamStats, max_open: int,
                 keep: Callable[[Row, dict[str, int]], bool] | None) -> None:
        self.header, self.stats, self.max_open, self.keep = header, stats, max_open, keep
        self.open: dict[bytes, _Open] = {}
        self.digests: Counter[int] = Counter()  # digest_of the open session-ids, for the bulk test below
        self.pinned: deque[tuple[BlockIndex, list[_Open]]] = deque()
        self.pinned_bytes = 0

    def _new(self, sid: bytes, digest: int, row: Callable[[], Row] | None) -> _Open:
        """Opens a session, asking ``keep`` about its first row."""
        session = _Open(self.keep(row(), self.header.index) if self.keep and row else True, digest)
        self.open[sid] = session
        self.digests[digest] += 1
        return session

    def _close(self, sid: bytes) -> _Open | None:
        session = self.open.pop(sid, None)
        if session is not None:
            self.digests[session.digest] -= 1
            if not self.digests[session.digest]:
                del self.digests[session.digest]
        return session

    def _overflow(self) -> Iterator[RawSession]:
        """Past ``max_open`` open sessions the oldest are handed on unfinished, so memory stays bounded."""
        while len(self.open) > self.max_open:
            old_id = next(iter(self.open))
            old = self._close(old_id)
            self.stats.flushed += 1
            if old is not None and old.kept:
                note = f"flushed unfinished: more than {self.max_open} open sessions"
                yield RawSession(old_id.decode("utf-8", "replace"), self._rows(old), False, note, old.lines)

    def _bulk(self, index: BlockIndex) -> np.ndarray:
        """Groups that are whole sessions the screen cleared: they began and ended in this block (no open
        session shares their digest), so they are only counted. The rest go through Python one by one."""
        done = index.ended & index.quit & ~index.flagged
        if self.keep is not None or index.slow:
            done[:] = False
        candidates = np.flatnonzero(done)
        if self.digests and len(candidates):
            clash = self.digests.keys() & set(index.digests[candidates].tolist())
            if clash:
                done[candidates[np.isin(index.digests[candidates], np.array(sorted(clash), dtype=np.uint64))]] = False
        return done

    def add(self, index: BlockIndex, fields: Fields) -> Iterator[RawSession]:
        """Files one indexed segment's lines under their sessions and hands on the sessions that ended."""
        ended: list[bytes] = []
        opened = self.open
        for line in index.slow:  # rare: quoted or odd lines, parsed one by one
            row = parse_line(index.text(line))
            if len(row) < fields.width:
                self.stats.bad_lines += 1
                continue
            sid = row[fields.sid].encode("utf-8")
            session = opened.get(sid) or self._new(sid, digest_of(sid), lambda row=row: row)
            session.flagged, session.lines = True, session.lines + 1
            if session.kept:
                session.rows.append(row)
            if row[fields.event] == "-":
                ended.append(sid)
        done = self._bulk(index)
        self.stats.cleared += int(done.sum())
        users: list[_Open] = []
        todo = np.flatnonzero(~done)
        for group, flagged, quit_seen, end, digest in zip(
                todo.tolist(), index.flagged[todo].tolist(), index.quit[todo].tolist(), index.ended[todo].tolist(),
                index.digests[todo].tolist(), strict=True):
            sid = index.key(group)
            session = opened.get(sid)
            if session is None:
                session = self._new(sid, digest, (lambda g=group: parse_line(index.rows(g)[0])) if self.keep else None)
            session.lines += index.count(group)
            session.flagged |= flagged
            session.quit |= quit_seen
            if session.kept:
                session.chunks.append((index, group))
                users.append(session)
            if end:
                ended.append(sid)
        index.users = len(users)
        if len(opened) > self.max_open:
            yield from self._overflow()
        for sid in ended:
            session = self._close(sid)
            if session is None or not session.kept:
                continue
            if not session.flagged and session.quit:
                self._release(session)
                self.stats.cleared += 1
            else:
                yield RawSession(sid.decode("utf-8", "replace"), self._rows(session), True, lines=session.lines)
        if users:
            self.pinned.append((index, users))
            self.pinned_bytes += len(index.data)
        self._unpin()

    def _unpin(self) -> None:
        """Drops blocks no open session points into; beyond MAX_PINNED blocks' worth the oldest is copied out."""
        while self.pinned and (self.pinned[0][0].users <= 0 or self.pinned_bytes > MAX_PINNED * BLOCK):
            old, sessions = self.pinned.popleft()
            self.pinned_bytes -= len(old.data)
            if old.users > 0:
                for session in sessions:
                    if any(chunk is old for chunk, _ in session.chunks):
                        self._rows(session, only=old)

    def _release(self, session: _Open) -> None:
        for index, _ in session.chunks:
            index.users -= 1
        session.chunks = []

    def _rows(self, session: _Open, only: BlockIndex | None = None) -> list[Row]:
        """Parses the session's lines still in blocks (or only those in ``only``) into its rows."""
        kept = []
        for index, group in session.chunks:
            if only is not None and index is not only:
                kept.append((index, group))
                continue
            index.users -= 1
            rows = list(map(parse_line, index.rows(group)))
            good = [row for row in rows if len(row) >= index.width]
            self.stats.bad_lines += len(rows) - len(good)
            session.rows.extend(good)
        session.chunks = kept
        return session.rows

    def unfinished(self) -> Iterator[RawSession]:
        for sid, session in self.open.items():
            if session.kept:
                yield RawSession(sid.decode("utf-8", "replace"), self._rows(session), False,
                                 "unfinished at end of file", session.lines)


def stream_sessions(stream: ByteSource, header: Header, stats: StreamStats, *,
                    progress: Callable[[int], None] | None = None, max_open: int = MAX_OPEN,
                    keep: Callable[[Row, dict[str, int]], bool] | None = None,
                    screen: Callable[[bytes], bool] | None = None) -> Iterator[RawSession]:
    """Yields each session when it disconnects, then the unfinished ones at end of file.

    ``keep`` is asked about a session's first row; sessions it refuses are skipped cheaply (their rows
    are counted but not stored), which is how the ``remote`` filter avoids holding unrelated sessions.
    ``screen`` judges an information row's text (True: worth a full look); without it every session is
    handed on with its rows. Beyond ``max_open`` open sessions the oldest is handed on with a note, so
    memory stays bounded even when disconnects are missing (a truncated or mis-grouped log).
    """
    grouper = _Grouper(header, stats, max_open, keep)
    fields: Fields | None = None
    for data, start, end in _blocks(stream, stats):
        a = np.frombuffer(data, np.uint8)
        starts, stops = line_bounds(a, start, end)
        position = 0
        for head in [*header_lines(a, starts, stops).tolist(), len(starts)]:
            if head > position and (stops[position:head] > starts[position:head]).any():
                if fields is None:
                    stats.not_a_log = "no #Fields header with session-id and event before the first row"
                    return
                index = index_lines(data, a, starts[position:head], stops[position:head], fields, screen)
                stats.lines += index.lines
                stats.quoted_lines += index.quoted
                stats.bad_lines += index.bad
                yield from grouper.add(index, fields)
            if head < len(starts):
                _header_line(data[starts[head]:stops[head]].decode("utf-8", "replace"), header, stats)
                fields = _fields(header)
            position = head + 1
        if progress is not None and end == len(data):
            progress(stats.bytes_read)
    if stats.bytes_read and fields is None and not stats.not_a_log:
        stats.not_a_log = "no #Fields header with session-id and event"
    yield from grouper.unfinished()
