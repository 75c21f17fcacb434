#!/bin/sh
# Scale-out: split a stream by key into N shards with iot-route, aggregate each shard in its
# own process (iot-window --emit partial), then merge the partial windows into the same result
# one process gives. Run twice: with plain background jobs, and with GNU parallel.
#   examples/shards.sh [WORKDIR]      (default: a fresh temporary folder; prints its path)
set -eu
w=${1:-$(mktemp -d "${TMPDIR:-/tmp}/shards.XXXXXX")}
n=${SHARDS:-4}
agg='count(),avg(temperature),max(vibration),min(pressure)'
win="--tumbling 1m --lateness 1h"
mkdir -p "$w"
iot-sim --devices 40 --duration 20m --seed 7 > "$w/in.ndjson"

# 1. split: {shard} is the Event Hubs lookup3 hash of deviceId mod N (stable across hosts)
iot-route --shard "$n" --fallback "file:$w/shard-{shard}.ndjson" "$w/in.ndjson"

# 2. one aggregation process per shard, in parallel, then the merge
i=0
while [ "$i" -lt "$n" ]; do
    [ -f "$w/shard-$i.ndjson" ] || : > "$w/shard-$i.ndjson"
    iot-window $win -a "$agg" --emit partial "$w/shard-$i.ndjson" > "$w/partial-$i.ndjson" &
    i=$((i + 1))
done
wait
cat "$w"/partial-*.ndjson | iot-window --merge -a "$agg" > "$w/merged.ndjson"

# 3. the same under GNU parallel (one job per shard file; --sshlogin would spread them over hosts)
if command -v parallel > /dev/null 2>&1; then
    ls "$w"/shard-*.ndjson | parallel -j "$n" "iot-window $win -a '$agg' --emit partial {} > {.}.ppartial"
    cat "$w"/shard-*.ppartial | iot-window --merge -a "$agg" > "$w/merged-parallel.ndjson"
fi

# 4. one process over everything, for comparison
iot-window $win -a "$agg" "$w/in.ndjson" > "$w/single.ndjson"

sort "$w/merged.ndjson" > "$w/a"; sort "$w/single.ndjson" > "$w/b"
if cmp -s "$w/a" "$w/b"; then
    echo "shards: $n shards merged = one process ($(wc -l < "$w/single.ndjson") window rows) in $w"
else
    echo "shards: MISMATCH between merged shards and one process (see $w)" >&2
    exit 1
fi
