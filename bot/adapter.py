"""The CloudAdapter with this bot's one error policy, and a turn runner that reports how the turn went.

botbuilder calls ``on_turn_error`` and then carries on as if the turn succeeded, so the HTTP layer could
not tell a delivered reply from a lost one. ``run_turn`` keeps the turn's context and returns what the
error handler recorded, so /api/messages can answer 502 when the channel could not be reached.

Replies leave through bot/connector.py: connector clients reused per serviceUrl, one keep-alive session.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import requests
from botbuilder.core import Bot, InvokeResponse, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botbuilder.schema import Activity, ActivityTypes, ResourceResponse
from botframework.connector import Channels, ConnectorClient
from botframework.connector.auth import ServiceClientCredentialsFactory
from msrest.exceptions import ClientRequestError, HttpOperationError

from bot.auth import MetadataUnavailable, install
from bot.connector import ConnectorError, ConnectorUnreachable, PooledAuthentication, ReplyTransport
from bot.settings import Settings
from bot.storage import StorageError
from bot.turn_store import StoreBusy

log = logging.getLogger(__name__)

APOLOGY = "Sorry, something went wrong on my side; your case is kept, please try again."
_FAILURE_KEY = "mailflow.turn_failure"


class Unauthorized(Exception):
    """The request's token is missing or invalid (HTTP 401)."""


class AuthUnavailable(Exception):
    """The token could not be checked because the identity metadata could not be fetched (HTTP 503)."""


@dataclass
class TurnFailure:
    """What went wrong in a turn, as recorded by the error handler."""

    error: BaseException
    told_user: bool = False

    @property
    def delivery(self) -> bool:
        """True when the channel's connector could not be reached or refused a reply."""
        return isinstance(self.error, ConnectorError | ClientRequestError | HttpOperationError
                          | requests.RequestException)


@dataclass
class TurnOutcome:
    invoke_response: InvokeResponse | None
    failure: TurnFailure | None


class AdapterWithErrorHandler(CloudAdapter):
    """One place for the error policy: log, apologise if the channel is reachable, never re-raise."""

    def __init__(self, settings: Settings, credentials_factory: ServiceClientCredentialsFactory | None = None) -> None:
        """``credentials_factory`` replaces the one that gets outbound tokens from Azure AD (tests inject theirs)."""
        if settings.auth_enabled:  # our key stores, with a timeout, before botbuilder makes its own
            for url in (settings.openid_metadata_url, settings.emulator_openid_metadata_url):
                install(url, settings.openid_timeout)
        super().__init__(PooledAuthentication(ConfigurationBotFrameworkAuthentication(
            settings.sdk_config(), credentials_factory=credentials_factory)))
        self.replies = ReplyTransport()
        self.on_turn_error = self._on_error

    async def close(self, _app: object = None) -> None:
        """Close the reply session; an aiohttp ``on_cleanup`` handler (hence the unused app argument)."""
        await self.replies.close()

    async def send_activities(self, context: TurnContext, activities: list[Activity]) -> list[ResourceResponse]:
        """CloudAdapter's send, with the replies posted through the pooled keep-alive session, in order."""
        if not activities:
            raise TypeError("Expecting one or more activities, but the list was empty.")
        client: ConnectorClient | None = context.turn_state.get(self.BOT_CONNECTOR_CLIENT_KEY)
        responses: list[ResourceResponse] = []
        for activity in activities:
            activity.id = None
            response = ResourceResponse(id="")
            if activity.type == "delay":
                await asyncio.sleep(int((activity.value or 1000) / 1000))
            elif activity.type == ActivityTypes.invoke_response:
                context.turn_state[self._INVOKE_RESPONSE_KEY] = activity
            elif activity.type == ActivityTypes.trace and activity.channel_id != Channels.emulator:
                pass
            elif client is None:
                raise RuntimeError("Unable to extract ConnectorClient from turn context.")
            else:
                response = await self.replies.post(client, activity)
            responses.append(response)
        return responses

    async def _on_error(self, context: TurnContext, error: Exception) -> None:
        # User text stays out of the logs: only the error (with a traceback when it is our own bug).
        failure = TurnFailure(error)
        context.turn_state[_FAILURE_KEY] = failure
        if failure.delivery:
            log.warning("could not deliver a reply to the channel: %s", error)
        elif isinstance(error, StorageError | StoreBusy):  # not our bug: the store is down, or the case too busy
            log.warning("the conversation store failed: %s", error)
        else:
            log.error("turn failed with %s", type(error).__name__, exc_info=error)
        if isinstance(error, ClientRequestError | ConnectorUnreachable):
            return  # the connector is unreachable: an apology would only wait for the same failure
        try:
            await context.send_activity(APOLOGY)
            failure.told_user = True
        except Exception as exc:  # the apology is best effort; the HTTP layer reports the failure
            log.warning("could not send the apology: %s", type(exc).__name__)

    async def run_turn(self, activity: Activity, auth_header: str | None, bot: Bot) -> TurnOutcome:
        """Authenticate, then run the bot's turn; raises Unauthorized or AuthUnavailable when the token fails.

        Nothing of the conversation is read or written before the token has passed."""
        try:
            auth = await self.bot_framework_authentication.authenticate_request(activity, auth_header or None)
        except (MetadataUnavailable, requests.RequestException) as exc:  # the OpenID metadata or keys
            raise AuthUnavailable(type(exc).__name__) from exc
        except Exception as exc:  # PermissionError, jwt errors, and plain Exception for a bad endorsement
            raise Unauthorized(type(exc).__name__) from exc
        contexts: list[TurnContext] = []

        async def logic(context: TurnContext) -> None:
            contexts.append(context)
            await bot.on_turn(context)

        invoke_response = await self.process_activity(auth, activity, logic)
        failure = contexts[0].turn_state.get(_FAILURE_KEY) if contexts else None
        return TurnOutcome(invoke_response, failure)
