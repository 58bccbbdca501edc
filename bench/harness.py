"""What the HTTP benches share: the two servers as subprocesses, a loopback Bot Connector stub, one turn over
HTTP, and the server process's CPU and memory read from /proc.

``mailflow serve --no-checks`` runs as the real command (its default storage, a sqlite file under the given
working directory, no MicrosoftAppId); the stock echo bot is the SDK sample's shape (CloudAdapter,
ConversationState over MemoryStorage), run by this file as ``python bench/harness.py echo``.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import ClientError, ClientSession, web

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
CHANNEL = "emulator"
# Settings serve would otherwise pick up from this shell: the bench wants its defaults, without auth.
_SERVE_ENV_DROP = ("MicrosoftAppId", "MicrosoftAppPassword", "MicrosoftAppType", "MicrosoftAppTenantId",
                   "MAILFLOW_STORAGE", "MAILFLOW_HOST", "PORT", "MAILFLOW_LIVE_CHECKS")
STATE_FILE = Path("data") / "mailflow.sqlite3"  # serve's default storage, relative to its working directory


# -- the stock echo bot (runs in a subprocess) -----------------------------------------------------


def _echo_app() -> web.Application:
    """The SDK sample's shape: CloudAdapter, MemoryStorage, ConversationState counting turns, process()."""
    from botbuilder.core import ActivityHandler, ConversationState, MemoryStorage, TurnContext
    from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication

    class Config:
        APP_ID = ""
        APP_PASSWORD = ""
        APP_TYPE = "MultiTenant"
        APP_TENANTID = ""

    class EchoBot(ActivityHandler):
        def __init__(self, state: ConversationState) -> None:
            self.state = state
            self.turns = state.create_property("turns")

        async def on_message_activity(self, turn_context: TurnContext) -> None:
            count = (await self.turns.get(turn_context) or 0) + 1
            await self.turns.set(turn_context, count)
            await turn_context.send_activity(f"turn {count}: {turn_context.activity.text}")
            await self.state.save_changes(turn_context)

    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(Config()))
    bot = EchoBot(ConversationState(MemoryStorage()))

    async def messages(request: web.Request) -> web.Response:
        return await adapter.process(request, bot)

    app = web.Application()
    app.router.add_post("/api/messages", messages)
    return app


async def _serve_echo() -> None:
    runner = web.AppRunner(_echo_app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, HOST, 0)
    await site.start()
    print(f"ready {runner.addresses[0][1]}", flush=True)
    try:
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until the driver closes stdin
    finally:
        await runner.cleanup()


# -- the driver's side -------------------------------------------------------------------------------


@dataclass
class Stub:
    """A Bot Connector that accepts every reply and remembers which activities were answered."""

    replies: int = 0
    answered: set[str] = field(default_factory=set)
    url: str = ""
    runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/v3/conversations/{conversation}/activities", self._receive)
        app.router.add_post("/v3/conversations/{conversation}/activities/{reply_to}", self._receive)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, HOST, 0)
        await site.start()
        self.url = f"http://{HOST}:{self.runner.addresses[0][1]}/"

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()

    async def _receive(self, request: web.Request) -> web.Response:
        await request.read()
        self.replies += 1
        if reply_to := request.match_info.get("reply_to"):
            self.answered.add(reply_to)
        return web.json_response({"id": f"r{self.replies}"})


@dataclass
class Server:
    """One server process (``ours``: mailflow serve; ``echo``: the stock echo bot) and its connector stub."""

    name: str
    role: str
    stub: Stub = field(default_factory=Stub)
    process: subprocess.Popen[str] | None = None
    url: str = ""
    output: list[str] = field(default_factory=list)

    def start(self, workdir: Path, cpus: set[int] | None) -> None:
        if self.role == "ours":
            port = free_port()
            command = [sys.executable, "-m", "bot", "serve", "--port", str(port), "--no-checks"]
            env = {k: v for k, v in os.environ.items() if k not in _SERVE_ENV_DROP}
            env["PYTHONPATH"] = os.pathsep.join(filter(None, (str(ROOT), env.get("PYTHONPATH"))))
            ready, cwd = "listening on", workdir
        else:
            command, env, ready, cwd = [sys.executable, __file__, "echo"], None, "ready ", ROOT
        self.process = subprocess.Popen(command, cwd=cwd, env=env, text=True, stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        if cpus:
            os.sched_setaffinity(self.process.pid, cpus)
        started = threading.Event()

        def read() -> None:  # keeps the pipe drained; the first lines say where the server listens
            stdout = self.process.stdout if self.process else None
            for line in stdout or ():
                self.output.append(line.strip())
                if line.startswith(ready) or ready in line:
                    started.set()
            started.set()

        threading.Thread(target=read, daemon=True).start()
        if not started.wait(60) or self.process.poll() is not None:
            raise SystemExit(f"{self.name} did not start: {self.output}")
        port_text = self.output[-1].split()[1] if self.role == "echo" else str(port)
        self.url = f"http://{HOST}:{int(port_text)}/api/messages"

    def cpu_seconds(self) -> float:
        """utime + stime of the server process from /proc (Linux); 0 elsewhere."""
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()  # type: ignore[union-attr]
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def memory(self, name: str) -> int:
        """A /proc/PID/status size in bytes (``VmRSS`` now, ``VmHWM`` the peak); 0 where there is no /proc."""
        try:
            status = Path(f"/proc/{self.process.pid}/status").read_text()  # type: ignore[union-attr]
        except OSError:
            return 0
        for line in status.splitlines():
            if line.startswith(f"{name}:"):
                return int(line.split()[1]) * 1024  # the kernel reports kB
        return 0

    def stop(self) -> None:
        if self.process is None:
            return
        if self.role == "ours":
            self.process.send_signal(signal.SIGINT)  # serve shuts down cleanly (storage closed) on Ctrl-C
        elif self.process.stdin:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.terminate()
            self.process.wait(timeout=10)

    def storage_note(self) -> str | None:
        """serve's start-up line saying where the conversation state lives."""
        return next((line for line in self.output if line.startswith("conversation state")), None)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def placement() -> tuple[set[int] | None, set[int] | None]:
    """(servers' CPUs, driver's CPUs): the last CPU for the servers when there are at least two."""
    try:
        cpus = sorted(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return None, None
    return ({cpus[-1]}, set(cpus[:-1])) if len(cpus) >= 2 else (None, None)


async def send_turn(session: ClientSession, server: Server, conversation: str, text: str,
                    activity_id: str) -> tuple[bool, float]:
    """POST one message activity; (got a 201, seconds until the response). The reply arrives at the stub."""
    body = {"type": "message", "text": text, "serviceUrl": server.stub.url, "conversation": {"id": conversation},
            "from": {"id": "user"}, "recipient": {"id": "bot"}, "channelId": CHANNEL, "id": activity_id}
    began = time.perf_counter()
    try:
        async with session.post(server.url, json=body) as response:
            await response.read()
            ok = response.status == 201
    except (ClientError, TimeoutError):
        ok = False
    return ok, time.perf_counter() - began


if __name__ == "__main__":
    if sys.argv[1:] != ["echo"]:
        raise SystemExit("usage: harness.py echo  (the stock echo bot, started by the benches)")
    asyncio.run(_serve_echo())
