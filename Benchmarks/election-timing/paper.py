#!/usr/bin/env python3
"""Summaries of the Raft-paper scenarios (Scenarios/raft-paper/) next to what the paper reports.

Usage: paper.py DIR, where DIR holds raft-paper-<range>.csv files of `seed,seconds` (etcd.leader-won of
the leader crash, fault f5) and raft-paper-<range>.runs files with `runs,skipped` (runs swept, and runs
whose crash found no leader to crash). Standard library only.
"""
import math
import os
import sys

# What the paper says (Ongaro & Ousterhout 2014, section 9.3 / Figure 16; dissertation section 9.4).
PAPER = {
    "150-150": "100 trials; consistently > 10 s (many split votes)",
    "150-155": "median 287 ms",
    "150-175": "not quoted (between 150-155 and 150-200)",
    "150-200": "max 513 ms over 1,000 trials",
    "150-300": "not quoted (recommended range)",
    "12-24": "mean 35 ms, max 152 ms",
}
ORDER = ["150-150", "150-155", "150-175", "150-200", "150-300", "12-24"]
# The paper measures until the followers receive the new leader's first heartbeat: one one-way latency
# (6-8 ms here) after the candidate wins.
HEARTBEAT_ARRIVAL = 0.007


def percentile(values, q):
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q / 100.0 * len(ordered))) - 1]


def main():
    folder = sys.argv[1]
    series = {}
    print("| timeouts | runs | measured | min | mean | p50 | p90 | p99 | max | paper (crash to first heartbeat) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for name in ORDER:
        path = os.path.join(folder, f"raft-paper-{name}.csv")
        if not os.path.exists(path):
            continue
        values = []
        with open(path) as handle:
            for line in handle:
                parts = line.strip().split(",")
                if len(parts) >= 2 and parts[0] not in ("seed", ""):
                    values.append(float(parts[1]) + HEARTBEAT_ARRIVAL)
        runs = len(values)
        runs_path = os.path.join(folder, f"raft-paper-{name}.runs")
        if os.path.exists(runs_path):
            runs = int(open(runs_path).read().split(",")[0])
        series[name] = values
        if not values:
            print(f"| {name} ms | {runs} | 0 | | | | | | | {PAPER[name]} |")
            continue
        ms = lambda v: f"{v * 1000:.0f} ms" if v < 1 else f"{v:.2f} s"
        print(f"| {name} ms | {runs} | {len(values)} | {ms(min(values))} | {ms(sum(values) / len(values))} | {ms(percentile(values, 50))} | "
              f"{ms(percentile(values, 90))} | {ms(percentile(values, 99))} | {ms(max(values))} | {PAPER[name]} |")
    print()
    print("Cumulative share of runs with a new leader by time t after the crash (of the runs that measured it):")
    print()
    grid = [0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.75, 1.0, 2.0, 5.0, 10.0, 20.0]
    names = [n for n in ORDER if series.get(n)]
    print("     t     " + "".join(f"{n:>10}" for n in names))
    for t in grid:
        cells = "".join(f"{sum(1 for v in series[n] if v <= t) / len(series[n]) * 100:9.1f}%" for n in names)
        print(f"  {t:7.3f} s" + cells)


if __name__ == "__main__":
    main()
