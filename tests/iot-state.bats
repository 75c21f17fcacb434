#!/usr/bin/env bats
# iot-state: the database read back with the real sqlite3 CLI and checked against an independent
# computation (jq) over the input; readers while writing; SIGKILL leaves a prefix-consistent
# state; hostile ids are data; twins; errors keep the previous data.
load helpers

need_sqlite() { command -v sqlite3 >/dev/null || skip "sqlite3 CLI not installed (apt-get install sqlite3)"; }

fleet() { iot-sim --devices "${2:-20}" --count "$1" --seed 11 > fleet.ndjson; }

# One line per device: id, records, first seen, last seen, last temperature (6 decimals).
from_db() {
    sqlite3 -separator ' ' "$1" "SELECT d.device, d.records, d.first_seen, d.last_seen, p.value FROM devices d
        JOIN properties p ON p.device = d.device AND p.name = 'temperature' ORDER BY d.device" |
        awk '{ printf "%s %s %s %s %.6f\n", $1, $2, $3, $4, $5 }'
}
from_input() {
    jq -rs 'group_by(.deviceId)[] | "\(.[0].deviceId) \(length) \(.[0].timestamp) \(last.timestamp) \(last.temperature)"' "$1" |
        awk '{ printf "%s %s %s %s %.6f\n", $1, $2, $3, $4, $5 }'
}

@test "the database (read by sqlite3) matches jq over the input: records, first/last seen, last value" {
    need_sqlite
    fleet 5000 30
    run iot-state --db s.sqlite fleet.ndjson
    assert_success
    [ "$(from_db s.sqlite | wc -l)" -eq 30 ]
    diff <(from_input fleet.ndjson) <(from_db s.sqlite)
    run sqlite3 s.sqlite "PRAGMA journal_mode; SELECT value FROM meta WHERE name = 'schema_version'; PRAGMA user_version"
    assert_output "$(printf 'wal\n1\n1')"
    # every field of every device: the last value as written
    want=$(jq -rs 'group_by(.deviceId)[] | last | .deviceId as $d | del(.deviceId, .timestamp, .messageType) | to_entries[] | "\($d) \(.key) \(.value|tojson)"' fleet.ndjson | sort)
    got=$(sqlite3 -separator ' ' s.sqlite "SELECT device, name, value FROM properties" | sort)
    [ "$(echo "$got" | wc -l)" -eq 150 ]
    num='$3 ~ /^-?[0-9]/ { $3 = sprintf("%.6f", $3) } { print }'
    diff <(echo "$want" | awk "$num") <(echo "$got" | awk "$num")
}

@test "a second run continues the stored state: two halves give the same database as one run" {
    need_sqlite
    fleet 4000 10
    head -n 2500 fleet.ndjson > a.ndjson
    tail -n +2501 fleet.ndjson > b.ndjson
    iot-state --db one.sqlite fleet.ndjson
    iot-state --db two.sqlite a.ndjson
    iot-state --db two.sqlite b.ndjson
    diff <(from_db one.sqlite) <(from_db two.sqlite)
    diff <(iot-state --db one.sqlite --list) <(iot-state --db two.sqlite --list)
}

@test "--snapshot equals --list, and --get prints one device" {
    need_sqlite
    fleet 500 5
    iot-state --db s.sqlite --snapshot snap.ndjson fleet.ndjson
    diff snap.ndjson <(iot-state --db s.sqlite --list)
    [ "$(ls | grep -c tmp)" -eq 0 ]
    id=$(head -1 fleet.ndjson | jq -r .deviceId)
    run iot-state --db s.sqlite --get "$id"
    assert_success
    [ "${#lines[@]}" -eq 1 ]
    [ "$(echo "$output" | jq .records)" -eq "$(jq --arg d "$id" 'select(.deviceId == $d)' fleet.ndjson | jq -s length)" ]
    run iot-state --db s.sqlite --get no-such-device
    assert_failure 66
    assert_output --partial "no device no-such-device"
}

@test "--list --where filters on the current state" {
    need_sqlite
    fleet 2000 20
    iot-state --db s.sqlite fleet.ndjson
    want=$(jq -rs 'group_by(.deviceId)[] | last | select(.temperature > 60) | .deviceId' fleet.ndjson)
    [ -n "$want" ]
    run iot-state --db s.sqlite --list --where 'reported.temperature > 60'
    assert_success
    assert_equal "$(echo "$output" | jq -r .deviceId)" "$want"
    run iot-state --db s.sqlite --list --where 'reported.temperature >'
    assert_failure 64
}

@test "42 and \"42\" are two devices" {
    need_sqlite
    printf '%s\n' '{"deviceId":42,"timestamp":1,"t":1}' '{"deviceId":"42","timestamp":2,"t":2}' '{"deviceId":42,"timestamp":3,"t":3}' > in.ndjson
    iot-state --db s.sqlite in.ndjson
    run sqlite3 s.sqlite "SELECT key_json, records FROM devices ORDER BY key_json"
    assert_output "$(printf '"42"|1\n42|2')"
}

@test "hostile device ids are data, never SQL: quotes, ;, NUL, 10 kB" {
    need_sqlite
    big=$(head -c 10240 /dev/zero | tr '\0' x)
    {
        printf '%s\n' "{\"deviceId\":\"a'; DROP TABLE devices; --\",\"timestamp\":1,\"v\":1}"
        printf '%s\n' '{"deviceId":"q\"uote\\\\","timestamp":2,"v":2}'
        printf '%s\n' '{"deviceId":"nul\u0000byte","timestamp":3,"v":3}'
        printf '%s\n' '{"deviceId":"nul","timestamp":4,"v":4}'
        printf '%s\n' "{\"deviceId\":\"$big\",\"timestamp\":5,\"v\":5}"
        printf '%s\n' "{\"deviceId\":\"x\",\"timestamp\":6,\"it's\":\"'); DELETE FROM properties; --\"}"
    } > in.ndjson
    run iot-state --db s.sqlite in.ndjson
    assert_success
    run sqlite3 s.sqlite "SELECT count(*) FROM devices; SELECT count(*) FROM properties"
    assert_output "$(printf '6\n6')"
    diff <(jq -r '.deviceId | tojson' in.ndjson | sort) <(sqlite3 s.sqlite "SELECT key_json FROM devices" | sort)
    run sqlite3 s.sqlite "SELECT value FROM properties WHERE name = 'it''s'"
    assert_output "\"'); DELETE FROM properties; --\""
    run iot-state --db s.sqlite --get "a'; DROP TABLE devices; --"
    assert_success
    assert_output --partial '"records":1'
}

@test "online, offline and field changes by event time, with a deadband" {
    cat > in.ndjson <<'IN'
{"deviceId":"a","timestamp":"2026-01-01T00:00:00Z","temperature":50}
{"deviceId":"b","timestamp":"2026-01-01T00:00:01Z","temperature":60}
{"deviceId":"a","timestamp":"2026-01-01T00:00:10Z","temperature":50.2}
{"deviceId":"a","timestamp":"2026-01-01T00:00:40Z","temperature":51}
{"deviceId":"a","timestamp":"2026-01-01T00:01:20Z","temperature":51}
IN
    run iot-state --snapshot s.ndjson --offline-after 30s --changes --deadband 0.5 in.ndjson
    assert_success
    assert_equal "$(echo "$output" | jq -r '[.deviceId, .change, .field // "-", .to // "-", .timestamp] | join(" ")')" "$(cat <<'OUT'
a online - - 2026-01-01T00:00:00.000Z
a field temperature 50 2026-01-01T00:00:00.000Z
b online - - 2026-01-01T00:00:01.000Z
b field temperature 60 2026-01-01T00:00:01.000Z
b offline - - 2026-01-01T00:00:31.000Z
a field temperature 51 2026-01-01T00:00:40.000Z
a offline - - 2026-01-01T00:01:10.000Z
a online - - 2026-01-01T00:01:20.000Z
OUT
)"
    assert_equal "$(jq -r '"\(.deviceId) \(.status) \(.statusSince)"' s.ndjson)" "$(printf 'a online 2026-01-01T00:01:20.000Z\nb offline 2026-01-01T00:00:31.000Z')"
}

@test "--tee passes the input through unchanged" {
    fleet 300 3
    run iot-state --snapshot s.ndjson --tee fleet.ndjson
    assert_success
    assert_equal "$output" "$(cat fleet.ndjson)"
}

@test "twins: a desired property the device does not report gives one setProperties, again after --retry, none once reported" {
    need_sqlite
    cat > in.ndjson <<'IN'
{"deviceId":"a","timestamp":"2026-01-01T00:00:00Z","interval":10}
{"deviceId":"a","messageType":"desired","interval":5,"mode":"eco"}
{"deviceId":"a","timestamp":"2026-01-01T00:00:10Z","interval":10}
{"deviceId":"a","timestamp":"2026-01-01T00:00:31Z","interval":10,"mode":"eco"}
{"deviceId":"a","timestamp":"2026-01-01T00:00:40Z","interval":5.0,"mode":"eco"}
{"deviceId":"a","timestamp":"2026-01-01T00:02:00Z","interval":5,"mode":"eco"}
IN
    run iot-state --db s.sqlite --retry 30s --stats in.ndjson
    assert_success
    assert_line --index 0 '{"deviceId":"a","messageType":"command","command":"setProperties","commandId":"twin-1-1","properties":{"interval":5,"mode":"eco"},"version":1,"timestamp":"2026-01-01T00:00:00.000Z"}'
    assert_line --index 1 '{"deviceId":"a","messageType":"command","command":"setProperties","commandId":"twin-1-2","properties":{"interval":5},"version":1,"timestamp":"2026-01-01T00:00:31.000Z"}'
    [ "$(echo "$output" | grep -c '"command"')" -eq 2 ]
    assert_output --partial '"twins_reconciled":1'
    run sqlite3 s.sqlite "SELECT name, value, version FROM desired ORDER BY name; SELECT desired_version FROM devices"
    assert_output "$(printf 'interval|5|1\nmode|"eco"|1\n1')"
    # a new desired version in a later run is compared with the stored reported state
    echo '{"deviceId":"a","messageType":"desired","interval":7}' | iot-state --db s.sqlite > out
    assert_equal "$(jq -c '[.commandId, .properties, .version]' out)" '["twin-2-1",{"interval":7},2]'
}

@test "readable by sqlite3 while being written: a pause in the input commits" {
    need_sqlite
    mkfifo in.fifo
    iot-state --db s.sqlite < in.fifo & pid=$!
    exec 5> in.fifo
    echo '{"deviceId":"a","timestamp":1,"v":1}' >&5
    n=0
    for i in $(seq 50); do
        n=$(sqlite3 s.sqlite "SELECT count(*) FROM devices" 2>/dev/null || echo 0)
        [ "$n" = 1 ] && break
        sleep 0.1
    done
    assert_equal "$n" 1
    echo '{"deviceId":"b","timestamp":2,"v":2}' >&5
    exec 5>&-
    wait "$pid"
    run sqlite3 s.sqlite "SELECT count(*) FROM devices"
    assert_output 2
}

@test "SIGKILL while writing leaves a database that opens and holds the state of a prefix of the input" {
    need_sqlite
    fleet 200000 50
    iot-state --db k.sqlite --batch 500 fleet.ndjson & pid=$!
    n=0
    for i in $(seq 100); do
        n=$(sqlite3 k.sqlite "SELECT coalesce(sum(records), 0) FROM devices" 2>/dev/null || echo 0)
        [ "${n:-0}" -gt 1000 ] && break
        sleep 0.05
    done
    kill -9 "$pid"
    wait "$pid" || true
    run sqlite3 k.sqlite "PRAGMA integrity_check"
    assert_output ok
    total=$(sqlite3 k.sqlite "SELECT sum(records) FROM devices")
    [ "$total" -gt 1000 ]
    [ "$total" -lt 200000 ] || skip "the run finished before the kill"
    head -n "$total" fleet.ndjson > prefix.ndjson
    diff <(from_input prefix.ndjson) <(from_db k.sqlite)
}

@test "bad databases: locked, not a database, missing folder give 73/74 with the name; data kept" {
    need_sqlite
    fleet 100 3
    iot-state --db s.sqlite fleet.ndjson
    before=$(from_db s.sqlite)
    { echo 'BEGIN IMMEDIATE; UPDATE meta SET value = value;'; sleep 4; echo 'ROLLBACK;'; } | sqlite3 s.sqlite & lk=$!
    sleep 0.5
    run iot-state --db s.sqlite fleet.ndjson
    assert_failure 73
    assert_output --partial "s.sqlite: database is locked"
    wait "$lk"
    assert_equal "$(from_db s.sqlite)" "$before"
    head -c 4096 /dev/urandom > junk.sqlite
    run iot-state --db junk.sqlite fleet.ndjson
    assert_failure 74
    assert_output --partial "junk.sqlite: "
    run iot-state --db no/such/dir/s.sqlite fleet.ndjson
    assert_failure 73
    assert_output --partial "no/such/dir/s.sqlite"
    run iot-state --db absent.sqlite --list
    assert_failure 66
}

@test "--max-keys bounds the devices (exit 65); bad lines are rejected and counted" {
    fleet 100 5
    run iot-state --snapshot s.ndjson --max-keys 3 fleet.ndjson
    assert_failure 65
    assert_output --partial "more than 3 devices (--max-keys)"
    printf '%s\n' '{"deviceId":"a","timestamp":1}' 'not json' '{"deviceId":"a"}' '{"timestamp":1}' > in.ndjson
    run iot-state --snapshot s.ndjson in.ndjson
    assert_failure 65
    assert_output --partial "in.ndjson:2: invalid JSON"
    assert_output --partial "in.ndjson:3: timestamp: missing"
    assert_output --partial "in.ndjson:4: deviceId: missing"
    [ "$(jq .records s.ndjson)" -eq 1 ]
}

@test "usage: a store or a query is needed" {
    run iot-state
    assert_failure 64
    run iot-state --list
    assert_failure 64
    run iot-state --db s.sqlite --where 'x == 1'
    assert_failure 64
}

@test "--desired FILE: its records are desired documents whatever their messageType" {
    printf '%s\n' '{"deviceId":"a","interval":5}' > want.ndjson
    echo '{"deviceId":"a","timestamp":"2026-01-01T00:00:00Z","interval":10}' > in.ndjson
    run iot-state --snapshot s.ndjson --desired want.ndjson in.ndjson
    assert_success
    assert_output --partial '"command":"setProperties","commandId":"twin-1-1","properties":{"interval":5},"version":1'
    [ "$(jq -c .desired s.ndjson)" = '{"interval":5}' ]
}

@test "--idle: on a quiet live input, a silent device goes offline by the wall clock" {
    mkfifo in.fifo
    iot-state --snapshot s.ndjson --changes --offline-after 1s --idle 200ms < in.fifo > out.ndjson & pid=$!
    exec 5> in.fifo
    echo '{"deviceId":"a","timestamp":"2026-01-01T00:00:00Z","v":1}' >&5
    ok=0
    for i in $(seq 60); do
        grep -q '"change":"offline"' out.ndjson 2>/dev/null && { ok=1; break; }
        sleep 0.1
    done
    exec 5>&-
    wait "$pid"
    assert_equal "$ok" 1
    run jq -r 'select(.change == "offline") | .timestamp' out.ndjson
    assert_output "2026-01-01T00:00:01.000Z"
    [ "$(jq -r .status s.ndjson)" = offline ]
}
