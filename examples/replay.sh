#!/bin/sh
# Replay a day of simulated history at 3600x into a live pipeline: one simulated day takes
# about 24 seconds, timestamps are shifted so that the day starts now, and a downstream
# consumer sees the records arrive spread over those seconds, in event-time order.
#   sh examples/replay.sh [DEVICES]          (default 5 devices, one sample a minute)
set -eu
devices=${1:-5}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT INT TERM

# 1. A day of history, partitioned in two files as a data lake would hold it (by device half).
iot-sim --devices "$devices" --duration 1d --interval 1m --seed 11 --assets "$dir/assets.ndjson" \
    > "$dir/day.ndjson"
awk 'NR % 2' "$dir/day.ndjson" > "$dir/part-a.ndjson"
awk '!(NR % 2)' "$dir/day.ndjson" | zstd -q > "$dir/part-b.ndjson.zst"

# 2. The live pipeline: merged replay at 3600x, rebased to now, enriched, into a consumer
#    that reports what it saw (a stand-in for iot-window / iot-anomaly / iot-route).
start=$(date +%s)
iot-ingest --merge --speed 3600 --rebase now --assets "$dir/assets.ndjson" -u \
    "$dir/part-a.ndjson" "$dir/part-b.ndjson.zst" |
jq -c --unbuffered '{t: (.timestamp | sub("\\.[0-9]+Z$"; "Z") | fromdate), site: .asset.site}' |
awk -v start="$start" '
    { t = $0; sub(/^\{"t":/, "", t); sub(/,.*/, "", t); t += 0
      n++; if (n > 1 && t < t1) bad = 1
      if (n == 1) t0 = t
      t1 = t }
    END {
        printf "records: %d\n", n
        printf "ordered: %s\n", bad ? "no" : "yes"
        printf "span_hours: %d\n", (t1 - t0) / 3600
        printf "wall_seconds: %d\n", systime() - start
    }'
