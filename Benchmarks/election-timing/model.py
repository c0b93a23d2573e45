#!/usr/bin/env python3
"""The time from an etcd leader crash to a new leader, as etcd's Raft predicts it, next to what Faultline
measured (a CSV of `seed,seconds` from `faultline report`). Standard library only.

Model (3 members, the leader crashed, two followers i and j; etcd 3.5: tick T = heartbeat-interval,
ElectionTick E = election-timeout / T, pre-vote and check-quorum on; see ELECTION-TIMING.md):

- A follower's election clock restarts at its last message from the leader, h = crash - g.
- Follower k campaigns at its r_k-th own tick after h, r_k uniform in {E .. 2E-1} (drawn when it last
  became follower): D_k = (r_k - 1) T + U_k, U_k in (0, T] the delay to its next tick. With independent
  tick phases U_k is uniform and independent of everything, so D_k is uniform on [(E-1) T, (2E-1) T).
  With aligned phases (every member ticks at the same instants) U_i = U_j.
- The first to time out (i) pre-votes. j grants only outside its leader lease: j has ticked E times since
  h, or j has timed out itself (a pre-candidate has no leader). Else j ignores it; i, a pre-candidate,
  waits a whole new timeout, and j wins at D_j (i grants j's pre-vote: it has no leader either).
- Both become candidates of the same term (a split vote) when j's pre-vote reaches i before i has its
  pre-vote quorum: then both wait a new timeout (r' T from becoming candidate, plus the phase) and try again.
- A won election costs pre-vote round trip + candidate fsync + vote round trip + voter fsync.

g: with a client workload the leader sends each follower a message per client operation, so g is the
time since the last of a Poisson stream of rate `ops_per_second`, or since the last heartbeat (a tick of
the leader, uniform phase), whichever is shorter.
"""
import argparse
import math
import random
import sys


def lognormal(rng, median_ms, sigma, floor_ms):
    return max(floor_ms, median_ms * math.exp(rng.gauss(0.0, sigma))) / 1000.0


class Model:
    def __init__(self, tick, election_ticks, ops_per_second, aligned, latency, fsync):
        self.T = tick
        self.E = election_ticks
        self.rate = ops_per_second
        self.aligned = aligned
        self.latency = latency  # () -> seconds
        self.fsync = fsync      # () -> seconds

    def draw_r(self, rng):
        return rng.randrange(self.E, 2 * self.E)

    def one(self, rng):
        """Returns (seconds from crash to the winning step, rounds with a split vote)."""
        T, E = self.T, self.E
        lat, fs = self.latency, self.fsync
        # Time since the last message the followers got from the leader.
        since_heartbeat = rng.uniform(0.0, T)
        g = min(since_heartbeat, rng.expovariate(self.rate)) if self.rate > 0 else since_heartbeat
        # Round 1, from h: each follower's first tick after h, then its timeout.
        phase = rng.uniform(0.0, T)
        u = [phase, phase] if self.aligned else [rng.uniform(0.0, T), rng.uniform(0.0, T)]
        r = [self.draw_r(rng), self.draw_r(rng)]
        d = [(r[k] - 1) * T + u[k] for k in range(2)]
        tick_e = [(E - 1) * T + u[k] for k in range(2)]  # k's E-th tick: its lease ends
        splits = 0
        start = -g  # h relative to the crash
        in_lease = True
        while True:
            i = 0 if d[0] <= d[1] else 1
            j = 1 - i
            prevote_at_j = d[i] + lat()
            j_grants = (not in_lease) or d[j] <= prevote_at_j or tick_e[j] <= prevote_at_j
            if not j_grants:
                # j ignores i; j times out at d[j] and wins (i, a pre-candidate, grants).
                won = d[j] + lat() + lat() + fs() + lat() + fs() + lat()
                return start + won, splits
            candidate_i = prevote_at_j + lat()
            vote_at_j = candidate_i + fs() + lat()
            j_prevote_at_i = d[j] + lat()
            if d[j] < prevote_at_j or (j_prevote_at_i < candidate_i):
                # j pre-voted before i's grant quorum: i grants it; j becomes a candidate too unless i's
                # vote request reaches it first.
                candidate_j = j_prevote_at_i + lat()
                if j_prevote_at_i < candidate_i and candidate_j < vote_at_j:
                    splits += 1
                    # Both candidates of the same term, each with its own vote: a new timeout from there.
                    phase = rng.uniform(0.0, T)
                    u = [phase, phase] if self.aligned else [rng.uniform(0.0, T), rng.uniform(0.0, T)]
                    became = [candidate_i + fs(), candidate_j + fs()]
                    r = [self.draw_r(rng), self.draw_r(rng)]
                    d = [became[k] + (r[k] - 1) * T + u[k] for k in range(2)]
                    tick_e = [0.0, 0.0]
                    in_lease = False
                    continue
            won = vote_at_j + fs() + lat()
            return start + won, splits


def percentile(values, q):
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100.0 * len(ordered)))
    return ordered[rank - 1]


def summary(values):
    return {
        "n": len(values), "mean": sum(values) / len(values), "p50": percentile(values, 50),
        "p90": percentile(values, 90), "p99": percentile(values, 99), "min": min(values), "max": max(values),
    }


def text_cdf(series, low, high, step, width=50):
    """A text CDF: one row per `step` seconds, one bar per series."""
    names = list(series)
    lines = ["   seconds  " + "  ".join(f"{name:>10}" for name in names)]
    x = low
    while x <= high + 1e-12:
        cells = []
        for name in names:
            values = series[name]
            share = sum(1 for v in values if v <= x) / len(values)
            cells.append(f"{share * 100:9.1f}%")
        # The bar is the last series (the measured one when given).
        bar = "#" * int(round(sum(1 for v in series[names[-1]] if v <= x) / len(series[names[-1]]) * width))
        lines.append(f"  {x:8.3f}  " + "  ".join(cells) + "  " + bar)
        x += step
    return "\n".join(lines)


def read_measured(path):
    values = []
    with open(path) as handle:
        for line in handle:
            parts = line.strip().split(",")
            if len(parts) < 2 or parts[0] in ("seed", ""):
                continue
            values.append(float(parts[1]))
    return values


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("measured", nargs="?", help="CSV seed,seconds of etcd.leader-won (faultline report --format csv)")
    parser.add_argument("--tick-ms", type=float, default=100.0, help="--heartbeat-interval (the tick)")
    parser.add_argument("--election-ticks", type=int, default=10, help="--election-timeout / --heartbeat-interval")
    parser.add_argument("--ops-per-second", type=float, default=5 / 0.105,
                        help="client operations through the leader per second (etcd-leader-crash: 5 clients, think 100 ms + ~5 ms)")
    parser.add_argument("--aligned", action="store_true", help="members tick in lockstep (raft: {tickPhase: aligned})")
    parser.add_argument("--trials", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--split-threshold", type=float, default=None,
                        help="seconds beyond which a run had a second round (default: (2E-1) T + 15 ms)")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    model = Model(
        tick=args.tick_ms / 1000.0, election_ticks=args.election_ticks, ops_per_second=args.ops_per_second,
        aligned=args.aligned,
        latency=lambda: lognormal(rng, 0.5, 0.4, 0.1),  # the scenario's network.latency
        fsync=lambda: rng.uniform(0.0005, 0.003),         # the scenario's storage.fsync
    )
    predicted, split_runs = [], 0
    for _ in range(args.trials):
        seconds, splits = model.one(rng)
        predicted.append(seconds)
        split_runs += splits > 0
    threshold = args.split_threshold or ((2 * args.election_ticks - 1) * args.tick_ms / 1000.0 + 0.015)
    series = {"predicted": predicted}
    if args.measured:
        series["measured"] = read_measured(args.measured)
    print(f"| etcd.leader-won | n | mean | p50 | p90 | p99 | min | max | > {threshold:.3f} s |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, values in series.items():
        s = summary(values)
        beyond = sum(1 for v in values if v > threshold) / len(values)
        print(f"| {name} | {s['n']} | {s['mean']:.3f} | {s['p50']:.3f} | {s['p90']:.3f} | {s['p99']:.3f} | "
              f"{s['min']:.3f} | {s['max']:.3f} | {beyond * 100:.2f}% |")
    print()
    print(f"predicted split-vote rate (runs with at least one split round): {split_runs / args.trials * 100:.3f}%")
    if args.measured:
        measured = sorted(series["measured"])
        ordered = sorted(predicted)
        # Kolmogorov-Smirnov distance between the two CDFs, at every measured value.
        distance, k = 0.0, 0
        for index, value in enumerate(measured):
            while k < len(ordered) and ordered[k] <= value:
                k += 1
            distance = max(distance, abs(k / len(ordered) - (index + 1) / len(measured)), abs(k / len(ordered) - index / len(measured)))
        print(f"Kolmogorov-Smirnov distance {distance:.4f} (5% critical value for n={len(measured)}: {1.36 / math.sqrt(len(measured)):.4f})")
    print()
    low = (args.election_ticks - 1) * args.tick_ms / 1000.0 - args.tick_ms / 1000.0
    high = (2 * args.election_ticks + 1) * args.tick_ms / 1000.0
    print(text_cdf(series, max(0.0, low), high, args.tick_ms / 2000.0))


if __name__ == "__main__":
    main()
