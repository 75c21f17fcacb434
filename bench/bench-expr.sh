#!/bin/sh
# Value expressions (issue 15) on one core, 1000-device telemetry: iot-ingest --eval of two
# arithmetic fields (target >= 1.5 M rec/s) and iot-window with one expression aggregate
# (target >= 2.5 M rec/s), each next to the same run without expressions.
. bench/common.sh
N=${BENCH_N:-2000000}
bench_input "$N" 1000

set -- $(run_timed 3 $one iot-ingest "$f")
report "ingest: pass (no expressions)" "$N" "$bytes" "$1" "$2" 0
set -- $(run_timed 3 $one iot-ingest --eval 'tempF = temperature * 9 / 5 + 32' --eval 'dp = pressure - 101.325' "$f")
report "ingest --eval: two arithmetic fields" "$N" "$bytes" "$1" "$2" 1500000
set -- $(run_timed 3 $one iot-ingest --where 'temperature > 70 && deviceType == "CNC-Machine"' "$f")
report "ingest --where: a condition" "$N" "$bytes" "$1" "$2" 0

set -- $(run_timed 3 $one iot-window --tumbling 1m -a 'avg(pressure)' "$f")
report "window: avg(pressure)" "$N" "$bytes" "$1" "$2" 0
set -- $(run_timed 3 $one iot-window --tumbling 1m -a 'avg(pressure - 1)' "$f")
report "window: avg(pressure - 1)" "$N" "$bytes" "$1" "$2" 2500000
set -- $(run_timed 3 $one iot-window --tumbling 1m -a 'sum(iff(vibration > 12, 1, 0)) as hi' "$f")
report "window: sum(iff(vibration > 12, 1, 0))" "$N" "$bytes" "$1" "$2" 0
