#!/usr/bin/env python3
"""The engine benchmark's ping-pong model in SimPy, for comparison with Faultline's PingPongRate.

1,000 processes; each loops on ``yield env.timeout(random.expovariate(1.0))`` (time unit: 1 ms, so
the mean delay is 1 ms as in ``PingPongWorld``). Every completed timeout is one event. After a short
warm-up run, one fresh environment runs until ``--events`` timeouts have fired (2,000,000 by default:
SimPy runs about a million events a second, so 10,000,000 would take a while; pass
``--events 10000000`` to match Faultline's count exactly). The rate is events / wall seconds of
``env.run`` and is printed as:

    simpy <S> M events/s
"""

import argparse
import random
import sys
import time

import simpy


def run(processes: int, events: int, seed: int) -> float:
    """Runs one fresh environment for ``events`` timeouts; returns the wall seconds of ``env.run``."""
    env = simpy.Environment()
    rng = random.Random(seed)
    expovariate = rng.expovariate
    done = env.event()
    fired = 0

    def process():
        nonlocal fired
        timeout = env.timeout
        while True:
            yield timeout(expovariate(1.0))
            fired += 1
            if fired == events:
                done.succeed()

    for _ in range(processes):
        env.process(process())
    start = time.perf_counter()
    env.run(until=done)
    elapsed = time.perf_counter() - start
    if fired != events:
        raise SystemExit(f"expected {events} events, ran {fired}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2_000_000, help="timeouts to run (default 2,000,000)")
    parser.add_argument("--processes", type=int, default=1_000, help="processes (default 1,000)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.events <= 0 or args.processes <= 0:
        parser.error("--events and --processes must be positive")

    run(args.processes, min(args.events, 100_000), args.seed + 1)  # warm-up
    seconds = run(args.processes, args.events, args.seed)
    rate = args.events / seconds
    print(f"simpy {rate / 1e6:.3f} M events/s")
    print(f"wall: {seconds:.3f} s for {args.events} events, {args.processes} processes, "
          f"SimPy {simpy.__version__}, Python {sys.version.split()[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
