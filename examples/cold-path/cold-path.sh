#!/bin/sh
# Cold path: hourly aggregates over the data lake that iot-route writes
# (file:lake/{yyyy}/{MM}/{dd}/{deviceType}-{HH}.ndjson.zst). Run by cron (see ./crontab).
# Each run takes the segments it has not seen yet (iot-route publishes a segment only when it
# is complete, under its final name, so a listed segment is never half written), merges them in
# event-time order, and feeds iot-window --state: windows still open at the end of a run are
# saved and completed by the next run, so each hour is emitted once, with all its events.
#   cold-path.sh [LAKE [STATEDIR]]      (defaults: $LAKE or ./lake, $STATE or ./cold-state)
# Output: STATEDIR/hourly.ndjson (appended). One run at a time (flock).
# Each segment is processed once: it is added to STATEDIR/processed.list right after the run
# that read it; only a crash between that run's end and the list update (a few ms) would make
# the next run read its segments again.
set -eu
lake=${1:-${LAKE:-lake}}
st=${2:-${STATE:-cold-state}}
agg=${AGG:-count(),avg(temperature),max(temperature),p95(vibration)}
mkdir -p "$st"
exec 9> "$st/lock"
flock -n 9 || { echo "cold-path: another run is still active" >&2; exit 0; }
touch "$st/processed.list"
find "$lake" -type f -name '*.ndjson.zst' ! -name '.*' | LC_ALL=C sort > "$st/all.list"
LC_ALL=C comm -23 "$st/all.list" "$st/processed.list" > "$st/new.list"
n=$(wc -l < "$st/new.list")
if [ "$n" -eq 0 ]; then echo "cold-path: no new segment"; exit 0; fi

# lake paths come from iot-route templates: no blanks, no shell characters
# shellcheck disable=SC2046
iot-ingest --merge $(cat "$st/new.list") |
    iot-window --tumbling 1h --lateness 0 --state "$st/window.state" -a "$agg" > "$st/run.ndjson"
cat "$st/run.ndjson" >> "$st/hourly.ndjson"
LC_ALL=C sort -u "$st/processed.list" "$st/new.list" > "$st/processed.tmp"
mv "$st/processed.tmp" "$st/processed.list"
echo "cold-path: $n new segments, $(wc -l < "$st/run.ndjson") hourly rows"
