#!/bin/sh
# Cold path: hourly aggregates over the data lake that iot-route writes
# (file:lake/{yyyy}/{MM}/{dd}/{deviceType}-{HH}.ndjson.zst). Run by cron (see ./crontab).
# Each run takes the segments it has not seen yet (iot-route publishes a segment only when it
# is complete, under its final name, so a listed segment is never half written), merges them in
# event-time order into one batch file, and feeds it to iot-window --state -o FILE --append:
# windows still open at the end of a run are saved and completed by the next run, so each hour
# is emitted once, with all its events.
#   cold-path.sh [LAKE [STATEDIR]]      (defaults: $LAKE or ./lake, $STATE or ./cold-state)
# Output: STATEDIR/hourly.ndjson (appended). One run at a time (flock).
# Exactly once, whenever the job is killed (iot(7), COMMIT PROTOCOL): iot-window writes and
# fsyncs its rows, then renames its state (the single commit point, which records the output's
# length and the batch file's identity). A batch that exists at start is the previous run's,
# interrupted: it is fed again — iot-window cuts hourly.ndjson back to the committed length,
# or, if the batch was already committed, does nothing — and only then marked processed.
set -eu
lake=${1:-${LAKE:-lake}}
st=${2:-${STATE:-cold-state}}
agg=${AGG:-count(),avg(temperature),max(temperature),p95(vibration)}
mkdir -p "$st"
exec 9> "$st/lock"
flock -n 9 || { echo "cold-path: another run is still active" >&2; exit 0; }
touch "$st/processed.list"
if [ ! -f "$st/batch.ndjson" ]; then
    find "$lake" -type f -name '*.ndjson.zst' ! -name '.*' | LC_ALL=C sort > "$st/all.list"
    LC_ALL=C comm -23 "$st/all.list" "$st/processed.list" > "$st/batch.list"
    n=$(wc -l < "$st/batch.list")
    if [ "$n" -eq 0 ]; then echo "cold-path: no new segment"; exit 0; fi
    # lake paths come from iot-route templates: no blanks, no shell characters
    # shellcheck disable=SC2046
    iot-ingest --merge -o "$st/batch.tmp" $(cat "$st/batch.list")
    mv "$st/batch.tmp" "$st/batch.ndjson"      # the batch is fixed from here on
else
    echo "cold-path: finishing the interrupted batch first"
fi
n=$(wc -l < "$st/batch.list")
before=0
[ -f "$st/hourly.ndjson" ] && before=$(wc -l < "$st/hourly.ndjson")
iot-window --tumbling 1h --lateness 0 --state "$st/window.state" -a "$agg" \
    -o "$st/hourly.ndjson" --append "$st/batch.ndjson"
LC_ALL=C sort -u "$st/processed.list" "$st/batch.list" > "$st/processed.tmp"
mv "$st/processed.tmp" "$st/processed.list"
rm "$st/batch.ndjson"
echo "cold-path: $n new segments, hourly.ndjson now $(wc -l < "$st/hourly.ndjson") rows (was $before)"
