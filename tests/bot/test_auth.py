"""Authentication on /api/messages with tokens this test signs, checked against a loopback OpenID endpoint.

The identity side is real: an aiohttp server on 127.0.0.1 publishes OpenID metadata and a JWKS, tokens are
RS256 JWTs signed with a key made here, and botbuilder's own validation (issuer, audience, serviceurl,
endorsements, expiry) runs unchanged. Only the bot's outbound token (for replies) comes from a stub factory,
because getting it would need Azure AD.
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import jwt
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from botframework.connector.auth import (
    AppCredentials,
    AuthenticationConstants,
    PasswordServiceClientCredentialFactory,
)
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bot import auth
from bot.http_app import create_app
from bot.settings import DEFAULT_EMULATOR_OPENID_METADATA_URL, DEFAULT_OPENID_METADATA_URL, Settings
from bot.storage import InMemoryStorage
from tests.bot.conftest import ConnectorStub, activity
from tests.processes import mailflow_serve

APP_ID = "6a1f0b7e-3c2d-4e5f-8a9b-0c1d2e3f4a5b"
OTHER_APP = "00000000-1111-2222-3333-444444444444"
CHANNEL_ISSUER = "https://api.botframework.com"
EMULATOR_ISSUER = "https://login.microsoftonline.com/d6d49420-f39b-4df7-a1dc-d59a935871db/v2.0"
KID = "test-key-1"
OUTBOUND = "outbound-token-from-the-stub-factory"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


KEY, ATTACKER = new_key(), new_key()


def jwk(key: rsa.RSAPrivateKey, kid: str, endorsements: list[str]) -> dict[str, Any]:
    data = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    return {**data, "kid": kid, "use": "sig", "endorsements": endorsements}


@dataclass
class Identity:
    """The loopback OpenID metadata + JWKS endpoint; ``delay``/``fail`` make it slow or broken."""

    keys: list[dict[str, Any]] = field(default_factory=lambda: [jwk(KEY, KID, ["msteams", "emulator"])])
    delay: float = 0.0
    fail: bool = False
    hits: int = 0
    url: str = ""

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/openid", self._metadata)
        app.router.add_get("/keys", self._keys)
        return app

    async def _metadata(self, request: web.Request) -> web.Response:
        self.hits += 1
        await asyncio.sleep(self.delay)
        if self.fail:
            return web.json_response({"error": "down"}, status=500)
        return web.json_response({"issuer": CHANNEL_ISSUER, "jwks_uri": str(request.url.with_path("/keys"))})

    async def _keys(self, _request: web.Request) -> web.Response:
        return web.json_response({"keys": self.keys})


class FixedCredentials(AppCredentials):
    def get_access_token(self, force_refresh: bool = False) -> str:
        return OUTBOUND


class StubCredentialsFactory(PasswordServiceClientCredentialFactory):
    """The real app id checks, but the bot's own outbound token without Azure AD."""

    async def create_credentials(self, app_id: str, oauth_scope: str, login_endpoint: str,
                                 validate_authority: bool) -> AppCredentials:
        assert await self.is_valid_app_id(app_id)
        return FixedCredentials(app_id, oauth_scope=oauth_scope)


class RecordingStub(ConnectorStub):
    """The connector stub, also keeping the Authorization header of each reply."""

    def __init__(self) -> None:
        super().__init__()
        self.authorizations: list[str | None] = []

    async def _receive(self, request: web.Request) -> web.Response:
        self.authorizations.append(request.headers.get("Authorization"))
        return await super()._receive(request)


async def _serve(app: web.Application) -> TestServer:
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    return server


@pytest.fixture
async def identity() -> AsyncIterator[Identity]:
    endpoint = Identity()
    server = await _serve(endpoint.app())
    endpoint.url = str(server.make_url("/openid"))
    yield endpoint
    await server.close()


@pytest.fixture
async def connector() -> AsyncIterator[RecordingStub]:
    stub = RecordingStub()
    server = await _serve(stub.app())
    stub.url = str(server.make_url("/"))
    yield stub
    await server.close()


@dataclass
class Bot:
    client: TestClient
    storage: InMemoryStorage


async def start_bot(identity: Identity, fetch_timeout: float = 2.0) -> Bot:
    settings = Settings(app_id=APP_ID, app_password="secret", openid_metadata_url=identity.url,
                        emulator_openid_metadata_url=identity.url, openid_timeout=fetch_timeout)
    storage = InMemoryStorage()
    app = create_app(settings, storage=storage, credentials_factory=StubCredentialsFactory(APP_ID, "secret"))
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    return Bot(client, storage)


@pytest.fixture
async def bot(identity: Identity) -> AsyncIterator[Bot]:
    started = await start_bot(identity)
    yield started
    await started.client.close()


def token(stub: ConnectorStub, *, key: rsa.RSAPrivateKey = KEY, kid: str | None = KID, algorithm: str = "RS256",
          **claims: Any) -> str:
    now = int(time.time())
    body = {"iss": CHANNEL_ISSUER, "aud": APP_ID, "serviceurl": stub.url, "nbf": now - 60, "iat": now - 60,
            "exp": now + 3600, **claims}
    body = {k: v for k, v in body.items() if v is not None}
    headers = {"kid": kid} if kid else {}
    return jwt.encode(body, key, algorithm=algorithm, headers=headers)


def hs256_with_public_key(claims: dict[str, Any]) -> str:
    """The classic key-confusion forgery: HMAC with the published public key as the secret (PyJWT refuses to)."""
    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    secret = KEY.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    header = {"alg": "HS256", "typ": "JWT", "kid": KID}
    signed = f"{part(json.dumps(header).encode())}.{part(json.dumps(claims).encode())}"
    return f"{signed}.{part(hmac.new(secret, signed.encode(), hashlib.sha256).digest())}"


async def post(bot: Bot, body: dict[str, Any], header: str | None) -> tuple[int, str]:
    headers = {"Authorization": header} if header is not None else {}
    response = await bot.client.post("/api/messages", json=body, headers=headers)
    return response.status, await response.text()


# -- what passes ----------------------------------------------------------------------------------


async def test_a_valid_channel_token_runs_the_turn_and_the_reply_carries_the_bots_own_token(bot, connector):
    body = activity(connector, "auth-ok", "hi", channelId="msteams")
    status, text = await post(bot, body, f"Bearer {token(connector)}")
    assert status == 201, text
    replies = connector.replies_to(body["id"])
    assert replies and "What is the problem" in json.dumps(replies)
    assert set(connector.authorizations) == {f"Bearer {OUTBOUND}"}
    assert bot.storage.snapshot()  # the conversation's state was saved


async def test_an_emulator_style_azure_ad_token_for_this_app_passes(bot, connector):
    """botbuilder also accepts Azure AD tokens issued to our app id (Emulator, Web Chat tests): ver 2.0 + azp."""
    now = int(time.time())
    emulator = token(connector, iss=EMULATOR_ISSUER, aud=APP_ID, azp=APP_ID, ver="2.0", serviceurl=None, exp=now + 600)
    status, text = await post(bot, activity(connector, "auth-emulator", "hi"), f"Bearer {emulator}")
    assert status == 201, text
    emulator_other = token(connector, iss=EMULATOR_ISSUER, aud=OTHER_APP, azp=OTHER_APP, ver="2.0", serviceurl=None)
    assert (await post(bot, activity(connector, "auth-emulator", "1"), f"Bearer {emulator_other}"))[0] == 401


# -- what is refused ------------------------------------------------------------------------------


def _bad_headers(stub: ConnectorStub) -> dict[str, str | None]:
    now = int(time.time())
    return {
        "missing": None,
        "empty": "",
        "scheme only": "Bearer",
        "basic": "Basic dXNlcjpwYXNz",
        "garbage": "Bearer garbage",
        "three garbage parts": "Bearer a.b.c",
        "lower-case scheme": f"bearer {token(stub)}",
        "expired": f"Bearer {token(stub, exp=now - 3600, iat=now - 7200, nbf=now - 7200)}",
        "not yet valid": f"Bearer {token(stub, nbf=now + 3600)}",
        "signed with another key": f"Bearer {token(stub, key=ATTACKER)}",
        "unknown key id": f"Bearer {token(stub, key=ATTACKER, kid='attacker-key')}",
        "no key id": f"Bearer {token(stub, kid=None)}",
        "unsigned (alg none)": "Bearer " + jwt.encode({"iss": CHANNEL_ISSUER, "aud": APP_ID, "serviceurl": stub.url,
                                                       "exp": now + 3600}, None, algorithm="none",
                                                      headers={"kid": KID}),
        "HS256 with the public key": "Bearer " + hs256_with_public_key(
            {"iss": CHANNEL_ISSUER, "aud": APP_ID, "serviceurl": stub.url, "exp": now + 3600}),
        "another bot's audience": f"Bearer {token(stub, aud=OTHER_APP)}",
        "no audience": f"Bearer {token(stub, aud=None)}",
        "another issuer": f"Bearer {token(stub, iss='https://evil.example.com')}",
        "no issuer": f"Bearer {token(stub, iss=None)}",
        "another serviceUrl": f"Bearer {token(stub, serviceurl='https://smba.trafficmanager.net/evil/')}",
        "no serviceUrl claim": f"Bearer {token(stub, serviceurl=None)}",
        "channel not endorsed": "channel:webchat",  # replaced below: a good token, sent from a channel the key lacks
        "two tokens": f"Bearer {token(stub)} {token(stub)}",
    }


BAD = list(_bad_headers(ConnectorStub(url="http://127.0.0.1:1/")))


@pytest.mark.parametrize("name", BAD)
async def test_a_bad_token_is_401_and_the_conversation_is_not_touched(bot, connector, name):
    good = f"Bearer {token(connector)}"
    assert (await post(bot, activity(connector, "guarded", "hi", channelId="msteams"), good))[0] == 201
    posts, state = len(connector.posts), bot.storage.snapshot()
    header = _bad_headers(connector)[name]
    channel = "msteams"
    if header == "channel:webchat":
        header, channel = good, "webchat"
    status, text = await post(bot, activity(connector, "guarded", "1", channelId=channel), header)
    assert status == 401, text
    assert json.loads(text)["error"] and "Traceback" not in text
    assert len(connector.posts) == posts
    assert bot.storage.snapshot() == state
    assert (await post(bot, activity(connector, "guarded", "1", channelId="msteams"), good))[0] == 201


async def test_refused_requests_never_reach_the_bot_even_with_a_bad_body(bot, connector):
    for request in ({"data": b"{not json", "headers": {"Content-Type": "application/json"}},
                    {"data": b"x" * (300 * 1024), "headers": {"Content-Type": "application/json"}},
                    {"data": b"hi", "headers": {"Content-Type": "text/plain"}}):
        response = await bot.client.post("/api/messages", **request)
        assert response.status == 401
        assert response.headers["WWW-Authenticate"] == "Bearer"
    assert connector.posts == [] and bot.storage.snapshot() == {}


@pytest.mark.parametrize(("request_kwargs", "status"), [
    ({"data": b"{not json", "headers": {"Content-Type": "application/json"}}, 400),
    ({"data": b"x" * (300 * 1024), "headers": {"Content-Type": "application/json"}}, 413),
    ({"data": b"{}", "headers": {"Content-Type": "text/plain"}}, 415),
    ({"json": {"type": "message"}}, 400),
    ({"data": gzip.compress(b" " * (20 * 1024 * 1024)),  # 20 KB on the wire, 20 MB inflated
      "headers": {"Content-Type": "application/json", "Content-Encoding": "gzip"}}, 413),
    ({"data": b"\x1f\x8bnot gzip at all", "headers": {"Content-Type": "application/json", "Content-Encoding": "gzip"}},
     400),
])
async def test_with_a_valid_token_a_bad_body_is_still_a_4xx(bot, connector, request_kwargs, status):
    headers = {**request_kwargs.get("headers", {}), "Authorization": f"Bearer {token(connector)}"}
    response = await bot.client.post("/api/messages", **{**request_kwargs, "headers": headers})
    text = await response.text()
    assert response.status == status, text
    assert json.loads(text)["error"] and "Traceback" not in text
    assert connector.posts == []


async def test_a_chunked_body_over_the_limit_is_413(bot, connector):
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(40):
            yield b"x" * 10_000

    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token(connector)}"}
    response = await bot.client.post("/api/messages", data=chunks(), headers=headers)
    assert response.status == 413
    assert (await response.json())["error"]


# -- the identity endpoint ------------------------------------------------------------------------


async def test_the_keys_are_fetched_once_and_reused(bot, connector, identity):
    for n in range(3):
        await post(bot, activity(connector, "cached", "hi" if n == 0 else "next"), f"Bearer {token(connector)}")
    assert identity.hits == 1


async def test_rotated_keys_are_fetched_when_a_token_names_a_new_one(bot, connector, identity, monkeypatch):
    await post(bot, activity(connector, "rotate", "hi"), f"Bearer {token(connector)}")
    fresh = new_key()
    identity.keys = [jwk(fresh, "test-key-2", ["msteams", "emulator"])]
    rotated = f"Bearer {token(connector, key=fresh, kid='test-key-2')}"
    assert (await post(bot, activity(connector, "rotate", "1"), rotated))[0] == 401  # refetched at most every 5 min
    assert identity.hits == 1
    monkeypatch.setattr(auth, "UNKNOWN_KEY_REFETCH", 0.0)
    status, text = await post(bot, activity(connector, "rotate", "1"), rotated)
    assert status == 201, text
    assert identity.hits == 2


async def test_an_unreachable_identity_endpoint_is_503_not_a_hang(identity, connector):
    identity.fail = True
    started = await start_bot(identity)
    try:
        status, text = await post(started, activity(connector, "down", "hi"), f"Bearer {token(connector)}")
        assert status == 503, text
        assert "Traceback" not in text
        assert connector.posts == [] and started.storage.snapshot() == {}
    finally:
        await started.client.close()


async def test_a_slow_identity_endpoint_times_out_without_stalling_other_requests(identity, connector):
    identity.delay = 5.0
    started = await start_bot(identity, fetch_timeout=0.5)
    try:
        began = time.monotonic()
        slow = asyncio.create_task(post(started, activity(connector, "slow", "hi"), f"Bearer {token(connector)}"))
        await asyncio.sleep(0.1)
        health = await started.client.get("/healthz")  # the event loop is free while the keys are fetched
        assert health.status == 200 and time.monotonic() - began < 0.45
        status, _ = await slow
        assert status == 503
        assert time.monotonic() - began < 2.5
    finally:
        await started.client.close()


# -- settings -------------------------------------------------------------------------------------


def test_the_default_metadata_urls_are_botbuilders():
    assert DEFAULT_OPENID_METADATA_URL == AuthenticationConstants.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL
    assert DEFAULT_EMULATOR_OPENID_METADATA_URL == AuthenticationConstants.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL


def test_metadata_url_and_timeout_from_the_environment():
    env = {"MicrosoftAppId": APP_ID, "MicrosoftAppPassword": "pw",
           "MAILFLOW_OPENID_METADATA_URL": "http://127.0.0.1:8080/openid",
           "MAILFLOW_EMULATOR_OPENID_METADATA_URL": "https://login.example.com/.well-known/openid-configuration",
           "MAILFLOW_OPENID_TIMEOUT": "2.5"}
    settings = Settings.from_env(env)
    assert settings.openid_metadata_url == "http://127.0.0.1:8080/openid"
    assert settings.emulator_openid_metadata_url.startswith("https://login.example.com/")
    assert settings.openid_timeout == 2.5
    config = settings.sdk_config()
    assert config.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL == "http://127.0.0.1:8080/openid"
    assert config.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER == CHANNEL_ISSUER
    assert Settings.from_env({}).openid_metadata_url == DEFAULT_OPENID_METADATA_URL
    assert Settings.from_env({}).sdk_config().TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL is None  # auth off


@pytest.mark.parametrize(("env", "message"), [
    ({"MAILFLOW_OPENID_METADATA_URL": "http://login.example.com/openid"}, "must be an https URL"),
    ({"MAILFLOW_OPENID_METADATA_URL": "ftp://127.0.0.1/x"}, "must be an https URL"),
    ({"MAILFLOW_EMULATOR_OPENID_METADATA_URL": "not a url"}, "EMULATOR_OPENID_METADATA_URL must be"),
    ({"MAILFLOW_OPENID_TIMEOUT": "soon"}, "MAILFLOW_OPENID_TIMEOUT must be a number"),
    ({"MAILFLOW_OPENID_TIMEOUT": "0"}, "0.1 to 120"),
    ({"MAILFLOW_OPENID_TIMEOUT": "nan"}, "0.1 to 120"),
])
def test_bad_identity_settings_are_refused(env, message):
    with pytest.raises(ValueError, match=message):
        Settings.from_env(env)


# -- mailflow serve -------------------------------------------------------------------------------


def _serve_output(extra_env: dict[str, str]) -> list[str]:
    """Start ``mailflow serve``, wait until /healthz answers, stop it, and return what it printed."""
    with mailflow_serve(env={"MAILFLOW_LIVE_CHECKS": "0", **extra_env}) as served:
        pass
    return served.output().splitlines()


def test_local_mode_binds_loopback_by_default_and_says_so():
    lines = _serve_output({})
    assert lines[0].startswith("mailflow-assistant listening on http://127.0.0.1:") and lines[0].endswith("(auth off)")
    assert lines[1].startswith("local mode: no MicrosoftAppId") and "this machine only (loopback)" in lines[1]


def test_with_an_app_id_serve_starts_with_auth_on_and_no_local_mode_notice():
    lines = _serve_output({"MicrosoftAppId": APP_ID, "MicrosoftAppPassword": "pw",
                           "MAILFLOW_OPENID_METADATA_URL": "http://127.0.0.1:9/openid"})
    assert lines[0].endswith("(auth on)")
    assert not any(line.startswith("local mode") for line in lines)
