"""A Bot Framework transcript (a JSON list of activities) of a console conversation."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path
from typing import Any

from botbuilder.schema import Activity, ActivityTypes, ChannelAccount, ConversationAccount, RoleTypes

from bot.render_activity import reply_to_activity
from dialogs.replies import Reply

CHANNEL = "console"


class Transcript:
    """Collects the activities of one conversation, as the emulator's .transcript files do."""

    def __init__(self) -> None:
        self.conversation = ConversationAccount(id=f"console-{uuid.uuid4()}")
        self.user = ChannelAccount(id="console-user", name="You", role=RoleTypes.user)
        self.bot = ChannelAccount(id="mailflow-assistant", name="Mailflow assistant", role=RoleTypes.bot)
        self.activities: list[dict[str, Any]] = []

    def _stamp(self, activity: Activity, sender: ChannelAccount, recipient: ChannelAccount) -> None:
        activity.id = str(uuid.uuid4())
        activity.channel_id = CHANNEL
        activity.conversation = self.conversation
        activity.from_property = sender
        activity.recipient = recipient
        activity.timestamp = dt.datetime.now(dt.UTC)
        self.activities.append(activity.serialize())

    def user_said(self, text: str) -> None:
        self._stamp(Activity(type=ActivityTypes.message, text=text), self.user, self.bot)

    def bot_said(self, replies: list[Reply]) -> None:
        for reply in replies:
            self._stamp(reply_to_activity(reply, CHANNEL), self.bot, self.user)

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(self.activities, indent=2, default=str), encoding="utf-8")
