"""Structured logs for ``mailflow serve``: one JSON object per line, with the conversation id on each line.

Why JSON: Azure Container Apps, App Service and most log stores index JSON fields, so an admin can pull
every line of one conversation (``conversation_id``) without grepping free text.

The privacy rule, for everyone who logs in this project:

* At INFO and above (the default) log **metadata only**: activity type, channel, duration, outcome,
  flow and step names, HTTP status, exception types. Never what a person typed or pasted, never an
  address, display name, user id, attachment, bounce, header or log excerpt, never a fact of the case.
* Content may be logged at DEBUG only, which an admin turns on for a short troubleshooting session
  (``MAILFLOW_LOG_LEVEL=DEBUG``) and off again.
* Exception messages can carry user input (``ValueError(f"bad address {text}")``), so below DEBUG a
  logged exception shows its type and stack frames but not its message.
* As a backstop, anything that looks like an e-mail address is replaced by ``<address>`` below DEBUG.
  The backstop is no licence to log content: it cannot recognise names or pasted text.

Use :func:`conversation_scope` around the work of one turn so every line written meanwhile (also by
botbuilder, aiohttp or our own modules) carries the conversation id, and :func:`turn_scope` (or
:func:`log_turn`) for the one metadata line each turn writes.
"""

from __future__ import annotations

import asyncio
import json as jsonlib
import logging
import re
import sys
import time
import traceback
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TextIO

TURN_LOGGER = "mailflow.turn"
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# Libraries that chat at INFO about every request or state change; they add nothing an admin needs.
_CHATTY = ("aiohttp.access", "transitions", "msal", "urllib3")
_ADDRESS = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")
_HANDLER_MARK = "_mailflow_handler"
MAX_ID = 256  # Teams' longest ids (channel threads with a message id) stay well below this

_conversation: ContextVar[str | None] = ContextVar("mailflow_conversation_id", default=None)


def current_conversation() -> str | None:
    """The conversation id set by the innermost :func:`conversation_scope`, if any."""
    return _conversation.get()


@contextmanager
def conversation_scope(conversation_id: str | None) -> Iterator[None]:
    """Tag every log line written inside the block (in this task and tasks it starts) with the id.

    The id comes from the request, which may be unauthenticated, so it is capped at MAX_ID characters.
    """
    token = _conversation.set(conversation_id[:MAX_ID] if conversation_id else None)
    try:
        yield
    finally:
        _conversation.reset(token)


class ConversationFilter(logging.Filter):
    """Copies the current conversation id onto each record; on a handler, so library records get it too."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "conversation_id", None) is None:
            record.conversation_id = _conversation.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, conversation_id, plus ``fields``.

    ``content=False`` (every level above DEBUG) hides exception messages and e-mail addresses.
    """

    def __init__(self, *, content: bool = False) -> None:
        super().__init__()
        self.content = content

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
                    .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": self._clean(record.getMessage()),
            "conversation_id": getattr(record, "conversation_id", None) or _conversation.get(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, Mapping):
            for key, value in fields.items():
                entry.setdefault(str(key), self._clean(value) if isinstance(value, str) else value)
        if record.exc_info and record.exc_info[1] is not None:
            entry["exception"] = self._exception(record.exc_info[1])
        return jsonlib.dumps(entry, ensure_ascii=False, default=str)

    def _exception(self, exc: BaseException) -> dict[str, Any]:
        described: dict[str, Any] = {
            "type": type(exc).__qualname__,
            # Frames only: file, line, function and source line, which hold no user input.
            "stack": [f"{frame.filename}:{frame.lineno} in {frame.name}"
                      for frame in traceback.extract_tb(exc.__traceback__)],
        }
        if self.content:
            described["detail"] = str(exc)
        return described

    def _clean(self, text: str) -> str:
        return text if self.content else _ADDRESS.sub("<address>", text)


class TextFormatter(logging.Formatter):
    """Human-readable lines for a terminal, under the same privacy rule as :class:`JsonFormatter`."""

    def __init__(self, *, content: bool = False) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(conversation_id)s] %(message)s")
        self.content = content

    def format(self, record: logging.LogRecord) -> str:
        record.conversation_id = getattr(record, "conversation_id", None) or _conversation.get() or "-"
        line = super().format(record) if self.content else _ADDRESS.sub("<address>", self._without_detail(record))
        fields = getattr(record, "fields", None)
        if isinstance(fields, Mapping) and fields:
            line += " " + " ".join(f"{key}={value}" for key, value in fields.items())
        return line

    def _without_detail(self, record: logging.LogRecord) -> str:
        # Format without the exception, then add its type and frames but not its message.
        saved = record.exc_info, record.exc_text
        record.exc_info, record.exc_text = None, None
        try:
            line = super().format(record)
        finally:
            record.exc_info, record.exc_text = saved
        if saved[0] and saved[0][1] is not None:
            exc = saved[0][1]
            frames = "".join(traceback.format_tb(exc.__traceback__))
            line += f"\n{type(exc).__qualname__} (message hidden below DEBUG)\n{frames.rstrip()}"
        return line


def configure_logging(level: str = "INFO", *, json: bool = True, stream: TextIO | None = None) -> logging.Handler:
    """Send all logging to ``stream`` (default stderr) as JSON lines, replacing what an earlier call set up.

    Returns the handler so a caller (or a test) can remove it. Raises ValueError for an unknown level.
    """
    name = str(level).strip().upper()
    if name not in LEVELS:
        raise ValueError(f"log level must be one of {', '.join(LEVELS)}, not {level!r}")
    content = name == "DEBUG"
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(JsonFormatter(content=content) if json else TextFormatter(content=content))
    handler.addFilter(ConversationFilter())
    setattr(handler, _HANDLER_MARK, True)
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _HANDLER_MARK, False)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(name)
    for chatty in _CHATTY:
        logging.getLogger(chatty).setLevel(logging.DEBUG if content else logging.WARNING)
    return handler


def configure_from_env(environ: Mapping[str, str], *, stream: TextIO | None = None) -> logging.Handler:
    """``configure_logging`` from MAILFLOW_LOG_LEVEL (default INFO) and MAILFLOW_LOG_FORMAT (json or text)."""
    fmt = environ.get("MAILFLOW_LOG_FORMAT", "").strip().casefold() or "json"
    if fmt not in {"json", "text"}:
        raise ValueError(f"MAILFLOW_LOG_FORMAT must be json or text, not {fmt!r}")
    return configure_logging(environ.get("MAILFLOW_LOG_LEVEL", "").strip() or "INFO", json=fmt == "json",
                             stream=stream)


def log_turn(*, activity_type: str | None, channel: str | None, duration_ms: float, outcome: str,
             status: int | None = None, flow: str | None = None, step: str | None = None,
             logger: logging.Logger | None = None) -> None:
    """Write the one INFO line a turn leaves: metadata only, by construction (no free-form fields)."""
    fields: dict[str, Any] = {"activity_type": activity_type or "unknown", "channel": channel or "unknown",
                              "duration_ms": round(duration_ms, 1), "outcome": outcome}
    for key, value in (("status", status), ("flow", flow), ("step", step)):
        if value is not None:
            fields[key] = value
    level = logging.INFO if outcome in {"ok", "rejected", "unauthorized"} else logging.WARNING
    (logger or logging.getLogger(TURN_LOGGER)).log(level, "turn %s", outcome, extra={"fields": fields})


@dataclass
class TurnRecord:
    """What :func:`turn_scope` reports when the block ends; the caller updates it as the turn goes."""

    outcome: str = "ok"
    status: int | None = None
    flow: str | None = None
    step: str | None = None


@contextmanager
def turn_scope(conversation_id: str | None, *, activity_type: str | None, channel: str | None,
               logger: logging.Logger | None = None) -> Iterator[TurnRecord]:
    """Conversation scope plus a timer: logs one metadata line when the block ends, ``error`` if it raised."""
    record = TurnRecord()
    started = time.perf_counter()
    with conversation_scope(conversation_id):
        try:
            yield record
        except asyncio.CancelledError:
            record.outcome = "cancelled"
            raise
        except BaseException:
            record.outcome = "error"
            raise
        finally:
            log_turn(activity_type=activity_type, channel=channel,
                     duration_ms=(time.perf_counter() - started) * 1000, outcome=record.outcome,
                     status=record.status, flow=record.flow, step=record.step, logger=logger)
