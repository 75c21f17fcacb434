#!/bin/sh
# The commit protocol under SIGKILL (issue 21): 500 random kills per tool over 6 parts with
# --state + -o FILE --append (tests/crash.sh); every trial's output must equal the uninterrupted
# run's byte for byte. Figures, not pass/fail: "N trials, N kills, N wrong" per tool.
cd "$(dirname "$0")/.." || exit 1
d=$(mktemp -d); trap 'rm -rf "$d"' EXIT
iot-sim --devices 8 --duration 1h --seed 3 --faults late=0.02:10s > "$d/all.ndjson"
iot-predict train --label temperature --task regress --trees 10 --folds 0 -o "$d/m.json" "$d/all.ndjson" > /dev/null
for t in window anomaly predict window-zst; do
    w="$d/$t"; mkdir -p "$w"; (cd "$w" && split -n l/6 -d ../all.ndjson part_)
    case $t in
    window) set -- iot-window --tumbling 1m --lateness 10s -a 'count(),avg(temperature),p95(vibration)' ;;
    window-zst) set -- iot-window --hopping 5m/1m -a 'count(),max(temperature)' ;;
    anomaly) set -- iot-anomaly -f temperature,vibration -m zscore ;;
    predict) set -- iot-predict score -m "$d/m.json" ;;
    esac
    printf '%-11s ' "$t"
    if [ $t = window-zst ]; then CRASH_ZST=1 bash tests/crash.sh 500 "$w" "$@"; else bash tests/crash.sh 500 "$w" "$@"; fi
done
