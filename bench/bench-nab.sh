#!/bin/sh
# iot-anomaly on the Numenta Anomaly Benchmark (NAB v1.1, github.com/numenta/NAB), by its rules:
# every CSV of the data directory becomes records {"deviceId":"<category>/<file>.csv",
# "timestamp":"<time>Z","value":<value>}, one stream; iot-anomaly runs once over all of them
# with one parameter set (its defaults, or IOT_NAB_ARGS); RESULTS/<category>/<file>.csv gets
# timestamp,anomaly_score (the score clipped to [0,1]); nab_score.py scores it at the tool's
# threshold (standard, reward_low_FP_rate, reward_low_FN_rate) and at each profile's best.
# NAB_DIR (default ../shared/datasets/nab-dev, beside the worktrees) holds data/, labels/ and
# nab_score.py; without it, or without python3 and numpy, the bench says so and skips.
. bench/common.sh
NAB_DIR=${NAB_DIR:-$(cd "$(dirname "$0")/.." && pwd)/../shared/datasets/nab-dev}
[ -d "$NAB_DIR/data" ] || NAB_DIR=/work/shared/datasets/nab-dev
if [ ! -f "$NAB_DIR/nab_score.py" ] || [ ! -d "$NAB_DIR/data" ]; then
    echo "bench-nab: skipped: no NAB data in $NAB_DIR (set NAB_DIR)"; exit 0
fi
PY=
for p in python3 /usr/bin/python3; do "$p" -c 'import numpy, pandas' 2>/dev/null && { PY=$p; break; }; done
if [ -z "$PY" ]; then
    echo "bench-nab: skipped: python3 with numpy and pandas needed for nab_score.py (apt-get install python3-numpy python3-pandas)"; exit 0
fi
THR=${THR:-0.5}
w="$BENCH_DATA/nab"
rm -rf "$w"; mkdir -p "$w/RESULTS"
# CSV -> records (NAB times are "YYYY-MM-DD hh:mm:ss", UTC)
(cd "$NAB_DIR/data" && for f in */*.csv; do
    mawk -F, -v id="$f" 'NR > 1 { sub(/\r$/, "", $2); t = $1; sub(/ /, "T", t)
        printf "{\"deviceId\":\"%s\",\"timestamp\":\"%sZ\",\"value\":%s}\n", id, t, $2 }' "$f"
done) > "$w/in.ndjson"
rows=$(wc -l < "$w/in.ndjson")
# shellcheck disable=SC2086
set -- $(run_timed 1 iot-anomaly -f value ${IOT_NAB_ARGS:-} "$w/in.ndjson")
secs=$1
# shellcheck disable=SC2086
iot-anomaly -f value ${IOT_NAB_ARGS:-} "$w/in.ndjson" 2> "$w/stderr" > "$w/out.ndjson" ||
    { echo "bench-nab: iot-anomaly failed: $(head -c 300 "$w/stderr")"; exit 1; }
# records -> RESULTS/<category>/<file>.csv in input order (one row per input row)
mawk -v dir="$w/RESULTS" '
    { id = $0; sub(/^.*"deviceId":"/, "", id); sub(/".*$/, "", id)
      t = $0; sub(/^.*"timestamp":"/, "", t); sub(/Z".*$/, "", t); sub(/T/, " ", t)
      s = $0; if (!sub(/^.*"anomaly":\{"score":/, "", s)) s = 0; sub(/[,}].*$/, "", s); s += 0
      if (s < 0) s = 0; if (s > 1) s = 1
      f = dir "/" id
      if (!(f in seen)) { seen[f] = 1; d = f; sub(/\/[^\/]*$/, "", d); system("mkdir -p \"" d "\"")
                          print "timestamp,anomaly_score" > f }
      printf "%s,%.6f\n", t, s > f
      if (s >= thr) alerts++ }
    END { printf "%d\n", alerts > (dir "/../alerts") }' thr="$THR" "$w/out.ndjson"
echo "NAB ($(ls "$NAB_DIR/data"/*/*.csv | wc -l) files, $rows rows): iot-anomaly -f value ${IOT_NAB_ARGS:-}, $(cat "$w/alerts") rows scored >= $THR, ${secs}s"
for p in standard reward_low_FP_rate reward_low_FN_rate; do
    s=$("$PY" "$NAB_DIR/nab_score.py" --data "$NAB_DIR/data" --labels "$NAB_DIR/labels/combined_windows.json" \
        --results "$w/RESULTS" --profile "$p" --threshold "$THR" | tail -1)
    printf '  NAB %-20s at threshold %s: %6.1f\n' "$p" "$THR" "$s"
done
[ -n "${NAB_ALL:-}" ] && "$PY" "$NAB_DIR/nab_score.py" --data "$NAB_DIR/data" \
    --labels "$NAB_DIR/labels/combined_windows.json" --results "$w/RESULTS" --profile all | sed 's/^/  /'
exit 0
