"""``azure-blob``: conversation state in an Azure Blob Storage container, shared by several instances.

One JSON blob per key, the Bot Framework's standard shared store. Optimistic concurrency is the blob service's
own: a write with an ETag sends If-Match (412 when someone wrote meanwhile), a create-only write sends
If-None-Match: * (409 when the blob exists); both become StorageConflict.

Written on the current async ``azure-storage-blob`` client rather than botbuilder-azure 4.17.1, which pins
old SDKs, never closes its HTTP client and returns "missing" for any read error. Here one client (one
aiohttp session) serves the process and is closed with the app; every operation has a deadline and few,
short retries, because a person is waiting for the turn; only "blob not found" reads as a missing key,
every other failure (refused key, unreachable service, deleted container) raises StorageError.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from urllib.parse import quote, urlsplit

from azure.core import MatchConditions
from azure.core.exceptions import (
    AzureError,
    HttpResponseError,
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
)
from azure.storage.blob import ContentSettings
from azure.storage.blob.aio import BlobServiceClient, ContainerClient, LinearRetry

from bot.storage import ANY, CREATE_ONLY, JsonStorage, StorageConflict, StorageError

OPERATION_TIMEOUT = 10.0  # seconds for one read/write/delete, retries included (Teams gives a turn 15 s)
CONNECT_TIMEOUT = 3.0
READ_TIMEOUT = 5.0
# Values larger than this go up in blocks of this size, committed with the same condition: aiohttp warns that
# a larger request body sent at once blocks the event loop (file offers keep up to 1 MB of text in the state).
MAX_REQUEST_BODY = 2**20
MAX_NAME = 1000  # plain blob names are at most this long; longer keys get a hashed name one character longer
_JSON = ContentSettings(content_type="application/json; charset=utf-8")
# The SDK logs every request's URL and headers at INFO: four lines of noise per turn in the JSON logs.
logging.getLogger("azure.core.pipeline.policies.http_logging_policy").setLevel(logging.WARNING)


# The service's answers to a write whose condition failed: If-Match (412), If-None-Match: * (409), If-Match on
# a blob deleted meanwhile (412 from the service and Azurite; 404 also taken, to be safe).
_CONFLICTS = {"ConditionNotMet", "BlobAlreadyExists", "BlobNotFound"}


def _code(exc: HttpResponseError) -> str:
    """The service's error code ("BlobNotFound"), which the SDK gives as a string or an enum."""
    return str(getattr(exc.error_code, "value", exc.error_code) or "")


def blob_name(key: str) -> str:
    """A safe, distinct blob name for each key: Teams ids hold ':' ';' '@' '=' and can be very long.

    Every character but letters, digits, '-', '_' and '~' is percent-encoded (UTF-8), so names have no '/'
    (no virtual folders), no '.' at the end and no characters the service treats specially. A name longer than
    MAX_NAME keeps its start and ends with '~' and the key's SHA-256; hashed names are exactly MAX_NAME + 1
    characters long, so they never equal a plain name."""
    name = quote(key, safe="").replace(".", "%2E")
    if len(name) <= MAX_NAME:
        return name
    digest = hashlib.sha256(key.encode()).hexdigest()
    return f"{name[:MAX_NAME - len(digest)]}~{digest}"


class AzureBlobStorage(JsonStorage):
    """One container (created if missing); the client is made in open() and closed in close()."""

    def __init__(self, connection_string: str, container: str) -> None:
        self._connection_string = connection_string
        self.container_name = container
        self._service: BlobServiceClient | None = None
        self._container: ContainerClient | None = None

    def describe(self) -> str:
        where = self._container.url if self._container is not None else ""
        url = urlsplit(where)._replace(query="").geturl()  # a SAS token is a secret
        return f"Azure Blob container {self.container_name!r}{' at ' + url if url else ''} (shared by instances)"

    async def open(self) -> None:
        if self._service is not None:
            return
        try:
            service = BlobServiceClient.from_connection_string(
                self._connection_string, connection_timeout=CONNECT_TIMEOUT, read_timeout=READ_TIMEOUT,
                retry_policy=LinearRetry(backoff=0.3, retry_total=2, random_jitter_range=0.2),
                max_single_put_size=MAX_REQUEST_BODY, max_block_size=MAX_REQUEST_BODY,
                # Like the other HTTP clients here, no proxy or .netrc from the environment: the SDK's default
                # looks both up in a worker thread on every request, about 1 ms of CPU per turn.
                use_env_settings=False)
        except ValueError as exc:  # a malformed connection string
            raise StorageError(f"MAILFLOW_BLOB_CONNECTION_STRING is not usable: {exc}") from None
        self._service, self._container = service, service.get_container_client(self.container_name)
        try:
            async with self._errors("create the container"):
                with suppress(ResourceExistsError):
                    await self._container.create_container()
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        if self._service is not None:
            service, self._service, self._container = self._service, None, None
            await service.close()

    @property
    def container(self) -> ContainerClient:
        if self._container is None:
            raise StorageError("the Azure Blob store is not open (use it as 'async with' or open() it first)")
        return self._container

    async def _get(self, keys: list[str]) -> dict[str, tuple[bytes, str]]:
        found = await asyncio.gather(*(self._get_one(key) for key in keys))
        return {key: item for key, item in zip(keys, found, strict=True) if item is not None}

    async def _get_one(self, key: str) -> tuple[bytes, str] | None:
        blob = self.container.get_blob_client(blob_name(key))
        async with self._errors(f"read {key!r}"):
            try:
                download = await blob.download_blob()
                data = await download.readall()
            except ResourceNotFoundError as exc:
                if _code(exc) == "BlobNotFound":
                    return None
                raise
        return data, download.properties.etag

    async def _put(self, key: str, data: bytes, etag: str | None) -> None:
        blob = self.container.get_blob_client(blob_name(key))
        if etag is None or etag == ANY:
            conditions: dict[str, object] = {"overwrite": True}
        elif etag == CREATE_ONLY:
            conditions = {"overwrite": False}  # If-None-Match: *
        else:
            conditions = {"overwrite": True, "etag": etag, "match_condition": MatchConditions.IfNotModified}
        async with self._errors(f"write {key!r}"):
            try:
                await blob.upload_blob(io.BytesIO(data), length=len(data), content_settings=_JSON, **conditions)
            except (ResourceModifiedError, ResourceExistsError, ResourceNotFoundError) as exc:
                if _code(exc) in _CONFLICTS:
                    raise StorageConflict(key) from exc
                raise

    async def _remove(self, keys: list[str]) -> None:
        await asyncio.gather(*(self._remove_one(key) for key in keys))

    async def _remove_one(self, key: str) -> None:
        async with self._errors(f"delete {key!r}"):
            try:
                await self.container.delete_blob(blob_name(key))
            except ResourceNotFoundError as exc:
                if _code(exc) != "BlobNotFound":
                    raise

    @asynccontextmanager
    async def _errors(self, doing: str) -> AsyncIterator[None]:
        """Within OPERATION_TIMEOUT, with the service's failures as StorageError (conflicts pass through)."""
        try:
            async with asyncio.timeout(OPERATION_TIMEOUT):
                yield
        except StorageError:
            raise
        except TimeoutError:
            raise self._failed(doing, f"no answer within {OPERATION_TIMEOUT:.0f} s") from None
        except HttpResponseError as exc:
            code = _code(exc) or getattr(exc.response, "reason", "")
            raise self._failed(doing, f"the service answered {exc.status_code} {code}") from exc
        except AzureError as exc:  # could not connect, connection dropped
            raise self._failed(doing, f"{type(exc).__name__}: {exc.message}") from exc

    def _failed(self, doing: str, why: str) -> StorageError:
        return StorageError(f"Azure Blob storage: cannot {doing} (container {self.container_name!r}): {why}")
