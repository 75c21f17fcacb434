#!/bin/sh
# iot-state: telemetry records/s into the SQLite store for 10,000 devices (target ≥ 1 M/s on one
# core), the NDJSON snapshot alone, a one-device query (target < 1 ms), and iot-sim with an idle
# --commands stream against iot-sim without it. Wall-clock medians and, as "cpu", user+sys.
. bench/common.sh
N=${BENCH_N:-1000000}
RUNS=${BENCH_RUNS:-3}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

cpu_timed() {   # RUNS CMD...: median user+sys seconds (a fresh database each run)
    runs=$1; shift
    for i in $(seq "$runs"); do
        rm -f "$tmp"/s.sqlite*
        /usr/bin/time -f "%U %S" -o "$tmp/t" "$@" > /dev/null 2>&1; awk '{print $1 + $2}' "$tmp/t"
    done | median
}

bench_input "$N" 10000
set -- $(run_timed "$RUNS" sh -c "rm -f $tmp/s.sqlite*; iot-state --db $tmp/s.sqlite $f")
report "iot-state --db, 10k devices" "$N" "$bytes" "$1" "$2" 1000000
cpu=$(cpu_timed "$RUNS" iot-state --db "$tmp/s.sqlite" "$f")
report "  same, per CPU second" "$N" "$bytes" "$cpu" "$2" 1000000
cpu=$(cpu_timed "$RUNS" iot-state --db "$tmp/s.sqlite" --batch 10000 "$f")
report "  --batch 10000 (100 commits), per CPU second" "$N" "$bytes" "$cpu" "$2" 0
cpu=$(cpu_timed "$RUNS" iot-state --snapshot "$tmp/s.ndjson" "$f")
report "iot-state --snapshot only, per CPU second" "$N" "$bytes" "$cpu" "$2" 0

# one device: 1000 lookups of random devices in one sqlite3 session (device row + its
# properties), and the whole iot-state --get process
iot-state --db "$tmp/q.sqlite" "$f"
id=$(head -1 "$f" | sed 's/.*"deviceId":"\([^"]*\)".*/\1/')
if command -v sqlite3 > /dev/null; then
    sqlite3 "$tmp/q.sqlite" "SELECT device FROM devices ORDER BY random() LIMIT 1000" |
        awk '{ printf "SELECT * FROM devices WHERE device = '\''%s'\'';\nSELECT * FROM properties WHERE device = '\''%s'\'';\n", $1, $1 }' > "$tmp/q.sql"
    t0=$(date +%s%N); sqlite3 "$tmp/q.sqlite" < "$tmp/q.sql" > /dev/null; t1=$(date +%s%N)
    sqlite3 "$tmp/q.sqlite" "SELECT 1" > /dev/null; t2=$(date +%s%N)
    echo "one-device state in SQLite: $(awk -v a="$t0" -v b="$t1" -v c="$t2" 'BEGIN { printf "%.1f", ((b - a) - (c - b)) / 1000 / 1000 }') us per lookup (target < 1 ms)"
fi
t0=$(date +%s%N); for i in $(seq 20); do iot-state --db "$tmp/q.sqlite" --get "$id" > /dev/null; done; t1=$(date +%s%N)
echo "iot-state --get, whole process (start, open, load one device, print): $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", (b - a) / 20 / 1e6 }') ms"

# iot-sim: an idle command stream costs one read per 1024 records
: > "$tmp/none.ndjson"
a=$(cpu_timed "$RUNS" iot-sim --devices 10000 --count 3000000)
b=$(cpu_timed "$RUNS" iot-sim --devices 10000 --count 3000000 --commands "$tmp/none.ndjson")
echo "iot-sim 3M records: $a s CPU without --commands, $b s with an idle command file"
