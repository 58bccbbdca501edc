"""Real server processes for tests: a free loopback port, waiting until a server answers, stopping it, and
``mailflow serve`` itself (``python -m bot serve``) run the way an admin runs it."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
AZURITE = ROOT / "tools" / "node" / "node_modules" / "azurite" / "dist" / "src" / "blob" / "main.js"
# Azurite's development account: a well-known public key, the same in every Azurite install.
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def free_port() -> int:
    """A port nothing listens on right now (the OS's pick on 127.0.0.1)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(url: str, process: subprocess.Popen, what: str, timeout: float = 60) -> None:
    """Poll ``url`` until it answers; AssertionError if ``process`` exits first or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{what} exited early with code {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:  # an HTTP answer, even 403, means it is up
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"{what} did not answer on {url} within {timeout:.0f} s")


def stop(process: subprocess.Popen) -> None:
    """SIGTERM (a graceful shutdown), then SIGKILL if it has not ended within 10 s."""
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@dataclass
class Served:
    """A running ``mailflow serve``: its port, base URL (no trailing slash) and process; output read live."""

    port: int
    url: str
    process: subprocess.Popen
    stdout_path: Path
    stderr_path: Path
    _kept: tuple[str, str] | None = None  # both outputs, read when it stopped (the files are gone then)

    @property
    def messages_url(self) -> str:
        return f"{self.url}/api/messages"

    def output(self) -> str:
        """What it printed on standard output so far, all of it once it has stopped (its start-up lines come
        just after /healthz first answers, so read them after the ``with`` block)."""
        return self._kept[0] if self._kept else self.stdout_path.read_text(errors="replace")

    def errors(self) -> str:
        """What it printed on standard error (its JSON log lines, warnings) so far."""
        return self._kept[1] if self._kept else self.stderr_path.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL, as a crash or an OOM kill would: no shutdown code runs."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)


def serve_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "bot", "serve", *args]


def serve_env(**env: str) -> dict[str, str]:
    """This environment without Microsoft* and MAILFLOW_* settings (auth off, state in memory, so nothing is
    written in the checkout), plus ``env``; the checkout on PYTHONPATH so any working directory will do."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("Microsoft", "MAILFLOW_")) and k != "PORT"}
    path = os.pathsep.join(p for p in (str(ROOT), base.get("PYTHONPATH", "")) if p)
    return {**base, "PYTHONPATH": path, "MAILFLOW_STORAGE": "memory", **env}


@contextmanager
def mailflow_serve(*args: str, env: Mapping[str, str] | None = None, port: int | None = None,
                   cwd: Path | None = None, timeout: float = 30) -> Iterator[Served]:
    """Run ``python -m bot serve ARGS`` until /healthz answers, yield it, stop it (SIGTERM) afterwards.

    The environment is :func:`serve_env` plus ``env``; the port is given as PORT (so leave out ``--port``); the
    working directory is the checkout unless ``cwd`` says otherwise. Output goes to files, so a chatty server
    never blocks on a full pipe."""
    env = env or {}
    port = port or free_port()
    with tempfile.TemporaryDirectory(prefix="mailflow-serve-") as folder:
        out, err = Path(folder) / "stdout", Path(folder) / "stderr"
        with out.open("wb") as stdout, err.open("wb") as stderr:
            process = subprocess.Popen(serve_command(*args), cwd=cwd or ROOT,
                                       env=serve_env(**{"PORT": str(port), **env}), stdout=stdout, stderr=stderr)
        served = Served(port, f"http://127.0.0.1:{port}", process, out, err)
        try:
            try:
                wait_until_up(f"{served.url}/healthz", process, "mailflow serve", timeout)
            except AssertionError as exc:
                raise AssertionError(f"{exc}\n--- its standard error:\n{served.errors()[-3000:]}") from None
            yield served
        finally:
            stop(process)
            served._kept = (served.output(), served.errors())


@dataclass
class Azurite:
    """A running Azurite blob service (Microsoft's Azure Storage emulator) on 127.0.0.1."""

    port: int
    process: subprocess.Popen

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}/{AZURITE_ACCOUNT}"

    @property
    def connection_string(self) -> str:
        return (f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};AccountKey={AZURITE_KEY};"
                f"BlobEndpoint={self.endpoint};")


@contextmanager
def azurite(timeout: float = 60) -> Iterator[Azurite]:
    """Start ``azurite-blob`` (npm, pinned in tools/node) on a free port with its data in a temporary folder."""
    node = shutil.which("node")
    if not node or not AZURITE.exists():
        pytest.fail(f"Azurite is missing ({AZURITE}): python3 run.py test installs it in tools/node "
                    "(it needs Node.js 18+ with npm)")
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="mailflow-azurite-") as folder:
        process = subprocess.Popen([node, str(AZURITE), "--blobHost", "127.0.0.1", "--blobPort", str(port),
                                    "--location", folder, "--skipApiVersionCheck", "--loose", "--disableTelemetry",
                                    "--silent"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        server = Azurite(port, process)
        try:
            wait_until_up(f"{server.endpoint}?comp=list", process, "Azurite", timeout)
            yield server
        finally:
            stop(process)
