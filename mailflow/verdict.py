"""The verdict every live check ends in, so channels can show one line per check the same way."""

from __future__ import annotations

from enum import StrEnum


class Verdict(StrEnum):
    OK = "ok"
    WARNING = "warning"
    ERROR = "error"
    NOT_FOUND = "not-found"
    UNCHECKED = "unchecked"  # the check could not run (timeout, refused, SERVFAIL): says nothing either way


# Higher is more serious, so several checks can be folded into one line for a report.
_SEVERITY = {Verdict.ERROR: 4, Verdict.WARNING: 3, Verdict.UNCHECKED: 2, Verdict.NOT_FOUND: 1, Verdict.OK: 0}


def worst(*verdicts: Verdict) -> Verdict:
    """The most serious of several verdicts (error > warning > unchecked > not-found > ok); OK when none."""
    return max(verdicts, key=_SEVERITY.__getitem__, default=Verdict.OK)
