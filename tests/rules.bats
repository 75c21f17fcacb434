#!/usr/bin/env bats
# One rule for keys and one for values, in every tool (iot(7) KEYS and VALUES).
load helpers

twins() {  # device 42 as a number and "42" as a string, at the same instant
    printf '{"deviceId":42,"timestamp":"2026-11-26T10:00:00Z","temperature":10}\n'
    printf '{"deviceId":"42","timestamp":"2026-11-26T10:00:00Z","temperature":1000}\n'
}

@test "keys: 42 and \"42\" are two devices in iot-window" {
    twins > in.ndjson
    run iot-window --tumbling 1m -a 'count(),avg(temperature)' in.ndjson
    assert_success
    assert_line '{"deviceId":42,"windowStart":"2026-11-26T09:59:00.000Z","windowEnd":"2026-11-26T10:00:00.000Z","count":1,"avg_temperature":10}'
    assert_line '{"deviceId":"42","windowStart":"2026-11-26T09:59:00.000Z","windowEnd":"2026-11-26T10:00:00.000Z","count":1,"avg_temperature":1000}'
}

@test "keys: 42 and \"42\" are two series in iot-anomaly, also after its state is saved and reloaded" {
    twins > in.ndjson
    iot-anomaly -f temperature -m zscore -s a.state in.ndjson > /dev/null
    iot-anomaly -f temperature -m zscore -s a.state in.ndjson > /dev/null
    run jq -c '[.body.series[] | [.key, .det[0].values]] | sort' a.state
    assert_success
    assert_output '[["\u001e42",[10,10]],["42",[1000,1000]]]'
}

@test "keys: 42 and \"42\" are two keys for iot-route --shard (and a key is sharded the same way every time)" {
    twins > in.ndjson
    twins >> in.ndjson
    run iot-route --shard 1024 -r 'all: true => file:sh/{shard}.ndjson' in.ndjson
    assert_success
    [ "$(ls sh | wc -l)" -eq 2 ] || fail "$(ls sh)"
    for f in sh/*; do
        [ "$(jq -c .deviceId "$f" | sort -u | wc -l)" -eq 1 ] || fail "$f mixes the two keys"
    done
}

@test "keys: 42 and \"42\" are not duplicates of each other for iot-ingest --dedupe" {
    { twins; twins; } > in.ndjson
    run iot-ingest --dedupe --stats in.ndjson
    assert_success
    [ "$(printf '%s\n' "$output" | grep -c '"deviceId"')" -eq 2 ]
    assert_output --partial '"deduped":2'
}

@test "keys: 42 and \"42\" keep their own feature state in iot-predict score" {
    for i in $(seq 0 59); do
        printf '{"deviceId":"d%d","timestamp":"2026-11-26T10:%02d:00Z","temperature":%d,"rul":%d}\n' $((i % 3)) "$i" "$i" $((100 - i))
    done > train.ndjson
    iot-predict train --label rul --folds 0 --trees 5 --min-leaf 1 -o m.json train.ndjson
    twins > in.ndjson
    iot-predict score -m m.json --state p.state in.ndjson > /dev/null
    iot-predict score -m m.json --state p.state in.ndjson > /dev/null
    run jq -c '[.body.keys[] | [.[0], .[1].count]] | sort' p.state
    assert_success
    assert_output '[["\u001e42",2],["42",2]]'
}

@test "keys: a state file written under the old key rule is refused with a clear message" {
    twins > in.ndjson
    iot-anomaly -f temperature -m zscore -s a.state in.ndjson > /dev/null
    jq -c '.version = 1 | del(.crc32c)' a.state > old.state
    run iot-anomaly -f temperature -m zscore -s old.state in.ndjson
    assert_failure 65
    assert_output --partial "older than this build's"
}

@test "values: 1e999 is a bad value (not infinity, not a blank window) in iot-window and iot-predict" {
    printf '{"deviceId":"a","timestamp":"2026-11-26T10:00:00Z","temperature":1e999}\n{"deviceId":"a","timestamp":"2026-11-26T10:00:01Z","temperature":20}\n' > in.ndjson
    run iot-window --tumbling 1m -a 'count(),avg(temperature),max(temperature)' in.ndjson
    assert_failure 65
    assert_output --partial 'in.ndjson:1: temperature: number out of range'
    run iot-window --tumbling 1m --bad-value skip -a 'avg(temperature),max(temperature)' --stats in.ndjson
    assert_success
    assert_output --partial '"avg_temperature":20,"max_temperature":20'
    assert_output --partial '"bad_value_skipped":1'
    printf '{"deviceId":"a","timestamp":"2026-11-26T10:00:02Z","temperature":1,"rul":1e999}\n' >> in.ndjson
    run iot-predict train --label rul --folds 0 --trees 2 --min-leaf 1 -o m.json in.ndjson
    assert_failure 65
    assert_output --partial 'in.ndjson:1: temperature: number out of range'
    assert_output --partial 'in.ndjson:3: rul: number out of range'
}

@test "values: a numeric string is not a number, in iot-window as in iot-predict" {
    printf '{"deviceId":"a","timestamp":"2026-11-26T10:00:00Z","temperature":"21.5"}\n' > in.ndjson
    run iot-window --tumbling 1m -a 'avg(temperature)' in.ndjson
    assert_failure 65
    assert_output --partial 'temperature: expected a number'
    printf '{"deviceId":"a","timestamp":"2026-11-26T10:00:00Z","temperature":1,"rul":"5"}\n' > l.ndjson
    run iot-predict train --label rul --folds 0 --trees 2 --min-leaf 1 -o m.json in.ndjson l.ndjson
    assert_failure 65
    assert_output --partial 'in.ndjson:1: temperature: expected a number'
}
