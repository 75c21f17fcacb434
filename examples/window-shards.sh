#!/bin/sh
# Cold path on N cores: GNU parallel splits a day of telemetry into blocks, each block is
# aggregated into mergeable partial windows, and iot-window --merge combines them. The result
# is checked against one process over the whole file.
#   usage: window-shards.sh FILE [N]
# Each shard has its own watermark, so give a lateness at least as large as the disorder of the
# input (here 1h, a batch setting): then no shard sees a late event and the merge is exact.
set -eu
f=$1; n=${2:-4}
aggs='count(),avg(temperature),min(temperature),max(temperature),stdev(vibration),p95(vibration)'
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
parallel --pipe --block 1M -j "$n" \
    iot-window --tumbling 1m --lateness 1h -a "'$aggs'" --emit partial < "$f" > "$tmp/partials"
iot-window --merge -a "$aggs" "$tmp/partials" > "$tmp/merged"
iot-window --tumbling 1m --lateness 1h -a "$aggs" "$f" > "$tmp/single"
if cmp -s "$tmp/merged" "$tmp/single"; then
    echo "$(wc -l < "$tmp/merged") rows from $n shards: identical to one process"
else
    echo "merged shards differ from one process" >&2
    exit 1
fi
