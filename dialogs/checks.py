"""Live checks a step can offer ("Check it now"), as plain data the engine and the channels share.

The engine never does I/O: it hands a CheckRequest to the channel, whose runner does the lookups and
returns a CheckOutcome; the engine then shows the rows and, when the result settles the step's
question, answers it (the person can still say 'back').
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from mailflow.verdict import Verdict


@dataclass(frozen=True)
class CheckKind:
    name: str
    label: str  # what the bot says it is doing; {target} is filled in
    results: frozenset[str]  # every result key the runner can return, so the lint can check "answers"


CHECK_KINDS: Mapping[str, CheckKind] = {k.name: k for k in (
    CheckKind("scenario", "checking the DNS of {target} for Microsoft 365 and hybrid signals",
              frozenset({"A", "B", "none", "unchecked"})),
    CheckKind("mx", "looking up the MX record of {target}",
              frozenset({"exchange-online", "other", "none", "unchecked"})),
    CheckKind("ip", "checking {target} on DNS block lists and its reverse DNS",
              frozenset({"listed", "clean", "unchecked"})),
    CheckKind("routing_domain", "checking that the routing domain {target} exists in Exchange Online",
              frozenset({"exists", "missing", "unchecked"})),
    CheckKind("smtp", "testing port 25 on the mail servers of {target}",
              frozenset({"accepted", "deferred", "unknown-recipient", "policy", "no-connection", "tls-error",
                         "unchecked"})),
    CheckKind("smarthost", "testing that {target} resolves and answers on port 25",
              frozenset({"answers", "no-connection", "no-address", "unchecked"})),
)}


@dataclass(frozen=True)
class CheckRequest:
    kind: str
    target: str
    sender: str = ""
    recipient: str = ""


@dataclass(frozen=True)
class CheckRow:
    """One line of a result: which check, ok/warning/error, and a one-line explanation."""

    name: str
    verdict: Verdict
    summary: str


@dataclass(frozen=True)
class CheckOutcome:
    result: str  # one of the kind's results
    rows: tuple[CheckRow, ...]
    facts: Mapping[str, str] = field(default_factory=dict)
