#!/usr/bin/env bats
load helpers

# n lines of a steady noisy series for device $1 (deterministic, no RNG needed)
series() {
    mawk -v d="$1" -v n="$2" -v base="${3:-20}" 'BEGIN { s = 1
        for (i = 0; i < n; i++) { s = (s * 16807) % 2147483647
            printf "{\"deviceId\":\"%s\",\"timestamp\":%d,\"temperature\":%.3f,\"vibration\":%.3f}\n", d, 1700000000 + i, base + (s / 2147483647 - 0.5), 1 + (s % 1000) / 5000 } }'
}

# Golden cases: tests/golden/iot-anomaly/<case>/{cmd,input,stdout,stderr,exit}; golden() in
# helpers.bash.
GOLDEN="$ROOT_DIR/tests/golden/iot-anomaly"
@test "golden: Kusto series_outliers reference vector through decompose (no season, no trend)" { golden series-outliers-vector; }
@test "golden: the reference architecture's maintenance rules on window rows, annotate then alerts" { golden rules-maintenance; }
@test "golden: spikedip alerts with the p-value as score, epoch times normalised" { golden spikedip-alerts; }
@test "golden: bad value, bad JSON and missing key reported, numeric strings and null accepted, exit 65" { golden bad-lines; }
@test "golden: decompose alerts carry their bin's time from the series' time array; null bins skipped" { golden decompose-alerts-time; }

@test "decompose consumes iot-window --series output as it is (nulls, counts, time axis)" {
    # three days of 10-minute samples with a daily cycle, one hot hour planted on day 2 at 16:00
    mawk 'BEGIN { s = 3; for (i = 0; i < 432; i++) { s = (s * 16807) % 2147483647
        t = 1767225600 + i * 600; h = int(i / 6)
        v = 50 + 3 * sin(6.283185307 * h / 24) + (s / 2147483647 - 0.5) * 0.3
        if (h == 40) v += 5
        if (h == 5) continue
        printf "{\"deviceId\":\"m1\",\"timestamp\":%d,\"temperature\":%.2f}\n", t, v } }' > tele
    iot-window --series 1h --from 2025-12-31T22:00:00Z --to 2026-01-04T00:00:00Z \
        -a 'avg(temperature),count()' tele > series
    run jq -c '[(.timestamp | length), (.avg_temperature | map(select(. == null)) | length)]' series
    assert_output '[74,3]'
    run iot-anomaly -m decompose -f avg_temperature,count series
    assert_success
    echo "$output" > out
    run jq -c '.anomaly.avg_temperature | [.period, (.flags | length), .flags[42], .flags[7]]' out
    assert_output '[24,74,1,0]'
    run jq -c '.anomaly.count.flags | length' out
    assert_output 74
    run iot-anomaly -m decompose -f avg_temperature --alerts series
    assert_success
    assert_output --partial '"index":42,'
    assert_output --partial '"timestamp":"2026-01-02T16:00:00.000Z","severity":"critical"}'
    # a time axis that does not match the values is refused
    sed 's/"avg_temperature":\[null,/"avg_temperature":[/' series > short
    run iot-anomaly -m decompose -f avg_temperature short
    assert_failure 65
    assert_output --partial 'avg_temperature: 73 values for 74 times in timestamp'
}

@test "annotates each record, keeps the line, replaces an existing anomaly member" {
    printf '{"deviceId":"a", "temperature":20.50,"anomaly":7,"x":[1, 2]}\n' > in
    run iot-anomaly -f temperature in
    assert_success
    assert_output '{"deviceId":"a", "temperature":20.50,"x":[1, 2],"anomaly":{"score":0,"isAnomaly":false,"method":"auto","field":"temperature"}}'
}

@test "one record out per record in, in input order" {
    { series a 500; series b 500; } > in
    run sh -c 'iot-anomaly -f temperature in | wc -l'
    assert_output 1000
    iot-anomaly -f temperature in | mawk -F'"deviceId":"' '{ print substr($2,1,1) }' | uniq -c > counts
    run cat counts
    assert_line --index 0 --regexp '500 a'
}

@test "auto: a spike is flagged, quiet noise is not" {
    { series a 600; printf '{"deviceId":"a","temperature":35}\n'; } > in
    run sh -c 'iot-anomaly -f temperature in | grep -c "\"isAnomaly\":true"'
    assert_output 1
    run sh -c 'iot-anomaly -f temperature in | tail -1'
    assert_output --partial '"score":1,"isAnomaly":true'
}

@test "several fields: one object per field" {
    series a 3 > in
    run sh -c 'iot-anomaly -f temperature,vibration in | head -1'
    assert_output --partial '"anomaly":{"temperature":{"score":0,"isAnomaly":false,"method":"auto"},"vibration":{'
}

@test "missing, null and NaN values are skipped and counted, state untouched" {
    printf '{"deviceId":"a","temperature":null}\n{"deviceId":"a"}\n{"deviceId":"a","temperature":"NaN"}\n' > in
    run iot-anomaly -f temperature --stats in
    assert_success
    assert_output --partial '"score":null'
    assert_output --partial '"skipped":3'
}

@test "bad values and bad JSON are rejected with exit 65 or to the dead-letter file" {
    printf '{"deviceId":"a","temperature":"hot"}\n{"deviceId":"a","temperature":1}\n{oops\n{"temperature":2}\n' > in
    run iot-anomaly -f temperature in
    assert_failure 65
    assert_output --partial 'in:1: temperature: expected a number'
    assert_output --partial 'in:4'
    run iot-anomaly -f temperature --dead-letter dl in
    assert_success
    run wc -l < dl
    assert_output 3
}

@test "methods: zscore, mad, ewma, spikedip, changepoint flag a spike" {
    { series a 300; printf '{"deviceId":"a","temperature":40}\n'; } > in
    for m in zscore mad ewma spikedip; do
        run sh -c "iot-anomaly -m $m -f temperature in | tail -1"
        assert_output --partial '"isAnomaly":true'
        assert_output --partial "\"method\":\"$m\""
    done
    run sh -c "iot-anomaly -m spikedip --mode dips -f temperature in | tail -1"
    assert_output --partial '"isAnomaly":false'
    mawk 'BEGIN { for (i = 0; i < 300; i++) printf "{\"deviceId\":\"a\",\"temperature\":%g}\n", (i < 200 ? i % 3 : 3 ^ (i - 200)) }' > ramp
    run sh -c "iot-anomaly -m changepoint --history 20 --martingale power --epsilon 0.1 --confidence 95 -f temperature --alerts ramp"
    assert_output --partial '"alertType":"changepoint"'
    run sh -c "iot-anomaly -m changepoint --martingale mixture -f temperature ramp | wc -l"
    assert_output 300
}

@test "parameters change the detectors: threshold, window, warmup, alpha, history, confidence" {
    { series a 60; printf '{"deviceId":"a","temperature":21}\n'; } > in
    run sh -c 'iot-anomaly -m zscore --window 20 --warmup 10 --threshold 2 -f temperature in | tail -1'
    assert_output --partial '"isAnomaly":true'
    run sh -c 'iot-anomaly -m zscore --window 20 --warmup 10 --threshold 9 -f temperature in | tail -1'
    assert_output --partial '"isAnomaly":false'
    run sh -c 'iot-anomaly -m zscore --warmup 100 -f temperature in | tail -1'
    assert_output --partial '"isAnomaly":false'
    run sh -c 'iot-anomaly -m ewma --alpha 0.5 --warmup 5 -f temperature in | tail -1'
    assert_output --partial '"method":"ewma"'
    run sh -c 'iot-anomaly -m spikedip --history 100 -f temperature in | tail -1'
    assert_output --partial '"isAnomaly":false'
    run sh -c 'iot-anomaly -m spikedip --history 30 --confidence 99 -f temperature in | tail -1'
    assert_output --partial '"isAnomaly":true'
}

@test "--alerts writes alert records only" {
    { series dev1 600; printf '{"deviceId":"dev1","timestamp":"2026-01-01T00:00:00Z","temperature":35}\n'; } > in
    run iot-anomaly -f temperature --alerts in
    assert_success
    assert_output '{"deviceId":"dev1","alertType":"spike","field":"temperature","value":35,"score":1,"timestamp":"2026-01-01T00:00:00.000Z","severity":"critical"}'
}

@test "rules: first match wins, annotate and alerts" {
    printf '{"deviceId":"m1","avg_vibration":60,"stdev_vibration":12}\n{"deviceId":"m1","avg_vibration":40,"stdev_vibration":1}\n{"deviceId":"m1","avg_vibration":1,"stdev_vibration":1}\n' > w
    run iot-anomaly --alerts --rule 'CRITICAL: avg_vibration > 50 && stdev_vibration > 10' --rule 'WARNING: avg_vibration > 30' w
    assert_success
    assert_line --index 0 --partial '"alertType":"CRITICAL","field":null,"value":null,"score":null,"timestamp":null,"severity":"critical"'
    assert_line --index 1 --partial '"alertType":"WARNING"'
    assert_equal "${#lines[@]}" 2
    run iot-anomaly --rule 'HIGH_TEMPERATURE: avg_vibration > 30' w
    assert_line --index 0 --partial '"anomaly":{"isAnomaly":true,"rule":"HIGH_TEMPERATURE"}'
    assert_line --index 2 --partial '"anomaly":{"isAnomaly":false,"rule":null}'
    run iot-anomaly --rule 'NO COLON' w
    assert_failure 64
    run iot-anomaly --rule 'X: avg_vibration >' w
    assert_failure 64
}

@test "--state: K-part runs equal one run; other options refused" {
    { series a 700; series b 700 30; printf '{"deviceId":"a","temperature":40}\n'; } > in
    for m in auto zscore mad ewma spikedip changepoint; do
        iot-anomaly -m $m -f temperature,vibration in > one
        rm -f st
        head -n 400 in | iot-anomaly -m $m -f temperature,vibration -s st > parts
        sed -n '401,1000p' in | iot-anomaly -m $m -f temperature,vibration -s st >> parts
        sed -n '1001,$p' in | iot-anomaly -m $m -f temperature,vibration -s st >> parts
        run cmp one parts
        assert_success
    done
    run iot-anomaly -m zscore -f temperature -s st < /dev/null
    assert_failure 65
    assert_output --partial 'other options'
}

@test "-k groups by other fields; a record without key is rejected" {
    printf '{"site":"s1","temperature":1}\n{"temperature":2}\n' > in
    run iot-anomaly -k site -f temperature in
    assert_failure 65
    assert_output --partial 'missing key'
    run iot-anomaly -k site -f temperature --max-keys 1 --dead-letter dl in
    assert_success
}

@test "-k none: every record in one series, as in iot-window; alerts carry no key" {
    { series a 300; series b 300; printf '{"deviceId":"c","timestamp":1700000400,"temperature":35}\n'; } > in
    mawk '{ sub(/"deviceId":"[abc]"/, "\"deviceId\":\"all\"") } 1' in > one
    run iot-anomaly -k none -m zscore -f temperature --alerts in
    assert_success
    assert_output '{"alertType":"spike","field":"temperature","value":35,"score":'"$(iot-anomaly -m zscore -f temperature --alerts one | grep -o '"score":[^,]*' | cut -d: -f2)"',"timestamp":"2023-11-14T22:20:00.000Z","severity":"critical"}'
    iot-anomaly -k none -m zscore -f temperature in | mawk '{ sub(/"deviceId":"[abc]"/, "\"deviceId\":\"all\"") } 1' > none.out
    iot-anomaly -m zscore -f temperature one > one.out
    run cmp none.out one.out
    assert_success
    run iot-anomaly -k none --rule 'HOT: temperature > 30' --alerts in
    assert_success
    assert_output --partial '{"alertType":"HOT",'
    run iot-window -k none --tumbling 1h -a 'count()' in
    assert_success
    assert_output --partial '"count":601'
}

@test "--max-keys bounds the number of series" {
    printf '{"deviceId":"a","temperature":1}\n{"deviceId":"b","temperature":2}\n' > in
    run iot-anomaly -f temperature --max-keys 1 in
    assert_failure 65
    assert_output --partial 'max-keys'
}

@test "decompose on series arrays: planted outlier flagged" {
    mawk 'BEGIN { printf "{\"deviceId\":\"a\",\"avg_temperature\":["; for (i = 0; i < 96; i++) printf "%s%.3f", (i ? "," : ""), 20 + 5 * sin(2 * 3.14159265 * i / 24) + (i == 50 ? 9 : 0) + ((i * 7919) % 13 - 6) / 60; print "]}" }' > s
    run iot-anomaly -m decompose -f avg_temperature s
    assert_success
    assert_output --partial '"method":"decompose","field":"avg_temperature","period":24,"flags":['
    run sh -c 'iot-anomaly -m decompose -f avg_temperature --alerts s'
    assert_line --index 0 --partial '"alertType":"spike","field":"avg_temperature","index":50'
    run sh -c 'iot-anomaly -m decompose --seasonality 0 --trend linefit --test-points 4 --ad-method tukey --seasonality-threshold 0.9 --threshold 2.5 -f avg_temperature s'
    assert_output --partial '"period":0'
    printf '{"deviceId":"a","avg_temperature":[1,"x"]}\n' > bad
    run iot-anomaly -m decompose -f avg_temperature bad
    assert_failure 65
    run iot-anomaly -m decompose -s st -f avg_temperature bad
    assert_failure 64
}

@test "usage errors exit 64" {
    run iot-anomaly
    assert_failure 64
    run iot-anomaly -f t -m nosuch
    assert_failure 64
    run iot-anomaly -f t --confidence 101
    assert_failure 64
    run iot-anomaly -f t --mode up
    assert_failure 64
    run iot-anomaly -f t --alpha 0
    assert_failure 64
    run iot-anomaly -f t --trend cubic
    assert_failure 64
}

@test "alerts: key copied, time normalised to RFC 3339 UTC; -t renames the time field; --time-unit" {
    { series a 600; printf '{"deviceId":"a","ts":5,"temperature":35}\n'; } > in
    run iot-anomaly -f temperature -t ts --alerts in
    assert_output --partial '"deviceId":"a",'
    assert_output --partial '"timestamp":"1970-01-01T00:00:05.000Z",'
    run iot-anomaly -f temperature -t ts --time-unit ms --alerts in
    assert_output --partial '"timestamp":"1970-01-01T00:00:00.005Z",'
    printf '%s\n' '{"deviceId":"b","timestamp":"2026-01-01T01:00:00.5+01:00","x":1}' \
        '{"deviceId":"b","timestamp":"not a time","x":1}' '{"deviceId":"b","x":1}' > r
    run iot-anomaly --rule 'ONE: x == 1' --alerts r
    assert_success
    assert_line --index 0 --partial '"timestamp":"2026-01-01T00:00:00.500Z"'
    assert_line --index 1 --partial '"timestamp":"not a time"'
    assert_line --index 2 --partial '"timestamp":null'
    run iot-anomaly --rule 'ONE: x == 1' --time-unit hours --alerts r
    assert_failure 64
}

@test "-o, -u and /dev/full" {
    series a 5 > in
    iot-anomaly -f temperature -u -o out in
    run wc -l < out
    assert_output 5
    run iot-anomaly -f temperature in -o /dev/full
    assert_failure 74
}

