"""HTTP turns per second: ``mailflow serve`` next to a stock botbuilder echo bot with ConversationState.

``mailflow serve --no-checks`` runs as the real command (its default storage, in a scratch working directory, no
MicrosoftAppId); the echo bot is the SDK sample's shape in a subprocess (both: bench/harness.py). This process
runs one loopback Bot Connector stub per server (answering every reply POST) and the load: C turns at a time,
spread over several conversations, in rounds of the same length taken by each server in turn, so that whatever
else the machine is doing hits both alike. turns/s is given for each server's best and median round, CPU per
turn (the server process's, from /proc, so other load on the machine hardly moves it) for its cheapest round.
With two or more CPUs the servers share the last one and the load runs on the others, as on a box where the bot
has a core of its own.
Prints figures; fails only when a turn did not get a 201 and a reply to its activity.
Run: .venv/bin/python bench/http_turns.py [--seconds 2] [--rounds 6] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import ClientSession, ClientTimeout
from harness import Server, placement, send_turn

# The ours script walks the general explanation and back, so turns hit questions, summaries and undo.
SCRIPT = ("hi", "1", "next", "next", "summary", "back", "next", "next", "next", "restart")


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
class Load:
    """One server's rounds, and where each of its conversations is in SCRIPT."""

    server: Server
    rounds: list[Round] = field(default_factory=list)
    positions: dict[str, int] = field(default_factory=dict)


_ids = itertools.count(1)


async def _turn(session: ClientSession, load: Load, conversation: str, sent: list[str],
                latencies: list[float]) -> int:
    """One turn; returns 1 when it failed (not a 201, or no answer at all)."""
    position = load.positions.get(conversation, 0)
    load.positions[conversation] = position + 1
    activity_id = f"a{next(_ids)}"
    ok, seconds = await send_turn(session, load.server, conversation, SCRIPT[position % len(SCRIPT)], activity_id)
    latencies.append(seconds)
    sent.append(activity_id)
    return 0 if ok else 1


async def _round(session: ClientSession, load: Load, seconds: float, concurrency: int,
                 conversations: int) -> Round:
    """Turns for ``seconds``, ``concurrency`` at a time; each worker owns its conversations (one turn at a time)."""
    server = load.server
    latencies: list[float] = []
    sent: list[str] = []
    replies_before = server.stub.replies

    async def worker(w: int) -> int:
        mine = [f"{server.role}-c{c}" for c in range(w, conversations, concurrency)] or [f"{server.role}-w{w}"]
        failed = 0
        for i in itertools.count():
            if time.perf_counter() >= deadline:
                return failed
            failed += await _turn(session, load, mine[i % len(mine)], sent, latencies)
        return failed

    cpu, load_cpu = server.cpu_seconds(), time.process_time()
    began = time.perf_counter()
    deadline = began + seconds
    failed = sum(await asyncio.gather(*(worker(w) for w in range(concurrency))))
    seconds = time.perf_counter() - began
    unanswered = sum(activity_id not in server.stub.answered for activity_id in sent)
    return Round(seconds, latencies, failed + unanswered, server.stub.replies - replies_before,
                 server.cpu_seconds() - cpu, time.process_time() - load_cpu)


async def drive(args: argparse.Namespace, server_cpus: set[int] | None,
                driver_cpus: set[int] | None) -> list[Load]:
    loads = [Load(Server("mailflow serve", "ours")), Load(Server("stock echo bot + state", "echo"))]
    if driver_cpus:
        os.sched_setaffinity(0, driver_cpus)
    for load in loads:
        await load.server.stub.start()
    with tempfile.TemporaryDirectory(prefix="mailflow-bench-") as workdir:
        try:
            for load in loads:
                load.server.start(Path(workdir), server_cpus)
            async with ClientSession(timeout=ClientTimeout(total=60)) as session:
                for load in loads:  # warm-up: imports, first connector clients, lazy SDK set-up
                    await _round(session, load, 0.5, args.concurrency, args.conversations)
                for _ in range(args.rounds):
                    for load in loads:
                        load.rounds.append(await _round(session, load, args.seconds, args.concurrency,
                                                        args.conversations))
        finally:
            for load in loads:
                load.server.stop()
                await load.server.stub.stop()
    return loads


def report(loads: list[Load], args: argparse.Namespace, server_cpus: set[int] | None) -> None:
    print(f"HTTP turns on 127.0.0.1: {args.rounds} interleaved rounds of {args.seconds:g} s per server, "
          f"{args.concurrency} concurrent, {args.conversations} conversations; replies POSTed to a loopback stub")
    if server_cpus:
        print(f"servers on CPU {sorted(server_cpus)}, load and stubs on the others")
    for load in loads:
        if note := load.server.storage_note():
            print(f"{load.server.name}: {note}")
    print(f"{'server':<24}{'best turns/s':>13}{'median':>8}{'median ms':>11}{'p95 ms':>8}{'CPU ms/turn':>12}"
          f"{'replies/turn':>13}{'errors':>8}")
    best: dict[str, float] = {}
    typical: dict[str, float] = {}
    cpu: dict[str, float] = {}
    for load in loads:
        s, role = load.server, load.server.role
        latencies = [x for r in load.rounds for x in r.latencies]
        turns = len(latencies)
        best[role] = max(r.rate for r in load.rounds)
        typical[role] = statistics.median(r.rate for r in load.rounds)
        p95 = statistics.quantiles(latencies, n=20)[-1] if turns > 1 else latencies[0]
        cpu[role] = min(r.cpu / len(r.latencies) for r in load.rounds)
        print(f"{s.name:<24}{best[role]:>13.1f}{typical[role]:>8.1f}{statistics.median(latencies) * 1000:>11.1f}"
              f"{p95 * 1000:>8.1f}{cpu[role] * 1000:>12.2f}{sum(r.replies for r in load.rounds) / turns:>13.2f}"
              f"{sum(r.errors for r in load.rounds):>8}")
    print(f"ratio ours/stock: turns/s x{best['ours'] / best['echo']:.2f} (best rounds), "
          f"x{typical['ours'] / typical['echo']:.2f} (median rounds); "
          f"CPU per turn x{cpu['echo'] / cpu['ours']:.2f} less" if cpu["ours"] else "")
    for load in loads:  # a load process near 100% means the server could go faster than it was pushed
        busiest = max(r.load_cpu / r.seconds for r in load.rounds)
        print(f"load and stubs for {load.server.name}: up to {busiest:.0%} of a CPU"
              f"{' (saturated: the figure is a lower bound)' if busiest > 0.9 else ''}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="length of one round")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--conversations", type=int, default=24)
    parser.add_argument("--rounds", type=int, default=6)
    args = parser.parse_args()
    if min(args.concurrency, args.conversations, args.rounds) < 1 or not 0.1 <= args.seconds <= 600:
        parser.error("--concurrency, --conversations and --rounds must be at least 1, --seconds 0.1 to 600")
    server_cpus, driver_cpus = placement()
    loads = asyncio.run(drive(args, server_cpus, driver_cpus))
    report(loads, args, server_cpus)
    if any(r.errors for load in loads for r in load.rounds):
        raise SystemExit("some turns failed or got no reply")


if __name__ == "__main__":
    main()
