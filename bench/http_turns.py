"""HTTP turns per second: ``mailflow serve`` next to a stock botbuilder echo bot with ConversationState.

``mailflow serve --no-checks`` runs as the real command (its default storage, in a scratch working directory,
no MicrosoftAppId); the echo bot is the SDK sample's shape in a subprocess of this script. This process runs
one loopback Bot Connector stub per server (answering every reply POST) and the load: C turns at a time, spread
over several conversations, in rounds of the same length taken by each server in turn, so that whatever else
the machine is doing hits both alike. turns/s is given for each server's best and median round, CPU per turn
(the server process's, from /proc, so other load on the machine hardly moves it) for its cheapest round. With
two or more CPUs the servers share the last one and the load runs on the others, as on a box where the bot has
a core of its own.
Prints figures; fails only when a turn did not get a 201 and a reply to its activity.
Run: .venv/bin/python bench/http_turns.py [--seconds 2] [--rounds 6] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import ClientError, ClientSession, ClientTimeout, web

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
# The ours script walks the general explanation and back, so turns hit questions, summaries and undo.
SCRIPT = ("hi", "1", "next", "next", "summary", "back", "next", "next", "next", "restart")
# Settings serve would otherwise pick up from this shell: the bench wants its defaults, without auth.
_SERVE_ENV_DROP = ("MicrosoftAppId", "MicrosoftAppPassword", "MicrosoftAppType", "MicrosoftAppTenantId",
                   "MAILFLOW_STORAGE", "MAILFLOW_HOST", "PORT", "MAILFLOW_LIVE_CHECKS")


# -- the servers (run in subprocesses) ------------------------------------------------------------


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


# -- the driver -------------------------------------------------------------------------------


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

    async def _receive(self, request: web.Request) -> web.Response:
        await request.read()
        self.replies += 1
        if reply_to := request.match_info.get("reply_to"):
            self.answered.add(reply_to)
        return web.json_response({"id": f"r{self.replies}"})


@dataclass
class Round:
    seconds: float
    latencies: list[float]
    errors: int
    replies: int
    cpu: float  # the server process's CPU seconds (user + system) during the round
    load_cpu: float  # this process's (load and stubs) CPU seconds during the round

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds


@dataclass
class Server:
    name: str
    role: str
    stub: Stub = field(default_factory=Stub)
    process: subprocess.Popen[str] | None = None
    url: str = ""
    output: list[str] = field(default_factory=list)
    rounds: list[Round] = field(default_factory=list)
    positions: dict[str, int] = field(default_factory=dict)

    def start(self, workdir: Path, cpus: set[int] | None) -> None:
        if self.role == "ours":
            port = _free_port()
            command = [sys.executable, "-m", "bot", "serve", "--port", str(port), "--no-checks"]
            env = {k: v for k, v in os.environ.items() if k not in _SERVE_ENV_DROP}
            env["PYTHONPATH"] = os.pathsep.join(filter(None, (str(ROOT), env.get("PYTHONPATH"))))
            ready, cwd = "listening on", workdir
        else:
            command, env, ready, cwd = [sys.executable, __file__, "--serve", "echo"], None, "ready ", ROOT
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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


_ids = itertools.count(1)


async def _turn(session: ClientSession, server: Server, conversation: str, sent: list[str],
                latencies: list[float]) -> int:
    """One turn; returns 1 when it failed (not a 201, or no answer at all)."""
    position = server.positions.get(conversation, 0)
    server.positions[conversation] = position + 1
    activity_id = f"a{next(_ids)}"
    body = {"type": "message", "text": SCRIPT[position % len(SCRIPT)], "serviceUrl": server.stub.url,
            "conversation": {"id": conversation}, "from": {"id": "user"}, "recipient": {"id": "bot"},
            "channelId": "emulator", "id": activity_id}
    began = time.perf_counter()
    try:
        async with session.post(server.url, json=body) as response:
            await response.read()
            ok = response.status == 201
    except (ClientError, TimeoutError):
        ok = False
    latencies.append(time.perf_counter() - began)
    sent.append(activity_id)
    return 0 if ok else 1


async def _round(session: ClientSession, server: Server, seconds: float, concurrency: int,
                 conversations: int) -> Round:
    """Turns for ``seconds``, ``concurrency`` at a time; each worker owns its conversations (one turn at a time)."""
    latencies: list[float] = []
    sent: list[str] = []
    replies_before = server.stub.replies

    async def worker(w: int) -> int:
        mine = [f"{server.role}-c{c}" for c in range(w, conversations, concurrency)] or [f"{server.role}-w{w}"]
        failed = 0
        for i in itertools.count():
            if time.perf_counter() >= deadline:
                return failed
            failed += await _turn(session, server, mine[i % len(mine)], sent, latencies)
        return failed

    cpu, load_cpu = server.cpu_seconds(), time.process_time()
    began = time.perf_counter()
    deadline = began + seconds
    failed = sum(await asyncio.gather(*(worker(w) for w in range(concurrency))))
    seconds = time.perf_counter() - began
    unanswered = sum(activity_id not in server.stub.answered for activity_id in sent)
    return Round(seconds, latencies, failed + unanswered, server.stub.replies - replies_before,
                 server.cpu_seconds() - cpu, time.process_time() - load_cpu)


def _placement() -> tuple[set[int] | None, set[int] | None]:
    """(servers' CPUs, driver's CPUs): the last CPU for the servers when there are at least two."""
    try:
        cpus = sorted(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return None, None
    return ({cpus[-1]}, set(cpus[:-1])) if len(cpus) >= 2 else (None, None)


async def drive(args: argparse.Namespace, server_cpus: set[int] | None,
                driver_cpus: set[int] | None) -> list[Server]:
    servers = [Server("mailflow serve", "ours"), Server("stock echo bot + state", "echo")]
    if driver_cpus:
        os.sched_setaffinity(0, driver_cpus)
    for server in servers:
        await server.stub.start()
    with tempfile.TemporaryDirectory(prefix="mailflow-bench-") as workdir:
        try:
            for server in servers:
                server.start(Path(workdir), server_cpus)
            async with ClientSession(timeout=ClientTimeout(total=60)) as session:
                for server in servers:  # warm-up: imports, first connector clients, lazy SDK set-up
                    await _round(session, server, 0.5, args.concurrency, args.conversations)
                for _ in range(args.rounds):
                    for server in servers:
                        server.rounds.append(await _round(session, server, args.seconds, args.concurrency,
                                                          args.conversations))
        finally:
            for server in servers:
                server.stop()
                if server.stub.runner is not None:
                    await server.stub.runner.cleanup()
    return servers


def report(servers: list[Server], args: argparse.Namespace, server_cpus: set[int] | None) -> None:
    print(f"HTTP turns on 127.0.0.1: {args.rounds} interleaved rounds of {args.seconds:g} s per server, "
          f"{args.concurrency} concurrent, {args.conversations} conversations; replies POSTed to a loopback stub")
    if server_cpus:
        print(f"servers on CPU {sorted(server_cpus)}, load and stubs on the others")
    for server in servers:
        notes = [line for line in server.output if line.startswith("conversation state")]
        if notes:
            print(f"{server.name}: {notes[0]}")
    print(f"{'server':<24}{'best turns/s':>13}{'median':>8}{'median ms':>11}{'p95 ms':>8}{'CPU ms/turn':>12}"
          f"{'replies/turn':>13}{'errors':>8}")
    best: dict[str, float] = {}
    typical: dict[str, float] = {}
    cpu: dict[str, float] = {}
    for s in servers:
        latencies = [x for r in s.rounds for x in r.latencies]
        turns = len(latencies)
        best[s.role] = max(r.rate for r in s.rounds)
        typical[s.role] = statistics.median(r.rate for r in s.rounds)
        p95 = statistics.quantiles(latencies, n=20)[-1] if turns > 1 else latencies[0]
        cpu[s.role] = min(r.cpu / len(r.latencies) for r in s.rounds)
        print(f"{s.name:<24}{best[s.role]:>13.1f}{typical[s.role]:>8.1f}{statistics.median(latencies) * 1000:>11.1f}"
              f"{p95 * 1000:>8.1f}{cpu[s.role] * 1000:>12.2f}{sum(r.replies for r in s.rounds) / turns:>13.2f}"
              f"{sum(r.errors for r in s.rounds):>8}")
    print(f"ratio ours/stock: turns/s x{best['ours'] / best['echo']:.2f} (best rounds), "
          f"x{typical['ours'] / typical['echo']:.2f} (median rounds); "
          f"CPU per turn x{cpu['echo'] / cpu['ours']:.2f} less" if cpu["ours"] else "")
    for s in servers:  # a load process near 100% means the server could go faster than it was pushed
        busiest = max(r.load_cpu / r.seconds for r in s.rounds)
        print(f"load and stubs for {s.name}: up to {busiest:.0%} of a CPU"
              f"{' (saturated: the figure is a lower bound)' if busiest > 0.9 else ''}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="length of one round")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--conversations", type=int, default=24)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--serve", choices=("echo",), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(_serve_echo())
        return
    if min(args.concurrency, args.conversations, args.rounds) < 1 or not 0.1 <= args.seconds <= 600:
        parser.error("--concurrency, --conversations and --rounds must be at least 1, --seconds 0.1 to 600")
    server_cpus, driver_cpus = _placement()
    servers = asyncio.run(drive(args, server_cpus, driver_cpus))
    report(servers, args, server_cpus)
    if any(r.errors for s in servers for r in s.rounds):
        raise SystemExit("some turns failed or got no reply")


if __name__ == "__main__":
    main()
