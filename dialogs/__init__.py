"""The troubleshooting conversation: flows declared as data and one engine that runs them.

Channel-agnostic by design: nothing here imports botbuilder or aiohttp.
"""

from dialogs.engine import Engine, TurnResult
from dialogs.replies import CaseSummary, Choice, Reply

__all__ = ["CaseSummary", "Choice", "Engine", "Reply", "TurnResult"]
