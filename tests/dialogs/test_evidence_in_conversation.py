"""Evidence pasted into the conversation: decoded, kept as facts, and the case it points to."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailflow.evidence import detect

HERE = Path(__file__).resolve().parents[1] / "mailflow"


def read(name: str) -> str:
    return (HERE / name).read_text(encoding="utf-8", errors="replace")


@pytest.mark.parametrize(("name", "kind"), [("bounces/exo_multipart.eml", "ndr"), ("bounces/postfix_dsn.eml", "ndr"),
                                            ("bounces/onprem_exchange.txt", "ndr"),
                                            ("headers/junked_spam.txt", "headers"),
                                            ("headers/onprem_chain.txt", "headers"),
                                            ("traces/get_messagetrace.csv", "trace"),
                                            ("traces/eac_summary_semicolon.csv", "trace"),
                                            ("traces/get_messagetracedetail.csv", "trace"),
                                            ("protocol_logs/SEND20230111-1.LOG", "smtplog"),
                                            ("protocol_logs/RECV2023011209-1.LOG", "smtplog")])
def test_kinds_are_detected(name, kind):
    assert detect(read(name)) == kind


@pytest.mark.parametrize("text", ["hello", "version 15.20.7452.28", "call me at 555 1234", ""])
def test_ordinary_text_is_not_evidence(text):
    assert detect(text) is None


def test_a_bounce_pasted_at_the_menu_moves_to_its_case_with_its_facts(engine):
    result = engine.handle(None, read("bounces/onprem_exchange.txt"))
    assert result.replies[0].kind == "evidence"
    assert "5.1.1" in result.replies[0].text
    assert result.state["flow"] == "scenario_b"
    assert result.state["facts"]["ndr_code"] == "5.1.1"
    assert result.state["facts"]["recipient"] == "dave@northwind.example"
    back = engine.handle(result.state, "back")
    assert back.state == engine.start().state


def test_a_code_pasted_at_the_code_question_answers_it(engine):
    result = engine.start()
    for text in ("7", "bounce"):
        result = engine.handle(result.state, text)
    answered = engine.handle(result.state, "550 5.7.606 Access denied, banned sending IP [203.0.113.7]")
    assert answered.state["state"] == "address"
    assert answered.state["facts"]["ndr_code"] == "5.7.606"


def test_headers_pasted_mid_case_are_explained_and_the_step_stays(engine):
    result = engine.start()
    for text in ("4", "user@contoso.com"):
        result = engine.handle(result.state, text)
    shown = engine.handle(result.state, read("headers/dmarc_oreject.txt"))
    assert shown.replies[0].title == "Message headers decoded"
    assert "DMARC" in shown.replies[0].text
    assert shown.state["state"] == result.state["state"]
    assert shown.replies[-1].kind == "question"


def test_a_trace_pasted_at_the_menu_is_read(engine):
    result = engine.handle(None, read("traces/get_messagetracedetail.csv"))
    assert result.replies[0].title == "Message trace read"
    assert "centralized mail flow" in result.replies[0].text


def test_a_protocol_log_pasted_mid_case_is_read(engine):
    result = engine.handle(engine.start().state, "4")
    shown = engine.handle(result.state, read("protocol_logs/SEND20230111-1.LOG"))
    assert shown.replies[0].title == "SMTP protocol log read"
    assert "5xx rejection" in shown.replies[0].text
    assert shown.state["state"] == result.state["state"]
