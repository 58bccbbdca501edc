"""Matching what a person typed to one of the offered answers.

Order matters: an exact number or label beats a synonym, which beats a fuzzy guess, so that short
answers like "no" are never "corrected" into something else.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

from rapidfuzz import fuzz, process

MAX_INPUT = 2000

SYNONYMS: Mapping[str, frozenset[str]] = {
    "yes": frozenset({"y", "yes", "yeah", "yep", "yup", "sure", "correct", "right", "ok", "okay", "true",
                      "affirmative", "indeed", "that's right", "thats right", "it is", "i am", "we do",
                      "it does", "yes please"}),
    "no": frozenset({"n", "no", "nope", "nah", "not", "false", "negative", "wrong", "it isn't", "it is not",
                     "i am not", "i'm not", "we don't", "it doesn't", "none", "no thanks"}),
    "next": frozenset({"next", "continue", "go on", "go", "more", "n", "ok", "okay", "got it"}),
    "skip": frozenset({"skip", "don't know", "dont know", "i don't know", "unknown", "not sure", "pass", "-",
                       "n/a", "na", "no idea"}),
}
_NOT_SURE = frozenset({"i don't know", "i dont know", "don't know", "dont know", "dunno", "not sure", "no idea",
                       "unsure", "can't tell", "cant tell", "i can't tell", "unknown", "no clue"})
SYNONYMS = {**SYNONYMS, "unsure": _NOT_SURE, "unknown": _NOT_SURE,
            "check_now": frozenset({"check", "check it", "check now", "check it now", "look it up", "test it",
                                    "run the check", "you check", "can you check"})}
# "scenario C", "case b", "option 2": the leading word adds nothing.
_LEAD_WORDS = re.compile(r"^(?:(?:scenario|case|option|number|choice|answer)\s+|(?:no|nr)\.\s*|#\s*)",
                         re.IGNORECASE)

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\ufeff]")


def clean(text: str | None) -> str:
    """Normalise user input: Unicode NFKC, no control characters, single spaces, bounded length."""
    if not text:
        return ""
    value = unicodedata.normalize("NFKC", text[: MAX_INPUT * 2])
    value = _CONTROL.sub(" ", value)
    return " ".join(value.split())[:MAX_INPUT]


def _key(text: str) -> str:
    return text.casefold().strip(" .!?,;:'\"()[]")


def match_choice(text: str, choices: Mapping[str, str]) -> str | None:
    """Return the id of the choice ``text`` names, or None. ``choices`` maps id -> label."""
    key = _LEAD_WORDS.sub("", _key(text)) or _key(text)
    if not key:
        return None
    ids = list(choices)
    if key.isdigit():
        index = int(key) - 1
        return ids[index] if 0 <= index < len(ids) else None
    for choice_id, label in choices.items():
        if key in (choice_id.casefold(), _key(label)):
            return choice_id
    for choice_id in ids:
        if key in SYNONYMS.get(choice_id, ()):
            return choice_id
    # A label's leading words ("Delivered" for "Delivered to their server") count as the label.
    starts = [cid for cid, label in choices.items() if _key(label).startswith(key + " ") or
              (_key(label).startswith(key) and len(key) >= 4)]
    if len(starts) == 1:
        return starts[0]
    if len(key) < 4:
        return None
    labels = {cid: _key(label) for cid, label in choices.items()}
    best = process.extract(key, labels, scorer=fuzz.WRatio, limit=2, score_cutoff=86)
    if len(best) == 1 or (len(best) == 2 and best[0][1] - best[1][1] >= 8):
        return best[0][2]
    return None
