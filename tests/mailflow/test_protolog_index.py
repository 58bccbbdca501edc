"""The bulk (numpy) side of protocol-log parsing: its shortcuts must give exactly what the plain analysis gives.

The reference in each test is ``iter_sessions`` without the screen, which parses every row of every session;
``analyze_log`` takes the shortcuts (bulk grouping, screened sessions only counted, blocks copied out).
"""

import io
import weakref

import numpy as np
import pytest

from mailflow import protolog_index, protolog_stream
from mailflow.protocol_log import analyze_log, iter_sessions
from mailflow.protolog_index import Fields, digest_of, index_lines, line_bounds
from tests.mailflow.protolog_gen import make_log


def reference(log: bytes) -> tuple[dict[str, dict], dict[str, int]]:
    """Every session parsed row by row (no screen, no bulk counting)."""
    failed, counts = {}, {"sessions": 0, "ok": 0, "incomplete": 0}
    for session in iter_sessions(io.BytesIO(log)):
        counts["sessions"] += 1
        counts[session.verdict] = counts.get(session.verdict, 0) + 1
        if session.failed:
            failed[session.session_id] = session.to_json()
    return failed, counts


def assert_same_as_reference(log: bytes) -> dict:
    result = analyze_log(io.BytesIO(log)).to_json()
    failed, counts = reference(log)
    assert {s["session_id"]: s for s in result["sessions"]} == failed
    totals = result["totals"]
    assert (totals["sessions"], totals["ok"], totals["incomplete"]) == (counts["sessions"], counts["ok"],
                                                                       counts["incomplete"])
    return result


@pytest.mark.parametrize("seed", range(4))
def test_shortcuts_match_the_row_by_row_analysis(seed):
    result = assert_same_as_reference(make_log(seed, 300))
    assert result["totals"]["failed"] > 30  # the log really mixes failures in
    assert result["totals"]["ok"] > 100


def test_small_blocks_split_sessions_and_copy_out_old_blocks(monkeypatch):
    # 2 KB blocks: every session spans several blocks, and far more than MAX_PINNED blocks are open at once.
    monkeypatch.setattr(protolog_stream, "BLOCK", 2048)
    log = make_log(7, 200, interleave=60)
    assert_same_as_reference(log)
    # Memory stays flat: blocks beyond MAX_PINNED are copied out and released, not kept alive by sessions.
    alive: list[weakref.ref] = []
    real = protolog_stream.index_lines

    def tracked(*args, **kwargs):
        index = real(*args, **kwargs)
        alive.append(weakref.ref(index))
        return index
    monkeypatch.setattr(protolog_stream, "index_lines", tracked)
    most = 0

    def progress(_: int) -> None:
        nonlocal most
        most = max(most, sum(len(index.data) for ref in alive if (index := ref()) is not None))
    analyze_log(io.BytesIO(log), progress=progress)
    assert len(alive) > 50
    assert most <= (protolog_stream.MAX_PINNED + 2) * protolog_stream.BLOCK  # pinned ones, the current one


def test_shuffled_fields_lf_line_ends_and_short_session_ids():
    order = ["session-id", "event", "date-time", "remote-endpoint", "sequence-number", "context",
             "local-endpoint", "connector-id", "data"]
    assert_same_as_reference(make_log(3, 200, fields=order, newline="\n", sid_width=0))


def test_digest_collisions_fall_back_to_exact_grouping(monkeypatch):
    # With every word weight zero, all 16-byte ids share one digest: grouping must still be exact.
    monkeypatch.setattr(protolog_index, "_WORD_WEIGHTS", np.zeros(8, dtype=np.uint64))
    result = assert_same_as_reference(make_log(5, 150))
    assert result["totals"]["sessions"] == 150


def test_session_ids_of_many_lengths_and_the_python_digest_agree():
    ids = [b"A", b"08DAF4000000000A", b"08DAF4000000000AB", b"x" * 24, b"y" * 64]
    lines = b"".join(b"2023-01-12T10:00:00.000Z,C," + sid + b",0,10.0.0.5:25,192.0.2.1:1,+,,\r\n" for sid in ids)
    a = np.frombuffer(lines, np.uint8)
    starts, stops = line_bounds(a, 0, len(a))
    fields = Fields(sid=2, event=6, data=7, context=8, reply=ord(">"), command=ord("<"), width=9)
    index = index_lines(lines, a, starts, stops, fields, screen=None)
    assert sorted(index.key(g) for g in range(len(index.digests))) == sorted(ids)
    assert {index.key(g): int(d) for g, d in enumerate(index.digests)} == {sid: digest_of(sid) for sid in ids}


def test_quoted_connector_names_and_odd_lines_take_the_slow_path():
    log = make_log(11, 60).decode()
    # A connector name with a comma must be quoted, which moves the session-id past a quote.
    log = log.replace("EX01\\Default Frontend EX01", '"EX01\\Default, Frontend"', 40)
    broken = "2023-01-12T10:00:00.000Z,only,three\r\n"
    head, _, body = log.partition("#Fields:")
    fields_line, _, rows = body.partition("\r\n")
    assert_same_as_reference((head + "#Fields:" + fields_line + "\r\n" + broken + rows).encode())
    result = analyze_log(io.BytesIO((head + "#Fields:" + fields_line + "\r\n" + broken + rows).encode())).to_json()
    assert result["totals"]["bad_lines"] == 1


def test_concatenated_logs_with_a_new_fields_line_mid_block():
    first = make_log(1, 40)
    order = ["session-id", "event", "date-time", "remote-endpoint", "sequence-number", "context",
             "local-endpoint", "connector-id", "data"]
    second = make_log(2, 40, fields=order).replace(b"0000000", b"F000000")  # different session-ids
    result = assert_same_as_reference(first + second)
    assert result["totals"]["sessions"] == 80


def test_findings_list_the_worst_remotes_and_sum_up_the_rest():
    result = analyze_log(io.BytesIO(make_log(9, 900))).to_json()
    findings = result["findings"]
    listed = [f for f in findings if "remote" in f]
    assert len(listed) == 50
    [more] = [f for f in findings if f["kind"] == "more"]
    failed_sessions_per_pair = sum(f["count"] for f in listed)
    assert more["count"] > 0
    assert f"{more['count']} more remote/problem pair(s)" in more["text"]
    # the listed pairs are the most serious kinds first, and within a kind the most frequent first
    order = ["rejected", "tls-failed", "certificate", "auth-failed", "connection-error", "deferred", "no-quit"]
    keys = [(order.index(f["kind"]), -f["count"]) for f in listed]
    assert keys == sorted(keys)
    assert failed_sessions_per_pair >= 50
