"""The async edge around the pure engine: run a turn, and any live check it asks for, for one channel."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

from dialogs.checks import CheckOutcome, CheckRequest, CheckRow
from dialogs.engine import Engine, TurnResult
from dialogs.replies import Reply
from mailflow.verdict import Verdict

Show = Callable[[list[Reply]], Awaitable[None]]


class CheckRunner(Protocol):
    async def run(self, request: CheckRequest, *, key: str) -> CheckOutcome: ...


class Session:
    """One per process, shared by all conversations; ``key`` identifies a conversation for rate limits."""

    def __init__(self, engine: Engine, runner: CheckRunner | None = None) -> None:
        self.engine = engine
        self.runner = runner

    async def turn(self, state: Mapping[str, Any] | None, text: str | None, *, key: str,
                   show: Show | None = None) -> TurnResult:
        """Run one turn. With ``show``, replies before a slow check are shown at once and not returned again."""
        result = self.engine.handle(state, text)
        request = result.check
        if request is None or self.runner is None:
            return result
        if show is not None:
            await show(result.replies)
        try:
            outcome = await self.runner.run(request, key=key)
        except Exception as exc:  # a check must never cost the conversation: report it as not checked
            outcome = CheckOutcome("unchecked", (CheckRow(request.kind, Verdict.UNCHECKED,
                                                          f"the check could not run: {type(exc).__name__}"),))
        after = self.engine.after_check(result.state, request, outcome)
        return after if show is not None else TurnResult(after.state, [*result.replies, *after.replies], after.ended)
