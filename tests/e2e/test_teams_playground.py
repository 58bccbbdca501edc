"""End to end in a real Teams-like client: `mailflow serve`, the Microsoft 365 Agents Playground (npm) and
headless Chromium driven by Playwright, everything on loopback.

Scenario C is walked from the welcome card to the case summary by clicking card buttons and typing facts
in the question cards' text boxes, as a person would. The final screen is saved under test-artifacts/. The expected
texts come from our own engine replaying the same answers, so the test follows the flows as they change.
"""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from dialogs.engine import Engine
from dialogs.flows import load_flows
from dialogs.replies import Reply
from tests.processes import free_port, stop, wait_until_up

ROOT = Path(__file__).resolve().parents[2]
PLAYGROUND = ROOT / "tools" / "node" / "node_modules" / "@microsoft" / "m365agentsplayground" / "cli.js"
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
# Chromium flags for this closed network (no background connections) running as root in a container.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# Scenario C, answered the way a technician would: by card buttons (choice ids) and typed facts.
ANSWERS = (("click", "c"), ("type", "user@contoso.com"), ("type", "someone@fabrikam.com"), ("type", "yesterday"),
           ("click", "failed"), ("click", "remote"), ("click", "no"), ("click", "other"))


@pytest.fixture(scope="module")
def playground() -> Iterator[str]:
    """Our bot and the Agents Playground in front of it; yields the playground's web address."""
    for need, how in ((PLAYGROUND, "python3 run.py test installs it in tools/node"),
                      (CHROMIUM, "python3 run.py test installs Debian's chromium when run as root")):
        if not need.exists():
            pytest.fail(f"{need} is missing: {how}")
    bot_port, ui_port = free_port(), free_port()
    bot = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--port", str(bot_port), "--no-checks"], cwd=ROOT,
                           env={**os.environ, "MicrosoftAppId": "", "MAILFLOW_STORAGE": "memory"},
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    env = {**os.environ, "TEAMSAPPTESTER_BROWSER": "none",
           "NODE_OPTIONS": f"--require {Path(__file__).with_name('loopback.js')}"}
    ui = subprocess.Popen(["node", str(PLAYGROUND), "start", "-e", f"http://127.0.0.1:{bot_port}/api/messages",
                           "-c", "msteams", "-p", str(ui_port), "--dt",
                           "--su", f"http://127.0.0.1:{ui_port}/_connector"],
                          cwd=PLAYGROUND.parent, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_up(f"http://127.0.0.1:{bot_port}/healthz", bot, "mailflow serve")
        wait_until_up(f"http://127.0.0.1:{ui_port}/", ui, "the Agents Playground")
        yield f"http://127.0.0.1:{ui_port}/"
    finally:
        stop(ui)
        stop(bot)


def expected_replies() -> list[list[Reply]]:
    """What our engine says after the start and after each answer (the same flows the server runs)."""
    engine = Engine(load_flows(), today=datetime.date.today)
    result = engine.start()
    said = [result.replies]
    for _, answer in ANSWERS:
        result = engine.handle(result.state, answer)
        said.append(result.replies)
    return said


def label_of(replies: list[Reply], choice: str) -> tuple[int, str]:
    """Position (1-based) and label of a choice in the question the engine just asked."""
    question = next(r for r in reversed(replies) if r.choices)
    for position, option in enumerate(question.choices, start=1):
        if option.value == choice:
            return position, option.label
    raise AssertionError(f"no choice {choice!r} in {[c.value for c in question.choices]}")


def test_scenario_c_from_the_welcome_card_to_the_case_summary(playground):
    said = expected_replies()
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as driver:
        browser = driver.chromium.launch_persistent_context(tempfile.mkdtemp(prefix="mailflow-e2e-"),
                                                            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                                                            headless=True, viewport={"width": 1280, "height": 900})
        try:
            page = browser.new_page()
            page.set_default_timeout(30_000)
            page.goto(playground)
            # Opening the personal chat installs the app: our welcome card greets before anyone types.
            page.get_by_text("I help you find out why an email did not arrive").first.wait_for()
            for (how, answer), before, after in zip(ANSWERS, said[:-1], said[1:], strict=True):
                if how == "click":
                    position, label = label_of(before, answer)
                    buttons = page.get_by_role("button").filter(has_text=label[:30])
                    if not buttons.count():  # long labels are numbered and shortened on the button
                        buttons = page.get_by_role("button", name=f"{position}. ")
                    buttons.last.click()
                else:  # the question card's own text box and its Send button
                    page.get_by_placeholder("Type your answer").last.fill(answer)
                    page.get_by_role("button", name="Send", exact=True).last.click()
                # The new question's own wording (not its title, which may also appear in earlier cards).
                last = after[-1]
                marker = (last.ask or last.text or last.title).splitlines()[0][:40]
                page.get_by_text(marker).last.wait_for()
            page.get_by_role("button", name="Text for a ticket").last.click()  # opens the copyable plain text
            ticket = page.get_by_role("textbox").filter(has_text="CASE SUMMARY")
            if not ticket.count():
                ticket = page.locator("textarea")
            assert "CASE SUMMARY" in ticket.last.input_value()
            ticket.last.scroll_into_view_if_needed()
            shot = ARTIFACTS / "teams-playground-scenario-c.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 10_000
            summary = next(r for r in said[-1] if r.kind == "summary")
            assert summary.summary is not None
            page.get_by_text(summary.summary.conclusion.splitlines()[0][:40]).last.wait_for()
        except Exception:
            page.screenshot(path=str(ARTIFACTS / "teams-playground-failure.png"), full_page=True)
            raise
        finally:
            browser.close()
