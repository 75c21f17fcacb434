#!/bin/sh
# Hot path of the reference architecture, live: a simulated fleet -> iot-ingest -> iot-route,
# which fans every event out at once to
#   - threshold alerts: an alerts file and a command (here a shell loop writing a log),
#   - 1-minute aggregates: an iot-window child process,
#   - the data lake: every raw event, zstd, partitioned by day, device type and hour.
#   examples/hot-path.sh [OUTDIR]     (COUNT=5000 RATE=5000 by default)
set -eu
out=${1:-$(mktemp -d "${TMPDIR:-/tmp}/hot-path.XXXXXX")}
count=${COUNT:-5000}
rate=${RATE:-5000}
mkdir -p "$out"
ALERT='(deviceType == "Compressor" && temperature > 85) || (deviceType != "Compressor" && temperature > 65) || vibration > 8'

iot-sim --live --devices 25 --rate "$rate" --count "$count" --anomalies 0.01 --seed 3 |
    iot-ingest |
    iot-route \
        -r "alerts: $ALERT => file:$out/alerts.ndjson, sh:while read -r a; do echo \"ALERT \$a\"; done >> '$out/notifications.log'" \
        -r "minutes: => exec:iot-window --tumbling 1m -a count(),avg(temperature),max(vibration) -o '$out/minutes.ndjson'" \
        -r "lake: => file:$out/lake/{yyyy}/{MM}/{dd}/{deviceType}-{HH}.ndjson.zst" \
        --fallback drop --stats 2> "$out/route-stats.json"

lake=$(find "$out/lake" -name '*.ndjson.zst' ! -name '.*' -exec zstd -dcq {} + | wc -l)
alerts=$(wc -l < "$out/alerts.ndjson" 2>/dev/null || echo 0)
echo "hot path: $count events simulated at $rate/s"
echo "  lake:    $lake events in $(find "$out/lake" -name '*.zst' | wc -l) zstd segments under $out/lake"
echo "  alerts:  $alerts (file and command: $(wc -l < "$out/notifications.log" 2>/dev/null || echo 0) notifications)"
echo "  minutes: $(wc -l < "$out/minutes.ndjson") one-minute aggregate rows"
