"""Exchange SMTP protocol logs: grouping, failure detection, filters and bad input (fixtures in protocol_logs/)."""

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mailflow.protocol_log import NOT_A_LOG, analyze_log, iter_sessions

LOGS = Path(__file__).parent / "protocol_logs"
SEND = LOGS / "SEND20230111-1.LOG"
RECV = LOGS / "RECV2023011209-1.LOG"
HEADER = ("#Software: Microsoft Exchange Server\n#Version: 15.01.2507.006\n#Log-type: SMTP Send Protocol Log\n"
          "#Date: 2023-01-11T16:00:04.113Z\n"
          "#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,"
          "context\n")


def report(path: Path, **filters) -> dict:
    with path.open("rb") as stream:
        return analyze_log(stream, **filters).to_json()


def by_id(result: dict) -> dict[str, dict]:
    return {s["session_id"]: s for s in result["sessions"]}


def test_send_log_failed_sessions_and_totals():
    result = report(SEND)
    assert result["kind"] == "smtplog"
    assert result["log_type"] == "send"
    sessions = by_id(result)
    assert sorted(sessions) == ["08DAF3A1B2C3D4E2", "08DAF3A1B2C3D4E3", "08DAF3A1B2C3D4E4", "08DAF3A1B2C3D4E5"]
    rejected = sessions["08DAF3A1B2C3D4E2"]
    assert rejected["verdict"] == "rejected"
    assert rejected["remote"] == "198.51.100.20:25"
    assert rejected["local"] == "10.0.0.5:51001"  # the first row ("attempting to connect") has no local endpoint
    assert rejected["mail_from"] == "alice@example.org"
    assert rejected["rcpt_to"] == ["nobody@fabrikam.example"]
    # the quoted reply keeps its comma
    detail = "550 5.1.1 User unknown, mailbox nobody@fabrikam.example does not exist"
    assert rejected["problems"] == [{"kind": "rejected", "time": "2023-01-11T16:00:05.270Z", "detail": detail}]
    assert rejected["lines"] == 12
    assert (rejected["start"], rejected["end"]) == ("2023-01-11T16:00:05.060Z", "2023-01-11T16:00:05.320Z")
    tls = sessions["08DAF3A1B2C3D4E3"]
    assert tls["verdict"] == "tls-failed"
    assert [p["kind"] for p in tls["problems"]] == ["tls-failed", "no-quit"]
    assert tls["problems"][0]["detail"] == "TLS negotiation failed with error UnknownCredentials"
    deferred = sessions["08DAF3A1B2C3D4E4"]
    assert deferred["verdict"] == "deferred"
    assert deferred["problems"][0]["detail"].startswith("451 4.7.0 Temporary server error")
    dropped = sessions["08DAF3A1B2C3D4E5"]
    assert dropped["verdict"] == "connection-error"
    assert [p["detail"] for p in dropped["problems"]] == ["Remote(SocketError)", "disconnected without a QUIT command"]
    totals = result["totals"]
    # E1 is ok (its TLS success line and quoted banner hold commas), E6 is cut off by the truncated last line
    assert (totals["sessions"], totals["ok"], totals["failed"], totals["incomplete"]) == (6, 1, 4, 1)
    assert totals["bad_lines"] == 1
    assert totals["quoted_lines"] == 3
    assert totals["lines"] == 65


def test_send_log_findings_per_remote_host():
    findings = report(SEND)["findings"]
    pairs = [(f["remote"], f["kind"], f["count"]) for f in findings]
    assert pairs == [("198.51.100.20", "rejected", 1), ("192.0.2.30", "tls-failed", 1),
                     ("203.0.113.99", "connection-error", 1), ("198.51.100.20", "deferred", 1),
                     ("192.0.2.30", "no-quit", 1), ("203.0.113.99", "no-quit", 1)]
    assert findings[0]["severity"] == "error"
    assert findings[0]["text"] == "198.51.100.20: 1 session(s) with 5xx rejection"


def test_receive_log_shuffled_fields_our_replies_and_context_strings():
    result = report(RECV)
    assert result["log_type"] == "receive"
    sessions = by_id(result)
    assert "08DAF4000000000A" not in sessions  # anonymous sender: EmptyCertificate / NoRemoteCertificate are normal
    assert sessions["08DAF4000000000B"]["problems"][0]["detail"] == (
        "550 5.7.54 SMTP; Unable to relay recipient in non-accepted domain")
    assert sessions["08DAF4000000000B"]["rcpt_to"] == ["someone@elsewhere.example"]
    auth = sessions["08DAF4000000000C"]
    assert [p["kind"] for p in auth["problems"]] == ["auth-failed", "rejected", "no-quit"]
    assert auth["verdict"] == "rejected"
    assert sessions["08DAF4000000000D"]["verdict"] == "deferred"
    assert sessions["08DAF4000000000D"]["problems"][0]["detail"] == "452 4.3.1 Insufficient system resources"
    assert sessions["08DAF4000000000E"]["verdict"] == "tls-failed"
    assert sessions["08DAF4000000000F"]["verdict"] == "certificate"
    assert sessions["08DAF4000000000F"]["problems"][0]["detail"] == (
        "Client certificate chain validation status: 'UntrustedRoot'")
    assert result["totals"]["ok"] == 1
    assert result["totals"]["failed"] == 5


def test_rows_are_ordered_by_sequence_number():
    with RECV.open("rb") as stream:
        ok = next(s for s in iter_sessions(stream) if s.session_id == "08DAF4000000000A")
    # rows 4 and 5 are swapped in the file; the session still reads in order and is clean
    assert ok.verdict == "ok"
    assert ok.mail_from == ["frank@partner.example"]
    assert ok.rcpt_to == ["grace@example.org", "heidi@example.org"]
    assert ok.lines == 22


def test_address_filter_matches_sender_or_recipient_case_insensitively():
    result = report(SEND, address="Nobody@fabrikam.example")
    assert list(by_id(result)) == ["08DAF3A1B2C3D4E2"]
    assert result["totals"]["sessions"] == 1
    result = report(RECV, address="offers@spammer.example")
    assert sorted(by_id(result)) == ["08DAF4000000000B", "08DAF4000000000D"]
    with RECV.open("rb") as stream:
        assert [s.session_id for s in iter_sessions(stream, address="<grace@example.org>")] == ["08DAF4000000000A"]


@pytest.mark.parametrize(("remote", "expected"), [
    ("198.51.100.77", ["08DAF4000000000B", "08DAF4000000000D"]),
    ("198.51.100.77:50001", ["08DAF4000000000D"]),
    ("203.0.113.8", []),  # a whole IP, not a string prefix of 203.0.113.80
    ("203.0.113.", ["08DAF4000000000E", "08DAF4000000000F"]),
])
def test_remote_filter(remote, expected):
    assert sorted(by_id(report(RECV, remote=remote))) == expected


def test_since_filter():
    result = report(SEND, since=datetime(2023, 1, 11, 17, 15))
    assert sorted(by_id(result)) == ["08DAF3A1B2C3D4E4", "08DAF3A1B2C3D4E5"]
    # an aware datetime is compared in UTC: 18:15+01:00 is 17:15Z
    aware = datetime.fromisoformat("2023-01-11T18:15:00+01:00")
    assert sorted(by_id(report(SEND, since=aware))) == ["08DAF3A1B2C3D4E4", "08DAF3A1B2C3D4E5"]
    assert report(SEND, since=datetime(2024, 1, 1, tzinfo=UTC))["totals"]["sessions"] == 0


def test_progress_reports_bytes_read():
    seen: list[int] = []
    report(SEND, progress=seen.append)
    assert seen[-1] == SEND.stat().st_size
    assert seen == sorted(seen)


@pytest.mark.parametrize("data", [
    b"",
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 20,
    b"Hello, this is a plain text note,\nwith commas, but no header\n",
    b"date-time,session-id,event\n2023-01-01,1,+\n",
    b"#Software: Microsoft Exchange Server\n#Fields: date-time,data\n2023,x\n",
    b"x" * (3 << 20),  # one enormous line without a newline
])
def test_not_a_log_is_a_finding_not_an_exception(data):
    result = analyze_log(io.BytesIO(data)).to_json()
    assert result["sessions"] == []
    assert len(result["findings"]) == 1
    assert result["findings"][0]["kind"] == "not-a-log"
    assert result["findings"][0]["text"].startswith(NOT_A_LOG)


def test_invalid_utf8_and_missing_log_type_are_tolerated():
    rows = (b"2023-01-11T16:00:05.000Z,C,S1,0,10.0.0.5:1,192.0.2.1:25,+,,\n"
            b"2023-01-11T16:00:05.100Z,C,S1,1,10.0.0.5:1,192.0.2.1:25,<,220 caf\xe9 ready,\n"
            b"2023-01-11T16:00:05.200Z,C,S1,2,10.0.0.5:1,192.0.2.1:25,>,EHLO me,\n"
            b"2023-01-11T16:00:05.300Z,C,S1,3,10.0.0.5:1,192.0.2.1:25,<,554 5.7.1 go away,\n"
            b"2023-01-11T16:00:05.400Z,C,S1,4,10.0.0.5:1,192.0.2.1:25,-,,Remote\n")
    text = HEADER.replace("#Log-type: SMTP Send Protocol Log\n", "").encode()
    result = analyze_log(io.BytesIO(text + rows)).to_json()
    assert result["log_type"] is None
    [session] = result["sessions"]
    assert session["verdict"] == "rejected"  # guessed as a Send log: our ">" rows are commands
    assert session["problems"][0]["detail"] == "554 5.7.1 go away"


def test_open_sessions_are_bounded():
    lines = [f"2023-01-11T16:00:05.000Z,C,S{i},0,10.0.0.5:1,192.0.2.{i}:25,+,," for i in range(50)]
    result = analyze_log(io.BytesIO((HEADER + "\n".join(lines) + "\n").encode()), max_open=10).to_json()
    assert result["totals"]["flushed"] == 40
    assert result["totals"]["sessions"] == 50
    assert result["totals"]["incomplete"] == 50
    assert result["findings"][-1]["kind"] == "flushed"
