"""Engine cost per turn, I/O excluded: how much CPU one answer costs on the shared machines.

Target: under 50 us per turn (see README). Prints figures; asserts nothing.
Run: .venv/bin/python bench/engine_turns.py [--conversations N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import tracemalloc

from dialogs.engine import Engine
from dialogs.facts import FACT_TYPES

SAMPLES = {name: fact.example for name, fact in FACT_TYPES.items()} | {"date": "yesterday"}


def script(engine: Engine, menu_choice: str, pick: int) -> list[str]:
    """A whole conversation from the menu to an outcome, taking answer number ``pick`` where it can."""
    result = engine.handle(engine.start().state, menu_choice)
    inputs = [menu_choice]
    for _ in range(60):
        state = engine.flows[result.state["flow"]].states[result.state["state"]]
        if "outcome" in state:
            break
        choices = len(state.get("choices", {})) or 1
        text = SAMPLES[state["fact"]] if "fact" in state else str(min(pick, choices))
        inputs.append(text)
        result = engine.handle(result.state, text)
    return [*inputs, "what is EOP", "summary", "back"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--conversations", type=int, default=2000)
    args = parser.parse_args()
    engine = Engine.default()
    scripts = [script(engine, str(menu), pick) for menu in range(1, 8) for pick in (1, 2, 3)]
    timings: list[float] = []
    sizes: list[int] = []
    for i in range(args.conversations):
        state = engine.start().state
        for text in scripts[i % len(scripts)]:
            began = time.perf_counter_ns()
            state = engine.handle(state, text).state
            timings.append((time.perf_counter_ns() - began) / 1000)
        sizes.append(len(json.dumps(state)))
    tracemalloc.start()
    states = []
    for i in range(1000):
        state = engine.start().state
        for text in scripts[i % len(scripts)][:6]:
            state = engine.handle(state, text).state
        states.append(state)
    current, _peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    timings.sort()
    print(f"engine turns measured: {len(timings):,} over {args.conversations:,} conversations")
    print(f"per turn: median {statistics.median(timings):.1f} us, mean {statistics.fmean(timings):.1f} us, "
          f"p95 {timings[int(len(timings) * 0.95)]:.1f} us, p99 {timings[int(len(timings) * 0.99)]:.1f} us "
          "(target: under 50 us)")
    print(f"stored state per conversation (JSON): median {statistics.median(sizes):.0f} B, max {max(sizes)} B")
    print(f"memory per live conversation state: {current / len(states) / 1024:.1f} KiB")


if __name__ == "__main__":
    main()
