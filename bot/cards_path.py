"""The mail path card: the hops of the case in the order mail crosses them, with the stopping hop marked.

The hops and the stop come from the engine (flows declare their path, outcomes their hop); this module
only draws them.
"""

from __future__ import annotations

from typing import Any

from bot.cards import card
from bot.cards_elements import Element, heading, text
from dialogs.path import MailPath
from dialogs.replies import Reply


def path_card(reply: Reply) -> dict[str, Any]:
    """A case's introduction: what the case is about, and the way its mail travels."""
    assert reply.path is not None
    body: list[Element] = [heading(reply.title or "Mail path")]
    if reply.text:
        body.append(text(reply.text))
    return card([*body, *path_elements(reply.path)])


def path_elements(path: MailPath) -> list[Element]:
    """The hops one per line, joined by arrows; the stop in red (or green when solved), later hops greyed."""
    elements: list[Element] = [text("Mail path", weight="Bolder", spacing="Medium")]
    after_stop = False
    for i, hop in enumerate(path.hops):
        if i:
            elements.append(text("↓", spacing="None", isSubtle=True, horizontalAlignment="Left"))
        name = path.label(hop)
        if hop == path.stop:
            mark = "✅" if path.reached else "⛔"
            where = "the message got here" if path.reached else "delivery stops here"
            elements.append(text(f"{mark} **{name}** - {where}", spacing="None",
                                 color="Good" if path.reached else "Attention"))
            after_stop = True
        else:
            elements.append(text(f"{i + 1}. {name}", spacing="None", isSubtle=after_stop))
    if path.stop is not None:
        elements.append(text(path.stop_text(), weight="Bolder", spacing="Small"))
    return elements
