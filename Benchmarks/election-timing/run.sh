#!/bin/sh
# Reproduces Benchmarks/ELECTION-TIMING.md from the repository root:
#   swift build -c release && Benchmarks/election-timing/run.sh
# Environment: F (the faultline binary, default .build/release/faultline), SEEDS (default 1..1000),
# OUT (a folder for the database and CSVs, default /tmp/election-timing), JOBS (default: all cores).
set -eu
F=${F:-.build/release/faultline}
SEEDS=${SEEDS:-1..1000}
OUT=${OUT:-/tmp/election-timing}
JOBS=${JOBS:-$(nproc)}
mkdir -p "$OUT"
DB="$OUT/runs.sqlite"

# 1. etcd defaults, 3 members, the leader crashes: measured against the model's prediction.
"$F" sweep Scenarios/etcd-leader-crash.yaml --seeds "$SEEDS" --jobs "$JOBS" --db "$DB" > "$OUT/etcd-leader-crash.sweep" || true
tail -n 3 "$OUT/etcd-leader-crash.sweep"
"$F" report --db "$DB" --format csv --sql "SELECT printf('%llu', r.seed) AS seed, c.seconds FROM recoveries c JOIN latest_runs r ON r.id = c.run_id WHERE r.scenario = 'etcd-leader-crash' AND c.fault_id = 'f1' AND c.metric = 'etcd.leader-won' ORDER BY r.seed" > "$OUT/etcd-leader-crash.csv"
python3 Benchmarks/election-timing/model.py "$OUT/etcd-leader-crash.csv"

# 2. The Raft paper's Figure 16: the leader crash is fault f5 (f1-f4 start the members one by one).
for file in Scenarios/raft-paper/raft-paper-*.yaml; do
    name=$(basename "$file" .yaml)
    "$F" sweep "$file" --seeds "$SEEDS" --jobs "$JOBS" --db "$DB" > "$OUT/$name.sweep" || true
    "$F" report --db "$DB" --format csv --sql "SELECT printf('%llu', r.seed) AS seed, c.seconds FROM recoveries c JOIN latest_runs r ON r.id = c.run_id WHERE r.scenario = '$name' AND c.fault_id = 'f5' AND c.metric = 'etcd.leader-won' ORDER BY r.seed" > "$OUT/$name.csv"
    "$F" report --db "$DB" --format csv --sql "SELECT count(*) AS runs, sum(f.target = 'etcd-leader') AS skipped FROM latest_runs r JOIN faults f ON f.run_id = r.id AND f.fault_id = 'f5' WHERE r.scenario = '$name'" | tail -n 1 > "$OUT/$name.runs"
done
python3 Benchmarks/election-timing/paper.py "$OUT"
