"""Per-conversation state as small, plain, serialisable data (never a pickled machine)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

MAX_HISTORY = 40  # answers kept for "back" and the summary; bounds the stored state of looping conversations


@dataclass
class Conversation:
    flow: str
    version: int
    state: str
    facts: dict[str, str] = field(default_factory=dict)
    # One entry per answered step: flow, state, answer label, and the facts it overwrote (for "back").
    history: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"flow": self.flow, "version": self.version, "state": self.state,
                "facts": dict(self.facts), "history": [dict(h) for h in self.history]}

    def token(self) -> str:
        """Names this point of the case: the step and how many answers led to it.

        An answer, "back" or pasted evidence changes it, so buttons stamped with an older one go stale; two
        points with the same name ask the same question, so a button for either answers it correctly. Cheap
        on purpose: it is built on every prompt (a digest of the whole history cost a third of a turn)."""
        return f"{self.flow}:{self.state}:{len(self.history)}"

    @classmethod
    def from_dict(cls, data: Any) -> Conversation | None:
        """Rebuild from stored data; None when the data is not a conversation we can read."""
        if not isinstance(data, dict):
            return None
        try:
            facts = {str(k): str(v) for k, v in (data.get("facts") or {}).items()}
            # Only entries "back" can use: a damaged one would otherwise travel on from store to store.
            history = [dict(h) for h in (data.get("history") or [])[-MAX_HISTORY:] if _usable(h)]
            return cls(str(data["flow"]), int(data.get("version", 0)), str(data["state"]), facts, history)
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError):  # Overflow: a version of 1e999
            return None


def _usable(entry: Any) -> bool:
    """A history entry "back" can undo: its step's names, and the facts it overwrote as text (None: unset)."""
    if not (isinstance(entry, dict) and isinstance(entry.get("flow"), str) and isinstance(entry.get("state"), str)):
        return False
    undo = entry.get("undo")
    if not undo:  # an answer that set no fact
        return True
    return isinstance(undo, dict) and all(value is None or isinstance(value, str) for value in undo.values())
