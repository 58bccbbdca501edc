"""The mail path of a case as plain data: the hops a message crosses, and the one where delivery stops.

Flows declare their ``path`` (hop ids in the order the message travels); outcome states name the ``hop``
their conclusion is about. Channels draw it (Teams: the mail path card); the engine only hands it over.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

# Our own short names for each kind of hop; a flow picks the ones its mail crosses.
HOPS: Mapping[str, str] = {
    "client": "Sender's mail app",
    "sending_server": "Sender's mail server",
    "onprem": "Exchange on-premises",
    "eop": "Exchange Online Protection (EOP)",
    "exo": "Exchange Online",
    "recipient_server": "Recipient's mail server",
}


@dataclass(frozen=True)
class MailPath:
    """The hops of one case; ``stop`` is the hop the conclusion is about (None while the case is open)."""

    hops: tuple[str, ...]
    stop: str | None = None
    reached: bool = False  # the case was solved: the message got as far as ``stop`` and nothing is broken

    def label(self, hop: str) -> str:
        return HOPS.get(hop, hop)

    def stop_text(self) -> str:
        """One sentence saying where the message got to, or an empty string while the case is open."""
        if self.stop is None:
            return ""
        where = self.label(self.stop)
        return f"The message got as far as: {where}." if self.reached else f"Delivery stops at: {where}."
