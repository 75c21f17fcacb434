#!/usr/bin/env bats
# iot-route: conditions, fan-out, fallback, endpoints (stdout, files, exec, sh), templates,
# rotation, atomic segments, LRU reopen, child failure, shards, hostile values.
load helpers

recs() {  # five devices, two records each; cnc-1 is hot
    cat <<'EOF'
{"deviceId":"cnc-1","deviceType":"CNC-Machine","timestamp":"2026-11-26T18:01:00Z","temperature":91.5,"priority":"high"}
{"deviceId":"cnc-2","deviceType":"CNC-Machine","timestamp":"2026-11-26T18:02:00Z","temperature":60,"priority":"normal"}
{"deviceId":"pump-1","deviceType":"Pump","timestamp":"2026-11-26T18:03:00Z","temperature":85,"priority":"normal"}
{"deviceId":"pump-2","deviceType":"Pump","timestamp":"2026-11-26T19:04:00Z","pressure":7.5}
{"deviceId":"comp-1","deviceType":"Compressor","timestamp":"2026-11-26T19:05:00Z","temperature":"hot","priority":"high"}
{"deviceId":"cnc-1","deviceType":"CNC-Machine","timestamp":"2026-11-26T19:06:00Z","temperature":95,"priority":"high"}
{"deviceId":"cnc-2","deviceType":"CNC-Machine","timestamp":"2026-11-26T20:07:00Z","temperature":61,"priority":"normal"}
{"deviceId":"pump-1","deviceType":"Pump","timestamp":"2026-11-26T20:08:00Z","temperature":40,"priority":"low"}
{"deviceId":"pump-2","deviceType":"Pump","timestamp":"2026-11-26T20:09:00Z","temperature":41,"priority":"low"}
{"deviceId":"comp-1","deviceType":"Compressor","timestamp":"2026-11-26T20:10:00Z","temperature":70,"priority":"normal"}
EOF
}

@test "help lists the options; man page and completions cover every long option" {
    run iot-route --help
    assert_success
    assert_output --partial "--route"
    run sh -c "man -l '$ROOT_DIR/man/iot-route.1' 2>&1 | cat"
    assert_success
    assert_output --partial "EXIT STATUS"
    assert_output --partial "STREAMING AND MEMORY"
}

@test "alerts to a file, everything else to stdout (fallback)" {
    recs > in.ndjson
    run iot-route -r 'alerts: temperature > 80 && priority == "high" => file:alerts.ndjson' in.ndjson
    assert_success
    [ "$(wc -l < alerts.ndjson)" -eq 2 ]
    grep -q '"temperature":91.5' alerts.ndjson
    grep -q '"temperature":95' alerts.ndjson
    [ "${#lines[@]}" -eq 8 ]
    # every record is in exactly one place, bytes unchanged
    cat alerts.ndjson <(printf '%s\n' "${lines[@]}") | sort > got
    sort in.ndjson > want
    cmp got want
}

@test "missing fields and type mismatches are no match, not errors" {
    recs > in.ndjson
    run iot-route -r 'hot: temperature > 50 => file:hot.ndjson' --fallback file:rest.ndjson in.ndjson
    assert_success
    # pump-2 has no temperature, comp-1 has a string: both in the fallback
    grep -q '"pump-2".*"pressure"' rest.ndjson
    grep -q '"temperature":"hot"' rest.ndjson
    run ! grep -q '"temperature":"hot"' hot.ndjson
    [ "$(wc -l < hot.ndjson)" -eq 6 ]
}

@test "a record matching several routes reaches each endpoint once; --first stops at the first" {
    recs > in.ndjson
    iot-route -r 'a: temperature > 80 => file:x.ndjson, file:a.ndjson' \
              -r 'b: priority == "high" => file:x.ndjson' --fallback drop in.ndjson
    # cnc-1 (x2) and pump-1 match a; cnc-1 (x2) and comp-1 match b; x gets each record once
    [ "$(wc -l < x.ndjson)" -eq 4 ]
    [ "$(wc -l < a.ndjson)" -eq 3 ]
    iot-route --first -r 'a: temperature > 80 => file:y.ndjson' -r 'b: priority == "high" => file:z.ndjson' \
              --fallback drop in.ndjson
    [ "$(wc -l < y.ndjson)" -eq 3 ]
    [ "$(wc -l < z.ndjson)" -eq 1 ]
    grep -q comp-1 z.ndjson
}

@test "dropping unmatched records is asked for and counted" {
    recs > in.ndjson
    run iot-route -r 'a: priority == "low" => file:low.ndjson' --fallback drop --stats in.ndjson
    assert_success
    assert_output --partial '"unmatched":8'
    assert_output --partial '"dropped":8'
    assert_output --partial '"route:a":2'
    run iot-route -r 'a: true => drop' -r 'b: false => -' --stats in.ndjson
    assert_output --partial '"dropped":10'
}

@test "expression language through the tool: in, exists, string functions, arithmetic" {
    recs > in.ndjson
    run iot-route -r "x: deviceType in ['Pump', 'Compressor'] && !exists(pressure) => -" --fallback drop in.ndjson
    [ "${#lines[@]}" -eq 5 ]
    run iot-route -r "x: startswith(lower(deviceType), 'cnc') && (temperature - 32) * 5 / 9 > 30 => -" --fallback drop in.ndjson
    [ "${#lines[@]}" -eq 2 ]
    run iot-route -r "x: contains(deviceId, 'mp-') or priority not in ['normal', 'low'] => -" --fallback drop in.ndjson
    [ "${#lines[@]}" -eq 8 ]
}

@test "a malformed condition is a usage error with its column" {
    run iot-route -r 'alerts: temperature > > 80 => -' </dev/null
    assert_failure 64
    assert_output --partial "column 23"
    assert_output --partial "expected a value"
    run iot-route -r 'alerts: lower(a, b) == 1 => -' </dev/null
    assert_failure 64
    assert_output --partial "lower() takes 1 argument"
    run iot-route -r 'alerts: temperature > 80' </dev/null
    assert_failure 64
    assert_output --partial "=>"
    run iot-route -r 'a: true => ftp:x' </dev/null
    assert_failure 64
    assert_output --partial "unknown endpoint"
    run iot-route -r 'a: true => exec:no-such-cmd-xyz' </dev/null
    assert_failure 64
    assert_output --partial "command not found"
    run iot-route </dev/null
    assert_failure 64
}

@test "bad JSON lines are rejected (65) or dead-lettered; good ones still routed" {
    { recs; echo '{"deviceId": broken'; } > in.ndjson
    run iot-route -r 'a: true => file:all.ndjson' in.ndjson
    assert_failure 65
    assert_output --partial "in.ndjson:11"
    [ "$(wc -l < all.ndjson)" -eq 10 ]
    run iot-route -r 'a: true => file:all2.ndjson' --dead-letter dl.ndjson in.ndjson
    assert_success
    [ "$(wc -l < dl.ndjson)" -eq 1 ]
    jq -e . dl.ndjson >/dev/null
}

@test "file templates: time and field partitions, zstd by .zst" {
    recs > in.ndjson
    run iot-route -r 'lake: true => file:lake/{yyyy}/{MM}/{dd}/{deviceType}-{HH}.ndjson.zst' --fallback drop in.ndjson
    assert_success
    [ -f lake/2026/11/26/CNC-Machine-18.ndjson.zst ]
    [ -f lake/2026/11/26/Pump-20.ndjson.zst ]
    [ "$(zstd -dc lake/2026/11/26/CNC-Machine-18.ndjson.zst | wc -l)" -eq 2 ]
    zstd -t lake/2026/11/26/*.zst
    [ "$(zstd -dc lake/2026/11/26/*.zst | wc -l)" -eq 10 ]
    # no temporary files left behind
    [ -z "$(find lake -name '.*')" ]
}

@test "a time template needs the event time: records without it are rejected, not lost" {
    printf '%s\n' '{"deviceId":"a","timestamp":"2026-01-01T00:00:00Z"}' '{"deviceId":"b"}' '{"deviceId":"c","timestamp":"yesterday"}' > in.ndjson
    run iot-route -r 'a: true => file:t/{HH}.ndjson' --dead-letter dl.ndjson in.ndjson
    assert_success
    [ "$(cat t/00.ndjson | wc -l)" -eq 1 ]
    [ "$(wc -l < dl.ndjson)" -eq 2 ]
    # epoch numbers work too, with --time-unit
    echo '{"deviceId":"a","ts":1764183205}' | iot-route -t ts --time-unit s -r 'a: true => file:e/{yyyy}{MM}{dd}{HH}{mm}{ss}.ndjson'
    [ -f e/20251126185325.ndjson ]
}

@test "rotation by --max-bytes: several segments, nothing lost, names NAME~N.EXT" {
    for i in $(seq 1 300); do printf '{"deviceId":"d","timestamp":"2026-01-01T00:00:00Z","i":%d}\n' "$i"; done > in.ndjson
    run iot-route --max-bytes 2k -r 'a: true => file:seg/d.ndjson' in.ndjson
    assert_success
    [ -f seg/d.ndjson ] && [ -f seg/d~1.ndjson ]
    n=$(ls seg | wc -l)
    [ "$n" -ge 8 ]
    cat seg/*.ndjson | sort > got
    sort in.ndjson > want
    cmp got want
    for f in seg/*.ndjson; do [ "$(stat -c %s "$f")" -le 2200 ]; done
    # a second run never overwrites: it adds segments
    iot-route --max-bytes 2k -r 'a: true => file:seg/d.ndjson' in.ndjson
    [ "$(ls seg | wc -l)" -eq $((2 * n)) ]
    [ "$(cat seg/* | wc -l)" -eq 600 ]
}

@test "atomic segments: a reader polling during writes never sees a partial file" {
    ( for i in $(seq 1 400); do
          printf '{"deviceId":"d%d","timestamp":"2026-01-01T00:00:00Z","i":%d,"pad":"%0200d"}\n' $((i % 3)) "$i" 0
          [ $((i % 20)) -eq 0 ] && sleep 0.02
      done ) | iot-route --max-bytes 4k -r 'a: true => file:lake/{deviceId}.ndjson' &
    pid=$!
    bad=0; seen=0
    while kill -0 $pid 2>/dev/null; do
        for f in lake/*.ndjson; do
            [ -e "$f" ] || continue
            seen=$((seen + 1))
            # a visible segment is complete: ends with a newline, every line is JSON
            if [ -n "$(tail -c1 "$f")" ] || ! jq -e . "$f" >/dev/null 2>&1; then bad=$((bad + 1)); fi
        done
    done
    wait $pid
    [ "$bad" -eq 0 ]
    [ "$seen" -gt 0 ]
    [ "$(cat lake/*.ndjson | wc -l)" -eq 400 ]
}

@test "bounded open files: LRU closes, a reopen starts a new segment (or zstd frame with --append)" {
    for i in $(seq 1 50); do for d in 1 2 3 4 5; do
        printf '{"deviceId":"dev-%d","timestamp":"2026-01-01T00:00:00Z","i":%d}\n' "$d" "$i"; done; done > in.ndjson
    run iot-route --max-open 2 --stats -r 'a: true => file:out/{deviceId}.ndjson.zst' in.ndjson
    assert_success
    assert_output --partial '"evicted":'
    [ "$(ls out | wc -l)" -gt 5 ]
    for d in 1 2 3 4 5; do
        [ "$(zstd -dc out/dev-$d*.ndjson.zst | wc -l)" -eq 50 ]
    done
    run iot-route --max-open 2 --append -r 'a: true => file:app/{deviceId}.ndjson.zst' in.ndjson
    assert_success
    [ "$(ls app | wc -l)" -eq 5 ]
    for d in 1 2 3 4 5; do
        [ "$(zstd -dc app/dev-$d.ndjson.zst | grep -c "\"dev-$d\"")" -eq 50 ]
    done
}

@test "exec: children get their records on stdin, one child per expansion" {
    recs > in.ndjson
    cat > sink.sh <<'EOF'
#!/bin/sh
cat >> "$1/$2.txt"
EOF
    chmod +x sink.sh; mkdir got
    run iot-route -r "all: true => exec:./sink.sh got {deviceId}" --stats in.ndjson
    assert_success
    assert_output --partial '"children":5'
    [ "$(wc -l < got/cnc-1.txt)" -eq 2 ]
    [ "$(cat got/*.txt | wc -l)" -eq 10 ]
    # sh: runs a shell string (taken literally)
    run iot-route -r "hot: temperature > 80 => sh:grep -c . > count.txt" --fallback drop in.ndjson
    assert_success
    [ "$(cat count.txt)" -eq 3 ]
    # --max-open bounds children too: still every record delivered
    rm -f got/*
    run iot-route --max-open 1 -r "all: true => exec:./sink.sh got {deviceId}" in.ndjson
    assert_success
    [ "$(cat got/*.txt | wc -l)" -eq 10 ]
}

@test "a child that dies or stops reading: exit 74, and what was not delivered" {
    recs > in.ndjson
    run iot-route -r 'all: true => sh:exit 3' in.ndjson
    assert_failure 74
    assert_output --partial "status 3"
    seq 1 200000 | sed 's/.*/{"deviceId":"d","i":&}/' > big.ndjson
    run iot-route -r 'all: true => exec:head -n 1' big.ndjson
    assert_failure 74
    assert_output --partial "stopped reading"
    assert_output --partial "not delivered"
    # the other endpoints' files are still complete and published
    run iot-route -r 'all: true => file:ok.ndjson, sh:exit 1' in.ndjson
    assert_failure 74
    [ "$(wc -l < ok.ndjson)" -eq 10 ]
}

@test "--shard N: {shard} is a stable lookup3 hash of the key; each key in one shard" {
    for i in $(seq 1 40); do for d in $(seq 1 20); do
        printf '{"deviceId":"cnc-%06d","timestamp":"2026-01-01T00:00:00Z","i":%d}\n' "$d" "$i"; done; done > in.ndjson
    run iot-route --shard 4 --fallback 'file:shard-{shard}.ndjson' in.ndjson
    assert_success
    [ "$(cat shard-*.ndjson | wc -l)" -eq 800 ]
    for d in $(seq 1 20); do
        [ "$(grep -l "cnc-$(printf %06d "$d")" shard-*.ndjson | wc -l)" -eq 1 ]
    done
    [ "$(ls shard-*.ndjson | wc -l)" -eq 4 ]
    sha1sum shard-*.ndjson > first
    rm shard-*.ndjson
    iot-route --shard 4 --fallback 'file:shard-{shard}.ndjson' in.ndjson
    sha1sum -c first
    run iot-route -r 'a: true => file:s{shard}' </dev/null
    assert_failure 64
    assert_output --partial "--shard"
}

@test "hostile device ids cannot leave the endpoint root nor break an argument" {
    big=$(head -c 10000 /dev/zero | tr '\0' 'A')
    {
        echo '{"deviceId":"../../etc/x","timestamp":"2026-01-01T00:00:00Z"}'
        echo '{"deviceId":"/abs/path","timestamp":"2026-01-01T00:00:00Z"}'
        echo '{"deviceId":"..","timestamp":"2026-01-01T00:00:00Z"}'
        echo '{"deviceId":"a\u0000b\n\u001bc","timestamp":"2026-01-01T00:00:00Z"}'
        echo '{"deviceId":"-rf *; $(touch pwned)","timestamp":"2026-01-01T00:00:00Z"}'
        echo "{\"deviceId\":\"$big\",\"timestamp\":\"2026-01-01T00:00:00Z\"}"
        echo '{"deviceId":["x","y"],"timestamp":"2026-01-01T00:00:00Z"}'
    } > in.ndjson
    mkdir root
    run iot-route -r 'a: true => file:root/{deviceId}/{deviceId}.ndjson' in.ndjson
    assert_success
    # nothing outside root (the scratch dir holds only what we made)
    [ "$(ls | sort | tr '\n' ' ')" = "in.ndjson root " ]
    [ "$(find root -type f | wc -l)" -eq 7 ]
    [ "$(cat $(find root -type f) | wc -l)" -eq 7 ]
    [ -z "$(find root -name '..*')" ]
    for f in $(find root -type f); do [ "$(basename "$f" | wc -c)" -le 130 ]; done
    # as arguments: each value stays one word, no shell ever sees it
    printf '#!/bin/sh\nprintf "%%s\\n" "$#" >> "%s/argc.txt"; cat > /dev/null\n' "$TMP" > args.sh
    chmod +x args.sh
    run iot-route -r 'a: true => exec:./args.sh x{deviceId}y' in.ndjson
    assert_success
    [ ! -e pwned ]
    [ "$(sort -u argc.txt)" = "1" ]
}

@test "--routes FILE: names, enabled, fallback null drops" {
    recs > in.ndjson
    cat > routes.json <<'EOF'
{"routes": [
  {"name": "alerts", "condition": "temperature > 80", "endpoints": ["file:alerts.ndjson"]},
  {"name": "off", "condition": "true", "endpoints": ["file:off.ndjson"], "enabled": false},
  {"name": "pumps", "condition": "deviceType == 'Pump'", "endpoint": "file:pumps.ndjson"}
 ],
 "fallback": null}
EOF
    run iot-route --routes routes.json --stats in.ndjson
    assert_success
    [ "$(wc -l < alerts.ndjson)" -eq 3 ]
    [ "$(wc -l < pumps.ndjson)" -eq 4 ]
    [ ! -e off.ndjson ]
    assert_output --partial '"dropped":4'
    run iot-route --routes routes.json --check
    assert_success
    assert_output --partial "off (disabled): true =>"
    echo '{"routes":[{"name":"x","condition":"a >","endpoints":["-"]}]}' > bad.json
    run iot-route --routes bad.json </dev/null
    assert_failure 64
    assert_output --partial "column 4"
    run iot-route --routes nope.json </dev/null
    assert_failure 66
}

@test "SIGTERM: segments flushed, fsynced and renamed; exit follows" {
    mkfifo fifo
    iot-route -r 'a: true => file:lake/{deviceId}.ndjson.zst' < fifo &
    pid=$!
    exec 5>fifo
    recs >&5
    # wait (bounded) until the records were read, then stop it
    for i in $(seq 1 100); do [ -n "$(find lake -name '.*tmp*' 2>/dev/null)" ] && break; sleep 0.05; done
    # (repeated: a TERM that lands between two reads is only seen at the next read, see report)
    for i in $(seq 1 100); do kill -TERM $pid 2>/dev/null || break; sleep 0.1; done
    wait $pid
    exec 5>&-
    [ "$(zstd -dc lake/*.zst | wc -l)" -eq 10 ]
    [ -z "$(find lake -name '.*')" ]
}

@test "--max-age publishes an idle segment while the input stays open" {
    mkfifo fifo
    iot-route --max-age 1s -r 'a: true => file:out/{deviceId}.ndjson' < fifo &
    pid=$!
    exec 5>fifo
    echo '{"deviceId":"x","timestamp":"2026-01-01T00:00:00Z"}' >&5
    for i in $(seq 1 200); do [ -f out/x.ndjson ] && break; sleep 0.05; done
    [ -f out/x.ndjson ]
    kill -0 $pid   # still running
    echo '{"deviceId":"x","timestamp":"2026-01-01T00:00:01Z"}' >&5
    exec 5>&-
    wait $pid
    [ "$(cat out/x*.ndjson | wc -l)" -eq 2 ]
}

@test "write errors: /dev/full is exit 74; | head is silent" {
    recs > in.ndjson
    run iot-route -r 'a: false => drop' in.ndjson -o /dev/full
    assert_failure 74
    run sh -c "iot-route -r 'a: false => drop' in.ndjson | head -1"
    assert_success
    [ "${#lines[@]}" -eq 1 ]
}

@test "two processes writing the same lake hour keep every record (no-replace publish)" {
    for i in $(seq 1 10000); do printf '{"deviceId":"d%d","timestamp":"2026-11-26T18:%02d:00Z","i":%d}\n' $((i % 7)) $((i % 60)) "$i"; done > all
    head -5000 all > a; tail -5000 all > b
    mkfifo fifo
    iot-route -r 'lake: true => file:lake/{yyyy}/{MM}/{dd}/{HH}.ndjson' --fallback drop < fifo &
    pid=$!
    exec 5>fifo
    cat a >&5
    # A has its segment open (bounded wait for its temp file); B then writes and publishes the same hour
    for i in $(seq 1 200); do [ -n "$(find lake -name '.*tmp*' 2>/dev/null)" ] && break; sleep 0.05; done
    [ -n "$(find lake -name '.*tmp*')" ]
    iot-route -r 'lake: true => file:lake/{yyyy}/{MM}/{dd}/{HH}.ndjson' --fallback drop b
    exec 5>&-
    wait $pid
    [ "$(ls lake/2026/11/26 | sort | tr '\n' ' ')" = "18.ndjson 18~1.ndjson " ]
    cat lake/2026/11/26/* | sort > got
    sort all > want
    cmp got want
}

@test "two templates naming one path write one segment with every record" {
    recs | grep '"Pump"' > in.ndjson
    run iot-route --stats -r 'a: true => file:lake2/Pump.ndjson' -r 'b: true => file:lake2/{deviceType}.ndjson' \
        --fallback drop in.ndjson
    assert_success
    assert_output --partial '"delivered":8,"segments":1'
    [ "$(ls lake2)" = "Pump.ndjson" ]
    [ "$(wc -l < lake2/Pump.ndjson)" -eq 8 ]
    [ "$(grep -c pump-1 lake2/Pump.ndjson)" -eq 4 ]
    # in append mode too: one writer per path, so lines from the two templates never interleave
    run iot-route --append -r 'a: true => file:lake3/Pump.ndjson' -r 'b: true => file:lake3/{deviceType}.ndjson' \
        --fallback drop in.ndjson
    assert_success
    [ "$(wc -l < lake3/Pump.ndjson)" -eq 8 ]
}

@test "stale temporary segments of dead processes are removed at start, nothing else" {
    mkdir -p lake
    sh -c 'exit 0' & dead=$!
    wait $dead
    while kill -0 $dead 2>/dev/null; do dead=$((dead + 1)); done
    echo partial > "lake/.x.ndjson.tmp.$dead.0"
    echo live > "lake/.x.ndjson.tmp.$$.0"
    echo mine > lake/.notes.tmp.x
    echo keep > "lake/x.ndjson.tmp.$dead.0"
    recs > in.ndjson
    run iot-route --stats -r 'a: true => file:lake/{deviceType}.ndjson' in.ndjson
    assert_success
    assert_output --partial "lake/.x.ndjson.tmp.$dead.0: removed a temporary segment left by a process that is gone"
    assert_output --partial '"stale_temp_removed":1'
    [ ! -e "lake/.x.ndjson.tmp.$dead.0" ]
    [ -e "lake/.x.ndjson.tmp.$$.0" ] && [ -e lake/.notes.tmp.x ] && [ -e "lake/x.ndjson.tmp.$dead.0" ]
    [ "$(cat lake/*.ndjson | wc -l)" -eq 10 ]
}

# ---- MQTT (a real mosquitto on a free loopback port, stopped at the end of each test) ----

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null ||
        echo $((20000 + RANDOM % 20000))
}
need_mqtt() {
    for c in mosquitto mosquitto_sub mosquitto_pub; do
        command -v $c > /dev/null || skip "$c not installed (Debian: mosquitto, mosquitto-clients)"
    done
}
broker_start() {  # on $PORT; persistence in ./mqdb, so a TERM and restart keeps sessions
    mkdir -p mqdb    # (user root: run as root, the broker would drop to a user that cannot write here)
    printf 'listener %s 127.0.0.1\nallow_anonymous true\nuser %s\npersistence true\npersistence_location %s/mqdb/\nmax_queued_messages 0\n' \
        "$PORT" "$(id -un)" "$TMP" > mq.conf
    mosquitto -c mq.conf >> mq.log 2>&1 5>&- &
    BROKER=$!
    for i in $(seq 1 50); do mosquitto_pub -h 127.0.0.1 -p "$PORT" -t ping -m x 2>/dev/null && return 0; sleep 0.1; done
    return 1
}
sub_start() {  # a QoS 1 consumer with a persistent session, appending "topic payload" lines to sub.out
    timeout 120 mosquitto_sub -h 127.0.0.1 -p "$PORT" -q 1 -c -i iotkit-test-sub -t 'devices/#' -v >> sub.out 2>> sub.err 5>&- &
    SUB=$!
    local pings
    pings=$(grep -c '^devices/ping' sub.out 2>/dev/null || true)
    for i in $(seq 1 50); do
        mosquitto_pub -h 127.0.0.1 -p "$PORT" -q 1 -t devices/ping -m ping 2>/dev/null
        [ "$(grep -c '^devices/ping' sub.out 2>/dev/null)" -gt "${pings:-0}" ] && return 0
        sleep 0.1
    done
    return 1
}
got_i() { grep -v '^devices/ping' sub.out | sed 's/.*"i":\([0-9]*\).*/\1/'; }
teardown() {
    [ -n "${SUB:-}" ] && kill "$SUB" 2>/dev/null
    [ -n "${BROKER:-}" ] && kill "$BROKER" 2>/dev/null
    [ -n "${ROUTE:-}" ] && kill "$ROUTE" 2>/dev/null
    wait 2>/dev/null
    return 0
}
nrecs() { for i in $(seq "$1" "$2"); do printf '{"deviceId":"d%d","timestamp":"2026-11-26T18:00:00Z","i":%d}\n' $((i % 5)) "$i"; done; }

@test "mqtt://: QoS 1 with PUBACK per record, topic from the template; no broker and no spool is exit 74" {
    need_mqtt
    PORT=$(free_port)
    broker_start
    sub_start
    nrecs 1 500 > in.ndjson
    printf '{"deviceId":"a/+/#","timestamp":"2026-11-26T18:00:00Z","i":501}\n' >> in.ndjson
    run iot-route --stats -r "up: true => mqtt://127.0.0.1:$PORT/devices/{deviceId}/telemetry" --fallback drop in.ndjson
    assert_success
    assert_output --partial '"mqtt_acked":501'
    for i in $(seq 1 50); do [ "$(got_i | wc -l)" -ge 501 ] && break; sleep 0.1; done
    [ "$(got_i | wc -l)" -eq 501 ]
    got_i | sort -n | cmp - <(seq 1 501)
    grep -q '^devices/d3/telemetry {"deviceId":"d3",.*"i":3}$' sub.out
    grep -q '^devices/a%2F%2B%2F%23/telemetry ' sub.out
    kill "$BROKER"; wait "$BROKER" 2>/dev/null; BROKER=
    run iot-route -r "up: true => mqtt://127.0.0.1:$PORT/devices/{deviceId}/telemetry" --fallback drop in.ndjson
    [ "$status" -eq 74 ]
    assert_output --partial "cannot connect to 127.0.0.1:$PORT"
    run iot-route -r 'up: true => mqtt://127.0.0.1:99999/t' in.ndjson
    [ "$status" -eq 64 ]
    assert_output --partial "bad port"
}

@test "--spool: broker away, records kept on disk; the next run replays them in order, once; a torn tail is cut" {
    need_mqtt
    PORT=$(free_port)
    nrecs 1 1000 > in.ndjson
    ep="up: true => mqtt://127.0.0.1:$PORT/devices/{deviceId}/telemetry"
    run iot-route --stats --spool sp --ack-timeout 300ms -r "$ep" --fallback drop in.ndjson
    assert_success
    assert_output --partial "1000 records kept in the spool"
    assert_output --partial '"spooled":1000'
    assert_output --partial '"spool_left":1000'
    seg=$(ls sp/mqtt-*/*.spool)
    printf '\020\000\000\000\000\000\000\000abc' >> "$seg"     # a record torn by a crash
    broker_start
    sub_start
    run iot-route --stats --spool sp -r "$ep" --fallback drop /dev/null
    assert_success
    assert_output --partial "damaged or torn record at offset"
    assert_output --partial '"replayed":1000'
    assert_output --partial '"spool_left":0'
    for i in $(seq 1 50); do [ "$(got_i | wc -l)" -ge 1000 ] && break; sleep 0.1; done
    got_i | cmp - <(seq 1 1000)
    run iot-route --stats --spool sp -r "$ep" --fallback drop /dev/null
    assert_success
    assert_output --partial '"replayed":0'
    [ "$(got_i | wc -l)" -eq 1000 ]
    # a full spool drops the newest records and says so
    kill "$BROKER"; wait "$BROKER" 2>/dev/null; BROKER=
    run iot-route --stats --spool sp2 --spool-max 20k --ack-timeout 300ms -r "$ep" --fallback drop in.ndjson
    assert_success
    assert_output --partial "the spool is full"
    n=$(echo "$output" | grep -o '"spool_dropped":[0-9]*' | cut -d: -f2)
    k=$(echo "$output" | grep -o '"spool_left":[0-9]*' | cut -d: -f2)
    [ "$n" -gt 0 ] && [ $((n + k)) -eq 1000 ]
}

@test "broker restarted mid-stream: records spooled, reconnect with backoff, replay in order, none lost" {
    need_mqtt
    PORT=$(free_port)
    broker_start
    sub_start
    mkfifo fifo
    iot-route --stats --spool sp --ack-timeout 20s -r "up: true => mqtt://127.0.0.1:$PORT/devices/{deviceId}/telemetry" \
        --fallback drop < fifo > route.out 2> route.err &
    ROUTE=$!
    exec 5>fifo
    nrecs 1 500 >&5
    for i in $(seq 1 100); do [ "$(got_i | wc -l)" -ge 500 ] && break; sleep 0.1; done
    [ "$(got_i | wc -l)" -ge 500 ]
    kill "$SUB"; wait "$SUB" 2>/dev/null
    kill -TERM "$BROKER"; wait "$BROKER" 2>/dev/null   # its persistence keeps the consumer's session
    nrecs 501 20500 >&5
    for i in $(seq 1 100); do [ -n "$(find sp -name '*.spool' -size +1000k)" ] && break; sleep 0.1; done
    [ -n "$(find sp -name '*.spool' -size +1000k)" ]
    kill -0 "$ROUTE"
    broker_start
    # as soon as the replay has begun (its first commit), newer records arrive while the
    # spool is being replayed: they must wait behind it
    for i in $(seq 1 200); do [ -n "$(ls sp/mqtt-*/acked 2>/dev/null)" ] && break; sleep 0.05; done
    nrecs 20501 21000 >&5
    exec 5>&-
    wait "$ROUTE"
    ROUTE=
    grep -q '"reconnects":[1-9]' route.err
    grep -q '"spool_left":0' route.err
    sub_start
    for i in $(seq 1 100); do [ "$(got_i | sort -un | wc -l)" -ge 21000 ] && break; sleep 0.1; done
    # at-least-once: every record, in order once duplicates (resent after the cut) are removed
    got_i | awk '!seen[$0]++' | cmp - <(seq 1 21000)
}

@test "SIGKILL while spooling and while replaying: a restart sends every spooled record, in order" {
    need_mqtt
    PORT=$(free_port)
    ep="up: true => mqtt://127.0.0.1:$PORT/devices/{deviceId}/telemetry"
    nrecs 1 20000 > in.ndjson
    want=$(awk '{ s += 8 + 21 + length($0) } END { print s }' in.ndjson)   # frame + topic + NUL + record
    mkfifo fifo
    iot-route --spool sp -r "$ep" --fallback drop < fifo 2> route.err &
    ROUTE=$!
    exec 5>fifo
    cat in.ndjson >&5
    for i in $(seq 1 200); do [ "$(cat sp/mqtt-*/*.spool 2>/dev/null | wc -c)" -ge "$want" ] && break; sleep 0.05; done
    [ "$(cat sp/mqtt-*/*.spool | wc -c)" -eq "$want" ]
    kill -KILL "$ROUTE"; wait "$ROUTE" 2>/dev/null || true; ROUTE=
    exec 5>&-
    broker_start
    sub_start
    iot-route --spool sp -r "$ep" --fallback drop /dev/null 2> route2.err &
    ROUTE=$!
    for i in $(seq 1 200); do [ "$(got_i | wc -l)" -ge 2000 ] && break; sleep 0.02; done
    kill -KILL "$ROUTE" 2>/dev/null; wait "$ROUTE" 2>/dev/null || true; ROUTE=
    run iot-route --stats --spool sp -r "$ep" --fallback drop /dev/null
    assert_success
    assert_output --partial '"spool_left":0'
    for i in $(seq 1 100); do [ "$(got_i | sort -un | wc -l)" -ge 20000 ] && break; sleep 0.1; done
    got_i | awk '!seen[$0]++' | cmp - <(seq 1 20000)
}

@test "--metrics: Prometheus textfile, rewritten atomically while the input stays open, and at exit" {
    recs > in.ndjson
    mkfifo fifo
    iot-route --metrics m.prom --metrics-every 200ms -r 'hot: temperature > 80 => drop' < fifo > out &
    ROUTE=$!
    exec 5>fifo
    recs >&5
    for i in $(seq 1 100); do grep -q '^iot_records_in_total{tool="iot-route"} 10$' m.prom 2>/dev/null && break; sleep 0.05; done
    grep -q '^iot_records_in_total{tool="iot-route"} 10$' m.prom
    kill -0 "$ROUTE"
    head -3 in.ndjson >&5
    exec 5>&-
    wait "$ROUTE"; ROUTE=
    grep -q '^iot_records_in_total{tool="iot-route"} 13$' m.prom
    grep -q '^iot_route_route_matched_total{tool="iot-route",route="hot"} 5$' m.prom
    grep -q '^iot_route_unmatched_total{tool="iot-route"} 8$' m.prom
    grep -q '^# TYPE iot_route_delivered_total counter$' m.prom
    [ -z "$(find . -name '.m.prom*')" ]
    if command -v promtool > /dev/null; then
        run sh -c 'promtool check metrics < m.prom'
        assert_success
    fi
}

@test "expressions: \"\" + \"\" compiles and runs (no memcpy from NULL: make check SAN=1 aborts on it)" {
    echo '{"a":1}' > in.ndjson
    run iot-route -r 'a: "" + "" == "" => -' --fallback drop in.ndjson
    assert_success
}
