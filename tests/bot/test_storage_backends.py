"""What each conversation store does beyond the shared contract: sqlite survives a kill -9 of a real
``mailflow serve``; azure-blob (against Azurite) never reads a failure as "missing"; the setting is checked."""

from __future__ import annotations

import gc
import logging
import sqlite3
import subprocess
import uuid
import warnings
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from azure.storage.blob.aio import BlobServiceClient

from bot import storage_blob, storage_sqlite
from bot.http_app import STORAGE, create_app
from bot.settings import Settings
from bot.storage import InMemoryStorage, StorageError, make_storage, parse_storage
from bot.storage_blob import MAX_NAME, AzureBlobStorage, blob_name
from bot.storage_sqlite import SqliteStorage
from dialogs.engine import Engine
from tests.bot.conftest import ConnectorStub, activity
from tests.bot.test_http import Mirror, texts
from tests.processes import Azurite, azurite, mailflow_serve, serve_command, serve_env

CONNECTION = ("DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=c2VjcmV0LWtleQ==;"
              "EndpointSuffix=core.windows.net")


# -- sqlite --------------------------------------------------------------------------------------


async def post(http: aiohttp.ClientSession, url: str, stub: ConnectorStub, conversation: str,
               text: str) -> list[dict[str, Any]]:
    """One message to a running ``mailflow serve``; the replies its connector stub received."""
    before = len(stub.for_conversation(conversation))
    async with http.post(url, json=activity(stub, conversation, text)) as response:
        assert response.status == 201, await response.text()
    return stub.for_conversation(conversation)[before:]


def wal_size(db: Path) -> int:
    return Path(f"{db}-wal").stat().st_size


async def test_sqlite_state_survives_kill_9_and_the_conversation_resumes_at_the_same_step(stub, tmp_path):
    db = tmp_path / "state" / "mailflow.sqlite3"
    args = ("--storage", f"sqlite:///{db}", "--no-checks")  # an absolute path: sqlite:////tmp/...
    mirror = Mirror(Engine.default())  # the same flows the server runs, driven directly
    async with aiohttp.ClientSession() as http:
        with mailflow_serve(*args) as served:
            for text in ("4", "user@contoso.com"):
                assert texts(await post(http, served.messages_url, stub, "kill9", text)) == mirror.say(text)
            assert wal_size(db) > 0  # the turns are in the WAL, not yet checkpointed into the file
            served.kill()
        assert served.process.returncode == -9
        with mailflow_serve(*args) as served:
            replies = await post(http, served.messages_url, stub, "kill9", "someone@fabrikam.com")
    assert texts(replies) == mirror.say("someone@fabrikam.com")
    assert "Date sent" in replies[-1]["text"] and "Outside senders" not in replies[-1]["text"]  # not the menu
    assert f"conversation state: sqlite file {db} (kept across restarts)" in served.output()


def test_serve_keeps_state_in_a_data_folder_where_it_runs_by_default(tmp_path):
    with mailflow_serve("--no-checks", env={"MAILFLOW_STORAGE": ""}, cwd=tmp_path) as served:
        pass
    path = tmp_path / "data" / "mailflow.sqlite3"
    assert f"conversation state: sqlite file {path} (kept across restarts)" in served.output().splitlines()
    assert path.is_file()


async def test_sqlite_creates_its_folder_and_keeps_items_across_reopening(tmp_path):
    path = tmp_path / "a" / "b" / "state.sqlite3"
    async with SqliteStorage(path) as store:
        await store.write({"k": {"v": 1}})
    async with SqliteStorage(path) as store:
        assert (await store.read(["k"]))["k"]["v"] == 1


async def test_sqlite_paths_it_cannot_use_give_clear_errors(tmp_path):
    (tmp_path / "file").write_text("a file where the folder should be")
    with pytest.raises(StorageError, match=r"cannot create the data folder .*file"):
        await SqliteStorage(tmp_path / "file" / "state.sqlite3").open()
    (tmp_path / "garbage.sqlite3").write_bytes(b"this is not a database" * 100)
    with pytest.raises(StorageError, match=r"cannot use .*garbage\.sqlite3 as the state file"):
        await SqliteStorage(tmp_path / "garbage.sqlite3").open()
    with pytest.raises(StorageError, match="not open"):
        await SqliteStorage(tmp_path / "never-opened.sqlite3").read(["k"])


async def test_sqlite_damaged_values_and_a_lock_held_too_long_are_errors_not_missing(tmp_path, monkeypatch):
    path = tmp_path / "state.sqlite3"
    monkeypatch.setattr(storage_sqlite, "BUSY_TIMEOUT_MS", 100)
    async with SqliteStorage(path) as store:
        await store.write({"k": {"v": 1}})
        other = sqlite3.connect(path, isolation_level=None)
        try:
            other.execute("UPDATE items SET value = ? WHERE key = 'k'", (b"{not json",))
            with pytest.raises(StorageError, match="'k' is not valid JSON"):
                await store.read(["k"])
            other.execute("BEGIN EXCLUSIVE")  # another process writing, for longer than the busy timeout
            with pytest.raises(StorageError, match="locked"):
                await store.write({"k": {"v": 2}})
            other.execute("ROLLBACK")
        finally:
            other.close()
        await store.write({"k": {"v": 3}})
        assert (await store.read(["k"]))["k"]["v"] == 3


# -- azure-blob (Azurite) --------------------------------------------------------------------------


def container() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


def test_blob_names_are_safe_distinct_and_short_enough():
    keys = ["msteams/conversations/a:1Bc-D_e;messageid=1700000000000", "19:abc@thread.tacv2", "a.", "a%2E",
            "a/b", "a%2Fb", "Ünï 🙂", "x" * MAX_NAME, "x" * (MAX_NAME + 1), "x" * 5000 + "a", "x" * 5000 + "b"]
    names = [blob_name(key) for key in keys]
    assert len(set(names)) == len(keys)
    for name in names:
        assert len(name) <= MAX_NAME + 1 and "/" not in name and not name.endswith(".")
        assert name.isascii() and name.isprintable()
    assert names[0] == "msteams%2Fconversations%2Fa%3A1Bc-D_e%3Bmessageid%3D1700000000000"  # still readable


async def test_blob_store_keeps_items_in_its_container_as_json(azurite_blob: Azurite):
    name = container()
    async with AzureBlobStorage(azurite_blob.connection_string, name) as store:
        await store.write({"msteams/conversations/19:abc@thread.tacv2": {"step": "ask_date"}})
    async with BlobServiceClient.from_connection_string(azurite_blob.connection_string) as service:
        blob = service.get_blob_client(name, blob_name("msteams/conversations/19:abc@thread.tacv2"))
        download = await blob.download_blob()
        assert await download.readall() == b'{"step":"ask_date"}'
        assert download.properties.content_settings.content_type.startswith("application/json")


async def test_blob_read_errors_other_than_not_found_raise(azurite_blob: Azurite):
    name = container()
    async with AzureBlobStorage(azurite_blob.connection_string, name) as store:
        await store.write({"k": {"v": 1}})
        async with BlobServiceClient.from_connection_string(azurite_blob.connection_string) as service:
            await service.get_blob_client(name, blob_name("bad")).upload_blob(b"<html>not json</html>")
            with pytest.raises(StorageError, match="'bad' is not valid JSON"):
                await store.read(["bad"])
            await service.delete_container(name)  # someone deleted the container: that is no "missing key"
        with pytest.raises(StorageError, match="404 ContainerNotFound"):
            await store.read(["k"])
        with pytest.raises(StorageError, match="404 ContainerNotFound"):
            await store.write({"k": {"v": 2}})


async def test_a_wrong_account_key_is_a_clear_error(azurite_blob: Azurite):
    wrong = azurite_blob.connection_string.replace("AccountKey=Eby8", "AccountKey=Xby8")
    with pytest.raises(StorageError, match="403 AuthorizationFailure"):
        await AzureBlobStorage(wrong, container()).open()


async def test_blob_reads_after_the_service_stopped_raise_instead_of_returning_nothing():
    with azurite() as private:  # its own Azurite, stopped in the middle
        store = AzureBlobStorage(private.connection_string, container())
        await store.open()
        await store.write({"k": {"v": 1}})
        assert (await store.read(["k"]))["k"]["v"] == 1
    try:
        with pytest.raises(StorageError, match=r"cannot read 'k'.*Cannot connect"):
            await store.read(["k"])
    finally:
        await store.close()


async def test_a_service_that_never_answers_times_out_with_a_clear_error(monkeypatch):
    import socket

    monkeypatch.setattr(storage_blob, "OPERATION_TIMEOUT", 1.0)
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        connection = f"AccountName=acct;AccountKey=c2VjcmV0;BlobEndpoint=http://127.0.0.1:{port}/acct"
        with pytest.raises(StorageError, match="no answer within 1 s"):
            await AzureBlobStorage(connection, container()).open()


async def test_the_app_opens_and_closes_the_blob_client_without_leaks(azurite_blob: Azurite, stub, engine, caplog):
    caplog.set_level(logging.INFO)
    settings = Settings(storage="azure-blob", blob_connection_string=azurite_blob.connection_string,
                        blob_container=container())
    server = TestServer(create_app(settings, engine=engine), host="127.0.0.1")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        await server.start_server()
        store = server.app[STORAGE]
        try:
            async with aiohttp.ClientSession() as http:
                replies = await post(http, str(server.make_url("/api/messages")), stub, "blob-app", "4")
            assert replies
            assert list(await store.read(["emulator/conversations/blob-app"])) == ["emulator/conversations/blob-app"]
        finally:
            await server.close()
        gc.collect()
    assert isinstance(store, AzureBlobStorage) and store._service is None
    assert not [w for w in caught if "nclosed" in str(w.message)], [str(w.message) for w in caught]
    assert not [r for r in caplog.records if r.name.startswith("azure")]  # no per-request lines in the logs


# -- the setting ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "kind", "path"), [
    ("memory", "memory", None), (" Memory ", "memory", None), ("azure-blob", "azure-blob", None),
    ("sqlite:///data/mailflow.sqlite3", "sqlite", "/srv/app/data/mailflow.sqlite3"),
    ("sqlite:////var/lib/mailflow/state.db", "sqlite", "/var/lib/mailflow/state.db"),
])
def test_storage_values_that_work(value, kind, path):
    spec = parse_storage(value, cwd=Path("/srv/app"))
    assert spec.kind == kind and spec.path == (Path(path) if path else None)


@pytest.mark.parametrize(("value", "message"), [
    ("redis://localhost", "must be memory, sqlite:///PATH .* or azure-blob, not 'redis://localhost'"),
    ("", "must be memory"), ("sqlite", "must be memory"), ("azure", "must be memory"),
    ("sqlite://data.db", "three slashes"), ("sqlite:///", "give the path of a file"),
    ("sqlite:///data/", "give the path of a file"), ("sqlite:///state.db?mode=ro", "give the path of a file"),
])
def test_storage_values_that_do_not_work_say_what_would(value, message):
    with pytest.raises(ValueError, match=message):
        Settings(storage=value)


def test_storage_settings_from_the_environment_and_the_flag():
    assert Settings.from_env({}).storage == "memory"
    assert Settings.from_env({}, default_storage="sqlite:///data/x.db").storage == "sqlite:///data/x.db"
    assert Settings.from_env({"MAILFLOW_STORAGE": "sqlite:///e.db"}, default_storage="memory").storage == "sqlite:///e.db"
    assert Settings.from_env({"MAILFLOW_STORAGE": "sqlite:///e.db"}, storage="memory").storage == "memory"
    env = {"MAILFLOW_STORAGE": "azure-blob", "MAILFLOW_BLOB_CONNECTION_STRING": CONNECTION}
    settings = Settings.from_env(env)
    assert (settings.blob_connection_string, settings.blob_container) == (CONNECTION, "mailflow-state")
    assert "c2VjcmV0" not in repr(settings)  # the account key never shows in logs or tracebacks
    assert Settings.from_env({**env, "MAILFLOW_BLOB_CONTAINER": "bots-1"}).blob_container == "bots-1"


@pytest.mark.parametrize(("env", "message"), [
    ({}, "azure-blob needs MAILFLOW_BLOB_CONNECTION_STRING"),
    ({"MAILFLOW_BLOB_CONNECTION_STRING": "just some text"}, "not a storage connection string"),
    ({"MAILFLOW_BLOB_CONNECTION_STRING": CONNECTION, "MAILFLOW_BLOB_CONTAINER": "Bots_1"}, "3-63 lowercase"),
    ({"MAILFLOW_BLOB_CONNECTION_STRING": CONNECTION, "MAILFLOW_BLOB_CONTAINER": "a--b"}, "3-63 lowercase"),
])
def test_blob_settings_that_cannot_work_are_refused_at_start_up(env, message):
    with pytest.raises(ValueError, match=message) as caught:
        Settings.from_env({"MAILFLOW_STORAGE": "azure-blob", **env})
    assert "c2VjcmV0" not in str(caught.value)


def test_the_factory_builds_the_store_the_setting_names(tmp_path):
    assert isinstance(make_storage(Settings()), InMemoryStorage)
    store = make_storage(Settings(storage=f"sqlite:///{tmp_path}/s.db"))
    assert isinstance(store, SqliteStorage) and store.path == tmp_path / "s.db"
    blob = make_storage(Settings(storage="azure-blob", blob_connection_string=CONNECTION, blob_container="abc"))
    assert isinstance(blob, AzureBlobStorage) and blob.container_name == "abc"


@pytest.mark.parametrize(("args", "env", "code", "message"), [
    (["--storage", "bogus"], {}, 2, "mailflow: storage (MAILFLOW_STORAGE or --storage) must be memory"),
    ([], {"MAILFLOW_STORAGE": "azure-blob"}, 2, "mailflow: storage azure-blob needs MAILFLOW_BLOB_CONNECTION_STRING"),
    (["--storage", "sqlite:///in-the-way/state.db"], {}, 1, "mailflow: cannot create the data folder"),
])
def test_serve_refuses_storage_it_cannot_use_with_one_line(tmp_path, args, env, code, message):
    (tmp_path / "in-the-way").write_text("a file, not a folder")
    done = subprocess.run(serve_command(*args, "--port", "9"), cwd=tmp_path, env=serve_env(**env),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == code and done.stdout == ""
    assert done.stderr.startswith(message) and "Traceback" not in done.stderr and done.stderr.count("\n") == 1

