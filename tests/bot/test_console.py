"""The console as a user meets it: a real subprocess with piped input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dialogs.engine import Engine

ROOT = Path(__file__).resolve().parents[2]


def chat(*lines: str, args: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", *args], input="".join(f"{line}\n" for line in lines),
                          capture_output=True, text=True, cwd=ROOT, timeout=60, check=False)


def engine_texts(*lines: str) -> list[str]:
    """What the engine itself says for the same input, to compare with the console's output."""
    engine = Engine.default()
    result = engine.start()
    said = [t for r in result.replies for t in (r.text, r.ask)]
    for line in lines:
        result = engine.handle(result.state, line)
        said += [t for r in result.replies if r.kind != "summary" for t in (r.text, r.ask)]
    return said


def test_piped_conversation_prints_replies_and_exits_at_end_of_input():
    lines = ("1", "next", "n", "next", "next", "2")
    out = chat(*lines)
    assert out.returncode == 0, out.stderr
    assert out.stderr == ""
    for text in engine_texts(*lines):
        for line in text.splitlines():
            assert line in out.stdout
    assert "CASE SUMMARY" in out.stdout
    assert "you> 2" in out.stdout
    assert "\033[" not in out.stdout  # no colour codes in a pipe


@pytest.mark.parametrize("entry", [(), ("chat",)])
def test_end_user_ticket_by_script(entry):
    lines = ("7", "1", "550 5.1.1 RESOLVER.ADR.RecipNotFound", "yes", "me@contoso.com", "them@fabrikam.com",
             "yesterday", "Invoice 4711")
    out = chat(*lines, args=entry)
    assert out.returncode == 0
    assert "Ticket for the helpdesk" in out.stdout
    assert "ndr_code" not in out.stdout and "550 5.1.1 RESOLVER.ADR.RecipNotFound" in out.stdout
    assert "Who acts next: The helpdesk" in out.stdout


def test_quit_ends_before_input_runs_out():
    out = chat("7", "quit", "this line is never read")
    assert out.returncode == 0
    assert "Goodbye" in out.stdout
    assert "you> this line is never read" not in out.stdout


def test_bad_input_gets_a_reprompt_not_a_traceback():
    out = chat("", "🙂🙃", "\x07\x1b", "x" * 20_000, "what is a smart host", "1")
    assert out.returncode == 0
    assert "Traceback" not in out.stdout + out.stderr
    assert out.stdout.count("didn't understand") >= 2
    assert "smart host" in out.stdout.lower()


def test_transcript_is_a_bot_framework_activity_list(tmp_path):
    path = tmp_path / "case.transcript"
    out = chat("7", "3", "no", args=("chat", "--transcript", str(path)))
    assert out.returncode == 0, out.stderr
    activities = json.loads(path.read_text())
    assert isinstance(activities, list) and len(activities) >= 6
    assert all(a["type"] == "message" and a["conversation"]["id"] for a in activities)
    roles = [a["from"]["role"] for a in activities]
    assert roles[0] == "bot" and "user" in roles
    user_texts = [a["text"] for a in activities if a["from"]["role"] == "user"]
    assert user_texts == ["7", "3", "no"]
    assert any(a.get("suggestedActions") for a in activities if a["from"]["role"] == "bot")


def test_transcript_folder_must_exist(tmp_path):
    out = chat("quit", args=("chat", "--transcript", str(tmp_path / "missing" / "x.json")))
    assert out.returncode == 2
    assert "does not exist" in out.stderr


def test_help_lists_the_commands():
    out = subprocess.run([sys.executable, "-m", "bot", "--help"], capture_output=True, text=True, cwd=ROOT,
                         check=False)
    assert out.returncode == 0
    for command in ("chat", "serve", "diagram"):
        assert command in out.stdout


def test_all_scripted_conversations_through_the_console():
    from dialogs.flows import load_flows
    from tests.scripts import SCRIPTS

    lines = [line for script in SCRIPTS for line in (*script.inputs, "restart")]
    out = chat(*lines)
    assert out.returncode == 0, out.stderr
    flows = load_flows()
    position = 0
    for script in SCRIPTS:
        state = flows[script.flow].states[script.state]
        marker = f": {state['title']} ==" if "outcome" in state else f"-- {state['title']} --"
        found = out.stdout.find(marker, position)
        assert found >= 0, f"{script.name}: {marker!r} not shown"
        position = found
    assert "Traceback" not in out.stdout
