#!/bin/sh
# The record scanner: validate each line and read 4 fields (deviceId, timestamp as time,
# temperature and vibration as numbers) of ~170-190 byte telemetry. Target ≥ 4 M records/s.
. bench/common.sh
N=${BENCH_N:-2000000}
f=$(telemetry "$N" 1000)
bytes=$(wc -c < "$f")
cat "$f" > /dev/null   # page cache
set -- $(run_timed 5 scan "$f")
report "scanner: validate + 4 fields" "$N" "$bytes" "$1" "$2" 4000000
set -- $(run_timed 3 sh -c "zstd -q -c '$f' > '$f.zst'; true")
set -- $(run_timed 5 scan "$f.zst")
report "scanner on zstd input" "$N" "$bytes" "$1" "$2" 0
set -- $(run_timed 5 zstd -q -d -c "$f.zst")
report "  (zstd -d alone, for comparison)" "$N" "$bytes" "$1" "$2" 0
if command -v jq >/dev/null; then
    head -n 200000 "$f" > "$f.200k"
    set -- $(run_timed 3 jq -c '[.deviceId,.timestamp,.temperature,.vibration]' "$f.200k")
    report "jq -c (same 4 fields, 200k lines)" 200000 "$(wc -c < "$f.200k")" "$1" "$2" 0
fi
