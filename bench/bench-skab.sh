#!/bin/sh
# iot-anomaly -m t2 (multivariate condition monitoring, issue 13): quality on SKAB's valve1 files
# with SKAB's protocol (the first 400 rows of each file are its healthy baseline, the rest is
# scored pointwise: F1, false alarm rate FAR, missed alarm rate MAR; target F1 >= 0.80 at FAR <= 20 %),
# and speed with 8 fields (target 0.5 M rec/s on one core). One parameter set, the defaults.
# SKAB_DIR: the skab-dev folder (default ../shared/datasets/skab-dev beside the repository).
. bench/common.sh
S=${SKAB_DIR:-../shared/datasets/skab-dev}
F=acc1,acc2,current,pressure,temperature,thermocouple,voltage,flow
if [ -f "$S/skab.py" ] && command -v python3 >/dev/null; then
    python3 "$S/skab.py" to-ndjson "$S/data" > "$BENCH_DATA/skab.ndjson"
    for cfg in "defaults (long-run limits, window 5, hold 30, confidence 99.9, explained 85)|" \
               "no hold (--hold 1)|--hold 1" \
               "textbook limits (--limits iid)|--limits iid" \
               "textbook limits, confidence 99.9999|--limits iid --confidence 99.9999"; do
        name=${cfg%%|*}; opts=${cfg#*|}
        # shellcheck disable=SC2086
        iot-anomaly -q -m t2 -f "$F" --baseline 400 $opts "$BENCH_DATA/skab.ndjson" > "$BENCH_DATA/skab-t2.ndjson"
        printf 'SKAB valve1, -m t2 %s: ' "$name"
        python3 "$S/skab.py" score "$S/data" "$BENCH_DATA/skab-t2.ndjson" | tail -n 1
    done
    echo "SKAB leaderboard (all 34 files): Conv-AE F1 0.78 FAR 13.55, MSET 0.78/39.73, T2+Q 0.76/26.62; always-alarm F1 0.70 FAR 100"
else
    echo "SKAB data not found at $S (set SKAB_DIR): quality skipped"
fi
# speed: 8 correlated fields, 1000 devices, 1 M records, 400-record baselines
N=${N:-1000000}
f="$BENCH_DATA/mv8-$N.ndjson"
[ -s "$f" ] || mawk -v n="$N" 'BEGIN { s = 1; for (i = 0; i < n; i++) { s = (s * 16807) % 2147483647
    a = 10 + 2 * sin(i / 15000) + s / 2147483647
    printf "{\"deviceId\":\"d%04d\",\"timestamp\":%d,\"f1\":%.3f,\"f2\":%.3f,\"f3\":%.3f,\"f4\":%.3f,\"f5\":%.3f,\"f6\":%.3f,\"f7\":%.3f,\"f8\":%.3f}\n",
        i % 1000, 1767225600 + int(i / 1000), a, 2 * a + (s % 97) / 97, a + (s % 89) / 89, 3 - a + (s % 83) / 83,
        (s % 79) / 79, a * 0.5 + (s % 73) / 73, (s % 71) / 71, a + (s % 67) / 67 } }' > "$f"
for i in 1 2 3; do
    /usr/bin/time -f "%U %S" -o "$BENCH_DATA/mv-cpu.$i" iot-anomaly -q -m t2 -f f1,f2,f3,f4,f5,f6,f7,f8 --baseline 400 "$f" > /dev/null 2>&1
done
cpu=$(for i in 1 2 3; do awk '{ print $1 + $2 }' "$BENCH_DATA/mv-cpu.$i"; done | median)
awk -v n="$N" -v c="$cpu" 'BEGIN { if (c <= 0) c = 0.001
    printf "iot-anomaly -m t2, 8 fields, CPU          %8.2f M rec/s per CPU second (user+sys %.2f s, median of 3)  target 0.50 M: %s\n",
        n / c / 1e6, c, (n / c >= 500000 ? "meets" : sprintf("MISSES by %.0f%%", 100 * (1 - n / c / 500000))) }'
echo "state per key (-m t2): O(p^2) doubles; with p = 8 about 1.2 kB of numbers in the model (p x p eigenvectors, p means, sds, eigenvalues), ~17 kB allocated (sized for 32 fields)"
