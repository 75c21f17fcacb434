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

@test "inputs: several files are read in event-time order (a lake cut by deviceType and hour equals one stream, and a GROUP BY)" {
    iot-sim --devices 20 --duration 3h --interval 10s --seed 3 > all.ndjson
    iot-route -r 'lake: true => file:lake/{deviceType}-{HH}.ndjson.zst' all.ndjson
    [ "$(ls lake | wc -l)" -gt 4 ]
    iot-window --tumbling 1h -a 'count(),avg(temperature)' all.ndjson > one.ndjson
    run iot-window --tumbling 1h -a 'count(),avg(temperature)' --stats lake/*.ndjson.zst
    assert_success
    [ "$(printf '%s\n' "$output" | grep -v '^{"tool"' )" = "$(cat one.ndjson)" ] || fail "merged lake differs from one stream"
    refute_output --partial '"late"'
    # the counts of a GROUP BY deviceId, hour over all the files ([start, end) labels)
    jq -r '"\(.deviceId) \(.timestamp[0:13])"' all.ndjson | sort | uniq -c | awk '{print $2, $3, $1}' > want
    iot-window --tumbling 1h --label start -a 'count()' lake/*.ndjson.zst | jq -r '"\(.deviceId) \(.windowStart[0:13]) \(.count)"' | sort > got
    [ "$(wc -l < want)" -ge 60 ]
    diff want got
}

@test "inputs: a bad line in a merged input is reported with its own file:line" {
    printf '{"deviceId":"a","timestamp":"2026-11-26T10:00:00Z","temperature":1}\n{"deviceId":"a","timestamp":"2026-11-26T10:02:00Z","temperature":3}\n' > a.ndjson
    printf '{"deviceId":"b","timestamp":"2026-11-26T10:01:00Z","temperature":2}\nnot json\n' > b.ndjson
    run iot-window --tumbling 1m -a 'count()' a.ndjson b.ndjson
    assert_failure 65
    assert_output --partial 'b.ndjson:2: invalid JSON'
    assert_line '{"deviceId":"b","windowStart":"2026-11-26T10:00:00.000Z","windowEnd":"2026-11-26T10:01:00.000Z","count":1}'
}

@test "names: \$body.x is the record's x in iot-route (IoT Hub syntax), as iot-route(1) says" {
    printf '{"deviceId":"a","timestamp":"2026-11-26T10:00:00Z","temperature":90}\n{"deviceId":"b","timestamp":"2026-11-26T10:00:00Z","temperature":20}\n' > in.ndjson
    run iot-route -r 'hot: $body.temperature > 80 => -' --fallback drop in.ndjson
    assert_success
    assert_output '{"deviceId":"a","timestamp":"2026-11-26T10:00:00Z","temperature":90}'
}

@test "names: a member whose name holds a dot is addressed in backquotes, apart from a nested member" {
    printf '{"deviceId":"a","timestamp":"2026-11-26T10:00:00Z","customMetrics.rpm":1500,"customMetrics":{"rpm":3}}\n' > in.ndjson
    run iot-window --tumbling 1m -a 'avg(`customMetrics.rpm`),max(customMetrics.rpm)' in.ndjson
    assert_success
    assert_output --partial '"avg_customMetrics_rpm":1500,"max_customMetrics_rpm":3'
    run iot-route -r 'x: `customMetrics.rpm` == 1500 && customMetrics.rpm == 3 => -' --fallback drop in.ndjson
    assert_success
    assert_output --partial '"customMetrics.rpm":1500'
}

@test "ingest: --assets-prefix '' never writes a name twice: the record's own member stays, counted" {
    printf '{"deviceId":"a","deviceType":"Pump","site":"X"}\n' > assets.ndjson
    printf '{"deviceId":"a","deviceType":"Pump-2","timestamp":"2026-11-26T10:00:00Z"}\n{"deviceId":"b","site":"own","timestamp":"2026-11-26T10:00:00Z"}\n' > in.ndjson
    run iot-ingest --assets assets.ndjson --assets-prefix '' --stats in.ndjson
    assert_success
    assert_line '{"deviceId":"a","deviceType":"Pump-2","timestamp":"2026-11-26T10:00:00.000Z","site":"X"}'
    assert_line '{"deviceId":"b","site":"own","timestamp":"2026-11-26T10:00:00.000Z"}'
    assert_output --partial '"asset_member_in_record_kept":1'
    printf '{"deviceId":"a","asset":1,"timestamp":"2026-11-26T10:00:00Z"}\n' > in2.ndjson
    run iot-ingest --assets assets.ndjson in2.ndjson
    assert_output '{"deviceId":"a","asset":1,"timestamp":"2026-11-26T10:00:00.000Z"}'
}

@test "ingest: renaming the field --ingest-time adds is refused, not ignored" {
    printf '{"deviceId":"a","timestamp":"2026-11-26T10:00:00Z"}\n' > in.ndjson
    run iot-ingest --ingest-time arr --rename arr=arrival in.ndjson
    assert_failure 64
    assert_output --partial "'arr' is the field --ingest-time adds"
}

@test "window: --merge reads its aggregate list from the partial rows; a row without one is a usage error" {
    iot-sim -n 3 -d 5m -s 1 > s.ndjson
    iot-window --tumbling 1m -a 'count(),avg(temperature),p90(vibration)' s.ndjson > want
    iot-window --tumbling 1m -a 'count(),avg(temperature),p90(vibration)' --emit partial s.ndjson > p.ndjson
    run iot-window --merge p.ndjson
    assert_success
    [ "$output" = "$(cat want)" ]
    run iot-window --merge s.ndjson
    assert_failure 64
    assert_output --partial 'has no "_aggregates"'
}
