"""Load: N conversations at once, each a whole scripted case, against ``mailflow serve`` and a stock echo bot.

Both servers come from bench/harness.py (``mailflow serve --no-checks`` with its default sqlite store in a scratch
working directory; the SDK sample's echo bot with ConversationState over MemoryStorage), each with a loopback Bot
Connector stub. A round starts N new conversations together; each plays one script of tests/scripts.py from its
first answer to its outcome, one turn at a time (it waits for the response before the next). The echo bot gets
the same texts. Rounds alternate between the servers so machine noise hits both. Then, for ours only: the size
of each stored conversation record (read back from the sqlite file with bot.storage_sqlite after the server has
stopped) and the growth of the server's resident memory per idle stored conversation (VmRSS before and after M
more conversations of one or two turns each, left idle).
Prints figures and whether each target is met; exits non-zero only when a turn failed (not a 201), got no reply
at the stub, or a conversation has no stored record.
Run: .venv/bin/python bench/load.py [--conversations 200] [--rounds 2] [--idle 5000] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import ClientSession, ClientTimeout, TCPConnector
from harness import CHANNEL, ROOT, STATE_FILE, Server, placement, send_turn

TARGET_RATIO = 4.0  # ours/stock turns/s, as for one conversation at a time
TARGET_RECORD = 4096  # bytes of stored JSON per conversation
TARGET_IDLE_RSS = 1024  # bytes of resident memory per idle stored conversation
IDLE_CONCURRENCY = 50  # idle conversations created at once
SETTLE = 2.0  # seconds the server is left alone before the second RSS reading


def _scripts() -> tuple[tuple[str, ...], ...]:
    """The inputs of every scripted case (tests/ is not installed, so it is imported from the checkout)."""
    sys.path.insert(0, str(ROOT))
    from tests.scripts import SCRIPTS

    return tuple(script.inputs for script in SCRIPTS)


@dataclass
class Round:
    seconds: float
    latencies: list[float]
    errors: int  # not a 201
    lost: int  # a 201 without any reply at the stub
    cpu: float  # the server process's CPU seconds during the round
    load_cpu: float  # this process's (load and stubs) CPU seconds during the round

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds


@dataclass
class Load:
    server: Server
    rounds: list[Round] = field(default_factory=list)
    conversations: list[str] = field(default_factory=list)  # every conversation started, for the store check
    peak_rss: int = 0


async def _conversation(session: ClientSession, server: Server, conversation: str, texts: tuple[str, ...],
                        latencies: list[float], accepted: list[str]) -> int:
    """Plays ``texts`` one turn at a time; the number of turns that did not get a 201."""
    errors = 0
    for number, text in enumerate(texts):
        activity_id = f"{conversation}-t{number}"
        ok, seconds = await send_turn(session, server, conversation, text, activity_id)
        latencies.append(seconds)
        if ok:
            accepted.append(activity_id)
        errors += not ok
    return errors


async def _run(session: ClientSession, load: Load, plays: list[tuple[str, tuple[str, ...]]],
               at_once: int) -> Round:
    """The (conversation, texts) plays, ``at_once`` conversations at a time (all of them when that is their
    number); errors and lost turns counted per activity id."""
    server = load.server
    latencies: list[float] = []
    accepted: list[str] = []
    gate = asyncio.Semaphore(at_once)

    async def play(conversation: str, texts: tuple[str, ...]) -> int:
        async with gate:
            return await _conversation(session, server, conversation, texts, latencies, accepted)

    load.conversations.extend(conversation for conversation, _ in plays)
    cpu, load_cpu = server.cpu_seconds(), time.process_time()
    began = time.perf_counter()
    errors = sum(await asyncio.gather(*(play(c, texts) for c, texts in plays)))
    seconds = time.perf_counter() - began
    lost = sum(activity_id not in server.stub.answered for activity_id in accepted)
    return Round(seconds, latencies, errors, lost, server.cpu_seconds() - cpu, time.process_time() - load_cpu)


def _plays(role: str, tag: str, count: int, scripts: tuple[tuple[str, ...], ...],
           offset: int) -> list[tuple[str, tuple[str, ...]]]:
    """``count`` new conversations, the i-th playing script i + offset."""
    return [(f"{role}-{tag}-c{i}", scripts[(i + offset) % len(scripts)]) for i in range(count)]


@dataclass
class Idle:
    """VmRSS before the idle conversations, after the first half of them and after all (each once idle)."""

    conversations: int
    rss: tuple[int, int, int]
    errors: int

    @property
    def overall(self) -> float:
        """Bytes per conversation over all of them, one-off growth (allocator pools, caches) included."""
        return (self.rss[2] - self.rss[0]) / self.conversations

    @property
    def steady(self) -> float:
        """Bytes per conversation over the second half: what each more stored conversation costs."""
        return (self.rss[2] - self.rss[1]) / (self.conversations - self.conversations // 2)


async def _idle(session: ClientSession, ours: Load, count: int, scripts: tuple[tuple[str, ...], ...]) -> Idle:
    """``count`` more conversations of one or two turns, in two halves, VmRSS read once each half is idle."""
    plays = [(c, texts[: 1 + i % 2]) for i, (c, texts) in enumerate(_plays("ours", "idle", count, scripts, 0))]
    rss = [ours.server.memory("VmRSS")]
    errors = 0
    for half in (plays[: count // 2], plays[count // 2:]):
        done = await _run(session, ours, half, IDLE_CONCURRENCY)
        errors += done.errors + done.lost
        await asyncio.sleep(SETTLE)
        rss.append(ours.server.memory("VmRSS"))
    return Idle(count, (rss[0], rss[1], rss[2]), errors)


async def drive(args: argparse.Namespace, scripts: tuple[tuple[str, ...], ...], workdir: Path,
                server_cpus: set[int] | None, driver_cpus: set[int] | None) -> tuple[list[Load], Idle]:
    loads = [Load(Server("mailflow serve", "ours")), Load(Server("stock echo bot + state", "echo"))]
    if driver_cpus:
        os.sched_setaffinity(0, driver_cpus)
    for load in loads:
        await load.server.stub.start()
    try:
        for load in loads:
            load.server.start(workdir, server_cpus)
        connector = TCPConnector(limit=0)  # aiohttp's default of 100 connections would cap the conversations
        async with ClientSession(timeout=ClientTimeout(total=120), connector=connector) as session:
            for load in loads:  # warm-up: imports, first connector clients, lazy SDK set-up
                warm = await _run(session, load, _plays(load.server.role, "warm", 8, scripts, 0), 8)
                load.rounds.append(warm)  # counted for errors, dropped from the figures below
            for number in range(args.rounds):
                for load in loads:
                    plays = _plays(load.server.role, f"r{number}", args.conversations, scripts, number)
                    load.rounds.append(await _run(session, load, plays, args.conversations))
            for load in loads:
                load.peak_rss = load.server.memory("VmHWM")
            idle = await _idle(session, loads[0], args.idle, scripts)
    finally:
        for load in loads:
            load.server.stop()
            await load.server.stub.stop()
    return loads, idle


async def record_sizes(path: Path, conversations: list[str]) -> tuple[list[int], int]:
    """The stored JSON size of each conversation's record, and how many conversations have none."""
    from bot.storage_sqlite import SqliteStorage

    keys = [f"{CHANNEL}/conversations/{conversation}" for conversation in conversations]
    sizes: list[int] = []
    async with SqliteStorage(path) as storage:
        for start in range(0, len(keys), 500):  # sqlite's limit on bound parameters
            found = await storage.read(keys[start:start + 500])
            for item in found.values():
                item.pop("e_tag", None)
                sizes.append(len(json.dumps(item, ensure_ascii=False, separators=(",", ":")).encode()))
    return sizes, len(keys) - len(sizes)


def _ms(values: list[float], cut: int) -> float:
    return statistics.quantiles(values, n=100)[cut - 1] * 1000 if len(values) > 1 else values[0] * 1000


def _met(ok: bool) -> str:
    return "met" if ok else "MISSED"


def report(args: argparse.Namespace, scripts: tuple[tuple[str, ...], ...], loads: list[Load], idle: Idle,
           sizes: dict[str, tuple[list[int], int]], server_cpus: set[int] | None) -> bool:
    """Prints the figures; True when nothing failed or was lost."""
    mean_turns = statistics.mean(len(texts) for texts in scripts)
    print(f"Load on 127.0.0.1: {args.conversations} conversations at once, each a whole scripted case "
          f"({len(scripts)} scripts of tests/scripts.py, {mean_turns:.1f} turns on average), one turn at a time; "
          f"{args.rounds} interleaved rounds per server; replies POSTed to a loopback stub")
    if server_cpus:
        print(f"servers on CPU {sorted(server_cpus)}, load and stubs on the others")
    if note := loads[0].server.storage_note():
        print(f"mailflow serve: {note}")
    print(f"{'server':<24}{'best turns/s':>13}{'median':>8}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}"
          f"{'CPU ms/turn':>12}{'errors':>7}{'lost':>6}{'peak RSS MB':>12}")
    best: dict[str, float] = {}
    typical: dict[str, float] = {}
    for load in loads:
        measured = load.rounds[1:]  # without the warm-up
        latencies = [x for r in measured for x in r.latencies]
        role = load.server.role
        best[role] = max(r.rate for r in measured)
        typical[role] = statistics.median(r.rate for r in measured)
        cpu = min(r.cpu / len(r.latencies) for r in measured)
        print(f"{load.server.name:<24}{best[role]:>13.1f}{typical[role]:>8.1f}{_ms(latencies, 50):>8.0f}"
              f"{_ms(latencies, 95):>8.0f}{_ms(latencies, 99):>8.0f}{cpu * 1000:>12.2f}"
              f"{sum(r.errors for r in load.rounds):>7}{sum(r.lost for r in load.rounds):>6}"
              f"{load.peak_rss / 2**20:>12.1f}")
    for load in loads:  # a load process near 100% means the server could go faster than it was pushed
        busiest = max(r.load_cpu / r.seconds for r in load.rounds[1:])
        print(f"load and stubs for {load.server.name}: up to {busiest:.0%} of a CPU"
              f"{' (saturated: the figure is a lower bound)' if busiest > 0.9 else ''}")
    ratio = best["ours"] / best["echo"]
    print(f"ratio ours/stock turns/s: x{ratio:.2f} (best rounds), x{typical['ours'] / typical['echo']:.2f} "
          f"(median rounds); target >= {TARGET_RATIO:g}: {_met(ratio >= TARGET_RATIO)}")
    failed = sum(r.errors + r.lost for load in loads for r in load.rounds) + idle.errors
    missing = sum(missing for _, missing in sizes.values())
    print(f"errors and lost turns (all phases): {failed}, conversations without a stored record: {missing}; "
          f"target 0: {_met(not failed and not missing)}")
    for label, (values, _) in sizes.items():
        if values:
            print(f"stored state per conversation ({label}, {len(values)} records): max {max(values)} B, "
                  f"mean {statistics.mean(values):.0f} B; target < {TARGET_RECORD}: "
                  f"{_met(max(values) < TARGET_RECORD)}")
    mb = [f"{value / 2**20:.1f}" for value in idle.rss]
    print(f"RSS growth per idle stored conversation: {idle.steady:.0f} B over the second half, "
          f"{idle.overall:.0f} B over all {idle.conversations} (conversations of 1-2 turns; VmRSS "
          f"{' -> '.join(mb)} MB, read {SETTLE:g} s after each half); target < {TARGET_IDLE_RSS} "
          f"(second half): {_met(idle.steady < TARGET_IDLE_RSS)}")
    return not failed and not missing


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=200, help="conversations at once")
    parser.add_argument("--rounds", type=int, default=2, help="rounds per server")
    parser.add_argument("--idle", type=int, default=5000, help="idle conversations for the RSS figure")
    # The idle count stays: with fewer, one-off growth (allocator pools, sqlite's page cache) swamps the figure.
    parser.add_argument("--quick", action="store_true", help="50 conversations, 1 round")
    args = parser.parse_args()
    if args.quick:
        args.conversations, args.rounds = 50, 1
    if min(args.conversations, args.rounds) < 1 or args.idle < 2:
        parser.error("--conversations and --rounds must be at least 1, --idle at least 2")
    scripts = _scripts()
    server_cpus, driver_cpus = placement()
    with tempfile.TemporaryDirectory(prefix="mailflow-load-") as scratch:
        workdir = Path(scratch)
        loads, idle = asyncio.run(drive(args, scripts, workdir, server_cpus, driver_cpus))
        ours = loads[0].conversations
        full = [c for c in ours if "-idle-" not in c]
        idle_ones = [c for c in ours if "-idle-" in c]
        sizes = {"whole cases": asyncio.run(record_sizes(workdir / STATE_FILE, full)),
                 "idle, 1-2 turns": asyncio.run(record_sizes(workdir / STATE_FILE, idle_ones))}
    if not report(args, scripts, loads, idle, sizes, server_cpus):
        raise SystemExit("some turns failed or got no reply, or a conversation was not stored")


if __name__ == "__main__":
    main()
