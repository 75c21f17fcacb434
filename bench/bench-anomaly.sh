#!/bin/sh
# iot-anomaly: speed annotating one field with auto (target 1.5 M rec/s, one core), peers side by
# side, and detection quality on iot-sim --truth streams (target: recall >= 0.9 for spikes, dips
# and level shifts with <= 1 false alert per device-day on 1 s data; bench/anomaly-eval.awk says
# how alerts are matched to labelled events).
. bench/common.sh
N=${N:-1000000}
f=$(telemetry "$N" 1000)
bytes=$(wc -c < "$f")
set -- $(run_timed 3 iot-anomaly -f temperature "$f");                report "iot-anomaly -f temperature (auto)" "$N" "$bytes" "$1" "$2" 1500000
set -- $(run_timed 3 iot-anomaly -f temperature,pressure,vibration "$f"); report "iot-anomaly 3 fields (auto)" "$N" "$bytes" "$1" "$2" 0
set -- $(run_timed 3 iot-anomaly -f temperature --alerts "$f");       report "iot-anomaly --alerts (auto)" "$N" "$bytes" "$1" "$2" 0
set -- $(run_timed 3 iot-anomaly -m ewma -f temperature "$f");        report "iot-anomaly -m ewma" "$N" "$bytes" "$1" "$2" 0
set -- $(run_timed 3 iot-anomaly -m spikedip -f temperature "$f");    report "iot-anomaly -m spikedip (history 120)" "$N" "$bytes" "$1" "$2" 0
command -v mawk >/dev/null && { set -- $(run_timed 3 mawk -F'"temperature":' '{ split($2, a, ","); s[$1] += a[1]; print }' "$f"); report "peer: mawk field split + print" "$N" "$bytes" "$1" "$2" 0; }
if command -v jq >/dev/null; then
    head -n 100000 "$f" > "$BENCH_DATA/anom-100k.ndjson"
    set -- $(run_timed 3 jq -c '. + {anomaly: {score: 0}}' "$BENCH_DATA/anom-100k.ndjson"); report "peer: jq -c add member (100k)" 100000 "$(wc -c < "$BENCH_DATA/anom-100k.ndjson")" "$1" "$2" 0
fi
# The machine is shared: CPU time (user+sys) is the fairer speed figure; median of 5.
cpu_rate() {
    name=$1; shift
    for i in 1 2 3 4 5; do
        /usr/bin/time -f "%U %S" -o "$BENCH_DATA/anom-cpu.$i" "$@" > /dev/null 2>&1
    done
    cpu=$(for i in 1 2 3 4 5; do awk '{ print $1 + $2 }' "$BENCH_DATA/anom-cpu.$i"; done | median)
    awk -v name="$name" -v n="$N" -v c="$cpu" 'BEGIN { if (c <= 0) c = 0.001
        printf "%-44s %8.2f M rec/s per CPU second (user+sys %.2f s, median of 5)  target 1.50 M: %s\n",
            name, n / c / 1e6, c, (n / c >= 1500000 ? "meets" : sprintf("MISSES by %.0f%%", 100 * (1 - n / c / 1500000))) }'
}
cpu_rate "iot-anomaly -f temperature (auto), CPU" iot-anomaly -f temperature "$f"
echo "state per series (auto): 200 bytes, no heap (tests/unit/test_detect checks <= 300)"

# quality: 20 devices, 1 day of 1 s samples, anomalies injected with ground truth
q="$BENCH_DATA/anom-truth-20x1d.ndjson"
[ -s "$q" ] || iot-sim --devices 20 --duration 1d --interval 1s --truth --anomalies 0.0005 --seed 3 > "$q"
# Reported seed 3; the detector's constants were tuned on seeds 7 and 11 only.
for m in auto spikedip; do
    echo "quality, method $m, fields temperature,pressure,vibration, 20 devices x 1 day at 1 s:"
    iot-anomaly -m "$m" -f temperature,pressure,vibration "$q" |
        mawk -v FIELDS=temperature,pressure,vibration -v DAYS=1 -f bench/anomaly-eval.awk | sed 's/^/  /'
done
# the same at 1 min (issue 12: the default must hold whatever the event rate): 20 devices x 60 days
q60="$BENCH_DATA/anom-truth-20x60d-1m.ndjson"
[ -s "$q60" ] || iot-sim --devices 20 --duration 60d --interval 1m --truth --anomalies 0.0005 --seed 3 > "$q60"
echo "quality, method auto, fields temperature,pressure,vibration, 20 devices x 60 days at 1 min:"
iot-anomaly -f temperature,pressure,vibration "$q60" |
    mawk -v FIELDS=temperature,pressure,vibration -v DAYS=60 -f bench/anomaly-eval.awk | sed 's/^/  /'
