#!/bin/sh
# Remaining-life RMSE of iot-predict on C-MAPSS-shaped fleets (bench/cmapss-like.py), with and
# without --regimes: last cycle per test engine, truth capped at 125, training time on one core.
# usage: bench/bench-regimes.sh [WORKDIR]   (needs python3, jq, mawk; IOT_BIN = the tools)
set -e
BIN=${IOT_BIN:-$(dirname "$0")/../build/rel/bin}
W=${1:-/tmp/bench-regimes}
mkdir -p "$W"
gen=$(dirname "$0")/cmapss-like.py
for set in FD001:1:1:100 FD002:6:1:260 FD003:1:2:100 FD004:6:2:249; do
    IFS=: read name nc nf ne <<EOT
$set
EOT
    d=$W/$name
    [ -s "$d/truth.tsv" ] || python3 "$gen" "$nc" "$nf" "$ne" 7 "$d"
    for mode in plain regimes; do
        opt=""; [ $mode = regimes ] && opt="--regimes setting1,setting2,setting3"
        s=$(date +%s.%N)
        "$BIN/iot-predict" train -q -k unit --label _rul --task regress --cap 125 --folds 0 $opt \
            -o "$d/$mode.json" "$d/train.ndjson" > /dev/null
        e=$(date +%s.%N)
        "$BIN/iot-predict" score -q -m "$d/$mode.json" "$d/test.ndjson" | jq -r '[.unit, .rul] | @tsv' |
            mawk -F'\t' -v n="$name" -v m="$mode" -v s="$s" -v e="$e" 'NR == FNR { last[$1] = $2; next }
                { t = $2 > 125 ? 125 : $2; d = last[$1] - t; q += d * d; k++ }
                END { printf "%s %-8s rmse %.2f  engines %d  train %.1fs\n", n, m, sqrt(q / k), k, e - s }' - "$d/truth.tsv"
    done
done
