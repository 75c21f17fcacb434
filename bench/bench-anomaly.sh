#!/bin/sh
# iot-anomaly: speed annotating one field with auto (target 1.5 M rec/s, one core), peers side by
# side, and detection quality on iot-sim --truth streams (target: recall >= 0.9 for spikes, dips
# and level shifts with <= 1 false alert per device-day on 1 s data).
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
echo "state per series (auto): 176 bytes, no heap (tests/unit/test_detect checks <= 300)"

# quality: 20 devices, 1 day of 1 s samples, anomalies injected with ground truth
q="$BENCH_DATA/anom-truth-20x1d.ndjson"
[ -s "$q" ] || iot-sim --devices 20 --duration 1d --interval 1s --truth --anomalies 0.0005 --seed 3 > "$q"
for m in auto spikedip; do
    echo "quality, method $m, fields temperature,pressure,vibration, 20 devices x 1 day at 1 s:"
    iot-anomaly -m "$m" -f temperature,pressure,vibration "$q" |
        mawk -v FIELDS=temperature,pressure,vibration -v DAYS=1 -f bench/anomaly-eval.awk | sed 's/^/  /'
done
