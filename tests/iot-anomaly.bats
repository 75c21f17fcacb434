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
@test "golden: bad value, bad JSON, missing key and a numeric string reported, null accepted, exit 65" { golden bad-lines; }
@test "golden: decompose alerts carry their bin's time from the series' time array; null bins skipped" { golden decompose-alerts-time; }
@test "golden: maintenance alarms on hourly window rows: one VIBRATION alarm escalates warning -> critical, clears; pump silent" { golden alarms-maintenance; }

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

@test "missing and null values are skipped and counted; NaN text and 1e999 are bad values (iot(7) VALUES)" {
    printf '{"deviceId":"a","temperature":null}\n{"deviceId":"a"}\n' > in
    run iot-anomaly -f temperature --stats in
    assert_success
    assert_output --partial '"score":null'
    assert_output --partial '"skipped":2'
    printf '{"deviceId":"a","temperature":"NaN"}\n{"deviceId":"a","temperature":1e999}\n{"deviceId":"a","temperature":"21.5"}\n' > bad
    run iot-anomaly -f temperature bad
    assert_failure 65
    assert_line 'iot-anomaly: bad:1: temperature: expected a number'
    assert_line 'iot-anomaly: bad:2: temperature: number out of range (not finite as a double)'
    assert_line 'iot-anomaly: bad:3: temperature: expected a number'
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

@test "rules: first match wins in annotations; with --alerts each rule is an alarm raised once" {
    printf '{"deviceId":"m1","timestamp":1,"avg_vibration":60,"stdev_vibration":12}\n{"deviceId":"m1","timestamp":2,"avg_vibration":40,"stdev_vibration":1}\n{"deviceId":"m1","timestamp":3,"avg_vibration":1,"stdev_vibration":1}\n' > w
    run iot-anomaly --alerts --rule 'CRITICAL: avg_vibration > 50 && stdev_vibration > 10' --rule 'WARNING: avg_vibration > 30' w
    assert_success
    assert_line --index 0 '{"deviceId":"m1","alarm":"CRITICAL","severity":"critical","state":"raised","timestamp":"1970-01-01T00:00:01.000Z","since":"1970-01-01T00:00:01.000Z","value":{"avg_vibration":60,"stdev_vibration":12},"peak":{"avg_vibration":60,"stdev_vibration":12},"count":1,"duration":0}'
    assert_line --index 1 --partial '"alarm":"WARNING","severity":"warning","state":"raised","timestamp":"1970-01-01T00:00:01.000Z"'
    assert_line --index 2 --partial '"alarm":"CRITICAL","severity":"critical","state":"cleared","timestamp":"1970-01-01T00:00:02.000Z"'
    assert_line --index 3 --partial '"alarm":"WARNING","severity":"warning","state":"cleared","timestamp":"1970-01-01T00:00:03.000Z"'
    assert_equal "${#lines[@]}" 4
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
    assert_output --partial '{"alarm":"HOT",'
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
    assert_failure 65
    assert_line --partial '"state":"raised","timestamp":"2026-01-01T00:00:00.500Z"'
    assert_line --partial 'r:2: timestamp: not an RFC 3339 timestamp'
    assert_line --partial 'r:3: timestamp: missing (alarms need event time)'
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

# ---- alarms (issue 14) ----

# "t:temp t:temp ..." -> records of device d, epoch seconds; "t:ack" is an acknowledgement of R
recs() {
    for e in "$@"; do
        case $e in
        *:ack) printf '{"deviceId":"d","timestamp":%s,"messageType":"ack","alarm":"R"}\n' "${e%%:*}" ;;
        *:-) printf '{"deviceId":"d","timestamp":%s}\n' "${e%%:*}" ;;
        *) printf '{"deviceId":"d","timestamp":%s,"temp":%s}\n' "${e%%:*}" "${e#*:}" ;;
        esac
    done
}
# events as "epoch-seconds state severity [since-seconds]"
brief() { jq -r '[(.timestamp | sub("\\.000Z$"; "Z") | fromdate), .state, .severity, (.since | sub("\\.000Z$"; "Z") | fromdate)] | map(tostring) | join(" ")'; }

@test "alarms: for and clear at their exact boundaries; a false record while pending starts over" {
    R=(--time-unit s --alerts --rule 'R/error: temp > 80 for 60s clear temp < 75 for 30s')
    recs 0:85 30:85 60:85 90:78 100:ack 120:74 140:81 150:70 179:70 180:70 > v1
    iot-anomaly "${R[@]}" v1 > ev
    run brief < ev
    assert_success
    assert_output "60 raised error 0
180 cleared error 0"
    run iot-anomaly "${R[@]}" v1
    assert_line --index 1 --partial '"count":4,"duration":180,"raisedAt":"1970-01-01T00:01:00.000Z","acknowledged":true,"ackedAt":"1970-01-01T00:01:40.000Z"}'
    recs 0:85 59:85 60:79 61:85 120:85 121:85 > v2
    iot-anomaly "${R[@]}" v2 > ev 2> /dev/null
    run brief < ev
    assert_output "121 raised error 61"
    recs 0:85 59.999:85 > v3
    run iot-anomaly "${R[@]}" v3
    assert_success
    assert_output ''
    # no for: the first matching record raises; no clear: the first false one clears
    recs 0:70 10:85 20:85 30:70 40:- 50:85 > v4
    iot-anomaly --time-unit s --alerts --rule 'R: temp > 80' v4 > ev 2> /dev/null
    run brief < ev
    assert_output "10 raised warning 10
30 cleared warning 10
50 raised warning 50"
    # no clear, with for: false for the same 20 s clears (hysteresis by time); a missing value changes nothing
    recs 0:85 20:85 30:70 40:- 45:70 49:70 50:70 > v5
    iot-anomaly --time-unit s --alerts --rule 'R: temp > 80 for 20s' v5 > ev
    run brief < ev
    assert_output "20 raised warning 0
50 cleared warning 0"
}

@test "alarms: rules of one name escalate, severity never drops while active; value at raise, peak, count, --with" {
    { printf '{"deviceId":"d","timestamp":0,"temp":85,"site":"A"}\n'; recs 10:95 20:85 30:70; } > in
    run iot-anomaly --time-unit s --alerts --with site,nosuch --rule 'R/error: temp > 80' --rule 'R/critical: temp > 90' in
    assert_success
    assert_line --index 0 '{"deviceId":"d","alarm":"R","severity":"error","state":"raised","timestamp":"1970-01-01T00:00:00.000Z","since":"1970-01-01T00:00:00.000Z","value":{"temp":85},"peak":{"temp":85},"count":1,"duration":0,"site":"A","nosuch":null}'
    assert_line --index 1 --partial '"severity":"critical","state":"updated","timestamp":"1970-01-01T00:00:10.000Z","since":"1970-01-01T00:00:00.000Z","value":{"temp":85},"peak":{"temp":95},"count":2,"duration":10,"raisedAt":"1970-01-01T00:00:00.000Z","reason":"escalated","site":"A"'
    assert_line --index 2 --partial '"severity":"critical","state":"cleared","timestamp":"1970-01-01T00:00:30.000Z"'
    assert_line --index 2 --partial '"peak":{"temp":95},"count":3,"duration":30'
    assert_equal "${#lines[@]}" 3
    # a low alarm: its peak is the smallest value
    recs 0:10 10:4 20:7 30:50 > low
    run iot-anomaly --time-unit s --alerts --rule 'LOW: temp < 12' low
    assert_line --index 1 --partial '"state":"cleared"'
    assert_line --index 1 --partial '"peak":{"temp":4}'
}

@test "alarms: --renotify while not acknowledged; an ack stops it and the clear says when" {
    recs 0:85 10:85 20:85 30:85 40:85 50:85 60:85 65:ack 70:85 80:85 90:85 100:70 > in
    run sh -c "iot-anomaly --time-unit s --alerts --renotify 30s --rule 'R: temp > 80' in | jq -r '[.state, (.reason // \"-\"), .timestamp] | join(\" \")'"
    assert_output "raised - 1970-01-01T00:00:00.000Z
updated renotify 1970-01-01T00:00:30.000Z
updated renotify 1970-01-01T00:01:00.000Z
cleared - 1970-01-01T00:01:40.000Z"
    run iot-anomaly --time-unit s --alerts --renotify 30s --rule 'R: temp > 80' --stats in
    assert_line --index 3 --partial '"acknowledged":true,"ackedAt":"1970-01-01T00:01:05.000Z"'
    assert_output --partial '"acks":1'
    # an ack of an alarm that is not active is ignored and counted
    recs 0:70 5:ack > idle
    run iot-anomaly --time-unit s --alerts --rule 'R: temp > 80' --stats idle
    assert_output --partial '"acks_ignored":1'
}

@test "alarms: --absent raises DEVICE_SILENT from the watermark and clears it when the device is back" {
    printf '{"deviceId":"%s","timestamp":%s,"temp":1}\n' a 0 b 0 a 50 b 61 a 70 b 100 a 200 > in
    run sh -c "iot-anomaly --time-unit s --alerts --absent 60s in 2> /dev/null | jq -r '[.deviceId, .alarm, .state, .timestamp, .since] | join(\" \")'"
    assert_success
    assert_output "b DEVICE_SILENT raised 1970-01-01T00:01:00.000Z 1970-01-01T00:00:00.000Z
b DEVICE_SILENT cleared 1970-01-01T00:01:01.000Z 1970-01-01T00:00:00.000Z
a DEVICE_SILENT raised 1970-01-01T00:02:10.000Z 1970-01-01T00:01:10.000Z
b DEVICE_SILENT raised 1970-01-01T00:02:40.000Z 1970-01-01T00:01:40.000Z
a DEVICE_SILENT cleared 1970-01-01T00:03:20.000Z 1970-01-01T00:01:10.000Z"
    # silent for exactly the duration is not silent, at the watermark or on return
    printf '{"deviceId":"%s","timestamp":%s,"temp":1}\n' x 0 z 10 y 70 z 70 x 75 > edge
    run sh -c "iot-anomaly --time-unit s --alerts --absent 60s edge 2> /dev/null | jq -r '[.deviceId, .state, .timestamp] | join(\" \")'"
    assert_output "x raised 1970-01-01T00:01:00.000Z
x cleared 1970-01-01T00:01:15.000Z"
    run iot-anomaly --time-unit s --absent 60s in
    assert_failure 64
}

@test "alarms: --state resumes a pending or active alarm; K parts equal one run at every split" {
    R=(--time-unit s --alerts --rule 'R/error: temp > 80 for 60s clear temp < 75 for 30s' --rule 'R/critical: temp > 90 for 20s' --absent 45s --renotify 40s)
    { recs 0:85 30:85 60:85 90:95 100:ack 110:96 120:74 140:81 150:70 179:70 180:70 200:-; printf '{"deviceId":"e","timestamp":%s,"temp":1}\n' 10 300; } > in
    iot-anomaly "${R[@]}" in > one 2> one.err
    [ "$(wc -l < one)" -ge 5 ]
    grep -q 'still active' one.err
    n=$(wc -l < in)
    for k in $(seq 1 $((n - 1))); do
        rm -f st
        { head -n "$k" in | iot-anomaly "${R[@]}" -s st; tail -n +"$((k + 1))" in | iot-anomaly "${R[@]}" -s st; } > parts 2> parts.err
        run cmp one parts
        assert_success
        run grep -c 'still active' parts.err
        assert_output 0
    done
    # pending at the end: nothing out, and the pending time survives the restart
    rm -f st
    recs 0:85 30:85 | iot-anomaly "${R[@]}" -s st > out
    [ ! -s out ]
    run sh -c "recs() { :; }; printf '{\"deviceId\":\"d\",\"timestamp\":60,\"temp\":85}\n' | iot-anomaly $(printf "'%s' " "${R[@]}") -s st"
    assert_output --partial '"state":"raised","timestamp":"1970-01-01T00:01:00.000Z","since":"1970-01-01T00:00:00.000Z"'
    # other rules: the state is refused
    run iot-anomaly --time-unit s --alerts --rule 'R: temp > 1' -s st < /dev/null
    assert_failure 65
    assert_output --partial 'other options'
    # a state of version 2 (before alarms) is refused, not silently reset
    echo '{"iotkit_state":"iot-anomaly","version":2,"body":{}}' > v2
    run iot-anomaly -f temperature -s v2 < /dev/null
    assert_failure 65
    assert_output --partial 'version 2 is older than'
    run grep -q '"version":2' v2
    assert_success
}

@test "alarms: an out-of-order record is left out of its alarm, counted and said on stderr" {
    recs 0:85 30:85 20:70 60:85 > in
    run iot-anomaly --time-unit s --alerts --stats --rule 'R: temp > 80 for 60s' in
    assert_success
    assert_output --partial '"state":"raised","timestamp":"1970-01-01T00:01:00.000Z","since":"1970-01-01T00:00:00.000Z"'
    assert_output --partial '1 records older than their alarm'"'"'s latest record were left out'
    assert_output --partial '"alarm_late":1'
    run iot-anomaly -q --time-unit s --alerts --rule 'R: temp > 80 for 60s' in
    refute_output --partial 'older than'
}

@test "alarms: malformed rules are usage errors naming the column; zero durations refused" {
    run iot-anomaly --alerts --rule 'HOT: temperature > for 30s' < /dev/null
    assert_failure 64
    assert_output --partial "column 20: expected a value"
    run iot-anomaly --alerts --rule 'HOT: temperature > 1 for 0s' < /dev/null
    assert_failure 64
    assert_output --partial 'more than zero'
    run iot-anomaly --alerts --rule 'HOT: temperature > 1 for -5s' < /dev/null
    assert_failure 64
    run iot-anomaly --alerts --rule 'HOT: temperature > 1 clear temperature < 1 for' < /dev/null
    assert_failure 64
    assert_output --partial "expected a duration after 'for'"
    run iot-anomaly --alerts --rule 'HOT/urgent: temperature > 1' < /dev/null
    assert_failure 64
    assert_output --partial 'column 5: severity is'
    run iot-anomaly --alerts --rule 'HOT: t > 1' --rule 'HOT: t > 2' < /dev/null
    assert_failure 64
    assert_output --partial 'two rules with severity warning'
    run iot-anomaly --alerts --rule 'HOT/error: t > 1 clear t < 0' --rule 'HOT/critical: t > 2 clear t < 1' < /dev/null
    assert_failure 64
    run iot-anomaly --rule 'R: t > 1' --renotify 0s --alerts < /dev/null
    assert_failure 64
    # a field named like a keyword, in backticks
    printf '{"deviceId":"d","timestamp":1,"for":5}\n' > kw
    run iot-anomaly --alerts --rule 'K: `for` > 1' kw
    assert_success
    assert_output --partial '"value":{"for":5}'
}

@test "alarms: issue 14's check on simulated data, against an independent computation" {
    iot-sim --devices 40 --duration 3d --interval 10s --mtbf 5d --seed 3 > sim
    iot-anomaly --alerts --rule 'HOT: temperature > 80 for 30s clear temperature < 75 for 1m' sim 2> err |
        mawk -F'"' '{ print $4, $20, $16 }' > got
    # per device: pending from the first record above 80, raised once it has held 30 s,
    # cleared once < 75 has held 1 m (times: milliseconds within January 2026)
    mawk -F'"' '
        function ms(s) { return ((substr(s, 9, 2) * 24 + substr(s, 12, 2)) * 60 + substr(s, 15, 2)) * 60000 + substr(s, 18, 2) * 1000 + substr(s, 21, 3) }
        /"temperature":[-0-9]/ {
            d = $4; ts = $12; t = ms(ts); x = $0; sub(/.*"temperature":/, "", x); x += 0; hot += x > 80
            if (st[d] == "" || st[d] == "n") { if (x > 80) { st[d] = "p"; since[d] = t; sts[d] = ts } }
            else if (st[d] == "p" && x <= 80) st[d] = "n"
            if (st[d] == "p" && t - since[d] >= 30000) { st[d] = "a"; cl[d] = -1; print d, ts, "raised"; next }
            if (st[d] == "a") {
                if (x < 75) { if (cl[d] < 0) cl[d] = t; if (t - cl[d] >= 60000) { print d, ts, "cleared"; st[d] = "n" } }
                else cl[d] = -1
            }
        }
        END { print hot > "hot" }' sim > want
    # the issue counts 209,054 records above 80 on this fleet
    assert_equal "$(cat hot)" 209054
    [ "$(grep -c raised want)" -ge 10 ]
    run diff want got
    assert_success
    [ "$(grep -c raised got)" -ge "$(grep -c cleared got)" ]
    active=$(( $(grep -c raised got) - $(grep -c cleared got) ))
    grep -q "^iot-anomaly: $active alarms still active" err
}

@test "alarms: the man page's examples run (hot device; maintenance alarms on hourly windows)" {
    printf '{"deviceId":"d","deviceType":"Pump","timestamp":"2026-01-01T00:00:%02d.000Z","temperature":%s}\n' \
        0 70 10 81 20 85 30 88 40 84 50 74 59 74 > t
    # the minutes after: below 75 for one minute clears
    printf '{"deviceId":"d","deviceType":"Pump","timestamp":"2026-01-01T00:01:%02d.000Z","temperature":%s}\n' 10 72 50 72 >> t
    run sh -c "iot-anomaly --alerts --with deviceType --rule 'HOT: temperature > 80 for 30s clear temperature < 75 for 1m' t"
    assert_success
    assert_line --index 0 '{"deviceId":"d","alarm":"HOT","severity":"warning","state":"raised","timestamp":"2026-01-01T00:00:40.000Z","since":"2026-01-01T00:00:10.000Z","value":{"temperature":84},"peak":{"temperature":88},"count":4,"duration":30,"deviceType":"Pump"}'
    assert_line --index 1 --partial '"state":"cleared","timestamp":"2026-01-01T00:01:50.000Z"'
    mawk 'BEGIN { for (h = 0; h < 4; h++) for (i = 0; i < 60; i++) for (m = 1; m <= 2; m++)
        printf "{\"deviceId\":\"m%d\",\"timestamp\":\"2026-01-01T%02d:%02d:00Z\",\"vibration\":%d}\n", m, h, i, (m == 1 && h >= 1 ? (h == 3 ? 40 : 30) + (i % 2) * 24 : 10 + i % 2) }' > raw
    run sh -c "iot-window --tumbling 1h -a 'avg(vibration),stdev(vibration)' raw | iot-anomaly --alerts -t windowEnd --absent 2h --rule 'VIBRATION/warning: avg_vibration > 40 && stdev_vibration > 5' --rule 'VIBRATION/critical: avg_vibration > 50 && stdev_vibration > 10' 2> /dev/null"
    assert_success
    assert_line --index 0 --partial '"deviceId":"m1","alarm":"VIBRATION","severity":"warning","state":"raised","timestamp":"2026-01-01T02:00:00.000Z"'
    assert_line --index 1 --partial '"deviceId":"m1","alarm":"VIBRATION","severity":"critical","state":"updated","timestamp":"2026-01-01T04:00:00.000Z"'
    assert_equal "${#lines[@]}" 2
}

@test "alarms: --episode makes detector alerts one ANOMALY alarm per key and field, cleared after a quiet time" {
    { series a 600 | mawk '{ if (NR == 500 || NR == 505) sub(/"temperature":[0-9.]+/, "\"temperature\":35"); if (NR == 580) sub(/"temperature":[0-9.]+/, "\"temperature\":5"); if (NR == 583) sub(/"temperature":[0-9.]+/, "\"temperature\":8"); print }'; } > in
    iot-anomaly -m zscore -f temperature --alerts in > per
    [ "$(wc -l < per)" -ge 3 ]
    run sh -c "iot-anomaly -m zscore -f temperature --alerts --episode 30s in 2> /dev/null | jq -r '[.alarm, .field, .state, .timestamp, (.peak.temperature | tostring), (.count | tostring)] | join(\" \")'"
    assert_success
    assert_output "ANOMALY temperature raised 2023-11-14T22:21:39.000Z 35 1
ANOMALY temperature cleared 2023-11-14T22:22:15.000Z 35 2
ANOMALY temperature raised 2023-11-14T22:22:59.000Z 5 1"
    # a dip episode's peak is its smallest value, also across a restart
    # the same through a state file in two parts
    printf '%s\n' '{"deviceId":"a","timestamp":1700000700,"temperature":20}' >> in
    iot-anomaly -m zscore -f temperature --alerts --episode 30s in > one 2> /dev/null
    run sh -c "tail -n 1 one | jq -c '[.state, .count, .peak]'"
    assert_output '["cleared",2,{"temperature":5}]'
    for k in 502 582; do
        rm -f st
        { head -n "$k" in | iot-anomaly -m zscore -f temperature --alerts --episode 30s -s st
          tail -n +"$((k + 1))" in | iot-anomaly -m zscore -f temperature --alerts --episode 30s -s st; } > parts
        run cmp one parts
        assert_success
    done
    run iot-anomaly --rule 'R: x > 1' --alerts --episode 30s in
    assert_failure 64
}

@test "alarms: --acks FILE: acknowledgements taken in event-time order from a file, also while it grows" {
    recs 0:85 10:85 20:85 30:85 40:85 50:85 60:85 70:85 80:85 90:85 100:70 > in
    printf '{"deviceId":"d","alarm":"R","timestamp":65}\n{"deviceId":"d","alarm":"R","timestamp":"bad"}\n' > acks
    run iot-anomaly --time-unit s --alerts --renotify 30s --rule 'R: temp > 80' --acks acks --dead-letter dl --stats in
    assert_success
    assert_line --index 0 --partial '"state":"raised"'
    assert_line --index 1 --partial '"state":"updated","timestamp":"1970-01-01T00:00:30.000Z"'
    assert_line --index 2 --partial '"timestamp":"1970-01-01T00:01:00.000Z"'
    assert_line --index 3 --partial '"state":"cleared","timestamp":"1970-01-01T00:01:40.000Z"'
    assert_line --index 3 --partial '"acknowledged":true,"ackedAt":"1970-01-01T00:01:05.000Z"'
    assert_output --partial '"acks":1'
    grep -q '"kind":"bad ack","source":"acks","line":2' dl
    # with --state: an ack applied in the first part is not applied again in the second
    rm -f st
    { head -n 8 in | iot-anomaly --time-unit s --alerts --renotify 30s --rule 'R: temp > 80' --acks acks -s st --dead-letter dl
      tail -n +9 in | iot-anomaly --time-unit s --alerts --renotify 30s --rule 'R: temp > 80' --acks acks -s st --dead-letter dl; } > parts
    iot-anomaly --time-unit s --alerts --renotify 30s --rule 'R: temp > 80' --acks acks --dead-letter dl in > one
    run cmp one parts
    assert_success
    # an ack of the first episode must not acknowledge the second one after a restart
    recs 0:85 20:70 30:85 40:85 50:85 60:85 70:85 80:85 90:85 100:70 > in2
    printf '{"deviceId":"d","alarm":"R","timestamp":5}\n' > acks2
    rm -f st
    { head -n 4 in2 | iot-anomaly --time-unit s --alerts --renotify 30s --rule 'R: temp > 80' --acks acks2 -s st
      tail -n +5 in2 | iot-anomaly --time-unit s --alerts --renotify 30s --rule 'R: temp > 80' --acks acks2 -s st; } > parts
    iot-anomaly --time-unit s --alerts --renotify 30s --rule 'R: temp > 80' --acks acks2 in2 > one
    grep -q '"reason":"renotify"' one
    run cmp one parts
    assert_success
    # live: the ack is appended while the tool runs
    : > live.acks
    mkfifo fifo
    iot-anomaly -u --time-unit s --alerts --rule 'R: temp > 80' --acks live.acks fifo > live.out 3>&- &
    pid=$!
    exec 5> fifo
    recs 0:85 >&5
    for i in $(seq 50); do grep -q raised live.out && break; sleep 0.1; done
    grep -q raised live.out
    printf '{"deviceId":"d","alarm":"R","timestamp":5}\n' >> live.acks
    for t in $(seq 10 10 700); do recs "$t:85"; done >&5
    recs 710:70 >&5
    exec 5>&-
    wait "$pid"
    run tail -n 1 live.out
    assert_output --partial '"state":"cleared"'
    assert_output --partial '"acknowledged":true,"ackedAt":"1970-01-01T00:00:05.000Z"'
    run iot-anomaly --alerts -f temperature --acks acks in
    assert_failure 64
}
