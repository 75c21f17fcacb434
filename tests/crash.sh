#!/bin/bash
# crash.sh KILLS DIR CMD... — the commit protocol under SIGKILL (iot(7), core/state.h).
# Runs CMD --state S -o OUT --append PART over DIR/part_* in order, once without faults (the
# reference), then in trials where runs are killed with SIGKILL at a random moment (uniform over
# the longest uninterrupted run) and rerun until they exit 0, as a cron job would; stops after
# KILLS kills. Every trial's OUT must equal the reference byte for byte. OUT is DIR/out, or
# DIR/out.zst when CRASH_ZST=1. Prints "N trials, N kills, N wrong"; exits 1 if any is wrong.
set -u
kills=$1 dir=$2; shift 2
ext=${CRASH_ZST:+.zst}
parts=("$dir"/part_*)
ms() { local t; t=$(date +%s%N); echo $((t / 1000000)); }
rm -rf "$dir/ref" && mkdir "$dir/ref"
maxms=1
for p in "${parts[@]}"; do
    t0=$(ms)
    "$@" --state "$dir/ref/S" -o "$dir/ref/out$ext" --append "$p" 2>> "$dir/ref/err" ||
        { echo "reference run failed on $p:"; cat "$dir/ref/err"; exit 1; }
    t=$(( $(ms) - t0 )); [ $t -gt $maxms ] && maxms=$t
done
trials=0 done=0 wrong=0
while [ $done -lt "$kills" ]; do
    t="$dir/trial"; rm -rf "$t" && mkdir "$t"
    for p in "${parts[@]}"; do
        while :; do
            "$@" --state "$t/S" -o "$t/out$ext" --append "$p" 2>> "$t/err" & pid=$!
            if [ $done -lt "$kills" ] && [ $((RANDOM % 3)) -ne 0 ]; then
                d=$((RANDOM % (maxms + 2)))
                sleep "$((d / 1000)).$(printf %03d $((d % 1000)))"
                kill -9 $pid 2> /dev/null
            fi
            { wait $pid; } 2> /dev/null; rc=$?
            [ $rc -eq 0 ] && break
            if [ $rc -ne 137 ]; then echo "trial $trials: $p: exit $rc"; cat "$t/err"; exit 1; fi
            done=$((done + 1))
        done
    done
    if ! cmp -s "$dir/ref/out$ext" "$t/out$ext"; then
        wrong=$((wrong + 1))
        echo "trial $trials: output differs from the uninterrupted run ($(wc -c < "$t/out$ext") vs $(wc -c < "$dir/ref/out$ext") bytes)"
        cp "$t/out$ext" "$dir/wrong.$trials"
    fi
    trials=$((trials + 1))
done
echo "$trials trials, $done kills, $wrong wrong"
[ $wrong -eq 0 ]
