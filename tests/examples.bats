#!/usr/bin/env bats
# The reference architecture end to end: examples/hot-path.sh, examples/cold-path/,
# examples/mqtt.sh, examples/shards.sh. A test whose tools are not built yet is skipped.
load helpers

need() {
    for t in "$@"; do
        command -v "$t" > /dev/null 2>&1 || skip "$t is not available yet"
    done
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null ||
        echo $((20000 + RANDOM % 20000))
}

@test "hot path: live fleet -> ingest -> route to alerts, a command, 1-minute aggregates and the lake" {
    need iot-sim iot-ingest iot-window iot-route zstd
    COUNT=3000 RATE=20000 run sh "$ROOT_DIR/examples/hot-path.sh" out
    assert_success
    assert_output --partial "lake:    3000 events"
    # nothing lost: every event in the lake exactly as ingested, alerts = records matching the rule
    [ "$(find out/lake -name '*.zst' -exec zstd -dcq {} + | wc -l)" -eq 3000 ]
    a=$(wc -l < out/alerts.ndjson)
    [ "$a" -gt 0 ]
    [ "$(wc -l < out/notifications.log)" -eq "$a" ]
    want=$(find out/lake -name '*.zst' -exec zstd -dcq {} + |
           jq -c 'select((.deviceType == "Compressor" and .temperature > 85) or (.deviceType != "Compressor" and .temperature > 65) or .vibration > 8)' | wc -l)
    [ "$a" -eq "$want" ]
    # the aggregates count every event once
    [ "$(jq -s 'map(.count) | add' out/minutes.ndjson)" -eq 3000 ]
    [ -z "$(find out -name '.*tmp*')" ]
}

@test "cold path: hourly aggregates over the lake with iot-window --state, each segment once" {
    need iot-sim iot-ingest iot-window iot-route zstd
    grep -q 'cold-path.sh' "$ROOT_DIR/examples/cold-path/crontab"
    iot-sim --devices 10 --duration 3h --interval 30s --seed 9 > all.ndjson
    n=$(wc -l < all.ndjson)
    head -n $((n / 2)) all.ndjson > b1
    tail -n +$((n / 2 + 1)) all.ndjson > b2
    route() { iot-route -r 'lake: => file:lake/{yyyy}/{MM}/{dd}/{deviceType}-{HH}.ndjson.zst' --fallback drop "$1"; }
    cold() { sh "$ROOT_DIR/examples/cold-path/cold-path.sh" lake st; }
    route b1
    run cold
    assert_success
    assert_output --partial "8 new segments"
    run cold
    assert_output --partial "no new segment"
    route b2
    run cold
    assert_output --partial "8 new segments"
    [ "$(sort -u st/processed.list | wc -l)" -eq "$(find lake -name '*.zst' | wc -l)" ]
    # the closed hours equal one process over all the data (the last hour is still open in the state)
    iot-window --tumbling 1h --lateness 0 -a 'count(),avg(temperature),max(temperature),p95(vibration)' all.ndjson |
        grep -v '"windowEnd":"2026-01-01T03:00:00.000Z"' | sort > want
    sort st/hourly.ndjson > got
    [ -s got ]
    cmp got want
}

@test "cold path: the job killed at random points (40 SIGKILLs) still writes each hourly row once" {
    need iot-sim iot-ingest iot-window iot-route zstd flock
    iot-sim --devices 10 --duration 3h --interval 30s --seed 9 > all.ndjson
    n=$(wc -l < all.ndjson)
    head -n $((n / 3)) all.ndjson > b1
    sed -n "$((n / 3 + 1)),$((2 * n / 3))p" all.ndjson > b2
    tail -n +$((2 * n / 3 + 1)) all.ndjson > b3
    route() { iot-route -r 'lake: => file:lake/{yyyy}/{MM}/{dd}/{deviceType}-{HH}.ndjson.zst' --fallback drop "$1"; }
    cold() { sh "$ROOT_DIR/examples/cold-path/cold-path.sh" lake "$1" > /dev/null 2>&1; }
    maxms=1
    for b in b1 b2 b3; do
        route $b
        t0=$(date +%s%N); cold ref; t=$(( ($(date +%s%N) - t0) / 1000000 ))
        [ $t -gt $maxms ] && maxms=$t
    done
    [ -s ref/hourly.ndjson ]
    rm -rf lake
    kills=0 trial=0
    while [ $kills -lt 40 ]; do
        rm -rf lake st
        for b in b1 b2 b3; do
            route $b
            while :; do
                # its own process group (setsid execs in place here), killed whole as cron's would be
                setsid sh "$ROOT_DIR/examples/cold-path/cold-path.sh" lake st > /dev/null 2>&1 & pid=$!
                if [ $kills -lt 40 ] && [ $((RANDOM % 3)) -ne 0 ]; then
                    d=$((RANDOM % (maxms + 5)))     # uniform over a whole run
                    sleep "$((d / 1000)).$(printf %03d $((d % 1000)))"
                    kill -9 -- -$pid 2> /dev/null || true
                fi
                { wait $pid; } 2> /dev/null && break
                kills=$((kills + 1))
                # the lock goes with the group's last process (bounded wait)
                for _ in $(seq 100); do kill -0 -- -$pid 2> /dev/null || break; sleep 0.02; done
            done
        done
        cmp ref/hourly.ndjson st/hourly.ndjson || { echo "trial $trial: hourly rows differ"; false; }
        trial=$((trial + 1))
    done
}

@test "mqtt: devices publish over a real broker; every event arrives and every command comes back" {
    need iot-sim iot-ingest iot-route mosquitto mosquitto_pub mosquitto_sub
    port=$(free_port)
    printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\n' "$port" > mq.conf
    mosquitto -c mq.conf > mq.log 2>&1 &
    broker=$!
    for i in $(seq 1 50); do mosquitto_pub -h 127.0.0.1 -p "$port" -t ping -m x 2>/dev/null && break; sleep 0.1; done
    MQTT_PORT=$port COUNT=1500 run sh "$ROOT_DIR/examples/mqtt.sh" out
    kill "$broker"; wait "$broker" 2>/dev/null || true
    assert_success
    assert_output --partial "pipeline received 1500"
    [ "$(wc -l < out/received.ndjson)" -eq 1500 ]
    # each command went to its own device's topic
    while read -r topic msg; do
        id=$(printf '%s' "$msg" | jq -r .deviceId)
        [ "$topic" = "devices/$id/commands" ] || { echo "bad topic $topic for $id"; return 1; }
    done < out/commands.txt
    [ -s out/commands.txt ]
}

@test "shards: route --shard 4 -> 4 x window --emit partial -> --merge equals one process (also under GNU parallel)" {
    need iot-sim iot-window iot-route
    run sh "$ROOT_DIR/examples/shards.sh" w
    assert_success
    assert_output --partial "merged = one process"
    sort w/single.ndjson > single
    sort w/merged.ndjson | cmp - single
    if command -v parallel > /dev/null; then sort w/merged-parallel.ndjson | cmp - single; fi
    # every shard got work and no device is in two shards
    for s in 0 1 2 3; do [ -s "w/shard-$s.ndjson" ]; done
    [ "$(cat w/shard-*.ndjson | jq -r .deviceId | sort -u | wc -l)" -eq \
      "$(for s in 0 1 2 3; do jq -r .deviceId "w/shard-$s.ndjson" | sort -u; done | wc -l)" ]
}

@test "control loop: hot pumps raise alarms, a command goes back to exactly that device, it cools, the alarm clears" {
    need iot-sim iot-state iot-route mosquitto mosquitto_pub mosquitto_sub jq
    port=$(free_port)
    printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\n' "$port" > mq.conf
    mosquitto -c mq.conf > mq.log 2>&1 &
    broker=$!
    for i in $(seq 1 50); do mosquitto_pub -h 127.0.0.1 -p "$port" -t ping -m x 2>/dev/null && break; sleep 0.1; done
    MQTT_PORT=$port run timeout 120 sh "$ROOT_DIR/examples/control-loop.sh" out
    kill "$broker"; wait "$broker" 2>/dev/null || true
    echo "$output"
    assert_success
    assert_output --partial "control-loop: 3 alarms raised, 3 commands completed, 3 cleared"
    # exactly the three throttled pumps alarmed, each command went to its own device, and the
    # device under each command cooled below the clear level
    [ "$(jq -r 'select(.messageType == "alarm" and .alarm == "raised") | .deviceId' out/loop.ndjson | sort | tr '\n' ' ')" = "pump-000000 pump-000001 pump-000002 " ]
    jq -c 'select(.messageType == "commandAck" and (.commandId | startswith("cool-")))' out/sent.ndjson > acks
    [ "$(wc -l < acks)" -eq 3 ]
    for id in $(jq -r .deviceId acks); do
        c=$(jq -r --arg d "$id" 'select(.messageType == "command" and .deviceId == $d) | .commandId' out/loop.ndjson)
        [ "$(jq -r --arg d "$id" 'select(.deviceId == $d) | .commandId' acks)" = "$c" ]
    done
    [ "$(sqlite3 out/state.sqlite "SELECT group_concat(value) FROM properties WHERE name = 'alarm'")" = '"cleared","cleared","cleared"' ]
}
