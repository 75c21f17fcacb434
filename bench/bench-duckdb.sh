#!/bin/sh
# iot-window against DuckDB on DuckDB's own ground: the issue-4 task (1-minute tumbling windows
# per device; count/avg/min/max temperature, avg/stdev vibration) on the same NDJSON, one thread
# each, side by side in one run. DuckDB is installed from the npm registry into build/duckdb
# (skipped when npm or the registry is not there). Times: medians of 3, query time as DuckDB
# reports it (start-up excluded) and iot-window's whole run (start-up included).
. bench/common.sh
N=${BENCH_N:-2000000}
bench_input "$N" 1000
dir=build/duckdb
if [ ! -d "$dir/node_modules/@duckdb/node-api" ]; then
    command -v npm > /dev/null || { echo "duckdb: npm not installed; skipped"; exit 0; }
    mkdir -p "$dir"
    (cd "$dir" && npm install --silent --no-audit --no-fund @duckdb/node-api > /dev/null 2>&1) ||
        { echo "duckdb: npm install @duckdb/node-api failed; skipped"; exit 0; }
fi
cp bench/duckdb/window.mjs "$dir/window.mjs"
A='count(),avg(temperature),min(temperature),max(temperature),avg(vibration),stdev(vibration)'
duck=$(for i in 1 2 3; do node "$dir/window.mjs" "$f" | sed 's/.*"seconds":\([0-9.]*\).*/\1/'; done | median)
set -- $(run_timed 3 $one iot-window --tumbling 1m -a "$A" "$f")
iot=$1
report "iot-window 1-min tumbling (whole run)" "$N" "$bytes" "$iot" "$2" 2500000
report "DuckDB $(cd $dir && node -e "process.stdout.write(require('@duckdb/node-api/package.json').version)") 1 thread (query only)" "$N" "$bytes" "$duck" 0 0
awk -v a="$duck" -v b="$iot" 'BEGIN { printf "  iot-window / DuckDB speed: %.2fx\n", a / b }'
