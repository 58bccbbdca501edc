"""Teams over real HTTP: card submits, stale clicks, mentions, the welcome on install, and a whole case by cards."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from bot.teams_bot import STALE, without_bot_mention
from dialogs.engine import Engine
from dialogs.path import HOPS
from tests.bot.conftest import ConnectorStub, activity, say, send, start_client
from tests.bot.test_cards import assert_valid_posts, shown, submits
from tests.bot.test_http import Mirror, shown_posts

TEAMS = {"channelId": "msteams"}
CHANNEL = "19:general@thread.tacv2;messageid=1700000000001"  # a reply thread in a team's channel


def button(card: dict[str, Any], choice: str) -> dict[str, Any]:
    """The data Teams sends back when this card's button for ``choice`` is clicked."""
    return next(b["data"] for b in submits(card) if b["data"].get("choice") == choice)


def send_box(card: dict[str, Any], typed: str) -> dict[str, Any]:
    """The data Teams sends when something is typed into the card's text box and Send is clicked."""
    (send_button,) = [b for b in submits(card) if b["title"] == "Send"]
    return {**send_button["data"], "text": typed}


async def click(client: TestClient, stub: ConnectorStub, conversation: str, data: dict[str, Any],
                **fields: Any) -> list[dict[str, Any]]:
    """A card submit as Teams sends it: ``value`` and no text."""
    return await say(client, stub, conversation, None, value=data, **TEAMS, **fields)


async def test_a_submit_is_handled_like_the_typed_answer(client, stub, engine):
    mirror = Mirror(engine, "msteams")
    (menu,) = assert_valid_posts(await say(client, stub, "submit", "hi", **TEAMS))
    assert menu == mirror.say("hi")[0]
    picked = await click(client, stub, "submit", button(menu, "c"))
    assert shown_posts(picked) == mirror.say("c")
    intro, question = assert_valid_posts(picked)
    assert "C: your Office 365 users" in shown(intro)
    answered = await click(client, stub, "submit", send_box(question, "me@contoso.com"))
    assert shown_posts(answered) == mirror.say("me@contoso.com")
    assert "Which outside address was it sent to?" in shown(assert_valid_posts(answered)[0])
    assert mirror.state["facts"]["sender"] == "me@contoso.com"


async def test_a_click_on_an_older_card_is_ignored_politely(client, stub, engine):
    mirror = Mirror(engine, "msteams")
    (menu,) = assert_valid_posts(await say(client, stub, "stale", "hi", **TEAMS))
    mirror.say("hi")
    await click(client, stub, "stale", button(menu, "general"))
    mirror.say("general")
    stale = await click(client, stub, "stale", button(menu, "a"))  # the menu card is still on screen
    assert stale[0]["text"] == STALE
    (current,) = assert_valid_posts(stale[1:])
    assert current == shown_posts([stale[1]])[0]
    assert {b["data"]["step"] for b in submits(current)} == {engine.step_token(mirror.state)}
    # nothing changed: the conversation carries on exactly as if the old click never happened
    assert shown_posts(await say(client, stub, "stale", "summary", **TEAMS)) == mirror.say("summary")
    fresh = await click(client, stub, "stale", button(current, "next"))
    assert shown_posts(fresh) == mirror.say("next")


async def test_the_bots_mention_is_stripped_in_a_channel_and_others_keep_their_names(client, stub, engine):
    mirror = Mirror(engine, "msteams")
    bot_mention = {"type": "mention", "text": "<at>Mailflow</at>", "mentioned": {"id": "bot", "name": "Mailflow"}}
    other = {"type": "mention", "text": "<at>Adele Vance</at>", "mentioned": {"id": "29:adele", "name": "Adele Vance"}}
    channel = {"conversation": {"id": CHANNEL, "conversationType": "channel", "isGroup": True}, **TEAMS}
    replies = await say(client, stub, CHANNEL, "<at>Mailflow</at> 3", entities=[bot_mention], **channel)
    assert shown_posts(replies) == mirror.say("3")
    assert all(r["path_conversation"] == CHANNEL and r["conversation"]["id"] == CHANNEL for r in replies)
    # someone else's mention keeps the name: it is part of the answer (a fact here), not a command to the bot
    typed = "<at>Mailflow</at> adele.vance@contoso.com for <at>Adele Vance</at>"
    replies = await say(client, stub, CHANNEL, typed, entities=[bot_mention, other], **channel)
    assert shown_posts(replies) == mirror.say("adele.vance@contoso.com for Adele Vance")
    # a group chat without mention entities: a leading mention is still the bot's
    replies = await say(client, stub, "group-1", "<at>Mailflow</at> 3", conversation={
        "id": "group-1", "conversationType": "groupChat"}, **TEAMS)
    assert shown_posts(replies) == Mirror(engine, "msteams").say("3")


async def test_welcome_card_on_install_in_a_personal_chat(client, stub, engine):
    install = activity(stub, "personal", type="installationUpdate", action="add", **TEAMS)
    await send(client, install)
    (welcome,) = assert_valid_posts(posted := stub.for_conversation("personal"))
    assert posted[0]["replyToId"] == install["id"]
    assert "Mail flow assistant" in shown(welcome)
    assert "What is the problem" in shown(welcome)
    # its buttons answer the start menu
    picked = await click(client, stub, "personal", button(welcome, "c"))
    mirror = Mirror(engine, "msteams")
    mirror.say("hi")
    assert shown_posts(picked) == mirror.say("c")


async def test_welcome_once_when_the_bot_is_added_to_a_team_and_not_when_people_join(client, stub):
    team = "19:team@thread.tacv2"
    added = activity(stub, team, type="conversationUpdate", membersAdded=[{"id": "bot"}], **TEAMS)
    await send(client, added)
    # Teams also sends installationUpdate for the same install: one welcome is enough
    await send(client, activity(stub, team, type="installationUpdate", action="add", **TEAMS))
    assert len(assert_valid_posts(stub.for_conversation(team))) == 1
    await send(client, activity(stub, team, type="conversationUpdate", membersAdded=[{"id": "29:new"}], **TEAMS))
    await send(client, activity(stub, team, type="installationUpdate", action="remove", **TEAMS))
    assert len(stub.for_conversation(team)) == 1


async def test_scenario_c_walked_by_card_clicks_to_the_summary_card(client, stub, engine):
    conversation = "walk-c"
    (card,) = assert_valid_posts(await say(client, stub, conversation, "hi", **TEAMS))
    clicks: list[tuple[str, str]] = [("button", "c"), ("box", "me@contoso.com"), ("box", "someone@fabrikam.com"),
                                     ("box", "yesterday"), ("button", "failed"), ("button", "remote"),
                                     ("button", "no"), ("button", "unknown")]
    cards: list[dict[str, Any]] = []
    for how, what in clicks:
        posted = await click(client, stub, conversation, button(card, what) if how == "button" else
                             send_box(card, what))
        cards = assert_valid_posts(posted)
        assert len(cards) == len(posted), what  # every reply of the walk is a card
        card = cards[-1]
    outcome, summary = cards
    assert "Their server doesn't know the recipient address" in shown(outcome)
    stop = f"⛔ **{HOPS['recipient_server']}** - delivery stops here"
    assert stop in shown(outcome)
    text = shown(summary)
    for part in ("Scenario: C: your Office 365 users", "me@contoso.com", "someone@fabrikam.com",
                 "The other organisation's mail administrator"):
        assert part in text
    (ticket,) = [b for b in summary["actions"][0]["card"]["body"] if b["type"] == "Input.Text"]
    assert ticket["value"].startswith("CASE SUMMARY\nScenario: C: your Office 365 users")
    assert "Conclusion: Their server doesn't know the recipient address" in ticket["value"]
    restarted = await click(client, stub, conversation, button(summary, "restart"))
    assert "Starting a new case." in restarted[0]["text"]


async def test_a_live_check_on_teams_shows_typing_then_the_check_results_card(stub):
    from dialogs.live_checks import LiveChecks
    from tests.dialogs.explore import TODAY
    from tests.mailflow.dns_server import DnsTestServer
    from tests.mailflow.zones import WORLD

    with DnsTestServer(WORLD) as dns:
        runner = LiveChecks(dns.resolver(timeout=1.0, lifetime=2.0))
        client = await start_client(engine=Engine.default(today=lambda: TODAY, checks=True), runner=runner)
        try:
            for text in ("2", "me@fabrikam.com", "user@contoso.com", "yesterday", "none"):
                await say(client, stub, "live-teams", text, **TEAMS)
            replies = await say(client, stub, "live-teams", "check", **TEAMS)
        finally:
            await client.close()
    assert [r["type"] for r in replies[:2]] == ["message", "typing"]
    cards = assert_valid_posts(replies)
    results = next(c for c in cards if "Result of" in shown(c))
    assert "✅ OK" in shown(results) and "**MX**" in shown(results)


def test_only_the_bots_own_mention_is_removed():
    from botbuilder.schema import Activity, ChannelAccount, Entity

    def mention(who: str, name: str) -> Entity:
        return Entity().deserialize({"type": "mention", "text": f"<at>{name}</at>",
                                     "mentioned": {"id": who, "name": name}})

    def strip(text: str, *entities: Entity) -> str:
        return without_bot_mention(Activity(text=text, recipient=ChannelAccount(id="bot"), entities=list(entities)))

    bot = mention("bot", "Mailflow")
    assert strip("is the Mailflow server down? <at>Mailflow</at>", bot) == "is the Mailflow server down?"
    assert strip("<at>Adele</at> gets no mail <at>Mailflow</at>", bot, mention("29:a", "Adele")) == "Adele gets no mail"
    assert strip("<at>Mailflow</at> restart") == "restart"  # no entities: a leading mention is the bot's
    assert strip("ask <at>Adele</at>") == "ask Adele"
