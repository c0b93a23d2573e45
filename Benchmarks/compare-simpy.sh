#!/usr/bin/env bash
# Faultline vs SimPy on the same ping-pong model (1,000 processes, exponential 1 ms delays), on this
# machine, one after the other. Prints as its last line:
#
#   ratio: <R>x (faultline <F> M events/s, simpy <S> M events/s)
#
# Installs what it needs: SimPy into Benchmarks/.venv (python3 -m venv; on Debian, python3-venv is
# installed with apt-get when missing and we are root), and builds PingPongRate in release mode.
#
# Environment:
#   RUNS=3                best of RUNS runs for each side (the machine may be busy; both sides get the same)
#   FAULTLINE_EVENTS=10000000
#   SIMPY_EVENTS=2000000  SimPy runs ~1 M events/s: 10,000,000 takes a while (rates are per event either way)
set -euo pipefail
cd "$(dirname "$0")"

RUNS="${RUNS:-3}"
FAULTLINE_EVENTS="${FAULTLINE_EVENTS:-10000000}"
SIMPY_EVENTS="${SIMPY_EVENTS:-2000000}"

log() { echo "compare-simpy: $*" >&2; }

# --- Python with SimPy --------------------------------------------------------------------------
command -v python3 >/dev/null 2>&1 || { log "python3 is required (Debian: apt-get install python3 python3-venv)"; exit 1; }
PYTHON=.venv/bin/python
if ! { [ -x "$PYTHON" ] && "$PYTHON" -c "import simpy" >/dev/null 2>&1; }; then
    if ! { [ -x "$PYTHON" ] || python3 -m venv .venv >/dev/null 2>&1; }; then
        # Debian's python3 has no ensurepip until python3-venv is installed.
        rm -rf .venv
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
            log "installing python3-venv with apt-get"
            export DEBIAN_FRONTEND=noninteractive
            apt-get update -qq >/dev/null
            pyver="$(python3 -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
            apt-get install -y -qq python3-venv >/dev/null 2>&1 || apt-get install -y -qq "python${pyver}-venv" >/dev/null
        fi
        python3 -m venv .venv || { log "cannot create a venv: install python3-venv"; exit 1; }
    fi
    log "installing simpy into Benchmarks/.venv"
    "$PYTHON" -m pip install --quiet --disable-pip-version-check simpy
fi

# --- Faultline ----------------------------------------------------------------------------------
if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then
    export PATH="/opt/swift/usr/bin:$PATH"
fi
log "building PingPongRate (release)"
swift build -c release --product PingPongRate >&2
BIN="$(swift build -c release --show-bin-path)/PingPongRate"

# best <command...>: runs the command RUNS times, shows its output (on stderr) and prints the highest
# rate (the second field of its first line, "<name> <rate> M events/s").
best() {
    local top=0 output line rate
    for _ in $(seq "$RUNS"); do
        output="$("$@")"
        sed 's/^/  /' <<<"$output" >&2
        line="${output%%$'\n'*}"
        rate="$(awk '{print $2}' <<<"$line")"
        top="$(awk -v a="$top" -v b="$rate" 'BEGIN { print (b > a) ? b : a }')"
    done
    echo "$top"
}

log "faultline: $FAULTLINE_EVENTS events, best of $RUNS"
F="$(best "$BIN" --events "$FAULTLINE_EVENTS")"
log "simpy: $SIMPY_EVENTS events, best of $RUNS"
S="$(best "$PYTHON" peers/pingpong_simpy.py --events "$SIMPY_EVENTS")"

awk -v f="$F" -v s="$S" 'BEGIN {
    if (s <= 0) { print "compare-simpy: bad SimPy rate " s > "/dev/stderr"; exit 1 }
    printf "ratio: %.1fx (faultline %.2f M events/s, simpy %.3f M events/s)\n", f / s, f, s
}'
