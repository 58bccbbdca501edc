"""What the engine says, as plain data that each channel renders its own way."""

from __future__ import annotations

from dataclasses import dataclass

from dialogs.checks import CheckRequest, CheckRow
from dialogs.path import MailPath


@dataclass(frozen=True)
class Choice:
    """An answer the user can pick; ``value`` is what the engine expects back."""

    value: str
    label: str


@dataclass(frozen=True)
class Step:
    question: str
    answer: str


@dataclass(frozen=True)
class CaseSummary:
    """Everything a ticket needs: where we are, what was answered and who acts next."""

    scenario: str
    facts: tuple[tuple[str, str], ...]
    steps: tuple[Step, ...]
    conclusion: str
    who: str
    evidence: tuple[str, ...]

    def to_text(self) -> str:
        lines = ["CASE SUMMARY", f"Scenario: {self.scenario}"]
        if self.facts:
            lines.append("Facts:")
            lines += [f"  - {name}: {value}" for name, value in self.facts]
        if self.steps:
            lines.append("Steps:")
            lines += [f"  {i}. {s.question} -> {s.answer}" for i, s in enumerate(self.steps, 1)]
        lines.append(f"Conclusion: {self.conclusion}")
        lines.append(f"Who acts next: {self.who}")
        if self.evidence:
            lines.append("Evidence to attach:")
            lines += [f"  - {item}" for item in self.evidence]
        return "\n".join(lines)


@dataclass(frozen=True)
class Reply:
    """One message from the bot. ``kind`` lets renderers style prompts, outcomes and notices."""

    text: str
    kind: str = "text"  # text | question | outcome | notice | summary | glossary | help | check | checks
    title: str = ""
    commands: tuple[str, ...] = ()
    ask: str = ""  # the question itself, shown after the explanation and its commands
    choices: tuple[Choice, ...] = ()
    facts: tuple[tuple[str, str], ...] = ()
    summary: CaseSummary | None = None
    evidence: tuple[str, ...] = ()
    check: CheckRequest | None = None  # kind "check": a live check the channel should run now
    rows: tuple[CheckRow, ...] = ()  # kind "checks": one line per check with its verdict
    path: MailPath | None = None  # the case's mail path: on a case's introduction and on its outcome
    # The step this reply's choices answer (Conversation.token): a channel puts it on its buttons so that a click
    # on an older message can be told apart from an answer to the current question.
    step: str = ""
