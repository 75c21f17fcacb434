#!/bin/sh
# iot-ingest throughput on one core, 1000-device telemetry (~170-190 B a line).
# Targets: NDJSON validate + normalise time + pass >= 1.5 M rec/s; CSV -> NDJSON >= 1 M rec/s;
# zstd input costs no more than the decompression itself. Peers: mlr, jq, mawk where installed.
. bench/common.sh
N=${BENCH_N:-2000000}
bench_input "$N" 1000

set -- $(run_timed 3 $one iot-ingest "$f")
report "ndjson: validate + normalise time + pass" "$N" "$bytes" "$1" "$2" 1500000
ndjson_s=$1

# CSV made once from the same records
c="$f.csv"
if [ ! -s "$c" ]; then
    iot-ingest "$f" | jq -r '[.deviceId,.deviceType,.timestamp,.temperature,.pressure,.vibration,.priority,.messageType] | @csv' > "$c.body" &&
    { echo 'deviceId,deviceType,timestamp,temperature,pressure,vibration,priority,messageType'; cat "$c.body"; } > "$c" && rm -f "$c.body"
fi
set -- $(run_timed 3 $one iot-ingest "$c")
report "csv -> ndjson (+ validate + normalise time)" "$N" "$(wc -c < "$c")" "$1" "$2" 1000000

[ -s "$f.zst" ] || zstd -q -c "$f" > "$f.zst"
set -- $(run_timed 3 $one iot-ingest "$f.zst")
report "ndjson.zst: same work" "$N" "$bytes" "$1" "$2" 0
zst_s=$1
set -- $(run_timed 3 $one zstd -q -d -c "$f.zst")
report "  (zstd -d alone)" "$N" "$bytes" "$1" "$2" 0
awk -v a="$zst_s" -v b="$ndjson_s" -v z="$1" 'BEGIN { printf "  zstd input overhead %.2f s vs decompression alone %.2f s: %s\n", a - b, z, (a - b <= z * 1.1 ? "meets" : "MISSES") }'

set -- $(run_timed 3 $one iot-ingest --dedupe "$f")
report "ndjson + dedupe (key+time, 10m window)" "$N" "$bytes" "$1" "$2" 0

set -- $(run_timed 3 $one iot-ingest --dedupe --deadband temperature=0.5 --swinging-door vibration=0.2 "$f")
report "ndjson + dedupe + deadband + swinging door" "$N" "$bytes" "$1" "$2" 0

# peers on the same work where they can do it (parse + rewrite a field), 500k lines
h="$f.500k"
[ -s "$h" ] || head -n 500000 "$f" > "$h"
hb=$(wc -c < "$h")
if command -v mlr > /dev/null; then
    set -- $(run_timed 3 $one mlr --ijson --ojsonl put '$timestamp = strftime(strptime($timestamp, "%Y-%m-%dT%H:%M:%3SZ"), "%Y-%m-%dT%H:%M:%3SZ")' "$h")
    report "mlr (parse, rewrite time; 500k lines)" 500000 "$hb" "$1" "$2" 0
fi
if command -v jq > /dev/null; then
    set -- $(run_timed 3 $one jq -c '.timestamp |= (sub("\\.[0-9]+Z$"; "Z") | fromdate | todate)' "$h")
    report "jq -c (parse, rewrite time; 500k lines)" 500000 "$hb" "$1" "$2" 0
fi
if command -v mawk > /dev/null; then
    set -- $(run_timed 3 $one mawk '{ sub(/"timestamp":"[^"]*"/, "\"timestamp\":\"x\""); print }' "$h")
    report "mawk (regex rewrite, no validation; 500k)" 500000 "$hb" "$1" "$2" 0
fi

# Instructions per record (deterministic on a shared machine): callgrind on 100k and 200k
# records, the difference divided by 100k (start-up cost cancels out). BENCH_CALLGRIND=0 skips.
if [ "${BENCH_CALLGRIND:-1}" != 0 ] && command -v valgrind > /dev/null; then
    ir() { valgrind --tool=callgrind --callgrind-out-file="$BENCH_DATA/cg.out" "$@" > /dev/null 2>&1 &&
           awk '/^(summary|totals):/ { print $2; exit }' "$BENCH_DATA/cg.out"; rm -f "$BENCH_DATA/cg.out"; }
    head -n 100000 "$f" > "$f.100k"; head -n 200000 "$f" > "$f.200k"
    head -n 100001 "$c" > "$c.100k"; head -n 200001 "$c" > "$c.200k"
    for mode in ndjson csv dedupe; do
        case $mode in
            ndjson) a=$(ir iot-ingest "$f.100k"); b=$(ir iot-ingest "$f.200k") ;;
            csv) a=$(ir iot-ingest "$c.100k"); b=$(ir iot-ingest "$c.200k") ;;
            dedupe) a=$(ir iot-ingest --dedupe "$f.100k"); b=$(ir iot-ingest --dedupe "$f.200k") ;;
        esac
        awk -v m="$mode" -v a="$a" -v b="$b" 'BEGIN { printf "instructions per record, %-7s %6.0f (callgrind)\n", m, (b - a) / 100000 }'
    done
    rm -f "$f.100k" "$f.200k" "$c.100k" "$c.200k"
fi
