"""Where conversation state lives: one setting (MAILFLOW_STORAGE / --storage) picks one of three stores.

* ``memory``: this process only, lost on exit (tests, the default of ``create_app(Settings())``);
* ``sqlite:///PATH``: a file for a single server that survives restarts, also a kill -9 (bot/storage_sqlite.py);
* ``azure-blob``: the Bot Framework's standard shared store for several instances (bot/storage_blob.py).

All three implement botbuilder's ``Storage`` contract the same way, which :class:`JsonStorage` pins down once:

* ``read(keys)`` returns ``{key: dict}`` for the keys that exist, each dict with an ``e_tag``; missing keys are
  left out. Items come back as plain dicts (a ``StoreItem`` written is read back as the dict of its attributes).
* ``write({key: item})`` takes dicts (``e_tag`` as a key) or ``StoreItem``-like objects (``e_tag`` as an
  attribute). No ``e_tag`` or ``"*"`` writes unconditionally; :data:`CREATE_ONLY` writes only if the key does
  not exist yet; any other ``e_tag`` writes only if the stored item still has exactly that ETag, and raises
  :class:`StorageConflict` otherwise (also when the item was deleted meanwhile). Every write gives the item a
  new ETag. Keys are written one after the other: a conflict stops at its key, earlier keys stay written.
* ``delete(keys)`` removes the keys that exist and ignores the others.
* Values are stored as JSON (not jsonpickle): a value that is not JSON fails with a TypeError naming the key.

botbuilder's own MemoryStorage differs (it raises KeyError on a conflict, gives no ETag to items first written
without one, and hands out its stored objects), so ``memory`` here is our own, with the same rules as the others.
"""

from __future__ import annotations

import itertools
import json
import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

from botbuilder.core import Storage

if TYPE_CHECKING:
    from bot.settings import Settings

E_TAG = "e_tag"  # where botbuilder's items carry their ETag (dict key or attribute)
ANY = "*"  # botbuilder's "whatever is stored": write unconditionally
CREATE_ONLY = "!create-only"  # write only if nothing is stored under the key yet (HTTP's If-None-Match: *)
DEFAULT_STORAGE = "memory"  # Settings() and tests; ``mailflow serve`` has its own default (bot/cli.py)
DEFAULT_CONTAINER = "mailflow-state"
SETTING_HELP = "memory, sqlite:///PATH (relative to the working directory; sqlite:////PATH for absolute) or azure-blob"

Kind = Literal["memory", "sqlite", "azure-blob"]


class StorageError(Exception):
    """The store could not be read or written (unreachable, refused, corrupt, misconfigured)."""


class StorageConflict(StorageError):
    """A conditional write lost: the item changed (or was created or deleted) since its ETag was read."""

    def __init__(self, key: str) -> None:
        super().__init__(f"the item {key!r} was changed by someone else since it was read (ETag mismatch)")
        self.key = key


@dataclass(frozen=True)
class StorageSpec:
    """A parsed MAILFLOW_STORAGE value; ``path`` is the absolute sqlite file for ``sqlite``."""

    kind: Kind
    path: Path | None = None


def parse_storage(value: str, *, cwd: Path | None = None) -> StorageSpec:
    """``memory``, ``sqlite:///relative/path``, ``sqlite:////absolute/path`` or ``azure-blob``; ValueError else."""
    text = value.strip()
    if text.casefold() in {"memory", "azure-blob"}:
        return StorageSpec(text.casefold())  # type: ignore[arg-type]
    scheme, sep, rest = text.partition("://")
    if scheme.casefold() == "sqlite" and sep:
        if not rest.startswith("/"):
            raise ValueError(f"storage {value!r}: a sqlite URL has three slashes before the path, as in "
                             "sqlite:///data/mailflow.sqlite3 (relative) or sqlite:////var/lib/mailflow.sqlite3")
        path = rest[1:]
        if not path or path.endswith("/") or any(c in path for c in "?#\0"):
            raise ValueError(f"storage {value!r}: give the path of a file after sqlite:///, "
                             "as in sqlite:///data/mailflow.sqlite3")
        return StorageSpec("sqlite", (cwd or Path.cwd()) / path)  # an absolute path stays as it is
    raise ValueError(f"storage (MAILFLOW_STORAGE or --storage) must be {SETTING_HELP}, not {value!r}")


def blob_settings_problem(connection_string: str, container: str) -> str | None:
    """Why azure-blob cannot start with these settings (never quoting the connection string: it holds a key)."""
    if not connection_string.strip():
        return ("storage azure-blob needs MAILFLOW_BLOB_CONNECTION_STRING (the storage account's connection "
                "string, from the portal's 'Access keys' or 'Shared access signature' page)")
    parts = [part.partition("=") for part in connection_string.strip().rstrip(";").split(";")]
    names = {name.strip().casefold() for name, sep, _ in parts if sep}
    if len(names) < len(parts) or not names & {"blobendpoint", "accountname", "usedevelopmentstorage"}:
        return ("MAILFLOW_BLOB_CONNECTION_STRING is not a storage connection string: expected Name=value pairs "
                "separated by ';' with AccountName (or BlobEndpoint) and AccountKey (or SharedAccessSignature)")
    if not (3 <= len(container) <= 63 and re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", container)):
        return (f"MAILFLOW_BLOB_CONTAINER must be 3-63 lowercase letters, digits and single hyphens between them "
                f"(Azure's rule for container names), not {container!r}")
    return None


class JsonStorage(Storage, ABC):
    """botbuilder's Storage contract over a store of key -> (JSON bytes, ETag); backends give four primitives.

    Use it as an async context manager (``create_app`` does, through aiohttp's cleanup_ctx) so files and
    connections are opened at start-up, with a clear error, and closed at shutdown."""

    async def read(self, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
        found = await self._get(_keys(keys))
        return {key: _decode(key, data, etag) for key, (data, etag) in found.items()}

    async def write(self, changes: Mapping[str, Any]) -> None:
        if changes is None:
            raise TypeError("write() needs a mapping of keys to items")
        for key, item in changes.items():
            _check_key(key)
            data, etag = _encode(key, item)
            await self._put(key, data, etag)

    async def delete(self, keys: Iterable[str]) -> None:
        await self._remove(_keys(keys))

    async def open(self) -> None:
        """Create what the store needs (file, container) and check it can be reached; StorageError if not."""

    async def close(self) -> None:
        """Release files and connections."""

    @abstractmethod
    def describe(self) -> str:
        """Where the state lives, for the start-up line (never a secret)."""

    @abstractmethod
    async def _get(self, keys: list[str]) -> dict[str, tuple[bytes, str]]:
        """The stored (JSON, ETag) of each key that exists."""

    @abstractmethod
    async def _put(self, key: str, data: bytes, etag: str | None) -> None:
        """Store ``data`` under a new ETag if ``etag`` allows (None/ANY/CREATE_ONLY/exact); StorageConflict else."""

    @abstractmethod
    async def _remove(self, keys: list[str]) -> None:
        """Delete the keys that exist."""

    async def __aenter__(self) -> JsonStorage:
        await self.open()
        return self

    async def __aexit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.close()


class InMemoryStorage(JsonStorage):
    """This process only: for tests and ``create_app(Settings())``; the same rules as the persistent stores."""

    def __init__(self) -> None:
        self._items: dict[str, tuple[bytes, str]] = {}
        self._versions = itertools.count(1)

    def describe(self) -> str:
        return "in memory (lost when the server stops)"

    def snapshot(self) -> dict[str, tuple[bytes, str]]:
        """Every key's stored JSON and ETag (tests compare these to prove a request changed nothing)."""
        return dict(self._items)

    async def _get(self, keys: list[str]) -> dict[str, tuple[bytes, str]]:
        return {key: self._items[key] for key in keys if key in self._items}

    async def _put(self, key: str, data: bytes, etag: str | None) -> None:
        stored = self._items.get(key)
        if not write_allowed(etag, stored[1] if stored else None):
            raise StorageConflict(key)
        self._items[key] = (data, str(next(self._versions)))

    async def _remove(self, keys: list[str]) -> None:
        for key in keys:
            self._items.pop(key, None)


def write_allowed(etag: str | None, stored: str | None) -> bool:
    """Whether a write carrying ``etag`` goes ahead when the stored item has ETag ``stored`` (None: missing)."""
    if etag is None or etag == ANY:
        return True
    if etag == CREATE_ONLY:
        return stored is None
    return etag == stored


def make_storage(settings: Settings) -> JsonStorage:
    """The store ``settings.storage`` names, not opened yet (the backends' modules load only when chosen)."""
    spec = parse_storage(settings.storage)
    if spec.kind == "sqlite":
        from bot.storage_sqlite import SqliteStorage

        assert spec.path is not None
        return SqliteStorage(spec.path)
    if spec.kind == "azure-blob":
        from bot.storage_blob import AzureBlobStorage

        return AzureBlobStorage(settings.blob_connection_string, settings.blob_container)
    return InMemoryStorage()


def _keys(keys: Iterable[str]) -> list[str]:
    if isinstance(keys, str | bytes):  # read("key") would otherwise read each of its characters
        raise TypeError("storage keys must be given as a list (or set) of strings, not a single string")
    unique = list(dict.fromkeys(keys))
    for key in unique:
        _check_key(key)
    return unique


def _check_key(key: Any) -> None:
    if not isinstance(key, str) or not key:
        raise TypeError(f"storage keys must be non-empty strings, not {key!r}")
    try:
        key.encode()
    except UnicodeEncodeError:
        raise ValueError(f"the storage key {key!r} is not valid text (a lone surrogate)") from None


def _encode(key: str, item: Any) -> tuple[bytes, str | None]:
    """The item's JSON without its ETag, and the ETag it was written with."""
    if isinstance(item, Mapping):
        fields = dict(item)
    elif hasattr(item, "__dict__") and not isinstance(item, type):
        fields = dict(vars(item))  # a StoreItem: its attributes
    else:
        raise TypeError(f"the value for {key!r} must be a dict or a StoreItem, not {type(item).__name__}")
    etag = fields.pop(E_TAG, None)
    if etag is not None and not isinstance(etag, str):
        raise TypeError(f"the e_tag for {key!r} must be a string, not {type(etag).__name__}")
    if etag == "":
        raise ValueError(f"the e_tag for {key!r} is empty: leave it out or use '*' to overwrite, "
                         f"{CREATE_ONLY!r} to create")
    try:
        text = json.dumps(fields, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError, RecursionError) as exc:
        raise TypeError(f"the value for {key!r} cannot be stored as JSON: {exc}") from None
    try:
        return text.encode(), etag
    except UnicodeEncodeError:  # a lone surrogate (JSON "\ud800" decodes to one): keep it escaped
        return json.dumps(fields, separators=(",", ":"), allow_nan=False).encode(), etag


def _decode(key: str, data: bytes, etag: str) -> dict[str, Any]:
    try:
        value = json.loads(data)
    except (ValueError, RecursionError):
        raise StorageError(f"the stored value of {key!r} is not valid JSON") from None
    if not isinstance(value, dict):
        raise StorageError(f"the stored value of {key!r} is not a JSON object")
    value[E_TAG] = etag
    return value
