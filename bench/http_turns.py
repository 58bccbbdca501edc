"""HTTP turns per second: our aiohttp app next to a stock botbuilder echo bot with ConversationState.

Each server runs in its own subprocess on 127.0.0.1 (a free port it picks itself); this process runs one
loopback Bot Connector stub per server (answering every reply POST) and the load: N turns per server,
C concurrent, spread over several conversations, in interleaved rounds so drift hits both alike.
Prints figures; asserts only that every turn got a 201 and a reply.
Run: .venv/bin/python bench/http_turns.py [--turns 300] [--concurrency 8] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import ClientSession, ClientTimeout, web

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
# The ours script walks the general explanation and back, so turns hit questions, summaries and undo.
SCRIPT = ("hi", "1", "next", "next", "summary", "back", "next", "next", "next", "restart")


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


def _ours_app() -> web.Application:
    from bot.http_app import create_app
    from bot.settings import Settings

    return create_app(Settings())


async def _serve(role: str) -> None:
    runner = web.AppRunner(_ours_app() if role == "ours" else _echo_app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, HOST, 0)
    await site.start()
    port = runner.addresses[0][1]
    print(f"ready {port}", flush=True)
    try:
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until the driver closes stdin
    finally:
        await runner.cleanup()


# -- the driver -------------------------------------------------------------------------------


@dataclass
class Stub:
    """A Bot Connector that accepts every reply."""

    replies: int = 0
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
        return web.json_response({"id": f"r{self.replies}"})


@dataclass
class Target:
    name: str
    role: str
    stub: Stub = field(default_factory=Stub)
    process: subprocess.Popen[str] | None = None
    url: str = ""
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    failures: int = 0
    positions: dict[str, int] = field(default_factory=dict)

    def start(self) -> None:
        self.process = subprocess.Popen([sys.executable, __file__, "--serve", self.role], cwd=ROOT, text=True,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        line = self.process.stdout.readline() if self.process.stdout else ""
        if not line.startswith("ready "):
            raise SystemExit(f"{self.name} did not start: {line!r}")
        self.url = f"http://{HOST}:{int(line.split()[1])}/api/messages"

    def stop(self) -> None:
        if self.process is not None:
            if self.process.stdin:
                self.process.stdin.close()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.terminate()
                self.process.wait(timeout=10)
            if self.process.stdout:
                self.process.stdout.close()


_ids = itertools.count(1)


async def _turn(session: ClientSession, target: Target, conversation: str, record: bool) -> None:
    position = target.positions.get(conversation, 0)
    target.positions[conversation] = position + 1
    body = {"type": "message", "text": SCRIPT[position % len(SCRIPT)], "serviceUrl": target.stub.url,
            "conversation": {"id": conversation}, "from": {"id": "user"}, "recipient": {"id": "bot"},
            "channelId": "emulator", "id": f"a{next(_ids)}"}
    began = time.perf_counter()
    async with session.post(target.url, json=body) as response:
        await response.read()
        ok = response.status == 201
    if record:
        target.latencies.append(time.perf_counter() - began)
        target.failures += not ok


async def _round(session: ClientSession, target: Target, turns: int, concurrency: int, conversations: int,
                 record: bool = True) -> None:
    """``turns`` turns, ``concurrency`` at a time; each worker owns its conversations (one turn each at a time)."""
    per_worker = [turns // concurrency + (w < turns % concurrency) for w in range(concurrency)]

    async def worker(w: int) -> None:
        mine = [f"{target.role}-c{c}" for c in range(w, conversations, concurrency)] or [f"{target.role}-w{w}"]
        for i in range(per_worker[w]):
            await _turn(session, target, mine[i % len(mine)], record)

    began = time.perf_counter()
    await asyncio.gather(*(worker(w) for w in range(concurrency)))
    if record:
        target.seconds += time.perf_counter() - began


async def drive(args: argparse.Namespace) -> list[Target]:
    targets = [Target("mailflow (create_app)", "ours"), Target("stock echo bot + state", "echo")]
    for target in targets:
        await target.stub.start()
    try:
        for target in targets:
            target.start()
        async with ClientSession(timeout=ClientTimeout(total=60)) as session:
            for target in targets:  # warm-up: imports, first connector clients, lazy SDK set-up
                await _round(session, target, 2 * args.concurrency, args.concurrency, args.conversations, False)
                target.stub.replies = 0
            per_round = [args.turns // args.rounds + (r < args.turns % args.rounds) for r in range(args.rounds)]
            for turns in per_round:
                for target in targets:
                    await _round(session, target, turns, args.concurrency, args.conversations)
    finally:
        for target in targets:
            target.stop()
            if target.stub.runner is not None:
                await target.stub.runner.cleanup()
    return targets


def report(targets: list[Target], args: argparse.Namespace) -> None:
    print(f"HTTP turns on 127.0.0.1: {args.turns} turns per server, {args.concurrency} concurrent, "
          f"{args.conversations} conversations, {args.rounds} interleaved rounds; reply POSTed to a loopback stub")
    print(f"{'server':<26}{'turns/s':>9}{'median ms':>11}{'p95 ms':>9}{'replies/turn':>14}{'failed':>8}")
    rates = {}
    medians = {}
    for t in targets:
        rates[t.role] = len(t.latencies) / t.seconds if t.seconds else 0.0
        medians[t.role] = statistics.median(t.latencies) * 1000
        p95 = statistics.quantiles(t.latencies, n=20)[-1] * 1000 if len(t.latencies) > 1 else medians[t.role]
        print(f"{t.name:<26}{rates[t.role]:>9.1f}{medians[t.role]:>11.1f}{p95:>9.1f}"
              f"{t.stub.replies / max(len(t.latencies), 1):>14.2f}{t.failures:>8}")
    if rates["echo"] and medians["echo"]:
        print(f"ratio ours/stock: turns/s x{rates['ours'] / rates['echo']:.2f}, "
              f"median latency x{medians['ours'] / medians['echo']:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--conversations", type=int, default=24)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--serve", choices=("ours", "echo"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        sys.path.insert(0, str(ROOT))
        asyncio.run(_serve(args.serve))
        return
    if min(args.turns, args.concurrency, args.conversations, args.rounds) < 1:
        parser.error("--turns, --concurrency, --conversations and --rounds must be at least 1")
    targets = asyncio.run(drive(args))
    report(targets, args)
    if any(t.failures for t in targets) or any(t.stub.replies < len(t.latencies) for t in targets):
        raise SystemExit("some turns failed or got no reply")


if __name__ == "__main__":
    main()
