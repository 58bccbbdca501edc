"""The one engine that runs every flow: text in, plain-data replies and state out.

Machines are built once per process (one per flow) and shared; each turn triggers an event on a
throwaway position object, so a conversation costs only its small state dict.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from dialogs import evidence
from dialogs.answers import MAX_INPUT, SYNONYMS, clean, match_choice
from dialogs.checks import CHECK_KINDS, CheckOutcome, CheckRequest
from dialogs.conversation import MAX_HISTORY, Conversation
from dialogs.facts import DERIVED_FIELDS, FACT_TYPES, fill, template_values
from dialogs.flow import OUTCOMES, Flow
from dialogs.interpreters import INTERPRETERS
from dialogs.path import MailPath
from dialogs.replies import CaseSummary, Choice, Reply, Step
from mailflow.addresses import InvalidName
from mailflow.glossary import GLOSSARY, lookup

ENTRY_FLOW = "triage"
CHECK_NOW = "check_now"  # the extra answer offered at steps with a live check
USER_FLOW = "end_user"  # where anyone who says they are not an admin continues, at any step
AFTER_OUTCOME = (Choice("restart", "Start a new case"), Choice("back", "Back one step"),
                 Choice("summary", "Show the summary again"))
COMMANDS: Mapping[str, frozenset[str]] = {
    "help": frozenset({"help", "?", "/help", "commands", "what can you do", "how does this work"}),
    "back": frozenset({"back", "undo", "/back", "go back", "previous", "oops"}),
    "restart": frozenset({"restart", "/restart", "start over", "reset", "new case", "start again",
                          "main menu", "menu"}),
    "summary": frozenset({"summary", "/summary", "case summary", "show summary", "recap", "ticket"}),
    "quit": frozenset({"quit", "exit", "/quit", "bye", "goodbye", "stop", "end", "close"}),
    "glossary": frozenset({"glossary", "/glossary", "terms"}),
    "check": frozenset({"check", "/check", "check it", "check now", "run the check"}),
    "explain": frozenset({"explain", "/explain", "decode", "decode this"}),
    "not_admin": frozenset({"i'm not an admin", "i am not an admin", "im not an admin", "not an admin",
                            "i'm not admin", "not admin", "i'm not an administrator", "i am not an administrator",
                            "i'm just a user", "i am just a user", "end user", "i'm an end user", "no admin rights",
                            "i don't have admin rights", "i'm not it"}),
}
GREETINGS = frozenset({"hi", "hello", "hey", "hiya", "start", "/start", "good morning", "good afternoon",
                       "good evening", "yo", "howdy"})
_WHAT_IS = re.compile(
    r"^(?:what(?:'s| is| are| does| do)|whats|define|definition of|meaning of)\s+"
    r"(?:an?\s+|the\s+)?(?P<term>.+?)(?:\s+mean)?\s*\??$", re.IGNORECASE)


def _rests_at(flow: Flow, name: str) -> bool:
    """A step a case can be at between turns: one that exists today and asks or concludes (not a hand-off)."""
    state = flow.states.get(name)
    return state is not None and "handoff" not in state


_DERIVED_FROM = tuple(sorted(set(DERIVED_FIELDS.values())))  # the facts template_values derives others from


def _usable(facts: Mapping[str, str]) -> bool:
    """Facts the commands can be filled from; a damaged or hand-edited record's may not be (an address without
    its domain, a date that is no day)."""
    return _derivable(tuple(facts.get(name) for name in _DERIVED_FROM))


@functools.lru_cache(maxsize=1024)  # asked on every turn; deriving costs a fifth of a turn (IDNA, dates)
def _derivable(values: tuple[str | None, ...]) -> bool:
    try:
        template_values({name: value for name, value in zip(_DERIVED_FROM, values, strict=True) if value})
    except (ValueError, IndexError):  # InvalidName and UnicodeError are ValueErrors
        return False
    return True


class Position:
    """The model a shared machine moves for one turn; its methods are the flows' conditions."""

    __slots__ = ("facts", "state")

    def __init__(self, state: str, facts: Mapping[str, str]) -> None:
        self.state = state
        self.facts = facts

    def has_ndr_code(self) -> bool:
        return bool(self.facts.get("ndr_code"))

    def has_tenant(self) -> bool:
        return bool(self.facts.get("tenant"))


CONDITIONS = frozenset(n for n, v in vars(Position).items() if callable(v) and not n.startswith("_"))


@dataclass
class TurnResult:
    state: dict[str, Any]
    replies: list[Reply] = field(default_factory=list)
    ended: bool = False

    @property
    def check(self) -> CheckRequest | None:
        """The live check this turn asks the channel to run, if any."""
        return next((r.check for r in self.replies if r.check is not None), None)


def _notice(text: str) -> Reply:
    return Reply(text, kind="notice")


class Engine:
    def __init__(self, flows: Mapping[str, Flow], *, today: Callable[[], dt.date] = dt.date.today,
                 checks: bool = False) -> None:
        """``checks``: offer live checks; only a channel that can run them (see dialogs.session) sets it."""
        if ENTRY_FLOW not in flows:
            raise ValueError(f"the flows must include '{ENTRY_FLOW}'")
        self.flows = flows
        self.today = today
        self.checks = checks

    @classmethod
    def default(cls, **kwargs: Any) -> Engine:
        from dialogs.flows import load_flows

        return cls(load_flows(), **kwargs)

    # -- public API ---------------------------------------------------------------------------

    def start(self) -> TurnResult:
        conv = self._new()
        return TurnResult(conv.to_dict(), self._prompt(conv))

    def step_token(self, data: Mapping[str, Any] | None) -> str:
        """The token of the step a stored case is at (see Reply.step); a new case's when there is none."""
        conv = Conversation.from_dict(data) if data is not None else None
        return (conv if conv is not None and self._valid(conv) else self._new()).token()

    def current(self, data: Mapping[str, Any] | None) -> list[Reply]:
        """The current question again, briefly, without changing anything (e.g. after a click on an old card)."""
        conv = Conversation.from_dict(data) if data is not None else None
        return self._prompt(conv if conv is not None and self._valid(conv) else self._new(), short=True)

    def handle(self, data: Mapping[str, Any] | None, text: str | None) -> TurnResult:
        """One turn: the stored state (None for a new conversation) and what the person said."""
        notices: list[Reply] = []
        conv = Conversation.from_dict(data) if data is not None else None
        if data is not None and (conv is None or not self._valid(conv)):
            notices.append(_notice(
                "This conversation was saved by an earlier version of the assistant and I can no longer "
                "find the step it was at, so let's start again from the top. Sorry for the repeat."))
            conv = None
        elif conv is not None:
            conv.version = self.flows[conv.flow].version  # its step exists today: it resumes as today's version
        fresh = conv is None
        conv = conv or self._new()
        if text and (found := evidence.read(text)) is not None:
            replies = self._evidence(conv, found)
            return TurnResult(conv.to_dict(), notices + replies)
        if text and len(text) > MAX_INPUT:
            notices.append(_notice(f"That message is very long; I only read its first {MAX_INPUT:,} characters."))
        said = clean(text)
        if fresh and (not said or said.casefold().strip("!. ") in GREETINGS):
            return TurnResult(conv.to_dict(), notices + self._prompt(conv))
        replies, ended = self._turn(conv, said)
        if ended:
            conv = self._new()
        return TurnResult(conv.to_dict(), notices + replies, ended)

    # -- turn handling ---------------------------------------------------------------------------

    def _new(self) -> Conversation:
        flow = self.flows[ENTRY_FLOW]
        return Conversation(flow.name, flow.version, flow.initial)

    def _valid(self, conv: Conversation) -> bool:
        """Whether a stored case can go on: its step still exists and is one a case rests at (not a hand-off), and
        its facts fill the commands (a damaged or hand-edited record's may not: an address without a domain)."""
        flow = self.flows.get(conv.flow)
        return flow is not None and _rests_at(flow, conv.state) and _usable(conv.facts)

    def _turn(self, conv: Conversation, said: str) -> tuple[list[Reply], bool]:
        if not said:
            return [_notice("I received an empty message."), *self._prompt(conv, short=True)], False
        command = next((name for name, words in COMMANDS.items() if said.casefold().strip(" !.") in words), None)
        if command is None and "outcome" in self.flows[conv.flow].state(conv.state):
            command = match_choice(said, {c.value: c.label for c in AFTER_OUTCOME})
        if command == "quit":
            bye = [_notice("Goodbye. Everything you told me is in the summary below; start again any time.")]
            if conv.history:
                bye.append(Reply("Case summary", kind="summary", summary=self._summary(conv)))
            return bye, True
        if command == "restart":
            fresh = self._new()
            conv.flow, conv.version, conv.state, conv.facts, conv.history = (
                fresh.flow, fresh.version, fresh.state, {}, [])
            return [_notice("Starting a new case."), *self._prompt(conv)], False
        if command == "back":
            return self._back(conv), False
        if command == "summary":
            return [Reply("Case summary so far", kind="summary", summary=self._summary(conv)),
                    *self._prompt(conv, short=True)], False
        if command == "help":
            return [self._help(), *self._prompt(conv, short=True)], False
        if command == "glossary":
            names = ", ".join(t.name for t in GLOSSARY)
            return [Reply(f"Terms I can explain: {names}. Ask 'what is <term>'.", kind="glossary"),
                    *self._prompt(conv, short=True)], False
        if command == "check":
            return self._check_command(conv), False
        if command == "explain":
            return [_notice("Paste the bounce (or just its status line), the message headers, a message trace export "
                            "or an SMTP protocol log as your next message, or attach the file: I'll decode it and "
                            "take what it tells us into the case."), *self._prompt(conv, short=True)], False
        if command == "not_admin" and USER_FLOW in self.flows and conv.flow != USER_FLOW:
            conv.history.append({"flow": conv.flow, "state": conv.state, "answer": "I'm not an admin", "undo": {}})
            return [*self._enter_flow(conv, USER_FLOW), *self._advance(conv)], False
        if reply := self._glossary(said):
            return [reply, *self._prompt(conv, short=True)], False
        return self._answer(conv, said), False

    def _check_command(self, conv: Conversation) -> list[Reply]:
        """'check' typed (or Teams' command menu): run the live check this step offers, if it offers one."""
        state = self.flows[conv.flow].state(conv.state)
        if "outcome" not in state and "check" in state and CHECK_NOW in self._labels(conv, state):
            return self._answer(conv, CHECK_NOW)
        return [_notice("This step has no live check. I offer one (MX records, a sending IP's block lists, the "
                        "remote server's port 25, a smart host) at the steps where it helps."),
                *self._prompt(conv, short=True)]

    def _answer(self, conv: Conversation, said: str) -> list[Reply]:
        flow = self.flows[conv.flow]
        state = flow.state(conv.state)
        if "outcome" in state:
            return [_notice("This case has reached its conclusion. Say 'restart' for a new case, 'back' to change "
                            "your last answer, or 'summary' to see the case again."),
                    *self._prompt(conv, short=True)]
        if "fact" in state:
            return self._answer_fact(conv, state, said)
        choices = self._labels(conv, state)
        choice = match_choice(said, choices) if choices else None
        if choice == CHECK_NOW:
            request = self._check_request(conv, state)
            if request is not None:
                doing = CHECK_KINDS[request.kind].label.format(target=request.target)
                return [Reply(f"One moment, {doing}...", kind="check", check=request)]
        if choice is not None:
            replies = self._fire(conv, choice, choices[choice], {})
            if replies is not None:
                return replies
        if interpreter := state.get("interpret"):
            trigger, facts = INTERPRETERS[interpreter](said)
            if trigger is not None:
                replies = self._fire(conv, trigger, said[:120], facts)
                if replies is not None:
                    return replies
        hint = "Please answer with one of the options" + (
            ", by number or by name." if choices else ".")
        if "interpret" in state:
            hint = "I could not tell which case that is. Pick one of the options, or describe it differently " \
                   "(for example: 'mail from gmail to our Office 365 users bounces')."
        return [_notice(f"Sorry, I didn't understand \"{said[:60]}\". {hint}"), *self._prompt(conv, short=True)]

    def _answer_fact(self, conv: Conversation, state: Mapping[str, Any], said: str) -> list[Reply]:
        fact = FACT_TYPES[state["fact"]]
        if said.casefold().strip(" .!") in SYNONYMS["skip"] and not state.get("required"):
            replies = self._fire(conv, "skip" if "skip" in self.flows[conv.flow].triggers[conv.state]
                                 else "answered", "(skipped)", {fact.name: ""})
            if replies is not None:
                return replies
        try:
            value = fact.parse(said, self.today())
        except InvalidName as exc:
            return [_notice(f"That doesn't look right: {exc}. Example of a {fact.label}: {fact.example}. "
                            "Say 'skip' if you don't know it."), *self._prompt(conv, short=True)]
        replies = self._fire(conv, "answered", value, {fact.name: value})
        return replies if replies is not None else [*self._prompt(conv, short=True)]

    def _fire(self, conv: Conversation, trigger: str, answer: str, facts: Mapping[str, str]) -> list[Reply] | None:
        """Run one transition on the shared machine; None when this state has no such way forward."""
        flow = self.flows[conv.flow]
        if trigger not in flow.triggers[conv.state]:
            return None
        position = Position(conv.state, {**conv.facts, **facts})
        if not flow.machine.events[trigger].trigger(position):
            return None
        undo = {k: conv.facts.get(k) for k in facts if conv.facts.get(k) != facts[k]}
        conv.history.append({"flow": conv.flow, "state": conv.state, "answer": answer, "undo": undo})
        del conv.history[:-MAX_HISTORY]
        conv.facts.update(facts)
        conv.state = position.state
        return self._advance(conv)

    def _advance(self, conv: Conversation) -> list[Reply]:
        """Follow hand-offs and skip questions about facts we already have, then prompt."""
        replies: list[Reply] = []
        for _ in range(100):
            flow = self.flows[conv.flow]
            state = flow.state(conv.state)
            if "handoff" in state:
                target = fill(state["handoff"], template_values(conv.facts))  # a missing fact: no such flow
                replies += self._enter_flow(conv, target if target in self.flows else ENTRY_FLOW)
                continue
            if "fact" in state and state["fact"] in conv.facts:
                position = Position(conv.state, conv.facts)
                if flow.machine.events["answered"].trigger(position):
                    conv.state = position.state
                    continue
            break
        return replies + self._prompt(conv)

    def _evidence(self, conv: Conversation, found: evidence.Evidence) -> list[Reply]:
        """Show what the evidence says, keep its facts, and move to the case and step it points to.

        From triage the case is the one the evidence names; in a case under way the person's choice stands
        unless the bounce's route (not just its code) shows another case. Within the case the step that
        declares the bounce's code (a state's ``codes``) comes next. One history entry covers the move, so
        "back" returns to where the person was and drops the facts the evidence brought.
        """
        target = self._evidence_target(conv, found)
        facts = found.facts
        if target is None and found.fits and conv.flow in evidence.HOP_FLOWS.values() and conv.flow not in found.fits:
            facts = {}  # evidence about mail going the other way says nothing about this case's addresses
        state = self.flows[conv.flow].state(conv.state)
        fact = state.get("fact")
        if target is None and fact in facts:
            replies = self._fire(conv, "answered", found.label, facts)  # the other facts skip their questions
            if replies is not None:
                return [found.reply, *replies]
        was = (self.flows[conv.flow], conv.state)
        changes: dict[str, str | None] = {k: v for k, v in facts.items() if conv.facts.get(k) != v}
        dropped = self._flipped_roles(conv, found, target)
        changes.update(dict.fromkeys(dropped))
        conv.history.append({"flow": conv.flow, "state": conv.state, "answer": found.label,
                             "undo": {k: conv.facts.get(k) for k in changes}})
        del conv.history[:-MAX_HISTORY]
        for key, value in changes.items():
            if value is None:
                conv.facts.pop(key, None)
            else:
                conv.facts[key] = value
        if target is None:
            return [found.reply, *self._prompt(conv, short=True)]
        name, step = target
        replies = [found.reply]
        if name != conv.flow:
            if conv.flow != ENTRY_FLOW:
                aside = (" The addresses you gave were for mail going the other way, so I've set aside those the "
                         "bounce doesn't name." if dropped else "")
                replies.append(_notice(
                    f"This bounce doesn't fit the case we were in ({was[0].title}): it points to "
                    f"{self.flows[name].title}, so I've switched to that case.{aside} Say 'back' to return to "
                    f"'{self._title(*was)}'."))
            replies += self._enter_flow(conv, name)
        if step is not None:
            conv.state = step
            replies.append(_notice(f"The code {found.facts['ndr_code']} in the bounce leads straight to this "
                                   f"step. Say 'back' to return to where you were."))
        return [*replies, *self._advance(conv)]

    def _flipped_roles(self, conv: Conversation, found: evidence.Evidence,
                       target: tuple[str, str | None] | None) -> list[str]:
        """Sender and recipient typed for an inbound case mean the opposite in an outbound one (and back)."""
        if target is None or conv.flow not in evidence.HOP_FLOWS.values():
            return []
        if (conv.flow in evidence.INBOUND_FLOWS) == (target[0] in evidence.INBOUND_FLOWS):
            return []
        return [k for k in ("sender", "recipient") if k in conv.facts and k not in found.facts]

    def _evidence_target(self, conv: Conversation, found: evidence.Evidence) -> tuple[str, str | None] | None:
        """The (case, step) evidence moves to; step None is the case's start; None means stay where we are."""
        here = conv.flow
        if here == ENTRY_FLOW:
            name = found.flow
        elif here not in evidence.HOP_FLOWS.values():
            return None  # the general and end-user flows keep their own course
        elif found.fits and here not in found.fits:
            name = found.flow
        else:
            name = here
        if name not in self.flows:
            return None
        step = self.flows[name].state_for_code(found.facts.get("ndr_code"))
        if name == here and step in (None, conv.state):
            return None
        return name, step

    def _enter_flow(self, conv: Conversation, name: str) -> list[Reply]:
        """Move to another flow's first step; its introduction, if any, is what the person sees first."""
        flow = self.flows[name]
        conv.flow, conv.version, conv.state = flow.name, flow.version, flow.initial
        if not flow.intro:
            return []
        return [Reply(fill(flow.intro, template_values(conv.facts)), kind="notice", title=flow.title,
                      path=MailPath(flow.path) if flow.path else None)]

    def _back(self, conv: Conversation) -> list[Reply]:
        while conv.history:
            step = conv.history.pop()
            for key, old in (step.get("undo") or {}).items():
                if old is None or not _usable({key: old}):  # not usable: only a damaged record holds it
                    conv.facts.pop(key, None)
                else:
                    conv.facts[key] = old
            flow = self.flows.get(step["flow"])
            if flow and _rests_at(flow, step["state"]):
                conv.flow, conv.version, conv.state = flow.name, flow.version, step["state"]
                return [_notice(f"Going back to: {self._title(flow, conv.state)}"), *self._prompt(conv)]
        return [_notice("There is nothing to undo yet."), *self._prompt(conv, short=True)]

    # -- what the bot says -------------------------------------------------------------------

    def _title(self, flow: Flow, name: str) -> str:
        state = flow.states.get(name, {})
        return str(state.get("title") or name.replace("_", " ").capitalize())

    def _prompt(self, conv: Conversation, *, short: bool = False) -> list[Reply]:
        flow = self.flows[conv.flow]
        state = flow.state(conv.state)
        values = template_values(conv.facts)
        used = tuple((FACT_TYPES[k].label, values[k]) for k in flow.uses[conv.state] if k in values)
        say = fill(state.get("say", ""), values)
        commands = tuple(fill(c, values) for c in state.get("run", ()))
        step = conv.token()
        if "outcome" in state and short:
            return [Reply("What would you like to do next?", kind="question", choices=AFTER_OUTCOME, step=step)]
        if "outcome" in state:
            kind = state["outcome"]
            summary = self._summary(conv)
            path = MailPath(flow.path, state.get("hop"), reached=kind == "solved") if flow.path else None
            outcome = Reply(say, kind="outcome", title=f"{OUTCOMES[kind][0]}: {self._title(flow, conv.state)}",
                            commands=() if short else commands, evidence=summary.evidence, facts=used, path=path)
            return [outcome, Reply("Case summary", kind="summary", summary=summary, choices=AFTER_OUTCOME, step=step)]
        if "fact" in state:
            fact = FACT_TYPES[state["fact"]]
            example = state.get("example", fact.example)
            ask = fill(state.get("ask") or f"What is the {fact.label}?", values) + f" (for example {example})"
            choices = () if state.get("required") else (Choice("skip", "Skip, I don't know"),)
        else:
            ask = fill(state.get("ask", ""), values)
            choices = tuple(Choice(k, v) for k, v in self._labels(conv, state).items())
        title = "" if short else self._title(flow, conv.state) if "title" in state else ""
        return [Reply("" if short else say, kind="question", title=title, commands=() if short else commands,
                      ask=ask, choices=choices, facts=used, step=step)]

    def _labels(self, conv: Conversation, state: Mapping[str, Any]) -> dict[str, str]:
        """The answers of a step, with any facts they mention filled in, and "Check it now" where it can run."""
        choices: dict[str, str] = state.get("choices", {})
        if any("{" in label for label in choices.values()):
            values = template_values(conv.facts)
            choices = {k: fill(v, values) for k, v in choices.items()}
        if self._check_request(conv, state) is not None:
            choices = {**choices, CHECK_NOW: "Check it now (I'll look it up for you)"}
        return choices

    def _check_request(self, conv: Conversation, state: Mapping[str, Any]) -> CheckRequest | None:
        """The live check this step offers, when checks are on and the facts it needs are known."""
        spec = state.get("check")
        if not self.checks or spec is None:
            return None
        target = fill(spec["target"], template_values(conv.facts))
        if "<" in target:
            return None
        return CheckRequest(spec["kind"], target, conv.facts.get("sender", ""), conv.facts.get("recipient", ""))

    def after_check(self, data: Mapping[str, Any], request: CheckRequest, outcome: CheckOutcome) -> TurnResult:
        """Show a check's result and, when it settles the step's question, answer it."""
        conv = Conversation.from_dict(data)
        if conv is None or not self._valid(conv):
            return self.handle(data, "")
        doing = CHECK_KINDS[request.kind].label.format(target=request.target)
        shown = Reply(f"Result of {doing}:", kind="checks", rows=outcome.rows)
        state = self.flows[conv.flow].state(conv.state)
        spec = state.get("check") or {}
        choice = spec.get("answers", {}).get(outcome.result) if spec.get("kind") == request.kind else None
        if choice is not None:
            label = self._labels(conv, state)[choice]
            replies = self._fire(conv, choice, f"{label} (live check)", dict(outcome.facts))
            if replies is not None:
                settled = _notice(f"That answers this step: {label}. Say 'back' if you see it differently.")
                return TurnResult(conv.to_dict(), [shown, settled, *replies])
        unsettled = _notice("Use what the check found to choose your answer." if not spec.get("answers") else
                            "The check doesn't settle this step on its own; please choose an answer.")
        return TurnResult(conv.to_dict(), [shown, unsettled, *self._prompt(conv, short=True)])

    def _summary(self, conv: Conversation) -> CaseSummary:
        flow = self.flows[conv.flow]
        state = flow.state(conv.state)
        values = template_values(conv.facts)
        facts = tuple((t.label, conv.facts[k]) for k, t in FACT_TYPES.items() if conv.facts.get(k))
        steps = []
        for h in conv.history:
            past = self.flows.get(h.get("flow", ""))
            question = self._title(past, h.get("state", "")) if past else str(h.get("state", "?"))
            steps.append(Step(question, str(h.get("answer", ""))))
        if "outcome" in state:
            conclusion = self._title(flow, conv.state)
            who = fill(state.get("who") or OUTCOMES[state["outcome"]][1], values)
            evidence = tuple(fill(e, values) for e in state.get("evidence", ()))
        else:
            conclusion = f"Not concluded yet; the current step is: {self._title(flow, conv.state)}"
            who = "Not decided yet"
            evidence = ()
        return CaseSummary(flow.title, facts, tuple(steps), conclusion, who, evidence)

    def _help(self) -> Reply:
        return Reply(
            "Answer each question by number, by its label, or with yes/no where it fits. You can also type:\n"
            "- back: undo your last answer\n- restart: start a new case\n- summary: show the case so far\n"
            "- check: run the live check the current step offers\n"
            "- what is <term>: explain a term (EOP, NDR, smart host, HRDP...); 'glossary' lists them\n"
            "- not an admin: switch to the steps anyone can do, ending in a ticket for the helpdesk\n"
            "- explain, then paste a bounce, message headers, a message trace or an SMTP log: I decode it (you can "
            "also just paste it; in the terminal: /paste, or /load PATH)\n"
            "- quit: end the conversation", kind="help", title="How to use me")

    def _glossary(self, said: str) -> Reply | None:
        match = _WHAT_IS.match(said)
        asked = match.group("term") if match else said if said.endswith("?") else None
        if asked is None:
            return None
        term = lookup(asked)
        if term:
            return Reply(term.meaning, kind="glossary", title=term.name)
        if match and len(asked.split()) <= 4:
            names = ", ".join(t.name for t in GLOSSARY)
            return Reply(f"'{asked[:40]}' is not in my glossary. I can explain: {names}.", kind="glossary")
        return None
