"""Evidence pasted into the conversation: decoded, kept as facts, and the case it points to."""

from __future__ import annotations

from pathlib import Path

import pytest

from dialogs.engine import Engine, TurnResult
from dialogs.flows import load_flows
from mailflow.evidence import detect, explain

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


def run(engine: Engine, *texts: str) -> TurnResult:
    result = engine.start()
    for text in texts:
        result = engine.handle(result.state, text)
    return result


def where(result: TurnResult) -> tuple[str, str]:
    return result.state["flow"], result.state["state"]


def test_a_bounce_pasted_at_the_menu_moves_to_its_case_with_its_facts(engine):
    result = engine.handle(None, read("bounces/onprem_exchange.txt"))
    assert result.replies[0].kind == "evidence"
    assert "5.1.1" in result.replies[0].text
    assert where(result) == ("scenario_b", "recipient_type")
    assert result.state["facts"]["ndr_code"] == "5.1.1"
    assert result.state["facts"]["recipient"] == "dave@northwind.example"
    back = engine.handle(result.state, "back")
    assert back.state == engine.start().state


# The step each bounce leads to from the start menu: its case from the bounce's route, its step from the code.
@pytest.mark.parametrize(("name", "flow", "state"), [
    ("bounces/postfix_dsn.eml", "scenario_a", "blocklist"),  # 5.7.606 from EOP to an outside server
    ("bounces/exo_unknown_in_own_tenant.eml", "scenario_a", "failed"),  # 5.1.1 written by our tenant
    ("bounces/onprem_exchange.txt", "scenario_b", "recipient_type"),  # 5.1.1 from Exchange on-premises
    ("bounces/singlepart_dsn.eml", "scenario_b", "send_log"),  # 5.7.64: our on-premises server -> EOP
    ("bounces/gmail.txt", "scenario_c", "remote_code"),  # 5.1.1 from Google's server
    ("bounces/postfix_unknown_user.eml", "scenario_c", "remote_code"),  # 5.1.1 from an outside Postfix
    ("bounces/exo_remote_third_party.eml", "scenario_c", "remote_code"),  # EXO quoting an outside server
    ("bounces/several_codes.txt", "scenario_c", "port25"),  # 5.4.316: their server refused connections
    ("bounces/exo_smarthost_refused.txt", "scenario_d", "fail_reply"),  # our smart host refused EXO
])
def test_a_bounce_at_the_menu_leads_to_the_step_of_its_code(engine, name, flow, state):
    result = engine.handle(engine.start().state, read(name))
    assert where(result) == (flow, state)
    assert result.replies[0].kind == "evidence"
    assert any("leads straight to this step" in r.text for r in result.replies if r.kind == "notice")
    assert result.replies[-1].kind == "question"
    assert result.replies[-1].title == load_flows()[flow].states[state]["title"]
    assert [h["state"] for h in result.state["history"]] == ["menu"]
    assert engine.handle(result.state, "back").state == engine.start().state


def test_facts_from_the_bounce_are_kept_and_used_at_the_step(engine):
    result = engine.handle(engine.start().state, read("bounces/postfix_dsn.eml"))
    assert where(result) == ("scenario_a", "blocklist")
    assert result.state["facts"] == {"ndr_code": "5.7.606", "recipient": "frank@tailspin.example",
                                     "sender": "erin@example.org", "sending_ip": "192.0.2.44", "date": "2025-03-06"}
    assert "192.0.2.44" in result.replies[-1].ask
    done = engine.handle(result.state, "no")
    assert where(done) == ("scenario_a", "blocklist_delist")
    assert done.state["facts"]["sending_ip"] == "192.0.2.44"
    summary = done.replies[-1].summary
    assert summary.steps[0].answer == "Bounce with 5.7.606"
    assert ("sending server's public IP", "192.0.2.44") in summary.facts


def test_a_d_bounce_names_our_smart_host(engine):
    result = engine.handle(None, read("bounces/exo_smarthost_refused.txt"))
    assert where(result) == ("scenario_d", "fail_reply")
    assert result.state["facts"]["onprem_server"] == "mail.contoso.example"
    assert result.state["facts"]["sender"] == "megan@contoso.example"
    assert "mail.contoso.example" in result.replies[-1].text


def test_a_bounce_whose_code_has_no_step_starts_its_case(engine):
    result = engine.handle(None, "550 5.6.11 Invalid characters in the message")
    assert where(result) == ("scenario_a", "ask_sender")
    assert result.state["facts"]["ndr_code"] == "5.6.11"
    assert engine.handle(result.state, "back").state == engine.start().state


def _in_case(engine: Engine, menu: str, *facts: str) -> TurnResult:
    result = run(engine, menu, *facts)
    assert result.replies[-1].kind == "question"
    return result


def test_a_bounce_mid_case_moves_to_the_step_of_the_same_case(engine):
    before = _in_case(engine, "4", "megan@contoso.com", "someone@fabrikam.com", "yesterday")
    assert where(before) == ("scenario_c", "trace")
    moved = engine.handle(before.state, read("bounces/exo_remote_third_party.eml"))
    assert where(moved) == ("scenario_c", "remote_code")
    assert moved.state["facts"]["recipient"] == "pat@fabrikam.example"
    assert moved.state["facts"]["ndr_code"] == "5.1.1"
    assert not any("switched" in r.text for r in moved.replies)
    back = engine.handle(moved.state, "back")
    assert where(back) == ("scenario_c", "trace")
    assert back.state["facts"] == before.state["facts"]
    assert back.state["history"] == before.state["history"]


def test_a_code_alone_mid_case_stays_in_the_chosen_case(engine):
    # 5.7.606 usually points to A, but a bare line says nothing about the route: B has a step for it.
    before = _in_case(engine, "3", "someone@fabrikam.com", "user@contoso.com", "yesterday", "contoso")
    moved = engine.handle(before.state, "550 5.7.606 Access denied, banned sending IP [203.0.113.9]")
    assert where(moved) == ("scenario_b", "send_log")
    assert moved.state["facts"]["sending_ip"] == "203.0.113.9"


def test_a_code_with_no_step_in_the_case_leaves_the_step_alone(engine):
    before = _in_case(engine, "4", "megan@contoso.com", "someone@fabrikam.com", "yesterday")
    shown = engine.handle(before.state, "550 5.7.606 Access denied, banned sending IP [203.0.113.9]")
    assert where(shown) == where(before)
    assert shown.state["facts"]["ndr_code"] == "5.7.606"
    assert shown.replies[0].kind == "evidence" and shown.replies[-1].kind == "question"


def test_a_bounce_from_another_case_switches_and_back_returns(engine):
    before = _in_case(engine, "2", "someone@fabrikam.com", "user@contoso.com", "yesterday")
    assert where(before) == ("scenario_a", "trace")
    switched = engine.handle(before.state, read("bounces/gmail.txt"))
    assert where(switched) == ("scenario_c", "remote_code")
    notice = next(r.text for r in switched.replies if "switched" in r.text)
    assert "A: outside senders" in notice and "C: your Office 365 users" in notice
    # The outside sender typed for case A is not our user in case C; the bounce names only the recipient.
    assert switched.state["facts"] == {"recipient": "grace@woodgrove.example", "date": "2026-11-27",
                                       "ndr_code": "5.1.1"}
    back = engine.handle(switched.state, "back")
    assert where(back) == ("scenario_a", "trace")
    assert back.state["facts"] == before.state["facts"]


def test_a_bounce_that_fits_the_case_under_way_does_not_switch(engine):
    # An outside Postfix server refused our user's mail: C or D's second hop; in D the person's choice stands.
    before = _in_case(engine, "5", "megan@contoso.example", "quinn@fabrikam.example", "yesterday",
                      "mail.contoso.example")
    moved = engine.handle(before.state, read("bounces/postfix_unknown_user.eml"))
    assert where(moved) == ("scenario_d", "onprem_tracking")
    assert moved.state["facts"]["onprem_server"] == "mail.contoso.example"


@pytest.mark.parametrize(("menu", "flow"), [("2", "scenario_a"), ("3", "scenario_b"), ("4", "scenario_c"),
                                            ("5", "scenario_d")])
def test_every_declared_code_leads_to_its_step(engine, menu, flow):
    start = engine.handle(engine.start().state, menu)
    assert start.state["flow"] == flow
    for state, data in load_flows()[flow].states.items():
        for pattern in data.get("codes", ()):
            for code in dict.fromkeys(pattern.split("-")):
                line = f"{'550' if code[0] == '5' else '451'} {code} refused"
                moved = engine.handle(start.state, line)
                assert where(moved) == (flow, state), line
                assert engine.handle(moved.state, "back").state["state"] == start.state["state"]


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


def test_headers_give_the_case_its_sender_recipient_ip_and_day(engine):
    shown = engine.handle(engine.start().state, read("headers/junked_spam.txt"))
    facts = shown.state["facts"]
    assert facts["sender"] == "winner@promo-deals.example"
    assert facts["recipient"] == "adele.vance@contoso.com"
    assert facts["sending_ip"] == "198.51.100.77"  # the CIP field: the IP that connected to Microsoft 365
    assert facts["date"] == "2024-03-06"
    # what needs attention comes first in the few lines the chat shows
    report = explain(read("headers/junked_spam.txt"), "headers")
    shown_lines = [line for line in shown.replies[0].text.splitlines()[1:] if line.startswith("- ")]
    hidden = len(report["findings"]) - len(shown_lines)
    assert len(shown_lines) == min(8, len(report["findings"]))
    if hidden:  # the rest are one command away, and the chat says so
        assert shown.replies[0].text.endswith(f"{hidden} more findings are not shown here; `mailflow explain` on "
                                              "the same text lists them all.")
    severities = [next(f["severity"] for f in report["findings"] if line == f"- {f['text']}") for line in shown_lines]
    assert severities[0] in ("warning", "error")
    assert severities == sorted(severities, key=lambda s: {"error": 0, "warning": 1}.get(s, 2))
    assert [f["severity"] for f in report["findings"]] != severities  # the decoder's own order differs


def test_inbound_headers_answer_an_inbound_case_and_back_undoes_it(engine):
    result = engine.handle(engine.start().state, "2")  # case A: outside senders -> Office 365
    assert result.state["state"] == "ask_sender"
    shown = engine.handle(result.state, read("headers/junked_spam.txt"))
    facts = shown.state["facts"]
    assert (facts["sender"], facts["recipient"]) == ("winner@promo-deals.example", "adele.vance@contoso.com")
    assert shown.state["state"] not in ("ask_sender", "ask_recipient")  # both questions answered by the headers
    back = engine.handle(shown.state, "back")
    assert back.state["state"] == "ask_sender"
    assert "sender" not in back.state["facts"] and "recipient" not in back.state["facts"]


def test_inbound_headers_leave_an_outbound_case_alone(engine):
    result = engine.start()
    for text in ("4", "user@contoso.com"):  # case C: our user -> outside
        result = engine.handle(result.state, text)
    shown = engine.handle(result.state, read("headers/junked_spam.txt"))
    assert shown.state["facts"] == result.state["facts"]
    assert shown.state["state"] == result.state["state"]
