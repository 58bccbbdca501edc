"""The aiohttp application: POST /api/messages for the Bot Framework, GET /healthz for probes.

botbuilder 4.17.1's ``CloudAdapter.process`` turns many malformed requests into HTTP 500s, so this module
reads and checks the request itself and hands the adapter only activities it can run. Every answer is
JSON with an "error" message when something is wrong; tracebacks go to the log, never to the client.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import re
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from botbuilder.schema import Activity, DeliveryModes
from botframework.connector.auth import ServiceClientCredentialsFactory

from bot.adapter import AdapterWithErrorHandler, AuthUnavailable, TurnOutcome, Unauthorized
from bot.logs import turn_scope
from bot.settings import Settings
from bot.storage import JsonStorage, StorageError, make_storage
from bot.teams_bot import MailflowBot
from dialogs.engine import Engine
from dialogs.session import CheckRunner, Session

log = logging.getLogger(__name__)

SETTINGS = web.AppKey("settings", Settings)
ADAPTER = web.AppKey("adapter", AdapterWithErrorHandler)
BOT = web.AppKey("bot", MailflowBot)
STORAGE = web.AppKey("storage", JsonStorage)

_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
BODY_TIMEOUT = 10.0  # seconds to receive a body; channels send it at once and give up on a turn after 15 s
MAX_ID = 1024  # UTF-8 bytes of an id or URL an activity carries; channels use a few hundred characters at most
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff\u2028\u2029]")  # control, lone surrogate, line breaks


class BadActivity(Exception):
    """A request /api/messages refuses; ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


def create_app(settings: Settings, *, engine: Engine | None = None, storage: JsonStorage | None = None,
               runner: CheckRunner | None = None,
               credentials_factory: ServiceClientCredentialsFactory | None = None) -> web.Application:
    """The whole endpoint; each app has its own adapter, bot and state so tests and benches can run several.

    Live checks run only with a ``runner`` (serve() builds one from the settings). ``credentials_factory``
    replaces the one that gets the bot's outbound tokens from Azure AD (tests). ``storage`` replaces the store
    ``settings.storage`` names; its caller opens and closes it (the settings' store is opened with the app)."""
    app = web.Application(client_max_size=settings.max_body_bytes, middlewares=[_json_errors])
    app[SETTINGS] = settings
    app[ADAPTER] = AdapterWithErrorHandler(settings, credentials_factory)
    app.on_cleanup.append(app[ADAPTER].close)  # the pooled reply session (bot/connector.py)
    session = Session(engine or Engine.default(checks=runner is not None), runner)
    if storage is None:  # ours to open at start-up (a clear error before listening) and to close at shutdown
        storage = make_storage(settings)
        app.cleanup_ctx.append(_keep_open(storage))
    app[STORAGE] = storage
    app[BOT] = MailflowBot(session, storage)
    app.router.add_post("/api/messages", messages)
    app.router.add_get("/healthz", healthz)
    return app


def _keep_open(storage: JsonStorage) -> Callable[[web.Application], AsyncIterator[None]]:
    async def keep_open(_app: web.Application) -> AsyncIterator[None]:
        async with storage:
            yield

    return keep_open


async def healthz(_request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def unauthorized() -> web.Response:
    response = error(401, "the request's token is missing or invalid")
    response.headers["WWW-Authenticate"] = "Bearer"
    return response


async def messages(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    # With authentication off the SDK still tries to decode any token it is given, and fails: ignore it.
    auth_header = request.headers.get("Authorization", "") if settings.auth_enabled else None
    if auth_header is not None and not _bearer(auth_header):
        return unauthorized()  # before the body is even read
    try:
        activity = await read_activity(request, settings.max_body_bytes)
    except BadActivity as exc:
        return error(exc.status, exc.message)
    conversation = activity.conversation.id if activity.conversation else None
    with turn_scope(conversation, activity_type=activity.type, channel=activity.channel_id) as turn:
        try:
            outcome = await request.app[ADAPTER].run_turn(activity, auth_header, request.app[BOT])
        except Unauthorized:
            turn.outcome, turn.status = "unauthorized", 401
            return unauthorized()
        except AuthUnavailable:
            turn.outcome, turn.status = "auth_unavailable", 503
            return error(503, "the token could not be checked right now; try again later")
        except Exception as exc:
            turn.outcome, turn.status = "failed", 502
            log.error("could not run the turn: %s", type(exc).__name__, exc_info=exc)
            return error(502, "the turn could not be run; the conversation was not advanced")
        response = turn_response(outcome)
        turn.status = response.status
        if response.status >= 500:
            turn.outcome = "undelivered"
        return response


def _bearer(header: str) -> bool:
    scheme, _, token = header.partition(" ")
    return scheme == "Bearer" and token.count(".") == 2 and " " not in token


def turn_response(outcome: TurnOutcome) -> web.Response:
    """201 as the SDK answers, a JSON body for invoke and expectReplies, 502 when the reply was lost."""
    failure = outcome.failure
    if failure is not None and (failure.delivery or not failure.told_user):
        return error(502, "the reply could not be delivered to the channel's serviceUrl; "
                          "the conversation was not advanced, so the same message can be sent again")
    response = outcome.invoke_response
    if response is None:
        return web.Response(status=201)
    status = int(response.status)
    # The SDK hands expectReplies over as an already serialised dict, which its own process() chokes on.
    body = response.body.serialize() if hasattr(response.body, "serialize") else response.body
    if body is None:
        return error(status, "this bot does not handle that invoke") if status >= 400 else web.Response(status=status)
    return web.json_response(body, status=status)


async def read_activity(request: web.Request, max_bytes: int) -> Activity:
    """The request's activity, or BadActivity with the 4xx it deserves."""
    if request.content_type != "application/json" and not request.content_type.endswith("+json"):
        raise BadActivity(415, "the body must be JSON (Content-Type: application/json)")
    if request.content_length is not None and request.content_length > max_bytes:
        raise BadActivity(413, f"the body is larger than {max_bytes} bytes")
    try:
        async with asyncio.timeout(BODY_TIMEOUT):
            raw = await request.read()
    except TimeoutError:  # a stalled or trickling client would otherwise hold its connection for ever
        raise BadActivity(408, f"the body did not arrive within {BODY_TIMEOUT:g} seconds") from None
    except web.HTTPRequestEntityTooLarge:  # also when a compressed body inflates past the limit
        raise BadActivity(413, f"the body is larger than {max_bytes} bytes") from None
    except web.RequestPayloadError:  # a broken Content-Encoding (gzip/deflate/br) or a truncated chunked body
        raise BadActivity(400, "the body could not be read (broken Content-Encoding or transfer)") from None
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError; RecursionError: "[[[[..."
        raise BadActivity(400, "the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise BadActivity(400, "the body must be a JSON object (an activity)")
    problem = activity_problem(body)
    if problem:
        raise BadActivity(400, problem)
    try:
        activity = Activity().deserialize(body)
    except Exception:  # msrest raises DeserializationError and, for odd shapes, plain TypeErrors
        raise BadActivity(400, "the activity has fields of the wrong type") from None
    if not (activity.type and activity.conversation and activity.conversation.id):
        raise BadActivity(400, "the activity has fields of the wrong type")
    return activity


def activity_problem(body: Mapping[str, Any]) -> str | None:
    """Why the SDK could not run this activity, checked before it tries (and fails with a 500)."""
    if not _text(body.get("type")):
        return "the activity has no 'type'"
    if not _text(body.get("channelId")):
        return "the activity has no 'channelId'"
    conversation = body.get("conversation")
    if not isinstance(conversation, dict) or not _text(conversation.get("id")):
        return "the activity has no 'conversation' with an 'id'"
    mode = body.get("deliveryMode")
    if mode is not None and not isinstance(mode, str):
        return "'deliveryMode' must be a string"
    # With expectReplies the replies come back in the HTTP response, so no serviceUrl is needed.
    if (body.get("serviceUrl") is not None or mode != DeliveryModes.expect_replies) \
            and not _is_http_url(body.get("serviceUrl")):
        return "the activity has no 'serviceUrl' (an http or https URL) to send the reply to"
    for name in ("text", "locale", "id", "replyToId", "name"):
        if body.get(name) is not None and not isinstance(body[name], str):
            return f"'{name}' must be a string"
    # These go into the store's key and the reply's URL and headers, where a control character or a lone
    # surrogate would fail only once the turn has run: an apology for our "bug", or a 502 retried for ever.
    for name, value in (("channelId", body["channelId"]), ("conversation.id", conversation["id"]),
                        ("serviceUrl", body.get("serviceUrl")), ("id", body.get("id")),
                        ("replyToId", body.get("replyToId"))):
        if value is not None and (_UNSAFE.search(value) or len(value.encode()) > MAX_ID):
            return f"'{name}' must be text of at most {MAX_ID} bytes (UTF-8), without control characters"
    for name in ("from", "recipient"):
        if body.get(name) is not None and not isinstance(body[name], dict):
            return f"'{name}' must be an object"
    return None


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _is_http_url(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        parts = urlsplit(value)
        return parts.scheme in {"http", "https"} and bool(parts.hostname) and (parts.port or 1) > 0
    except ValueError:  # a bad port or IPv6 literal
        return False


@web.middleware
async def _json_errors(request: web.Request, handler: _Handler) -> web.StreamResponse:
    """aiohttp's own 404/405/413 pages and any unexpected failure as JSON, without a traceback."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        response = error(exc.status, exc.reason)
        if "Allow" in exc.headers:
            response.headers["Allow"] = exc.headers["Allow"]
        return response
    except Exception as exc:
        log.error("unexpected failure on %s", request.path, exc_info=exc)
        return error(500, "internal error")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _runner(settings: Settings) -> CheckRunner | None:
    if not settings.live_checks:
        return None
    import dns.resolver

    from dialogs.live_checks import LiveChecks

    try:
        return LiveChecks.from_settings(nameservers=settings.nameservers)
    except dns.resolver.NoResolverConfiguration:
        log.warning("no DNS resolver is configured, so live checks are off (set MAILFLOW_NAMESERVERS)")
        return None


def serve(settings: Settings) -> None:
    """Run the endpoint until interrupted (``mailflow serve``)."""
    auth = "on" if settings.auth_enabled else "off"
    if not settings.auth_enabled and not is_loopback(settings.host):
        print(f"warning: authentication is off (no MicrosoftAppId) and {settings.host} is reachable from other "
              "machines: anyone who can reach it can talk to the bot and make it post to any serviceUrl",
              file=sys.stderr)

    def announce(_message: str) -> None:
        print(f"mailflow-assistant listening on http://{settings.host}:{settings.port}/api/messages (auth {auth})",
              flush=True)
        if not settings.auth_enabled:
            where = "this machine only (loopback)" if is_loopback(settings.host) else "OTHER MACHINES TOO"
            print(f"local mode: no MicrosoftAppId, so requests are not authenticated; reachable from {where}. "
                  "Set MicrosoftAppId (and its password or managed identity) to serve Teams.", flush=True)
        print(f"conversation state: {app[STORAGE].describe()}", flush=True)

    app = create_app(settings, runner=_runner(settings))
    try:
        web.run_app(app, host=settings.host, port=settings.port, print=announce)
    except StorageError as exc:  # the state file or container could not be opened at start-up
        raise SystemExit(f"mailflow: {exc}") from None
    except OSError as exc:  # port in use, address not available
        raise SystemExit(f"mailflow: cannot listen on {settings.host}:{settings.port}: {exc.strerror or exc}") from None
