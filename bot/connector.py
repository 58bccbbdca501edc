"""Talking to the channel's connector without botbuilder's per-turn costs.

Stock botbuilder builds a new ConnectorClient and a new TokenApiClient on every turn (each construction
runs msrest's ClientRetryPolicy set-up, most of a turn's CPU), gets new credentials (so a new MSAL app
and token) every turn, and posts each reply through ``requests`` in a thread pool on a new TCP connection.
Here the clients are built once per (app id, serviceUrl, audience) and kept in a bounded LRU, and replies
go out through one aiohttp session with keep-alive. botbuilder itself is unchanged: the pooled clients are
its own, wrapped around the authentication it was given.
"""

from __future__ import annotations

import asyncio
import json
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar
from urllib.parse import quote

import aiohttp
from botbuilder.schema import Activity, ResourceResponse
from botframework.connector import ConnectorClient
from botframework.connector.auth import (
    AuthenticationConstants,
    BotFrameworkAuthentication,
    ClaimsIdentity,
    ConnectorFactory,
    UserTokenClient,
)
from botframework.connector.auth.authenticate_request_result import AuthenticateRequestResult
from botframework.connector.skills import BotFrameworkClient
from yarl import URL

from bot.wire import activity_body

MAX_CLIENTS = 64  # distinct (app id, serviceUrl, audience); Teams uses a handful of regional serviceUrls
REPLY_TIMEOUT = 15.0  # seconds for one reply POST: the channel itself gives up on the turn after about 15 s

K = TypeVar("K")
V = TypeVar("V")


class ConnectorError(Exception):
    """A reply did not reach the channel: the turn must not be taken as done."""


class ConnectorUnreachable(ConnectorError):
    """No answer from the connector (refused connection, DNS failure, timeout, dropped connection)."""


class ReplyRefused(ConnectorError):
    """The connector answered with an error status."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(f"the connector answered {status} {reason}".strip())
        self.status = status


class BoundedCache(Generic[K, V]):
    """Least-recently-used map with at most ``size`` entries, so a flood of distinct keys cannot grow memory."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[K, V] = OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    def recency(self) -> list[K]:
        """The keys, least recently used first."""
        return list(self._items)

    async def get(self, key: K, build: Callable[[], Awaitable[V]]) -> V:
        value = self._items.get(key)
        if value is None:
            value = await build()
            self._items[key] = value
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        self._items.move_to_end(key)
        return value


def app_id_of(claims_identity: ClaimsIdentity) -> str | None:
    """The bot's app id as botbuilder reads it from the request's claims (audience, else appid)."""
    claims = claims_identity.claims or {}
    audience = claims.get(AuthenticationConstants.AUDIENCE_CLAIM)
    return audience if audience is not None else claims.get(AuthenticationConstants.APP_ID_CLAIM)


class _PooledConnectorFactory(ConnectorFactory):
    """botbuilder's factory for one app id, asked only the first time a (serviceUrl, audience) is seen."""

    def __init__(self, inner: ConnectorFactory, app_id: str | None,
                 cache: BoundedCache[tuple[str | None, str, str | None], ConnectorClient]) -> None:
        self._inner = inner
        self._app_id = app_id
        self._cache = cache

    async def create(self, service_url: str, audience: str | None = None) -> ConnectorClient:
        return await self._cache.get((self._app_id, service_url, audience),
                                     lambda: self._inner.create(service_url, audience))


class PooledAuthentication(BotFrameworkAuthentication):
    """Delegates everything to botbuilder's authentication; only the clients it builds are reused."""

    def __init__(self, inner: BotFrameworkAuthentication, size: int = MAX_CLIENTS) -> None:
        self.inner = inner
        self.connectors: BoundedCache[tuple[str | None, str, str | None], ConnectorClient] = BoundedCache(size)
        self.token_clients: BoundedCache[str | None, UserTokenClient] = BoundedCache(size)

    def _pooled(self, factory: ConnectorFactory, claims_identity: ClaimsIdentity) -> ConnectorFactory:
        return _PooledConnectorFactory(factory, app_id_of(claims_identity), self.connectors)

    async def authenticate_request(self, activity: Activity, auth_header: str) -> AuthenticateRequestResult:
        result = await self.inner.authenticate_request(activity, auth_header)
        if result.connector_factory is not None:
            result.connector_factory = self._pooled(result.connector_factory, result.claims_identity)
        return result

    async def authenticate_streaming_request(self, auth_header: str,
                                             channel_id_header: str) -> AuthenticateRequestResult:
        return await self.inner.authenticate_streaming_request(auth_header, channel_id_header)

    def create_connector_factory(self, claims_identity: ClaimsIdentity) -> ConnectorFactory:
        return self._pooled(self.inner.create_connector_factory(claims_identity), claims_identity)

    async def create_user_token_client(self, claims_identity: ClaimsIdentity) -> UserTokenClient:
        return await self.token_clients.get(app_id_of(claims_identity),
                                            lambda: self.inner.create_user_token_client(claims_identity))

    def create_bot_framework_client(self) -> BotFrameworkClient:
        return self.inner.create_bot_framework_client()

    def get_originating_audience(self) -> str:
        return self.inner.get_originating_audience()

    async def authenticate_channel_request(self, auth_header: str) -> ClaimsIdentity:
        return await self.inner.authenticate_channel_request(auth_header)


class ReplyTransport:
    """Posts activities to a connector over one keep-alive aiohttp session (opened on first use)."""

    def __init__(self, timeout: float = REPLY_TIMEOUT) -> None:
        self.timeout = timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def session(self) -> aiohttp.ClientSession | None:
        """The keep-alive session, once a reply has been sent (None again after ``close``)."""
        return self._session

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def post(self, client: ConnectorClient, activity: Activity) -> ResourceResponse:
        """The connector's ReplyToActivity (with ``reply_to_id``) or SendToConversation, as botbuilder sends them."""
        conversation = activity.conversation.id
        path = f"v3/conversations/{quote(conversation, safe='')}/activities"
        if activity.reply_to_id:
            path += f"/{quote(activity.reply_to_id, safe='')}"
        headers = {"Accept": "application/json", "Content-Type": "application/json; charset=utf-8",
                   "x-ms-conversation-id": conversation, "User-Agent": client.config.user_agent}
        token = await bearer_token(client.config.credentials)
        if token:
            headers["Authorization"] = f"Bearer {token}"
        # The path is quoted as msrest quotes it (every reserved character); yarl must not quote it again.
        url = URL(f"{str(URL(client.config.base_url)).rstrip('/')}/{path}", encoded=True)
        try:
            async with self._http().post(url, data=activity_body(activity), headers=headers) as response:
                text = await response.read()
                if response.status not in (200, 201, 202):
                    raise ReplyRefused(response.status, response.reason or "")
        except (aiohttp.ClientError, OSError) as exc:  # OSError covers TimeoutError
            raise ConnectorUnreachable(f"{type(exc).__name__}: {exc}") from exc
        return ResourceResponse(id=_reply_id(text))


async def bearer_token(credentials: Any) -> str | None:
    """The bot's outbound token, or None when there is no app id (local mode), as msrest's signed_session decides.

    Getting it may call Azure AD (MSAL caches it inside the credentials, which are pooled with their client), so
    it runs in a thread rather than in the event loop."""
    app_id = getattr(credentials, "microsoft_app_id", None)
    if not app_id or app_id == AuthenticationConstants.ANONYMOUS_SKILL_APP_ID:
        return None
    return await asyncio.to_thread(credentials.get_access_token)


def _reply_id(body: bytes) -> str:
    """The id the connector gave the reply; "" when it sent none (botbuilder's own fallback)."""
    try:
        data = json.loads(body) if body else None
    except ValueError:
        return ""
    value = data.get("id") if isinstance(data, dict) else None
    return value if isinstance(value, str) else ""
