#!/bin/sh
# iot-plot on one core: 1 M points of one device (one sample a second, ~11.6 days) to an SVG
# time series; target < 1 s. Peak RSS at 100 k, 1 M and 4 M points: it should not grow with
# the input (M4 buckets sized by the picture). Also 1 M records of 1000 devices, 2 fields
# (64 keys drawn, the rest counted), and the fleet report of the same input.
. bench/common.sh
one=""
command -v taskset > /dev/null 2>&1 && one="taskset -c 0"
points() {   # points N: a one-device file of N samples
    p="$BENCH_DATA/plot-points-$1.ndjson"
    [ -s "$p" ] || mawk -v n="$1" 'BEGIN { srand(2); for (i = 0; i < n; i++) {
        v = 20 + rand(); if (i % 99991 == 4321) v = 100
        printf "{\"deviceId\":\"d\",\"timestamp\":%d,\"temperature\":%.3f}\n", 1767225600 + i, v } }' > "$p"
    echo "$p"
}
for n in 100000 1000000 4000000; do
    p=$(points "$n")
    cat "$p" > /dev/null
    set -- $(run_timed 3 $one iot-plot -o /dev/null "$p")
    report "iot-plot: $n points, one series" "$n" "$(wc -c < "$p")" "$1" "$2" 0
    [ "$n" = 1000000 ] && awk -v s="$1" 'BEGIN { printf "  1 M points to SVG: %.2f s wall, target < 1 s: %s\n", s, s < 1 ? "meets" : "MISSES" }'
done
bench_input 1000000 1000
set -- $(run_timed 3 $one iot-plot -f temperature,vibration -o /dev/null "$f")
report "iot-plot: 1 M records, 1000 devices, 2 fields" 1000000 "$bytes" "$1" "$2" 0
set -- $(run_timed 3 $one iot-plot --report -f temperature,vibration -o /dev/null "$f")
report "iot-plot --report: same input" 1000000 "$bytes" "$1" "$2" 0
