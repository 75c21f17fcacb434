#!/usr/bin/env bats
# iot-sim: every option, determinism, faults, truth labels, CSV, assets, bad options, docs.
load helpers

EXAMPLE_KEYS='["deviceId","deviceType","timestamp","temperature","pressure","vibration","priority","messageType"]'

@test "default output: the reference telemetry shape, 10 devices, 1h" {
    run iot-sim -c 5
    assert_success
    assert_equal "${#lines[@]}" 5
    [[ "${lines[0]}" =~ ^\{\"deviceId\":\"[a-z]+-[0-9]{6}\",\"deviceType\":\"[A-Za-z-]+\",\"timestamp\":\"2026-01-01T00:00:0[0-9]\.[0-9]{3}Z\",\"temperature\":-?[0-9]+\.[0-9],\"pressure\":[0-9.]+,\"vibration\":[0-9]+\.[0-9]{2},\"priority\":\"(normal|high)\",\"messageType\":\"telemetry\"\}$ ]]
    run sh -c 'iot-sim -c 50 | jq -c "keys_unsorted" | sort -u'
    assert_output "$EXAMPLE_KEYS"
    # lines stay short (~170-190 bytes)
    run sh -c 'iot-sim -c 1000 | awk "{ if (length(\$0) > 200) n++ } END { print n+0 }"'
    assert_output 0
    run sh -c 'iot-sim | wc -l'
    assert_output 36000
}

@test "--help lists the options and exits 0; --version" {
    run iot-sim --help
    assert_success
    assert_output --partial "--devices"
    assert_output --partial "--faults"
    run iot-sim --version
    assert_success
}

@test "determinism: same seed and options give byte-identical output" {
    opts="-n 40 -d 2h -i 10s --anomalies 0.01 --faults late=0.02:30s,dup=0.01,drop=0.01,malformed=0.01 --truth --events --mtbf 3d"
    iot-sim $opts > a
    iot-sim $opts > b
    cmp a b
    [ "$(wc -l < a)" -gt 25000 ]
    iot-sim $opts --seed 2 > c
    run ! cmp -s a c
}

@test "a device's stream does not depend on how many devices are simulated" {
    iot-sim -n 5 -d 30m --anomalies 0.01 --truth --faults dup=0.01,late=0.01:10s | grep '"conv-000004"' > small
    iot-sim -n 500 -d 30m --anomalies 0.01 --truth --faults dup=0.01,late=0.01:10s | grep '"conv-000004"' > big
    [ "$(wc -l < small)" -gt 1700 ]
    cmp small big
}

@test "--devices N gives N distinct devices; ids carry the index" {
    run sh -c 'iot-sim -n 37 -d 1m | jq -r .deviceId | sort -u | wc -l'
    assert_output 37
    run sh -c 'iot-sim -n 37 -d 1m | jq -r .deviceId | sed "s/.*-//" | sort -n | tail -1'
    assert_output 000036
}

@test "--types picks types and shares" {
    run sh -c 'iot-sim -n 100 -d 1s --types CNC-Machine:60,Pump:40 | jq -r .deviceType | sort | uniq -c | awk "{print \$2, \$1}"'
    assert_line "CNC-Machine 60"
    assert_line "Pump 40"
    run sh -c 'iot-sim -n 10 -d 1s --types Compressor | jq -r .deviceId | cut -c1-5 | sort -u'
    assert_output "comp-"
}

@test "--fleet examples/fleet.json: own types, sensors and failure modes" {
    run sh -c "iot-sim --fleet '$ROOT_DIR/examples/fleet.json' -n 40 -d 1m | jq -r .deviceType | sort -u"
    assert_output "$(printf 'Chiller\nPump')"
    run sh -c "iot-sim --fleet '$ROOT_DIR/examples/fleet.json' -n 40 -d 1m | jq -c 'select(.deviceType==\"Chiller\") | keys_unsorted' | sort -u"
    assert_output '["deviceId","deviceType","timestamp","temperature","pressure","vibration","current","priority","messageType"]'
    run iot-sim --fleet "$ROOT_DIR/examples/fleet.json" --list-types
    assert_success
    assert_output --partial "refrigerant-leak"
    # failures of the file's modes happen
    run sh -c "iot-sim --fleet '$ROOT_DIR/examples/fleet.json' -n 20 -d 90d -i 1h --mtbf 30d --events | grep -c '\"component\":\"compressor-bearing\"'"
    [ "$output" -gt 0 ]
}

@test "--fleet errors: missing file 66, bad file 65 with file:line" {
    run iot-sim --fleet nonexistent.json
    assert_failure 66
    printf '{"types": [\n{"name": "Fan",}\n]}\n' > bad.json
    run iot-sim --fleet bad.json
    assert_failure 65
    assert_output --partial "bad.json:2:"
    printf '{"types":[{"name":"Fan","sensors":[{"name":"rpm","noise":-1}]}]}' > neg.json
    run iot-sim --fleet neg.json
    assert_failure 65
    assert_output --partial "noise"
}

@test "--start, --duration and --count" {
    run sh -c 'iot-sim --start 2025-06-01T12:00:00Z -d 10s -n 3 | jq -r .timestamp | sort | sed -n "1p;\$p"'
    assert_line --index 0 --regexp '^2025-06-01T12:00:00\.[0-9]{3}Z$'
    assert_line --index 1 --regexp '^2025-06-01T12:00:0[0-9]\.[0-9]{3}Z$'
    run sh -c 'iot-sim -c 1234 | wc -l'
    assert_output 1234
    run sh -c 'iot-sim -c 0 | wc -c'
    assert_output 0
    run sh -c 'iot-sim --start 1767225600 -c 1 | jq -r .timestamp'
    assert_output --regexp '^2026-01-01T00:00:0'
}

@test "--interval and --jitter: per-device spacing" {
    run sh -c 'iot-sim -n 2 -i 10s --jitter 0 -d 1m --types Pump | grep pump-000001 | jq -r .timestamp | cut -c18-'
    assert_equal "${#lines[@]}" 6
    # no jitter: the same sub-minute phase in every sample (10 s apart)
    [ "$(printf '%s\n' "${lines[@]}" | cut -c2- | sort -u | wc -l)" -eq 1 ]
    run sh -c 'iot-sim -n 1 -i 10s --jitter 0.5 -d 10m | jq -r .timestamp | cut -c21-23 | sort -u | wc -l'
    [ "$output" -gt 30 ]
}

@test "batch output is in event-time order (without late faults)" {
    run sh -c 'iot-sim -n 200 -d 5m -i 1s --jitter 0.3 | jq -r .timestamp > ts; sort -c ts && echo sorted'
    assert_output sorted
}

@test "--rate and --speed pace output without changing a byte" {
    iot-sim -c 300 --truth --anomalies 0.05 > batch
    iot-sim -c 300 --truth --anomalies 0.05 --rate 20000 > rate
    iot-sim -c 300 --truth --anomalies 0.05 --speed 600 > speed
    cmp batch rate
    cmp batch speed
}

@test "--live stamps records with the current time" {
    run sh -c 'iot-sim --live -n 20 -c 5 | jq -r .timestamp | cut -c1-4 | sort -u'
    assert_output "$(date -u +%Y)"
    run iot-sim --live --start 2026-01-01T00:00:00Z -c 1
    assert_failure 64
}

@test "--events: failure then maintenance per device; --mtbf" {
    iot-sim -n 30 -d 90d -i 1h --mtbf 30d --events > ev
    nf=$(grep -c '"messageType":"failure"' ev)
    [ "$nf" -gt 20 ]
    # each failure is followed by a maintenance record of the same device and component
    run sh -c "jq -r 'select(.messageType != \"telemetry\") | [.deviceId, .messageType, .component] | @tsv' ev |
        awk '{ if (\$2 == \"failure\") { if (open[\$1]) bad++; open[\$1] = \$3 } else { if (open[\$1] != \$3) bad++; open[\$1] = \"\" } }
             END { print bad + 0 }'"
    assert_output 0
    # no telemetry from a device between its failure and its maintenance
    run sh -c "jq -r '[.deviceId, .messageType] | @tsv' ev | awk '\$2 == \"failure\" { down[\$1] = 1 } \$2 == \"maintenance\" { down[\$1] = 0 } \$2 == \"telemetry\" && down[\$1] { n++ } END { print n + 0 }'"
    assert_output 0
    # without --events, the same telemetry and no event records
    iot-sim -n 30 -d 90d -i 1h --mtbf 30d > noev
    grep '"telemetry"' ev | cmp - noev
}

@test "failures are preceded by drift of vibration or temperature (7-14 days ahead)" {
    iot-sim -n 40 -d 150d -i 2h --mtbf 60d --events --types Pump,Conveyor,Compressor,CNC-Machine > w
    # for each failure with 40 days of history: mean vibration/temperature 40-30 d before
    # vs 7-3 d before (during running time only)
    run sh -c "jq -r '[.deviceId, (.timestamp | sub(\"\\\\.[0-9]+Z\$\"; \"Z\") | fromdate), .messageType, (.vibration // \"\"), (.temperature // \"\")] | @tsv' w |
      awk -F'\t' '
        \$3 == \"maintenance\" { start[\$1] = \$2; n[\$1] = 0 }
        \$3 == \"telemetry\" { i = ++n[\$1]; T[\$1, i] = \$2; V[\$1, i] = \$4; C[\$1, i] = \$5 }
        \$3 == \"failure\" {
          F = \$2; if (!(\$1 in start)) start[\$1] = 0
          if (F - start[\$1] < 45 * 86400 || F < 1767225600 + 45 * 86400) { n[\$1] = 0; next }
          a = b = ca = cb = na = nb = 0
          for (i = 1; i <= n[\$1]; i++) {
            d = (F - T[\$1, i]) / 86400
            if (d >= 30 && d < 40) { a += V[\$1, i]; ca += C[\$1, i]; na++ }
            if (d >= 3 && d < 7) { b += V[\$1, i]; cb += C[\$1, i]; nb++ }
          }
          if (na && nb) { checked++; if (b / nb > 1.15 * a / na || cb / nb > 1.05 * ca / na) drift++ }
          n[\$1] = 0
        }
        END { print checked + 0, drift + 0 }'"
    read checked drift <<< "$output"
    [ "$checked" -ge 5 ]
    [ "$drift" -eq "$checked" ]
}

@test "priority is high when a sensor is beyond its limit" {
    iot-sim -n 40 -d 120d -i 1h --mtbf 40d --types Pump > p
    run sh -c "jq -r 'select(.priority == \"high\") | select(.vibration > 4.5 or .temperature > 85 or .pressure > 8 or .pressure < 4) | .deviceId' p | wc -l"
    high_ok=$output
    run sh -c "jq -r 'select(.priority == \"high\") | .deviceId' p | wc -l"
    [ "$output" -gt 0 ]
    assert_equal "$high_ok" "$output"
    run sh -c "jq -r 'select(.priority == \"normal\" and .messageType == \"telemetry\") | select(.vibration > 4.5 or .temperature > 85) | .deviceId' p | wc -l"
    assert_output 0
}

@test "--truth: labels on every telemetry record, consistent with the data" {
    iot-sim -n 20 -d 2h -i 5s --truth --anomalies 0.02 > t
    run sh -c "jq -r 'select(.messageType == \"telemetry\") | [has(\"_anomaly\"), has(\"_rul\")] | @tsv' t | sort -u"
    assert_output "$(printf 'true\ttrue')"
    # every kind appears; labelled anomalies name a sensor
    run sh -c "jq -r 'select(._anomaly != \"none\") | ._anomaly' t | sort -u | tr '\n' ' '"
    assert_output "dip dropout shift spike stuck "
    run sh -c "jq -r 'select(._anomaly != \"none\" and (has(\"_anomalySensor\") | not))' t | wc -l"
    assert_output 0
    # dropout: that sensor is null; nulls only in dropouts
    run sh -c "jq -r 'select(._anomaly == \"dropout\") | .[._anomalySensor]' t | sort -u"
    assert_output null
    run sh -c "jq -r 'select(._anomaly != \"dropout\") | select(.temperature == null or .pressure == null or .vibration == null)' t | wc -l"
    assert_output 0
    # stuck: runs of the exact same value
    run sh -c "jq -r 'select(._anomaly == \"stuck\") | [.deviceId, ._anomalySensor, .[._anomalySensor]] | @tsv' t | sort | uniq -c | awk '\$1 > 5' | wc -l"
    [ "$output" -gt 0 ]
    # _rul counts down by the interval (within jitter) for each device
    run sh -c "jq -r 'select(.deviceId == \"cnc-000003\") | ._rul' t | awk 'NR > 1 { d = p - \$1; if (d < 4 || d > 6) bad++ } { p = \$1 } END { print bad + 0 }'"
    assert_output 0
    # without --truth no underscore fields
    run sh -c 'iot-sim -n 20 -d 10m --anomalies 0.02 | grep -c "\"_"'
    assert_output 0
}

@test "--anomalies does not disturb the devices' noise streams" {
    # records without an active anomaly are identical with and without --anomalies
    iot-sim -n 10 -d 20m --truth > plain
    iot-sim -n 10 -d 20m --truth --anomalies 0.01 > anom
    run sh -c "grep -c '\"_anomaly\":\"none\"' anom"
    none=$output
    run sh -c "grep '\"_anomaly\":\"none\"' anom | grep -cxFf - plain"
    assert_output "$none"
}

@test "--faults drop and dup: counts roughly match the rates" {
    run sh -c 'iot-sim -c 20000 --faults drop=0.05 | wc -l'
    [ "$output" -gt 18600 ] && [ "$output" -lt 19400 ]
    run sh -c 'iot-sim -c 20000 --faults dup=0.05 | wc -l'
    [ "$output" -gt 20600 ] && [ "$output" -lt 21400 ]
    # duplicates are byte-identical copies, right after the original
    run sh -c 'iot-sim -c 20000 --faults dup=0.05 | uniq -d | wc -l'
    [ "$output" -gt 600 ] && [ "$output" -lt 1400 ]
    run sh -c 'iot-sim -c 20000 --faults dup=0.05 --truth | grep -c "\"_fault\":\"dup\""'
    [ "$output" -gt 600 ] && [ "$output" -lt 1400 ]
}

@test "--faults late: displaced records arrive later, nothing lost" {
    iot-sim -c 20000 -n 50 --faults late=0.02:30s --stats > l 2> stats
    assert_equal "$(wc -l < l)" 20000
    late=$(jq .late stats)
    [ "$late" -gt 250 ] && [ "$late" -lt 550 ]
    # out-of-order arrivals are seen by a reader
    run sh -c "jq -r .timestamp l | awk 'p > \$0 { n++ } { if (\$0 > p) p = \$0 } END { print n + 0 }'"
    [ "$output" -gt 250 ]
    # same set of records as without faults
    iot-sim -c 20000 -n 50 > nolate
    run bash -c 'sort l | cmp - <(sort nolate) && echo same'
    assert_output same
    # late at most 30 s behind the newest record seen before it
    run sh -c "jq -r '.timestamp | sub(\"\\\\.[0-9]+Z\$\"; \"Z\") | fromdate' l | awk '\$1 > m { m = \$1 } m - \$1 > 31 { bad++ } END { print bad + 0 }'"
    assert_output 0
}

@test "--faults malformed: broken lines really are invalid JSON, in the stated number" {
    iot-sim -c 5000 --faults malformed=0.05 --stats > m 2> stats
    n=$(jq .malformed stats)
    [ "$n" -gt 180 ] && [ "$n" -lt 330 ]
    # jq rejects truncations, raw control characters, lost quotes, trailing braces; it is lenient
    # with NaN and invalid UTF-8, which RFC 8259 forbids: count those by their bytes
    byjq=$(jq -R -r 'try (fromjson | empty) catch "bad"' m 2>/dev/null | grep -c '^bad' || true)
    nan=$(grep -c ':NaN' m || true)
    ff=$(LC_ALL=C grep -c $'\xff' m || true)
    [ "$byjq" -gt 0 ] && [ "$nan" -gt 0 ] && [ "$ff" -gt 0 ]
    assert_equal "$((byjq + nan + ff))" "$n"
}

@test "--format csv: header and rows with a fixed column count" {
    run iot-sim -f csv -c 100
    assert_success
    assert_line --index 0 "deviceId,deviceType,timestamp,temperature,pressure,vibration,priority,messageType"
    assert_equal "${#lines[@]}" 101
    run sh -c 'iot-sim -f csv -c 500 --truth --events --anomalies 0.05 | awk -F, "{ print NF }" | sort -u'
    assert_output 12
    run sh -c 'iot-sim -f csv -c 2 --truth --events | head -1'
    assert_output "deviceId,deviceType,timestamp,temperature,pressure,vibration,priority,messageType,component,_anomaly,_anomalySensor,_rul"
    # the same numbers as the NDJSON output
    a=$(iot-sim -c 1 | jq -r '[.deviceId, .temperature, .vibration] | map(tostring) | join(",")')
    b=$(iot-sim -c 1 -f csv | tail -1 | cut -d, -f1,4,6)
    [ "$(echo "$a" | cut -d, -f1)" = "$(echo "$b" | cut -d, -f1)" ]
    run sh -c 'iot-sim -f csv -c 2000 --faults malformed=0.05 --stats 2>&1 >/dev/null | jq .malformed'
    [ "$output" -gt 50 ]
}

@test "--assets writes the registry (NDJSON and CSV)" {
    run iot-sim -n 25 -c 0 --assets assets.ndjson
    assert_success
    assert_equal "$(wc -l < assets.ndjson)" 25
    run sh -c 'jq -c keys_unsorted assets.ndjson | sort -u'
    assert_output '["deviceId","deviceType","site","line","model","installDate","lastMaintenance"]'
    run sh -c "jq -r 'select(.installDate > .lastMaintenance or (.installDate | test(\"^[0-9]{4}-[0-9]{2}-[0-9]{2}\$\") | not))' assets.ndjson | wc -l"
    assert_output 0
    # every device in the telemetry is in the registry, with the same type
    iot-sim -n 25 -d 10s | jq -r '[.deviceId, .deviceType] | @tsv' | sort -u > seen
    jq -r '[.deviceId, .deviceType] | @tsv' assets.ndjson | sort > reg
    cmp seen reg
    run iot-sim -n 5 -c 0 -f csv --assets assets.csv
    assert_equal "$(head -1 assets.csv)" "deviceId,deviceType,site,line,model,installDate,lastMaintenance"
    assert_equal "$(wc -l < assets.csv)" 6
    run iot-sim -n 5 -c 0 --assets /nonexistent/dir/a.ndjson
    assert_failure 73
}

@test "--lead and --mtbf change the failure model" {
    iot-sim -n 30 -d 60d -i 6h --mtbf 20d --lead 3d --events --truth > short
    iot-sim -n 30 -d 60d -i 6h --mtbf 20d --lead 20d:25d --events --truth > long
    run ! cmp -s short long
    # with a 3-day lead the vibration 5+ days before a failure is still at its baseline level:
    # no high-priority telemetry more than 3 days (_rul) ahead, unless an anomaly
    run sh -c "jq -r 'select(.messageType == \"telemetry\" and .priority == \"high\" and ._rul > 3 * 86400 and .deviceType != \"CNC-Machine\")' short | wc -l"
    assert_output 0
}

@test "common options: -o, -u, --stats; | head is silent; /dev/full is exit 74" {
    run iot-sim -c 10 -o out.ndjson
    assert_success
    assert_equal "$(wc -l < out.ndjson)" 10
    run iot-sim -c 10 -u
    assert_equal "${#lines[@]}" 10
    run sh -c 'iot-sim -c 10 --stats 2>&1 >/dev/null'
    assert_output --partial '"records_out":10'
    run sh -c 'iot-sim -n 1000 -d 1d | head -1 2>&1; echo rc=$?'
    assert_line --index 1 "rc=0"
    refute_output --partial "iot-sim:"
    run sh -c 'iot-sim -c 100000 > /dev/full'
    assert_failure 74
    iot-sim -c 100 -o out.ndjson.zst
    run sh -c 'zstd -dc out.ndjson.zst | wc -l'
    assert_output 100
}

@test "--list-types shows the four built-ins" {
    run iot-sim --list-types
    assert_success
    assert_output --partial "CNC-Machine"
    assert_output --partial "Pump"
    assert_output --partial "Compressor"
    assert_output --partial "Conveyor"
}

@test "bad options: one line, Try 'iot-sim --help', exit 64" {
    for args in "--bogus" "--devices 0" "--devices abc" "--interval 0" "--interval 100us" \
                "--jitter 0.9" "--faults bogus=1" "--faults dup=2" "--faults late=0.1:soon" \
                "--types Robot:1" "--types Pump:-3" "--anomalies 1.5" "--format xml" "--rate 0" \
                "--speed -1" "--lead 5d:1d" "--lead 0" "--mtbf never" "--mtbf 0" "--start yesterday" "--duration 0" \
                "--count -1" "--seed x" "operand"; do
        # -c 5 first: an option wrongly accepted must not start an endless run
        run timeout 20 iot-sim -c 5 $args
        [ "$status" -eq 64 ] || { echo "args: $args: status $status"; false; }
        [ "${#lines[@]}" -eq 2 ] || { echo "args: $args: $output"; false; }
        [[ "${lines[0]}" == iot-sim:* ]]
        [ "${lines[1]}" = "Try 'iot-sim --help'." ] || [ "${lines[1]}" = "Try 'iot-sim --help'" ]
    done
}

@test "--live: no record carries a future time, and --rate is the records per second (issue 11 item 9)" {
    command -v python3 > /dev/null || skip "python3 not installed"
    run sh -c "iot-sim --live --devices 50 --rate 1000 --duration 2s | python3 '$ROOT_DIR/tests/ref/live_latency.py'"
    assert_success
    set -- $output
    [ "$1" -eq 2000 ] || fail "records: $1"
    awk -v w="$2" 'BEGIN { exit !(w >= 0) }' || fail "a record arrived $2 s before its timestamp"
    run sh -c "iot-sim --live --devices 5 --duration 2s | python3 '$ROOT_DIR/tests/ref/live_latency.py'"
    set -- $output
    awk -v w="$2" 'BEGIN { exit !(w >= 0) }' || fail "a record arrived $2 s before its timestamp"
}
