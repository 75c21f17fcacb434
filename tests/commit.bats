#!/usr/bin/env bats
# The commit protocol of output and state (core/state.h, iot(7)): SIGKILL at random moments,
# ENOSPC on a small tmpfs, /dev/full, a reader that goes away, a stalled reader and SIGTERM;
# sealed (CRC-32C) state and model files.
load helpers
bats_require_minimum_version 1.5.0

parts() {  # parts N: a fleet split into N part_* files
    iot-sim --devices 8 --duration 40m --seed 3 --faults late=0.02:10s > all.ndjson
    split -n l/"$1" -d all.ndjson part_
}

@test "crash: iot-window --state -o FILE --append over 4 parts, 40 SIGKILLs: every output is the uninterrupted one" {
    parts 4
    run "$TESTS_DIR/crash.sh" 40 . iot-window --tumbling 1m --lateness 10s -a 'count(),avg(temperature),p95(vibration)'
    assert_success
    assert_output --partial "40 kills, 0 wrong"
}

@test "crash: the same with a zstd output (cut back at a frame boundary)" {
    parts 3
    CRASH_ZST=1 run "$TESTS_DIR/crash.sh" 20 . iot-window --hopping 5m/1m -a 'count(),max(temperature)'
    assert_success
    assert_output --partial "0 wrong"
    zstd -t -q trial/out.zst
}

@test "crash: iot-anomaly --state -o FILE --append, 40 SIGKILLs" {
    parts 4
    run "$TESTS_DIR/crash.sh" 40 . iot-anomaly -f temperature,vibration -m zscore
    assert_success
    assert_output --partial "40 kills, 0 wrong"
}

@test "crash: iot-predict score --state -o FILE --append, 40 SIGKILLs" {
    parts 4
    iot-predict train --label temperature --task regress --trees 10 --folds 0 -o m.json all.ndjson > /dev/null
    run "$TESTS_DIR/crash.sh" 40 . iot-predict score -m m.json
    assert_success
    assert_output --partial "40 kills, 0 wrong"
}

@test "commit: a crash between output and state is cut back on the next start, and said" {
    parts 2
    iot-window --tumbling 1m -a 'count()' --state S -o out --append part_00
    cp out want
    printf '{"partial":"row from a run that died"}\n' >> out
    run iot-window --tumbling 1m -a 'count()' --state S -o out --append --stats part_01
    assert_success
    assert_output --partial "cut back"
    assert_output --partial '"output_cut_bytes":39'
    cmp want <(head -c "$(wc -c < want)" out)
    run ! grep -q 'died' out
}

@test "commit: a rerun over the inputs the state already committed does nothing (exit 0, said)" {
    parts 2
    iot-window --tumbling 1m -a 'count()' --state S -o out --append part_00
    cp out want; cp S S.want
    run iot-window --tumbling 1m -a 'count()' --state S -o out --append part_00
    assert_success
    assert_output --partial "already committed"
    cmp out want
    cmp S S.want
}

@test "commit: > /dev/full exits 74 and the state does not move" {
    parts 2
    iot-window --tumbling 1m -a 'count()' --state S part_00 > /dev/null
    cp S S.want
    run iot-window --tumbling 1m -a 'count()' --state S part_01 -o /dev/full
    assert_failure 74
    cmp S S.want
    run sh -c 'iot-anomaly -f temperature --state A part_01 > /dev/full'
    assert_failure 74
    [ ! -e A ] || [ "$(jq -c .body A)" = null ]
}

@test "commit: a reader that goes away (EPIPE, exit 141) leaves the state where it was" {
    parts 2
    iot-window --tumbling 10s -a 'count(),avg(temperature)' --state S part_00 > /dev/null
    cp S S.want
    # about 100 KB of rows: more than the pipe holds, less than the writer's buffer
    run bash -c 'set -o pipefail; iot-window --tumbling 10s -a "count(),avg(temperature)" --state S part_01 | (sleep 0.3; head -c 100 > /dev/null)'
    assert_failure 141
    cmp S S.want
}

@test "commit: ENOSPC on a small tmpfs: the state never runs ahead; with room again the output is the uninterrupted one" {
    [ "$(id -u)" = 0 ] || skip "mounting a tmpfs needs root"
    mkdir fs
    mount -t tmpfs -o size=256k tmpfs fs || skip "cannot mount a tmpfs here"
    parts 4
    for p in part_0*; do iot-window --tumbling 1s -a 'count(),avg(temperature),p95(vibration)' --state ref.S -o ref.out --append "$p"; done
    [ "$(wc -c < ref.out)" -gt 1000000 ] || { umount fs; false; }
    failed=0
    for p in part_0*; do
        while :; do
            cp fs/S S.before 2> /dev/null || rm -f S.before
            st=0
            iot-window --tumbling 1s -a 'count(),avg(temperature),p95(vibration)' --state fs/S -o fs/out --append "$p" 2> err || st=$?
            [ $st -eq 0 ] && break
            [ $st -eq 74 ] || { cat err; umount fs; false; }
            failed=$((failed + 1))
            # the state did not move past what was written
            if [ -f S.before ]; then cmp S.before fs/S || { umount fs; false; }; fi
            [ -z "$(find fs -name '.S.tmp.*')" ] || { umount fs; false; }
            mount -o remount,size=4m fs
        done
    done
    cmp ref.out fs/out || { umount fs; false; }
    umount fs
    [ $failed -ge 1 ]
}

# digit_changes FILE CMD...: CMD with FILE changed at 12 digit positions spread over it, one at a
# time; each run must exit 65 naming FILE. Restores FILE.
digit_changes() {
    local f=$1; shift
    cp "$f" "$f.orig"
    local n; n=$(grep -o '[0-9]' "$f.orig" | wc -l)
    for k in $(seq 1 $((n / 12 + 1)) "$n" | head -n 12); do
        perl -pe 's/(\d)/++$n == '"$k"' ? ($1 + 1) % 10 : $1/ge' "$f.orig" > "$f"
        run "$@"
        [ "$status" -eq 65 ] || { echo "digit $k of $n: exit $status"; echo "$output"; return 1; }
        [[ "$output" == *"$f"* ]] || { echo "digit $k: no file name: $output"; return 1; }
    done
    cp "$f.orig" "$f"
}

@test "sealed: a one-digit change anywhere in a window, anomaly or predict state file is refused (65, file named)" {
    parts 2
    iot-window --tumbling 1m -a 'count(),avg(temperature)' --state w.state part_00 > /dev/null
    digit_changes w.state iot-window --tumbling 1m -a 'count(),avg(temperature)' --state w.state part_01
    iot-anomaly -f temperature --state a.state part_00 > /dev/null
    digit_changes a.state iot-anomaly -f temperature --state a.state part_01
    iot-predict train --label temperature --task regress --trees 5 --folds 0 -o m.json all.ndjson > /dev/null
    iot-predict score -m m.json --state p.state part_00 > /dev/null
    digit_changes p.state iot-predict score -m m.json --state p.state part_01
    digit_changes m.json iot-predict score -m m.json part_01
}

@test "sealed: a state file of the previous version (no checksum) is refused with a clear message" {
    parts 2
    iot-window --tumbling 1m --state w.state part_00 > /dev/null
    jq -c '.version = 1 | del(.crc32c)' w.state > old.state
    run iot-window --tumbling 1m --state old.state part_01
    assert_failure 65
    assert_output --partial "old.state: iot-window state file version 1 is older than this build's 2"
}

@test "signals: a tool blocked writing to a stalled reader sees SIGTERM, exits 74 and leaves the state where it was" {
    parts 2
    iot-window --tumbling 1s -a 'count(),avg(temperature)' --state S part_00 > /dev/null
    cp S S.want
    mkfifo pipe
    # a reader that holds the pipe open and never reads
    ( exec 3< pipe; sleep 30 ) & reader=$!
    iot-window --tumbling 1s -a 'count(),avg(temperature)' --state S part_01 > pipe 2> err & pid=$!
    sleep 0.5
    kill -0 $pid                  # blocked, not finished: the pipe holds 64 KiB of ~1 MB
    kill -TERM $pid
    st=0
    for _ in $(seq 50); do kill -0 $pid 2> /dev/null || break; sleep 0.1; done
    kill -0 $pid 2> /dev/null && { kill -9 $pid; kill $reader; false; }
    wait $pid || st=$?
    kill $reader 2> /dev/null || true
    [ $st -eq 74 ] || { cat err; false; }
    grep -q 'not delivered, state not saved' err
    cmp S S.want
}

@test "signals: SIGINT reaches a blocked iot-anomaly too (no state: exit 74, said)" {
    parts 1
    mkfifo pipe
    ( exec 3< pipe; sleep 30 ) & reader=$!
    iot-anomaly -f temperature,vibration part_00 > pipe 2> err & pid=$!
    sleep 0.5
    kill -0 $pid
    kill -INT $pid
    st=0
    for _ in $(seq 50); do kill -0 $pid 2> /dev/null || break; sleep 0.1; done
    kill -0 $pid 2> /dev/null && { kill -9 $pid; kill $reader; false; }
    wait $pid || st=$?
    kill $reader 2> /dev/null || true
    [ $st -eq 74 ]
    grep -q '<stdout>: stopped by a signal while the reader was not reading' err
}

@test "atomic files: a model written to a FIFO (or a device) is written in place, never renamed over it" {
    parts 1
    mkfifo f
    timeout 20 cat f > got & reader=$!
    iot-predict train --label temperature --task regress --trees 5 --folds 0 -o f all.ndjson > /dev/null
    wait $reader
    [ -p f ]
    jq -e '.iotkit_model == "iot-predict"' got > /dev/null
    [ -c /dev/null ]
}
