"""bot/wire.py sends byte for byte the body botbuilder's own ConnectorClient (msrest) would send (or fails alike).

Every activity is compared with msrest's body as botbuilder builds it: its ConnectorClient's serializer, then
msrest's ClientRequest.add_content, after TurnContext has stamped the conversation reference on it.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from botbuilder.core import TurnContext
from botbuilder.schema import (
    ActionTypes,
    Activity,
    ActivityTypes,
    Attachment,
    ChannelAccount,
    ConversationAccount,
    Mention,
)
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import MicrosoftAppCredentials
from msrest.universal_http import ClientRequest

from bot.adapter import APOLOGY
from bot.file_offer import Offer, consent_card, file_info_card
from bot.render_activity import reply_to_activity, welcome_activity
from bot.teams_bot import STALE
from bot.wire import activity_body, fast_json
from dialogs.engine import Engine
from dialogs.replies import Choice, Reply
from tests.dialogs.explore import explore

SDK = ConnectorClient(MicrosoftAppCredentials.empty(), base_url="http://127.0.0.1:9/")


def incoming(channel: str) -> Activity:
    """A message as each channel sends it (Teams ids have ':', '@' and ';')."""
    return Activity(type="message", id="1700000000001", channel_id=channel, locale="en-US", text="hi",
                    service_url="https://smba.trafficmanager.net/emea/",
                    conversation=ConversationAccount(id="a:1Xy9@thread.skype;messageid=17", tenant_id="t-1",
                                                     conversation_type="personal"),
                    from_property=ChannelAccount(id="29:1abc", name="Dana", aad_object_id="0000-aad"),
                    recipient=ChannelAccount(id="28:bot-id", name="Mailflow"),
                    channel_data={"tenant": {"id": "t-1"}})


def as_sent(activity: Activity, channel: str) -> Activity:
    """What reaches the adapter: TurnContext's copy with the conversation reference applied."""
    reference = TurnContext.get_conversation_reference(incoming(channel))
    sent = TurnContext.apply_conversation_reference(copy.deepcopy(activity), reference)
    sent.input_hint = sent.input_hint or "acceptingInput"
    return sent


def sdk_body(activity: Activity) -> bytes:
    """What botbuilder's ConnectorClient puts on the wire for this activity."""
    request = ClientRequest("POST", "http://127.0.0.1:9/")
    request.add_content(SDK._serialize.body(activity, "Activity"))
    return request.data.encode("ascii")


def outcome(build: Callable[[Activity], bytes], activity: Activity) -> bytes | str:
    """The body, or the name of the error raised instead (msrest refuses some values)."""
    try:
        return build(copy.deepcopy(activity))
    except Exception as exc:
        return type(exc).__name__


def assert_same_body(activity: Activity, *, fast: bool = True) -> None:
    assert (fast_json(activity) is not None) is fast
    assert outcome(activity_body, activity) == outcome(sdk_body, activity)


@pytest.mark.parametrize("channel", ["msteams", "emulator", "webchat"])
def test_every_reply_of_every_flow_is_sent_as_the_sdk_would(engine: Engine, channel: str) -> None:
    checked = 0
    for visit in explore(engine, limit=250):
        for reply in [*engine.current(visit.state), *engine.handle(visit.state, "summary").replies]:
            assert_same_body(as_sent(reply_to_activity(reply, channel), channel))
            checked += 1
    assert checked > 250


@pytest.mark.parametrize("channel", ["msteams", "emulator"])
def test_the_other_activities_the_bot_sends_are_sent_as_the_sdk_would(engine: Engine, channel: str) -> None:
    offer = Offer("id1", "findings.txt", "text", 12, 0.0)
    many = Reply("Pick one", kind="question", choices=[Choice(str(i), f"answer {i}") for i in range(9)])
    for activity in (
        Activity(type=ActivityTypes.typing),
        Activity(type=ActivityTypes.message, text=APOLOGY),
        reply_to_activity(Reply(STALE, kind="notice"), channel),
        reply_to_activity(many, channel),  # Teams: hero cards (models inside the attachment's content)
        *(welcome_activity(reply, channel) for reply in engine.start().replies),
        Activity(type=ActivityTypes.message, attachments=[consent_card(offer)]),
        Activity(type=ActivityTypes.message, attachments=[file_info_card(
            {"contentUrl": "https://x/f.txt", "name": "f.txt", "uniqueId": "u", "fileType": "txt"})]),
        Activity(type=ActivityTypes.message, text="<at>Dana</at> hi", entities=[
            Mention(mentioned=ChannelAccount(id="29:1abc", name="Dana"), text="<at>Dana</at>", type="mention")]),
    ):
        assert_same_body(as_sent(activity, channel))


@pytest.mark.parametrize("unusual", [
    {"timestamp": dt.datetime(2026, 11, 28, 9, 30, tzinfo=dt.UTC)},  # msrest's own date format
    {"conversation": {"id": "as-a-dict", "isGroup": True}},  # msrest turns the dict into a model first
    {"value": {"pick": ActionTypes.im_back}},  # an enum inside free-form data: msrest refuses it
    {"value": ("a", 1)},  # a tuple inside free-form data: msrest writes str() of it
    {"attachments": [{"contentType": "text/plain", "content": "as a dict"}]},
    {"text": 42},  # not a str where msrest expects one: it converts
])
def test_anything_unusual_goes_through_msrest_itself(unusual: dict[str, Any]) -> None:
    activity = as_sent(Activity(type=ActivityTypes.message, text="x", attachments=[Attachment(content="c")]),
                       "msteams")
    for name, value in unusual.items():
        setattr(activity, name, value)
    assert_same_body(activity, fast=False)
