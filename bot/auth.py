"""Signing keys for Bot Framework token checks, fetched without blocking and with a timeout.

botbuilder 4.17.1 checks tokens well (issuer, audience = our app id, the serviceurl claim, channel
endorsements, RS256/384/512 only, expiry with five minutes of clock skew) but fetches the OpenID metadata
and the JWKS with ``requests.get`` without a timeout, inside the event loop: one slow identity endpoint
stalls every conversation. Its ``JwtTokenExtractor`` keeps one key store per metadata URL in a class-level
dict, so installing :class:`OpenIdKeys` there keeps every SDK rule and replaces only the fetching.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from botframework.connector.auth import JwtTokenExtractor
from jwt.algorithms import RSAAlgorithm

from bot.settings import is_allowed_url

log = logging.getLogger(__name__)

MAX_DOCUMENT_BYTES = 1024 * 1024
KEYS_MAX_AGE = 24 * 3600.0  # as the SDK: keys are refetched once a day
UNKNOWN_KEY_REFETCH = 300.0  # a token signed with a key we do not know refetches at most this often
FAILURE_BACKOFF = 10.0  # after a failed fetch, answer 503 at once for this long instead of fetching again


class MetadataUnavailable(Exception):
    """The OpenID metadata or the signing keys could not be fetched (HTTP 503, the channel retries)."""


@dataclass(frozen=True)
class SigningKey:
    """What botbuilder's JwtTokenExtractor reads from its key store."""

    public_key: Any
    endorsements: list[str]


@dataclass
class OpenIdKeys:
    """The signing keys named by one OpenID metadata document, refreshed as the SDK would, fetched with aiohttp."""

    url: str
    timeout: float
    keys: dict[str, SigningKey] = field(default_factory=dict)
    fetched_at: float = float("-inf")  # time.monotonic() of the last successful fetch
    attempted_at: float = float("-inf")
    failed_at: float = float("-inf")
    _inflight: asyncio.Task[dict[str, SigningKey]] | None = field(default=None, repr=False)

    async def get(self, key_id: str | None) -> SigningKey:
        """The key a token names; PermissionError for an unknown key, MetadataUnavailable when none can be fetched."""
        now = time.monotonic()
        if now - self.fetched_at > KEYS_MAX_AGE:
            await self._refresh(keep_old=bool(self.keys))
        elif key_id not in self.keys and now - self.attempted_at > UNKNOWN_KEY_REFETCH:
            await self._refresh(keep_old=True)
        key = self.keys.get(key_id or "")
        if key is None:
            raise PermissionError("the token is signed with a key the OpenID metadata does not list")
        return key

    async def _refresh(self, *, keep_old: bool) -> None:
        if time.monotonic() - self.failed_at < FAILURE_BACKOFF:
            if keep_old:
                return
            raise MetadataUnavailable("the signing keys could not be fetched a moment ago")
        task = self._inflight
        if task is None or task.done() or task.get_loop() is not asyncio.get_running_loop():
            self.attempted_at = time.monotonic()
            task = self._inflight = asyncio.ensure_future(self._fetch())
        try:
            self.keys = await asyncio.shield(task)
            self.fetched_at = time.monotonic()
        except MetadataUnavailable as exc:
            self.failed_at = time.monotonic()
            if not keep_old:
                raise
            log.warning("could not refresh the Bot Framework signing keys, keeping the old ones: %s", exc)

    async def _fetch(self) -> dict[str, SigningKey]:
        try:
            async with asyncio.timeout(self.timeout), aiohttp.ClientSession() as session:
                metadata = await _document(session, self.url)
                jwks_uri = metadata.get("jwks_uri")
                if not isinstance(jwks_uri, str) or not is_allowed_url(jwks_uri):
                    raise MetadataUnavailable("the OpenID metadata has no usable jwks_uri")
                listed = (await _document(session, jwks_uri)).get("keys")
        except TimeoutError:
            raise MetadataUnavailable(f"no answer from {self.url} within {self.timeout:g} s") from None
        except aiohttp.ClientError as exc:
            raise MetadataUnavailable(f"{type(exc).__name__} fetching the OpenID metadata or keys") from None
        if not isinstance(listed, list):
            raise MetadataUnavailable("the JWKS document has no list of keys")
        keys = {}
        for entry in listed:
            if not (isinstance(entry, dict) and isinstance(entry.get("kid"), str) and entry.get("kty") == "RSA"):
                continue
            try:
                public_key = RSAAlgorithm.from_jwk(json.dumps(entry))
            except Exception:  # a malformed key is skipped; tokens signed with it fail
                continue
            endorsements = [e for e in entry.get("endorsements") or () if isinstance(e, str)]
            keys[entry["kid"]] = SigningKey(public_key, endorsements)
        if not keys:
            raise MetadataUnavailable("the JWKS document lists no usable RSA keys")
        return keys


async def _document(session: aiohttp.ClientSession, url: str) -> dict[str, Any]:
    async with session.get(url, allow_redirects=False, headers={"Accept": "application/json"}) as response:
        if response.status != 200:
            raise MetadataUnavailable(f"{url} answered HTTP {response.status}")
        body = await response.content.read(MAX_DOCUMENT_BYTES + 1)
    if len(body) > MAX_DOCUMENT_BYTES:
        raise MetadataUnavailable(f"{url} sent more than {MAX_DOCUMENT_BYTES} bytes")
    try:
        data = json.loads(body)
    except ValueError:
        raise MetadataUnavailable(f"{url} did not send JSON") from None
    if not isinstance(data, dict):
        raise MetadataUnavailable(f"{url} did not send a JSON object")
    return data


def install(url: str, timeout: float) -> OpenIdKeys:
    """Make botbuilder's token checks for ``url`` use our key store (kept when one with the same timeout exists)."""
    current = JwtTokenExtractor.metadataCache.get(url)
    if isinstance(current, OpenIdKeys) and current.timeout == timeout:
        return current
    keys = OpenIdKeys(url, timeout)
    JwtTokenExtractor.metadataCache[url] = keys
    return keys
