"""``mailflow explain`` as a user runs it: a subprocess reading files and standard input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.mailflow.protolog_gen import make_log

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "mailflow"


def explain(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "bot", "explain", *args], input=stdin, capture_output=True,
                          cwd=ROOT, timeout=60, check=False)


def test_bounce_file_as_json():
    out = explain(str(FIXTURES / "bounces" / "exo_multipart.eml"), "--json")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["kind"] == "ndr"
    assert report["status"] == "5.1.10"
    assert report["smtp_code"] == 550
    assert report["recipients"] == ["bob@contoso.example"]
    assert report["hop"] == "A"
    assert report["who"]


def test_headers_from_stdin_as_text():
    out = explain(stdin=(FIXTURES / "headers" / "junked_spam.txt").read_bytes())
    assert out.returncode == 0
    assert b"Kind: headers" in out.stdout
    assert b"junk" in out.stdout


def test_utf16_input_is_read():
    text = "550 5.1.1 RESOLVER.ADR.RecipNotFound; not found"
    out = explain("--json", stdin=text.encode("utf-16"))
    assert out.returncode == 0
    assert json.loads(out.stdout)["status"] == "5.1.1"


def test_unrecognised_input_exits_1_and_bad_input_exits_2():
    assert explain(stdin=b"just some words").returncode == 1
    assert explain(stdin=b"\x00\x01\x02binary").returncode == 1
    missing = explain("/no/such/file")
    assert missing.returncode == 2
    assert b"cannot read" in missing.stderr
    assert b"Traceback" not in missing.stderr
    assert explain(stdin=b"").returncode == 2


def test_protocol_log_is_streamed_with_filters():
    log = str(FIXTURES / "protocol_logs" / "SEND20230111-1.LOG")
    out = explain(log, "--json", "--remote", "198.51.100.20")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["kind"] == "smtplog"
    assert {s["remote"].split(":")[0] for s in report["sessions"]} == {"198.51.100.20"}
    later = json.loads(explain(log, "--json", "--since", "2099-01-01").stdout)
    assert later["sessions"] == []
    bad = explain(log, "--since", "nonsense")
    assert bad.returncode == 2
    assert b"Traceback" not in bad.stderr


def test_piped_protocol_log_is_streamed_like_a_file(tmp_path):
    log = make_log(21, 900)  # several hundred KB: more than the head read to detect the kind
    assert len(log) > 200_000
    path = tmp_path / "RECV2023011210-1.LOG"
    path.write_bytes(log)
    piped = explain("--json", "--remote", "203.0.113.1", stdin=log)
    assert piped.returncode == 0, piped.stderr
    from_file = explain(str(path), "--json", "--remote", "203.0.113.1")
    assert json.loads(piped.stdout) == json.loads(from_file.stdout)
    report = json.loads(piped.stdout)
    assert report["totals"]["bytes"] == len(log)
    assert report["sessions"] and {s["remote"].split(":")[0] for s in report["sessions"]} == {"203.0.113.1"}
