#!/usr/bin/env bats
# iot-sim --commands: every command kind acts on the device physics and is acknowledged; bad
# commands are rejected in the ack, never ignored; the other devices, and runs without
# commands, are byte-identical.
load helpers

SIM="--devices 4 --interval 10s --duration 3h --seed 5"

others() { jq -c 'select(.deviceId != "pump-000000" and .messageType != "commandAck")' "$1"; }
pump() { jq -c 'select(.deviceId == "pump-000000" and .messageType == "telemetry")' "$1"; }
# mean of a sensor of pump-000000 between two times
mean() { pump "$1" | jq -s --arg a "$3" --arg b "$4" "map(select(.timestamp >= \$a and .timestamp < \$b) | .$2) | add / length"; }

@test "an empty command file or one for no device changes nothing: byte-identical output" {
    : > none.ndjson
    iot-sim $SIM --events --mtbf 1d --anomalies 0.01 > a.ndjson
    iot-sim $SIM --events --mtbf 1d --anomalies 0.01 --commands none.ndjson > b.ndjson
    cmp a.ndjson b.ndjson
    echo '{"deviceId":"pump-999999","command":"stop"}' > c.ndjson
    iot-sim $SIM --events --mtbf 1d --anomalies 0.01 --commands c.ndjson > c.out
    [ "$(grep -c commandAck c.out)" -eq 1 ]
    diff a.ndjson <(grep -v commandAck c.out)
}

@test "setpoint 0.5: the device cools down and vibrates less; the others are unchanged" {
    iot-sim $SIM > a.ndjson
    echo '{"deviceId":"pump-000000","command":"setpoint","value":0.5,"commandId":"c1","timestamp":"2026-01-01T00:30:00Z"}' > c.ndjson
    iot-sim $SIM --commands c.ndjson > b.ndjson
    run grep commandAck b.ndjson
    assert_output '{"deviceId":"pump-000000","messageType":"commandAck","command":"setpoint","commandId":"c1","status":"completed","timestamp":"2026-01-01T00:30:00.000Z"}'
    diff <(others a.ndjson) <(others b.ndjson)
    # before the command: identical; two hours after: clearly cooler and calmer
    diff <(pump a.ndjson | jq -c 'select(.timestamp < "2026-01-01T00:30")') <(pump b.ndjson | jq -c 'select(.timestamp < "2026-01-01T00:30")')
    ta=$(mean a.ndjson temperature 2026-01-01T02:00 2026-01-01T03:00); tb=$(mean b.ndjson temperature 2026-01-01T02:00 2026-01-01T03:00)
    va=$(mean a.ndjson vibration 2026-01-01T02:00 2026-01-01T03:00); vb=$(mean b.ndjson vibration 2026-01-01T02:00 2026-01-01T03:00)
    echo "temperature $ta -> $tb, vibration $va -> $vb"
    awk -v a="$ta" -v b="$tb" 'BEGIN { exit !(b < a - 5) }'
    awk -v a="$va" -v b="$vb" 'BEGIN { exit !(b < a * 0.8) }'
    [ "$(pump b.ndjson | jq -r 'select(.timestamp > "2026-01-01T00:30") | "\(.setpoint) \(.state)"' | sort -u)" = "0.5 running" ]
}

@test "stop then start: idle values while stopped, back up after start" {
    printf '%s\n' '{"deviceId":"pump-000000","command":"stop","commandId":"s1","timestamp":"2026-01-01T00:10:00Z"}' \
                  '{"deviceId":"pump-000000","command":"start","commandId":"s2","timestamp":"2026-01-01T01:40:00Z"}' > c.ndjson
    iot-sim $SIM --commands c.ndjson > b.ndjson
    [ "$(jq -r 'select(.messageType == "commandAck") | "\(.commandId) \(.status)"' b.ndjson)" = "$(printf 's1 completed\ns2 completed')" ]
    [ "$(pump b.ndjson | jq -r 'select(.timestamp > "2026-01-01T00:10" and .timestamp < "2026-01-01T01:40") | .state' | sort -u)" = stopped ]
    v1=$(mean b.ndjson vibration 2026-01-01T00:00 2026-01-01T00:10)
    v2=$(mean b.ndjson vibration 2026-01-01T01:20 2026-01-01T01:40)
    v3=$(mean b.ndjson vibration 2026-01-01T02:40 2026-01-01T03:00)
    echo "vibration $v1 -> $v2 -> $v3"
    awk -v a="$v1" -v b="$v2" -v c="$v3" 'BEGIN { exit !(b < a * 0.3 && c > b * 2) }'
}

@test "maintenance ends a failure trajectory: the failure due soon does not happen" {
    iot-sim $SIM --events --mtbf 2h --lead 1h > a.ndjson
    f=$(jq -r 'select(.messageType == "failure" and .deviceId == "pump-000000") | .timestamp' a.ndjson | head -1)
    [ -n "$f" ]
    t=$(date -u -d "$f - 20 minutes" +%Y-%m-%dT%H:%M:%SZ)
    echo "{\"deviceId\":\"pump-000000\",\"command\":\"maintenance\",\"commandId\":\"m1\",\"timestamp\":\"$t\"}" > c.ndjson
    iot-sim $SIM --events --mtbf 2h --lead 1h --commands c.ndjson > b.ndjson
    assert_equal "$(jq -r 'select(.messageType == "commandAck") | .status' b.ndjson)" completed
    run jq -r --arg f "$f" 'select(.messageType == "failure" and .deviceId == "pump-000000" and .timestamp == $f) | .timestamp' b.ndjson
    assert_output ""
    diff <(others a.ndjson) <(others b.ndjson)
}

@test "setProperties: interval 60 s and other properties reported in every later record, version echoed" {
    echo '{"deviceId":"pump-000000","command":"setProperties","properties":{"interval":60,"fw":"1.2"},"version":3,"commandId":"p1","timestamp":"2026-01-01T01:00:00Z"}' > c.ndjson
    iot-sim $SIM --jitter 0 --commands c.ndjson > b.ndjson
    run jq -c 'select(.messageType == "commandAck") | [.status, .version]' b.ndjson
    assert_output '["completed",3]'
    after=$(pump b.ndjson | jq -c 'select(.timestamp > "2026-01-01T01:00")')
    [ "$(echo "$after" | jq -r '"\(.interval) \(.fw)"' | sort -u)" = "60 1.2" ]
    # 2 hours at 60 s = about 120 records instead of 720
    n=$(echo "$after" | wc -l)
    [ "$n" -ge 118 ] && [ "$n" -le 121 ]
    echo "$after" | jq -rs '[range(1; length) as $i | ((.[$i].timestamp | sub("\\.[0-9]+Z$"; "Z") | fromdate) - (.[$i-1].timestamp | sub("\\.[0-9]+Z$"; "Z") | fromdate))] | unique | .[]' | while read -r d; do [ "$d" -eq 60 ]; done
}

@test "reboot: silent for 10 seconds of event time, then reporting again" {
    echo '{"deviceId":"pump-000000","command":"reboot","commandId":"r1","timestamp":"2026-01-01T01:00:00Z"}' > c.ndjson
    iot-sim $SIM --jitter 0 --interval 2s --commands c.ndjson > b.ndjson
    run jq -r 'select(.messageType == "commandAck") | .status' b.ndjson
    assert_output completed
    [ "$(pump b.ndjson | jq -r 'select(.timestamp >= "2026-01-01T01:00:00" and .timestamp < "2026-01-01T01:00:10") | .timestamp' | wc -l)" -eq 0 ]
    [ "$(pump b.ndjson | jq -r 'select(.timestamp >= "2026-01-01T01:00:10" and .timestamp < "2026-01-01T01:00:20") | .timestamp' | wc -l)" -ge 4 ]
}

@test "bad commands are rejected in the ack with a reason, never ignored" {
    cat > c.ndjson <<'IN'
{"deviceId":"pump-999999","command":"stop","commandId":"b1"}
{"deviceId":"pump-000000","command":"explode","commandId":"b2"}
{"deviceId":"pump-000000","command":"setpoint","value":9,"commandId":"b3"}
{"deviceId":"pump-000000","command":"setProperties","properties":{"interval":-1},"commandId":"b4"}
not json
{"deviceId":42,"command":"stop","commandId":"b6"}
{"deviceId":"pump-000000","command":"stop","commandId":"b7","timestamp":"2027-01-01T00:00:00Z"}
IN
    iot-sim $SIM --commands c.ndjson > b.ndjson
    run jq -r 'select(.messageType == "commandAck") | "\(.commandId) \(.status) \(.reason)"' b.ndjson
    assert_output "$(cat <<'OUT'
b1 rejected unknown device
b2 rejected unknown command
b3 rejected value: expected a number within 0..1.5 (fraction of the nominal load)
b4 rejected properties.interval: expected seconds within 0.001..86400
null rejected c.ndjson:5: '[' or '{' expected near 'not'
b6 rejected deviceId: expected a string
b7 rejected the simulation ended before the command's time
OUT
)"
    # nothing was applied
    iot-sim $SIM > a.ndjson
    diff a.ndjson <(grep -v commandAck b.ndjson)
    run iot-sim $SIM --commands no-such-file
    assert_failure 66
    run iot-sim $SIM --format csv --commands c.ndjson
    assert_failure 64
}

@test "live: a command written to a FIFO is obeyed while the simulation runs, telemetry goes on" {
    mkfifo cmd.fifo
    timeout 60 iot-sim --devices 2 --rate 200 --count 6000 --commands cmd.fifo > out.ndjson & pid=$!
    exec 5> cmd.fifo
    sleep 0.3
    echo '{"deviceId":"pump-000000","command":"setpoint","value":0.2,"commandId":"live1"}' >&5
    # bounded generously (a loaded or sanitizer machine is slow): the ack, then telemetry that
    # carries the new setpoint, both before the run is over
    ok=0
    for i in $(seq 400); do
        if grep -q '"commandId":"live1","status":"completed"' out.ndjson &&
           grep -q '"setpoint":0.2,"state":"running"' out.ndjson; then ok=1; break; fi
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    exec 5>&-
    kill "$pid" 2>/dev/null || true
    wait "$pid" || true
    assert_equal "$ok" 1
}
