"""The verdict every live check ends in, so channels can show one line per check the same way."""

from __future__ import annotations

from enum import StrEnum


class Verdict(StrEnum):
    OK = "ok"
    WARNING = "warning"
    ERROR = "error"
    NOT_FOUND = "not-found"
    UNCHECKED = "unchecked"  # the check could not run (timeout, refused, SERVFAIL): says nothing either way
