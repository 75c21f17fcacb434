#!/bin/sh
# make demo: a short simulated-fleet pipeline with a readable summary on the terminal.
# Simulated day of 20 devices at 10 s → ingest → 1-hour windows, anomaly alerts and routing.
set -eu
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
have() { command -v "$1" >/dev/null 2>&1; }
echo "iotkit demo — a simulated fleet through the hot and cold paths"
echo
echo "1. iot-sim: 20 devices, 2 days at 10 s, wear to failure, injected anomalies, delivery faults"
iot-sim --devices 20 --duration 2d --interval 10s --events --truth --anomalies 0.0005 \
        --faults late=0.01:30s,dup=0.001,malformed=0.0005 --seed 7 --assets "$work/assets.ndjson" > "$work/raw.ndjson"
printf '   %s lines, e.g.\n   %s\n' "$(wc -l < "$work/raw.ndjson")" "$(grep -m1 telemetry "$work/raw.ndjson" | cut -c1-160)"
src=$work/raw.ndjson
if have iot-ingest; then
    echo
    echo "2. iot-ingest: validate, dedupe, enrich from the asset registry; broken lines to a dead-letter file"
    iot-ingest --dedupe --assets "$work/assets.ndjson" --dead-letter "$work/dead.ndjson" \
        --stats "$src" > "$work/clean.ndjson" 2> "$work/ingest-stats.json" || true
    printf '   stats: %s\n' "$(tail -1 "$work/ingest-stats.json")"
    printf '   dead-lettered: %s line(s), e.g. %s\n' "$(wc -l < "$work/dead.ndjson")" "$(head -1 "$work/dead.ndjson" | cut -c1-120)"
    src=$work/clean.ndjson
fi
if have iot-window; then
    echo
    echo "3. iot-window: 6-hour tumbling windows per device (first 5 rows)"
    grep '"telemetry"' "$src" | iot-window --tumbling 6h --lateness 1m -q \
        -a 'count(),avg(temperature),max(temperature),avg(vibration),stdev(vibration)' > "$work/win.ndjson" || true
    printf '   %-12s %-25s %6s %8s %8s %8s %8s\n' deviceId windowEnd count avgTemp maxTemp avgVib sdVib
    head -5 "$work/win.ndjson" | jq -r '[.deviceId, .windowEnd, .count, (.avg_temperature*10|round/10),
        .max_temperature, (.avg_vibration*100|round/100), (.stdev_vibration*1000|round/1000)] | @tsv' |
        awk -F'\t' '{printf "   %-12s %-25s %6s %8s %8s %8s %8s\n", $1, $2, $3, $4, $5, $6, $7}'
fi
if have iot-anomaly; then
    echo
    echo "4. iot-anomaly: alerts on vibration and temperature (first 5)"
    grep '"telemetry"' "$src" | iot-anomaly -f vibration,temperature --alerts -q > "$work/alerts.ndjson" || true
    printf '   %s alerts; ground truth: %s samples inside injected anomalies (spikes, shifts, stuck spans)\n' "$(wc -l < "$work/alerts.ndjson")" \
        "$(grep '"_anomaly":"' "$src" | grep -vc '"_anomaly":"none"' || true)"
    head -5 "$work/alerts.ndjson" | sed 's/^/   /'
fi
if have iot-route; then
    echo
    echo "5. iot-route: failures and over-limit readings to files, everything to a zstd data lake"
    (cd "$work" && iot-route -r 'failures: messageType == "failure" => file:failures.ndjson' \
        -r 'hot: priority == "high" => file:hot.ndjson' \
        -r 'lake: true => file:lake/{yyyy}/{MM}/{dd}/{deviceType}.ndjson.zst' --fallback drop < "$src" || true)
    printf '   failures.ndjson: %s failure records; hot.ndjson: %s records over a limit; lake files:\n' \
        "$(wc -l < "$work/failures.ndjson" 2>/dev/null || echo 0)" "$(wc -l < "$work/hot.ndjson" 2>/dev/null || echo 0)"
    (cd "$work" && find lake -type f | sort | head -8 | sed 's/^/     /')
fi
if have iot-plot; then
    echo
    echo "6. iot-plot: the README's picture (three devices, 12 hours, anomalies and alerts)"
    sh "$(dirname "$0")/plot-picture.sh" "$work/fleet.svg"
    printf '   %s (%s bytes); the committed examples/fleet.svg is the same picture\n' "$work/fleet.svg" "$(wc -c < "$work/fleet.svg")"
    cmp -s "$work/fleet.svg" "$(dirname "$0")/fleet.svg" || echo "   note: it differs from examples/fleet.svg (run examples/plot-picture.sh to refresh it)"
fi
echo
echo "Done. See README.md and man iot (man -l man/iot.7) for more."
