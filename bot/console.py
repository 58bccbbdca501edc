"""The terminal channel: the same conversation as in Teams, for local use and scripted runs.

With a terminal it is interactive; with piped input it echoes each line and stops at end of input,
so conversations can be scripted: ``printf '4\\nuser@contoso.com\\n' | mailflow chat``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from bot.render_text import Style, render_reply
from dialogs.engine import Engine
from dialogs.replies import Reply


class Console:
    def __init__(self, engine: Engine, out: TextIO, *, style: Style,
                 transcript: Path | None = None) -> None:
        self.engine = engine
        self.out = out
        self.style = style
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

    def run(self, read_line: Callable[[], str | None], *, echo: bool) -> int:
        """Talk until the person quits or input ends; returns the process exit code."""
        result = self.engine.start()
        self._show(result.replies)
        state = result.state
        try:
            while True:
                line = read_line()
                if line is None:
                    break
                if echo:
                    self.out.write(self.style.dim(f"you> {line}") + "\n")
                if self.transcript:
                    self.transcript.user_said(line)
                result = self.engine.handle(state, line)
                state = result.state
                self._show(result.replies)
                if result.ended:
                    break
        except KeyboardInterrupt:
            self.out.write("\nBye.\n")
        finally:
            if self.transcript and self.transcript_path:
                self.transcript.write(self.transcript_path)
                self.out.write(f"Transcript written to {self.transcript_path}\n")
        return 0


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
