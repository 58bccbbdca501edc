"""The terminal channel: the same conversation as in Teams, for local use and scripted runs.

With a terminal it is interactive; with piped input it echoes each line and stops at end of input,
so conversations can be scripted: ``printf '4\\nuser@contoso.com\\n' | mailflow chat``.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from bot.render_text import Style, render_reply
from dialogs.engine import TurnResult
from dialogs.replies import Reply
from dialogs.session import Session
from mailflow.evidence import decode


class Console:
    """The terminal conversation; ``interactive`` adds a spinner while a live check runs."""

    def __init__(self, session: Session, out: TextIO, *, style: Style, transcript: Path | None = None,
                 interactive: bool = False) -> None:
        self.session = session
        self.out = out
        self.style = style
        self.interactive = interactive
        self.transcript_path = transcript
        self.transcript = None
        if transcript is not None:
            from bot.transcript import Transcript

            self.transcript = Transcript()

    def _show(self, replies: list[Reply]) -> None:
        for reply in replies:
            self.out.write(render_reply(reply, self.style) + "\n\n")
        self.out.flush()
        if self.transcript:
            self.transcript.bot_said(replies)

    async def _show_then_wait(self, replies: list[Reply]) -> None:
        """Replies before a live check: shown at once, then a spinner until the check is back."""
        self._show(replies)
        if self.interactive:
            self._spinner = asyncio.create_task(self._spin())

    async def _spin(self) -> None:
        began = time.monotonic()
        with contextlib.suppress(asyncio.CancelledError):
            for frame in itertools.cycle("|/-\\"):
                self.out.write(f"\r{frame} checking... {time.monotonic() - began:4.1f}s")
                self.out.flush()
                await asyncio.sleep(0.1)

    async def _turn(self, state: dict[str, Any], line: str) -> TurnResult:
        self._spinner: asyncio.Task[None] | None = None
        try:
            return await self.session.turn(state, line, key="console", show=self._show_then_wait)
        finally:
            if self._spinner is not None:
                self._spinner.cancel()
                await asyncio.gather(self._spinner, return_exceptions=True)
                self.out.write("\r" + " " * 40 + "\r")

    async def _multi_line(self, line: str, read_line: Callable[[], str | None]) -> str | None:
        """``/paste`` collects lines until a lone ``.``; ``/load PATH`` reads a file: evidence arrives whole."""
        command, _, rest = line.strip().partition(" ")
        loop = asyncio.get_running_loop()
        if command == "/load":
            path = Path(rest.strip().strip('"'))
            try:
                data = await loop.run_in_executor(None, _read_file, path)
                return decode(data)
            except OSError as exc:
                self.out.write(self.style.accent(f"Cannot read {path}: {exc.strerror or exc}") + "\n\n")
                return None
        if command != "/paste":
            return line
        self.out.write(self.style.dim("Paste the text, then a line with only a dot (.) to finish.") + "\n")
        lines: list[str] = []
        while (more := await loop.run_in_executor(None, read_line)) is not None and more.strip() != ".":
            lines.append(more)
        return "\n".join(lines)

    async def run(self, read_line: Callable[[], str | None], *, echo: bool) -> int:
        """Talk until the person quits or input ends; returns the process exit code."""
        result = self.session.engine.start()
        self._show(result.replies)
        state = result.state
        loop = asyncio.get_running_loop()
        try:
            while True:
                line = await loop.run_in_executor(None, read_line)
                if line is None:
                    break
                if echo:
                    self.out.write(self.style.dim(f"you> {line}") + "\n")
                line = await self._multi_line(line, read_line)
                if line is None:
                    continue
                if self.transcript:
                    self.transcript.user_said(line)
                result = await self._turn(state, line)
                state = result.state
                self._show(result.replies)
                if result.ended:
                    break
        finally:
            if self.transcript and self.transcript_path:
                self.transcript.write(self.transcript_path)
                self.out.write(f"Transcript written to {self.transcript_path}\n")
        return 0


def _read_file(path: Path) -> bytes:
    return path.expanduser().read_bytes()


def line_reader(stream: TextIO, *, interactive: bool) -> Callable[[], str | None]:
    """Read one line at a time; None at end of input."""

    if interactive:
        with contextlib.suppress(ImportError):  # readline is not on every platform
            import readline  # noqa: F401  (line editing and history for input())

    def read() -> str | None:
        if interactive:
            try:
                return input("you> ")
            except EOFError:
                return None
        line = stream.readline()
        return None if line == "" else line.rstrip("\r\n")

    return read
