"""Structured logs: the JSON shape, the conversation id on every line of a scope, and no content at INFO."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from bot.logs import (
    TURN_LOGGER,
    configure_from_env,
    configure_logging,
    conversation_scope,
    current_conversation,
    log_turn,
    turn_scope,
)
from tests.bot.conftest import ConnectorStub, say, start_client

ADDRESS = "jane.doe@contoso.com"
SECRET_TEXT = "mail from partner fabrikam bounces since tuesday"


@pytest.fixture
def capture() -> Iterator[Any]:
    """Configure logging into a buffer; afterwards put the root logger and the quieted libraries back."""
    root = logging.getLogger()
    saved_level, saved_handlers = root.level, list(root.handlers)
    chatty = {name: logging.getLogger(name).level for name in ("aiohttp.access", "transitions", "msal", "urllib3")}
    buffers: list[io.StringIO] = []

    def start(level: str = "INFO", *, json_lines: bool = True) -> io.StringIO:
        buffer = io.StringIO()
        configure_logging(level, json=json_lines, stream=buffer)
        buffers.append(buffer)
        return buffer

    yield start
    for handler in [h for h in root.handlers if h not in saved_handlers]:
        root.removeHandler(handler)
    root.setLevel(saved_level)
    for name, level in chatty.items():
        logging.getLogger(name).setLevel(level)


def lines(buffer: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]


def test_each_line_is_one_json_object_with_the_agreed_keys(capture) -> None:
    buffer = capture()
    logging.getLogger("bot.http_app").info("listening on port %d", 3978)
    logging.getLogger("bot.adapter").warning("could not deliver a reply")
    first, second = lines(buffer)
    assert set(first) == {"time", "level", "logger", "message", "conversation_id"}
    assert first["level"] == "INFO" and first["logger"] == "bot.http_app"
    assert first["message"] == "listening on port 3978"
    assert first["conversation_id"] is None
    assert first["time"].endswith("Z") and "T" in first["time"]
    assert second["level"] == "WARNING"


def test_below_the_level_nothing_is_written(capture) -> None:
    buffer = capture("WARNING")
    logging.getLogger("bot").info("not shown")
    assert buffer.getvalue() == ""


def test_unknown_level_is_refused() -> None:
    with pytest.raises(ValueError, match="log level"):
        configure_logging("LOUD", stream=io.StringIO())


def test_configuring_twice_leaves_one_handler(capture) -> None:
    capture()
    buffer = capture()
    logging.getLogger("bot").info("once")
    assert len(lines(buffer)) == 1
    assert sum(getattr(h, "_mailflow_handler", False) for h in logging.getLogger().handlers) == 1


def test_conversation_id_on_every_line_inside_the_scope(capture) -> None:
    buffer = capture()
    with conversation_scope("19:abc@thread.tacv2"):
        logging.getLogger("bot.teams_bot").info("one")
        logging.getLogger("botbuilder.core").warning("a library line")  # not our code: still tagged
        with conversation_scope("a:other"):
            logging.getLogger("bot").info("nested")
        logging.getLogger("bot").info("back")
    logging.getLogger("bot").info("after")
    ids = [line["conversation_id"] for line in lines(buffer)]
    assert ids == ["19:abc@thread.tacv2", "19:abc@thread.tacv2", "a:other", "19:abc@thread.tacv2", None]
    assert current_conversation() is None


def test_an_oversized_conversation_id_is_capped(capture) -> None:
    buffer = capture()
    with conversation_scope("x" * 100_000):
        logging.getLogger("bot").info("from a hostile request")
    (line,) = lines(buffer)
    assert len(line["conversation_id"]) == 256


async def test_scope_follows_tasks_and_does_not_leak_between_them(capture) -> None:
    buffer = capture()

    async def turn(conversation_id: str) -> None:
        with conversation_scope(conversation_id):
            await asyncio.sleep(0)
            await asyncio.create_task(_log_later())  # a task started inside the scope inherits it
            logging.getLogger("bot").info("done")

    await asyncio.gather(turn("conv-1"), turn("conv-2"))
    by_conversation: dict[str, int] = {}
    for line in lines(buffer):
        by_conversation[line["conversation_id"]] = by_conversation.get(line["conversation_id"], 0) + 1
    assert by_conversation == {"conv-1": 2, "conv-2": 2}


async def _log_later() -> None:
    await asyncio.sleep(0)
    logging.getLogger("dialogs.session").info("from a child task")


def test_turn_line_carries_metadata_only(capture) -> None:
    buffer = capture()
    with turn_scope("conv-9", activity_type="message", channel="msteams") as turn:
        turn.flow, turn.step, turn.status = "scenario_c", "port25", 201
    (line,) = lines(buffer)
    assert line["logger"] == TURN_LOGGER and line["level"] == "INFO"
    assert line["conversation_id"] == "conv-9"
    assert line["message"] == "turn ok"
    assert line["activity_type"] == "message" and line["channel"] == "msteams" and line["outcome"] == "ok"
    assert line["flow"] == "scenario_c" and line["step"] == "port25" and line["status"] == 201
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0


def test_turn_that_raises_is_logged_as_an_error_and_reraised(capture) -> None:
    buffer = capture()
    with pytest.raises(RuntimeError), turn_scope("conv-err", activity_type="message", channel="emulator"):
        raise RuntimeError("boom")
    (line,) = lines(buffer)
    assert line["outcome"] == "error" and line["level"] == "WARNING" and line["conversation_id"] == "conv-err"


def test_log_turn_without_a_scope_still_writes_one_line(capture) -> None:
    buffer = capture()
    log_turn(activity_type=None, channel=None, duration_ms=1.234, outcome="unauthorized", status=401)
    (line,) = lines(buffer)
    assert line["activity_type"] == "unknown" and line["status"] == 401 and line["duration_ms"] == 1.2


def test_at_info_addresses_and_exception_messages_stay_out(capture) -> None:
    buffer = capture("INFO")
    log = logging.getLogger("bot.teams_bot")
    with conversation_scope("conv-pii"):
        log.info("could not parse %s", ADDRESS)  # a careless call: the backstop still hides the address
        try:
            raise ValueError(f"bad input: {SECRET_TEXT} from {ADDRESS}")
        except ValueError as exc:
            log.error("turn failed with %s", type(exc).__name__, exc_info=exc)
    text = buffer.getvalue()
    assert ADDRESS not in text and SECRET_TEXT not in text
    first, second = lines(buffer)
    assert first["message"] == "could not parse <address>"
    assert second["exception"]["type"] == "ValueError" and "detail" not in second["exception"]
    assert any("test_logs.py" in frame for frame in second["exception"]["stack"])


def test_at_debug_content_is_allowed(capture) -> None:
    buffer = capture("DEBUG")
    try:
        raise ValueError(SECRET_TEXT)
    except ValueError as exc:
        logging.getLogger("bot").debug("user said %s (%s)", SECRET_TEXT, ADDRESS, exc_info=exc)
    (line,) = lines(buffer)
    assert SECRET_TEXT in line["message"] and ADDRESS in line["message"]
    assert line["exception"]["detail"] == SECRET_TEXT


def test_text_format_follows_the_same_rule(capture) -> None:
    buffer = capture("INFO", json_lines=False)
    with conversation_scope("conv-text"):
        try:
            raise KeyError(ADDRESS)
        except KeyError as exc:
            logging.getLogger("bot").error("lookup of %s failed", ADDRESS, exc_info=exc)
    text = buffer.getvalue()
    assert "[conv-text]" in text and "<address>" in text and "KeyError" in text
    assert ADDRESS not in text


def test_settings_from_the_environment(capture) -> None:
    buffer = io.StringIO()
    configure_from_env({"MAILFLOW_LOG_LEVEL": "warning", "MAILFLOW_LOG_FORMAT": "json"}, stream=buffer)
    logging.getLogger("bot").info("hidden")
    logging.getLogger("bot").warning("shown")
    assert [line["message"] for line in lines(buffer)] == ["shown"]
    with pytest.raises(ValueError, match="MAILFLOW_LOG_FORMAT"):
        configure_from_env({"MAILFLOW_LOG_FORMAT": "xml"})


async def test_a_real_turn_leaves_no_text_or_address_at_info(capture, stub: ConnectorStub, engine) -> None:
    """The whole endpoint, with the libraries' own logging on: the person's words never reach the log."""
    buffer = capture("INFO")
    client = await start_client(engine=engine)
    try:
        with turn_scope("conv-real", activity_type="message", channel="emulator"):
            await say(client, stub, "conv-real", "hi")
            replies = await say(client, stub, "conv-real", f"{SECRET_TEXT}, sender {ADDRESS}")
        assert replies, "the bot answered"
    finally:
        await client.close()
    text = buffer.getvalue()
    assert SECRET_TEXT not in text and ADDRESS not in text and "contoso" not in text
    assert any(line["logger"] == TURN_LOGGER for line in lines(buffer))
