"""Vectorised indexing of one block of an Exchange protocol log: which session each line belongs to, and
which sessions might hold a problem.

Why numpy: a Python loop that splits each line costs more per line than ``csv.reader`` itself, and logs run
to gigabytes. Here newline, comma and quote positions are found for a whole block at once, the session-id
of every line is hashed in bulk and grouped by one stable sort; Python then runs once per *session* in the
block, not once per line. Lines this cannot read safely (a quote or too few commas before the fields we
need) are handed back as ``slow`` so the caller parses them with the csv rules.

The screen is conservative: a session it does not flag would get no problem from the full analysis in
:mod:`mailflow.protocol_log`; a flagged session simply gets that full analysis.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

_NL, _CR, _COMMA, _QUOTE, _HASH = 10, 13, 44, 34, 35
_MAX_SID = 64  # a session-id longer than this is not Exchange's 16 hex digits: parse that line slowly
_MASK = (1 << 64) - 1
_MIX = 0x9E3779B97F4A7C15  # odd multiplier (the golden-ratio constant) for the session-id digest
# One multiplier per 8-byte word and one for the length, so a zero-padded word adds nothing and a
# session-id has the same digest in every block whatever the longest id there.
_WEIGHTS = [pow(_MIX, j + 1, 1 << 64) for j in range(_MAX_SID // 8)]
_LENGTH = pow(_MIX, _MAX_SID // 8 + 1, 1 << 64)
_WORD_WEIGHTS = np.array(_WEIGHTS, dtype=np.uint64)
_LENGTH_WEIGHT = np.uint64(_LENGTH)


def digest_of(sid: bytes) -> int:
    """The digest ``index_lines`` computes in bulk, for a session-id read the slow way."""
    padded = sid + bytes(-len(sid) % 8)
    words = (int.from_bytes(padded[j:j + 8], "little") for j in range(0, len(padded), 8))
    return (sum(w * k for w, k in zip(words, _WEIGHTS, strict=False)) + len(sid) * _LENGTH) & _MASK


@dataclass
class Fields:
    """Where the fields the index reads sit in a row, and which rows are replies/commands for the screen."""

    sid: int
    event: int
    data: int  # -1 when the log has no data field: then nothing can be screened
    context: int  # -1 when the log has none
    reply: int  # event byte of the remote's replies (">" or "<"), 0 when the log type is unknown
    command: int
    width: int  # fields a whole row has at least (up to the last one the analysis reads)
    seq: int = -1  # sequence-number, local-endpoint and remote-endpoint: used to leave rows unparsed
    local: int = -1
    remote: int = -1


@dataclass(eq=False)
class BlockIndex:
    """One block's lines grouped by session; arrays are per line or per group, positions index ``data``."""

    data: bytes
    starts: np.ndarray  # first byte of each line
    stops: np.ndarray  # end of each line's content (before CR LF)
    order: np.ndarray  # line numbers sorted by group, stable, so each group's lines keep file order
    bounds: np.ndarray  # group g's lines are order[bounds[g]:bounds[g + 1]]
    sid_at: np.ndarray  # where each group's session-id starts in ``data``
    sid_len: np.ndarray
    digests: np.ndarray  # ``digest_of`` each group's session-id
    ended: np.ndarray  # the group holds a "-" (disconnect) row
    flagged: np.ndarray  # the group holds a row the screen cannot clear
    quit: np.ndarray  # the group holds a QUIT command
    slow: list[int]  # line numbers to parse with the csv rules (the caller groups those)
    width: int = 0  # a row parsed from this block needs at least this many fields
    lines: int = 0
    quoted: int = 0
    bad: int = 0
    users: int = 0  # open sessions that still point into this block
    needed: np.ndarray | None = None  # per line: could the full analysis use it (None: every line)

    def key(self, group: int) -> bytes:
        start = int(self.sid_at[group])
        return self.data[start:start + int(self.sid_len[group])]

    def count(self, group: int) -> int:
        return int(self.bounds[group + 1] - self.bounds[group])

    def rows(self, group: int) -> list[str]:
        """The group's lines as text, decoded in one call."""
        lines = self.order[self.bounds[group]:self.bounds[group + 1]]
        if self.needed is not None:
            lines = lines[self.needed[lines]]
        chunks = map(self.data.__getitem__, map(slice, self.starts[lines].tolist(), self.stops[lines].tolist()))
        return b"\n".join(chunks).decode("utf-8", "replace").split("\n")

    def text(self, line: int) -> str:
        return self.data[self.starts[line]:self.stops[line]].decode("utf-8", "replace")


def line_bounds(a: np.ndarray, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
    """Start and content end of each newline-terminated line in ``a[lo:hi]`` (a CR before the LF is not
    content); positions index the whole of ``a``."""
    ends = np.flatnonzero(a[lo:hi] == _NL) + lo
    starts = np.empty_like(ends)
    if len(ends):
        starts[0] = lo
        starts[1:] = ends[:-1] + 1
    stops = ends - (a[np.maximum(ends - 1, 0)] == _CR) * (ends > starts)
    return starts, stops


def header_lines(a: np.ndarray, starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """Line numbers of ``#`` lines (log headers; concatenated logs repeat them mid-file)."""
    nonempty = stops > starts
    return np.flatnonzero(nonempty & (a[np.minimum(starts, len(a) - 1)] == _HASH))


def index_lines(data: bytes, a: np.ndarray, starts: np.ndarray, stops: np.ndarray, fields: Fields,
                screen: Callable[[bytes], bool] | None) -> BlockIndex:
    """Groups the given (non-header) lines by session-id; ``screen`` judges one information row's text."""
    keep = stops > starts  # blank lines are not rows
    starts, stops = starts[keep], stops[keep]
    n = len(starts)
    lo, hi = (int(starts[0]), int(stops[-1])) if n else (0, 0)
    commas = np.flatnonzero(a[lo:hi] == _COMMA) + lo
    quotes = np.flatnonzero(a[lo:hi] == _QUOTE) + lo
    first_comma = np.searchsorted(commas, starts)
    # Lines are contiguous (only CR LF between them), so a line's commas end where the next line's begin.
    n_commas = np.diff(first_comma, append=np.searchsorted(commas, stops[-1:])) if n else first_comma
    first_quote = np.append(quotes, len(a))[np.searchsorted(quotes, starts)]
    quoted = first_quote < stops
    last = max(fields.sid, fields.event, fields.data)
    enough = n_commas >= max(last, fields.width - 1)  # every field the analysis reads is in the line
    padded = np.append(commas, len(a))

    def field_start(f: int, lines: slice | np.ndarray = slice(None)) -> np.ndarray:
        if f == 0:
            return starts[lines]
        return padded[np.minimum(first_comma[lines] + f - 1, len(commas))] + 1

    def field_stop(f: int, lines: slice | np.ndarray = slice(None)) -> np.ndarray:
        return np.where(n_commas[lines] > f, padded[np.minimum(first_comma[lines] + f, len(commas))], stops[lines])

    s_sid, e_sid = field_start(fields.sid), field_stop(fields.sid)
    s_event = field_start(fields.event)
    one_char_event = field_stop(fields.event) - s_event == 1
    s_last = field_start(last)
    # Fields before the last one we read must be unquoted; the data field itself may open with a quote.
    clean = first_quote >= (s_last if last == fields.data else field_stop(last) + 1)
    sid_len = e_sid - s_sid
    fast = enough & clean & (sid_len > 0) & (sid_len <= _MAX_SID)
    slow_quoted = ~fast & quoted
    bad = ~fast & ~quoted  # no quote to explain the missing commas: not a row
    rows = np.flatnonzero(fast)
    slow = np.flatnonzero(slow_quoted)
    order, bounds, inverse, first, digests = _group(a, s_sid[rows], sid_len[rows])
    groups = len(first)
    event = np.where(one_char_event[rows], a[np.minimum(s_event[rows], len(a) - 1)], 0)
    ended = _any(inverse, event == ord("-"), groups)
    flagged = np.zeros(groups, dtype=bool)
    quit_seen = np.zeros(groups, dtype=bool)
    if fields.data >= 0 and fields.reply and screen is not None:
        s_data = field_start(fields.data)[rows]
        s_data = s_data + (a[np.minimum(s_data, len(a) - 1)] == _QUOTE)
        lead = a[np.minimum(s_data, len(a) - 1)]
        flagged |= _any(inverse, (event == fields.reply) & ((lead == ord("4")) | (lead == ord("5"))), groups)
        commands = np.flatnonzero(event == fields.command)
        head = a[np.minimum(s_data[commands][:, None] + np.arange(4), len(a) - 1)] | 0x20  # lower-cases letters
        quit_seen = _any(inverse, commands[(head == np.frombuffer(b"quit", np.uint8)).all(axis=1)], groups)
        needed = np.zeros(len(rows), dtype=bool)
        needed[(event == fields.reply) & ((lead == ord("4")) | (lead == ord("5")))] = True
        verb = head[:, 0]
        needed[commands[(verb == ord("m")) | (verb == ord("r")) | (verb == ord("q"))]] = True  # MAIL, RCPT, QUIT
        # An information row's text is its data and context, whichever comes first, to the end of the line.
        s_text = field_start(min(fields.data, fields.context) if fields.context >= 0 else fields.data)[rows]
        info = np.flatnonzero((event == ord("*")) | (event == ord("-")))
        # map() over slices keeps this per-row step in C; logs repeat the same few texts, so each distinct
        # text is screened once.
        texts = list(map(data.__getitem__, map(slice, s_text[info].tolist(), stops[rows][info].tolist())))
        worrying = {text for text in set(texts) if screen(text)}
        risky = info[np.fromiter(map(worrying.__contains__, texts), bool, len(texts))] if worrying else []
        if len(risky):
            flagged |= _any(inverse, risky, groups)
        needed[risky] = True
        # Sessions that begin ("+"), end and stay clean in this block are never parsed, so only the others
        # need their ends found (all of them when a slow line may join a session the index cannot see).
        whole = _any(inverse, event == ord("+"), groups) & ended & quit_seen & ~flagged
        parsed = order[~whole[inverse[order]]] if not len(slow) else order
        ends = (fields.seq, fields.local, fields.remote)
        if max(ends) < last and min(ends) >= 0:
            lines = rows[parsed]
            needed[parsed[_ends(a, parsed, [field_start(f, lines) for f in ends], [field_stop(f, lines) for f in ends],
                                inverse[parsed])]] = True
        else:
            needed[:] = True
        needed_lines = np.zeros(n, dtype=bool)
        needed_lines[rows[needed]] = True
    else:
        flagged[:] = True
        needed_lines = None
    return BlockIndex(data, starts, stops, rows[order], bounds, s_sid[rows][first], sid_len[rows][first], digests,
                      ended, flagged, quit_seen, slow.tolist(), fields.width, lines=n, quoted=int(quoted.sum()),
                      bad=int(bad.sum()), needed=needed_lines)


def _ends(a: np.ndarray, rows: np.ndarray, begin: list[np.ndarray], end: list[np.ndarray],
          group: np.ndarray) -> np.ndarray:
    """Rows (positions in ``rows``, which come grouped) the full analysis reads besides problems and
    envelope: per group, the first and last by sequence-number (start and end time) and the first with a
    local and with a remote endpoint. A group whose sequence-numbers are not plain numbers keeps every row."""
    (s_seq, s_local, s_remote), (e_seq, e_local, e_remote) = begin, end
    count = len(rows)
    if not count:
        return rows
    seq, numeric = _numbers(a, s_seq, e_seq)
    key = seq * count + np.arange(count)  # ties go to file order; key % count gives the position back
    never = np.iinfo(np.int64).max
    starts = np.flatnonzero(np.concatenate(([True], group[1:] != group[:-1])))
    picked = [np.maximum.reduceat(key, starts) % count]
    for masked in (key, np.where(e_local > s_local, key, never), np.where(e_remote > s_remote, key, never)):
        first = np.minimum.reduceat(masked, starts)
        picked.append(first[first != never] % count)
    odd = np.isin(group, group[~numeric])
    return np.concatenate([*picked, np.flatnonzero(odd)])


def _any(inverse: np.ndarray, lines: np.ndarray, groups: int) -> np.ndarray:
    """Per group: does any of the given lines (a mask or line numbers) belong to it."""
    return np.bincount(inverse[lines], minlength=groups) > 0


_DIGIT_WEIGHTS = 10 ** np.arange(8, -1, -1, dtype=np.int64)


def _numbers(a: np.ndarray, begin: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Decimal fields of up to 9 digits as integers, and which fields were such numbers. The 9 bytes
    before each field's end are read, so every digit lands on its fixed place value."""
    places = np.arange(-9, 0)
    raw = a[np.maximum(end[:, None] + places, 0)].astype(np.int64) - ord("0")
    inside = places >= -(end - begin)[:, None]
    raw[~inside] = 0
    numeric = (end > begin) & (end - begin <= 9) & ((raw >= 0) & (raw <= 9)).all(axis=1)
    return raw @ _DIGIT_WEIGHTS, numeric


def _group(a: np.ndarray, start: np.ndarray,
           length: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Groups rows by session-id bytes: a bulk 64-bit digest, one stable sort, then an exact check of the ids.

    Returns the row order by group, group bounds in that order, each row's group, each group's first row
    and each group's digest (``digest_of`` its session-id).
    """
    if not len(start):
        empty = np.zeros(0, dtype=np.int64)
        return empty, np.zeros(1, dtype=np.int64), empty, empty, np.zeros(0, dtype=np.uint64)
    span = -(-int(length.max()) // 8) * 8
    if int(start.max()) + span > len(a):  # only a block's last line could reach past its end
        a = np.concatenate((a, np.zeros(span, dtype=np.uint8)))
    raw = sliding_window_view(a, span)[start]  # each row: the span bytes from the session-id's start
    if not (length == span).all():  # Exchange's ids are all 16 bytes; anything shorter is zero-padded
        raw[np.arange(span) >= length[:, None]] = 0
    words = raw.view("<u8")
    digest = length.astype(np.uint64) * _LENGTH_WEIGHT
    for j in range(words.shape[1]):  # column by column: a row-wise sum over two words is slower in numpy
        digest += words[:, j] * _WORD_WEIGHTS[j]
    order, first, inverse, bounds = _runs(digest)
    if not (words == words[first[inverse]]).all():  # a digest collision: group by the exact bytes instead
        order, first, inverse, bounds = _runs(raw.view(f"S{span}").ravel())
    return order, bounds, inverse, first, digest[first]


def _runs(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One stable sort gives everything: line order by group, each group's first line, group per line, bounds."""
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    starts_group = np.empty(len(values), dtype=bool)
    starts_group[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=starts_group[1:])
    bounds = np.append(np.flatnonzero(starts_group), len(values))
    inverse = np.empty(len(values), dtype=np.int64)
    inverse[order] = np.cumsum(starts_group) - 1
    return order, order[bounds[:-1]], inverse, bounds
