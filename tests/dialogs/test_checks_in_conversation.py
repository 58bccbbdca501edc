"""How the engine offers live checks and uses their results (the checks themselves are tested in tests/mailflow)."""

from __future__ import annotations

import pytest

from dialogs.checks import CheckOutcome, CheckRequest, CheckRow
from dialogs.engine import Engine
from dialogs.session import Session
from mailflow.verdict import Verdict
from tests.dialogs.explore import TODAY

TO_MX = ("2", "me@fabrikam.com", "user@contoso.com", "yesterday", "none")


def walk(engine, inputs):
    result = engine.start()
    for text in inputs:
        result = engine.handle(result.state, text)
    return result


@pytest.fixture
def checking() -> Engine:
    return Engine.default(today=lambda: TODAY, checks=True)


def test_check_is_offered_only_when_checks_are_on_and_facts_are_known(engine, checking):
    assert all(c.value != "check_now" for c in walk(engine, TO_MX).replies[-1].choices)
    offered = walk(checking, TO_MX)
    assert offered.state["state"] == "mx"
    assert offered.replies[-1].choices[-1].value == "check_now"
    skipped = walk(checking, ("2", "me@fabrikam.com", "skip", "yesterday", "none"))
    assert all(c.value != "check_now" for c in skipped.replies[-1].choices)


@pytest.mark.parametrize("answer", ["check it now", "check", "4"])
def test_asking_for_the_check_returns_a_request_and_keeps_the_step(checking, answer):
    at_mx = walk(checking, TO_MX)
    asked = checking.handle(at_mx.state, answer)
    assert asked.check == CheckRequest("mx", "contoso.com", "me@fabrikam.com", "user@contoso.com")
    assert asked.state == at_mx.state


def test_a_conclusive_result_answers_the_step(checking):
    at_mx = walk(checking, TO_MX)
    request = checking.handle(at_mx.state, "check").check
    row = CheckRow("mx", Verdict.OK, "contoso.com receives mail at contoso-com.mail.protection.outlook.com")
    after = checking.after_check(at_mx.state, request, CheckOutcome("exchange-online", (row,)))
    assert after.state["state"] == "sender_logs"
    assert after.replies[0].rows == (row,)
    assert after.state["history"][-1]["answer"].endswith("(live check)")
    assert checking.handle(after.state, "back").state["state"] == "mx"


def test_an_inconclusive_result_leaves_the_choice_to_the_person(checking):
    at_mx = walk(checking, TO_MX)
    request = checking.handle(at_mx.state, "check").check
    after = checking.after_check(at_mx.state, request, CheckOutcome("unchecked", ()))
    assert after.state == at_mx.state
    assert after.replies[-1].kind == "question"


async def test_session_runs_the_check_and_reports_a_failing_runner_as_unchecked(checking):
    class Failing:
        async def run(self, request, *, key):
            raise TimeoutError

    session = Session(checking, Failing())
    at_mx = walk(checking, TO_MX)
    shown = []

    async def show(replies):
        shown.extend(replies)

    result = await session.turn(at_mx.state, "check", key="c1", show=show)
    assert shown[0].kind == "check"
    assert result.replies[0].rows[0].verdict is Verdict.UNCHECKED
    assert result.state == at_mx.state
