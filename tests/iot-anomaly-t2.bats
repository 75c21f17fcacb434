#!/usr/bin/env bats
# iot-anomaly -m t2: multivariate condition monitoring (lib/anomaly/mvjob.c, mvmodel.c).
load helpers

# n records of device $1 with three correlated sensors a, b = 2a, c = a + 5 (small noise);
# in records [f0, f1) b follows 40 - 2a instead: each field stays inside its own normal range,
# only the relation between them breaks.
gen() {
    mawk -v d="${1:-p1}" -v n="${2:-800}" -v f0="${3:-600}" -v f1="${4:-700}" 'BEGIN { s = 7
        for (i = 0; i < n; i++) {
            s = (s * 16807) % 2147483647; e1 = s / 2147483647 - 0.5
            s = (s * 16807) % 2147483647; e2 = s / 2147483647 - 0.5
            s = (s * 16807) % 2147483647; e3 = s / 2147483647 - 0.5
            a = 10 + 2 * sin(i / 15) + 0.2 * e1
            b = (i >= f0 && i < f1) ? 40 - 2 * a + 0.2 * e2 : 2 * a + 0.2 * e2
            c = a + 5 + 0.2 * e3
            printf "{\"deviceId\":\"%s\",\"timestamp\":%d,\"a\":%.3f,\"b\":%.3f,\"c\":%.3f}\n", d, 1700000000 + i, a, b, c } }'
}

@test "a planted fault no single field shows is flagged, and b is named" {
    gen > in
    # no per-field detector sees it: each value stays in its field's range
    for f in a b c; do
        run sh -c "iot-anomaly -m zscore -f $f in | jq -c 'select(.anomaly.isAnomaly)' | wc -l"
        assert_output 0
    done
    run iot-anomaly -m t2 -f a,b,c --baseline 300 in
    assert_success
    echo "$output" > out
    # baseline records are not scored
    run sh -c "head -n 300 out | jq -c '.anomaly' | sort -u"
    assert_output '{"score":null,"isAnomaly":false,"method":"t2","baseline":true}'
    # healthy after the baseline: no alarm; the fault: flagged within the median window, all along
    run sh -c "sed -n '301,600p;740,800p' out | jq -c 'select(.anomaly.isAnomaly)' | wc -l"
    assert_output 0
    run sh -c "sed -n '605,700p' out | jq -c 'select(.anomaly.isAnomaly | not)' | wc -l"
    assert_output 0
    # b carries the largest share of the statistic (about 2/3: residual (2, -4, 2)a/3) wherever
    # the broken relation shows (near a = 10, 40 - 2a = 2a: nothing to see)
    run sh -c "sed -n '601,700p' out | jq -r 'select(.anomaly.spe > 1) | .anomaly.contrib | to_entries | max_by(.value) | .key' | sort | uniq -c | awk '\$1 > 50 { print \$2 }'"
    assert_output b
    run sh -c "sed -n 650p out | jq '.anomaly | [.score > 0.5, .contrib.b > 0.6, .spe > .t2, (.contrib | add | . > 0.999 and . < 1.001)] | all'"
    assert_output true
    # one alert for the episode, naming b
    run iot-anomaly -m t2 -f a,b,c --baseline 300 --alerts in
    assert_success
    assert_output --regexp '^\{"deviceId":"p1","alertType":"condition","field":"b","value":[0-9.]+,"score":0\.9[0-9]*,"contrib":0\.6[0-9]*,"timestamp":"2023-11-14T22:23:2[0-9].000Z","severity":"critical"\}$'
}

@test "--baseline DURATION: the first 5 minutes of each key; keys have their own models" {
    { gen p1; gen p2 800 2000 2000; } > in
    run iot-anomaly -m t2 -f a,b,c --baseline 5m in
    assert_success
    echo "$output" > out
    run sh -c "jq -c 'select(.anomaly.baseline) | .deviceId' out | sort | uniq -c | tr -s ' '"
    assert_output $' 300 "p1"\n 300 "p2"'
    run sh -c "jq -c 'select(.anomaly.isAnomaly) | .deviceId' out | sort -u"
    assert_output '"p1"'
    run iot-anomaly -m t2 -f a,b,c --baseline 5m --time-field nosuch in
    assert_failure 65
    assert_output --partial 'needs event time'
}

@test "--learn a model from healthy data, --model applies it; -k none models every key" {
    gen p1 600 9999 9999 > healthy
    gen p1 > live
    run iot-anomaly -m t2 -f a,b,c --learn model.json healthy
    assert_success
    assert_output --partial '1 models learned'
    run jq -r '.iotkit_state, .version, .body.config.method, (.body.models | length), .body.models[0].model.k' model.json
    assert_output $'iot-anomaly-model\n1\nt2\n1\n1'
    run iot-anomaly -m t2 -f a,b,c --model model.json live
    assert_success
    echo "$output" > out
    run sh -c "jq -c 'select(.anomaly.isAnomaly) | .timestamp - 1700000000' out | sed -n '1p;\$p'"
    assert_output $'602\n'"$(jq -c 'select(.anomaly.isAnomaly) | .timestamp - 1700000000' out | tail -n 1)"
    run sh -c "jq -c 'select(.anomaly.isAnomaly) | .timestamp - 1700000000' out | wc -l"
    [ "$output" -ge 100 ] && [ "$output" -le 140 ]
    # a key without a model is scored on none, and said so
    sed 's/"p1"/"p9"/' live > other
    run iot-anomaly -m t2 -f a,b,c --model model.json other
    assert_success
    assert_output --partial '"anomaly":{"score":null,"isAnomaly":false,"method":"t2","noModel":true}'
    assert_output --partial '800 records of keys without a model were scored on none'
    # learned with -k none: one model for every key
    iot-anomaly -m t2 -f a,b,c -k none --learn one.json healthy 2> /dev/null
    run sh -c "iot-anomaly -m t2 -f a,b,c --model one.json other 2> /dev/null | jq -c 'select(.anomaly.isAnomaly)' | wc -l"
    [ "$output" -ge 100 ]
}

@test "--model-by: one model per deviceType, learned from two healthy pumps, applied to a third" {
    { gen p1 400 9999 9999; gen p2 400 9999 9999; } | jq -c '.deviceType = "pump"' > healthy
    gen p3 | jq -c '.deviceType = "pump"' > live
    gen p4 | jq -c '.deviceType = "fan"' >> live
    iot-anomaly -m t2 -f a,b,c -k deviceType --learn types.json healthy 2> /dev/null
    run jq -r '.body.config.key, .body.models[0].key' types.json
    assert_output $'deviceType\npump'
    iot-anomaly -m t2 -f a,b,c --model types.json --model-by deviceType live > out 2> err
    run cat err
    assert_output --partial '800 records of keys without a model'
    run sh -c "jq -r 'select(.anomaly.isAnomaly) | .deviceId' out | sort | uniq -c | awk '{ print \$2, (\$1 >= 100) }'"
    assert_output 'p3 1'
    run sh -c "jq -r 'select(.anomaly.noModel) | .deviceId' out | sort -u"
    assert_output p4
    # without --model-by the file's key does not fit -k deviceId
    run iot-anomaly -m t2 -f a,b,c --model types.json live
    assert_failure 65
    assert_output --partial "models per key 'deviceType', not 'deviceId' (-k)"
    run iot-anomaly -m t2 -f a,b,c --model-by deviceType --baseline 300 live
    assert_failure 64
}

@test "--model: broken, foreign, or other fields' model files are refused" {
    gen p1 400 > healthy
    iot-anomaly -m t2 -f a,b,c --learn model.json healthy 2> /dev/null
    echo '{"iotkit_state":"iot-anomaly-model","version' > broken
    run iot-anomaly -m t2 -f a,b,c --model broken healthy
    assert_failure 65
    assert_output --partial 'broken'
    echo '{"iotkit_state":"iot-window","version":1,"body":{}}' > foreign
    run iot-anomaly -m t2 -f a,b,c --model foreign healthy
    assert_failure 65
    run iot-anomaly -m t2 -f a,c,b --model model.json healthy
    assert_failure 65
    assert_output --partial 'other fields'
    # an edited model is refused by its seal (CRC-32C) before anything is read from it
    jq -c '.body.models[0].model.k = 7' model.json > badk
    run iot-anomaly -m t2 -f a,b,c --model badk healthy
    assert_failure 65
    assert_output --partial 'badk: checksum mismatch (crc32c)'
    jq -c '.body.models[0].model.qLimit = -1' model.json > badq
    run iot-anomaly -m t2 -f a,b,c --model badq healthy
    assert_failure 65
    run iot-anomaly -m t2 -f a,b,c --model nosuch healthy
    assert_failure 66
}

@test "--state: K-part runs equal one run, in the baseline and in a fault; other options refused" {
    { gen p1; gen p2 800 500 650; } > in
    iot-anomaly -m t2 -f a,b,c --baseline 300 -k deviceId in > one
    for cut in 150 300 301 620 1000; do
        rm -f st
        head -n $cut in | iot-anomaly -m t2 -f a,b,c --baseline 300 -s st > parts
        tail -n +$((cut + 1)) in | iot-anomaly -m t2 -f a,b,c --baseline 300 -s st >> parts
        run cmp one parts
        assert_success
    done
    run jq -r '.version, .body.config.method' st
    assert_output $'5\nt2'
    run iot-anomaly -m t2 -f a,b,c --baseline 200 -s st < /dev/null
    assert_failure 65
    assert_output --partial 'other options'
    run iot-anomaly -m zscore -f a,b,c -s st < /dev/null
    assert_failure 65
    # a version-3 state (before t2) is refused, not reset
    echo '{"iotkit_state":"iot-anomaly","version":3,"body":{}}' > v3
    run iot-anomaly -m t2 -f a,b,c --baseline 300 -s v3 < /dev/null
    assert_failure 65
    run jq -r .version v3
    assert_output 3
}

@test "missing fields: scored on none, never zero-filled; bad values rejected; constant field dropped" {
    gen p1 400 > in
    printf '{"deviceId":"p1","timestamp":1,"a":10,"c":15}\n{"deviceId":"p1","timestamp":2,"a":10,"b":null,"c":15}\n' >> in
    run iot-anomaly -m t2 -f a,b,c --baseline 300 in
    assert_success
    assert_output --partial '"a":10,"c":15,"anomaly":{"score":null,"isAnomaly":false,"method":"t2","missing":true}'
    assert_output --partial '2 records without every model field were scored on none'
    printf '{"deviceId":"p1","timestamp":3,"a":10,"b":"20","c":15}\n{"deviceId":"p1","a":1e999,"b":20,"c":15}\n' >> in
    run iot-anomaly -m t2 -f a,b,c --baseline 300 in
    assert_failure 65
    assert_output --partial 'in:403: b: expected a number'
    assert_output --partial 'in:404: a: number out of range'
    # a field constant in the baseline is left out (and said), the others still model
    jq -c '.k = 3' in | head -n 400 > konst
    run iot-anomaly -m t2 -f a,b,c,k --baseline 300 konst
    assert_success
    assert_output --partial '1 fields constant in their baseline were left out of the model (first: key p1 field k)'
    assert_output --partial '"fields":["a","b","c"]'
    # a baseline too small for the fields: no model, said
    run iot-anomaly -m t2 -f a,b,c --baseline 3 konst
    assert_success
    assert_output --partial 'no model from a baseline of 3 records'
}

@test "-m t2 usage errors" {
    run iot-anomaly -m t2 -f a --baseline 10 < /dev/null
    assert_failure 64
    run iot-anomaly -m t2 -f a,b < /dev/null
    assert_failure 64
    assert_output --partial '--baseline'
    run iot-anomaly -m zscore -f a,b --baseline 10 < /dev/null
    assert_failure 64
    run iot-anomaly -m t2 -f a,b --baseline 10 --rule 'X: a > 1' < /dev/null
    assert_failure 64
    run iot-anomaly -m t2 -f a,b --learn m.json --state s < /dev/null
    assert_failure 64
    run iot-anomaly -m t2 -f a,b --baseline 10 --confidence 100 < /dev/null
    assert_failure 64
    run iot-anomaly -m t2 -f a,b --baseline 10 --explained 0 < /dev/null
    assert_failure 64
    run iot-anomaly -m t2 -f a,b --baseline 0 < /dev/null
    assert_failure 64
    run iot-anomaly -m t2 -f a,b --baseline 10 --window 65 < /dev/null
    assert_failure 64
    run iot-anomaly -m t2 -f a,b --baseline 10 --limits foo < /dev/null
    assert_failure 64
    run iot-anomaly -m zscore -f a --limits iid < /dev/null
    assert_failure 64
}

@test "--limits: longrun widens the limit of a slow component only; iid keeps the textbook one" {
    gen > in
    iot-anomaly -m t2 -f a,b,c --baseline 300 -s lr in > /dev/null
    iot-anomaly -m t2 -f a,b,c --baseline 300 --limits iid -s iid in > /dev/null
    # the first component follows the slow sine (lag-1 autocorrelation near 1: clamped at 0.99)
    run jq -c '.body.mv[0].s.model | [.k, .lrf[0] > 198.9 and .lrf[0] < 199.1, .lrf[1] < 3]' lr
    assert_output '[1,true,true]'
    run jq -c '.body.mv[0].s.model | [(.lrf | all(. == 1)), .t2Limit]' iid
    assert_output --regexp '^\[true,'
    run jq -n --slurpfile a lr --slurpfile b iid '$a[0].body.mv[0].s.model.qLimit >= $b[0].body.mv[0].s.model.qLimit'
    assert_output true
    # the planted fault is in the residual: both flag it
    run sh -c "iot-anomaly -m t2 -f a,b,c --baseline 300 --limits iid in | sed -n '605,700p' | jq -c 'select(.anomaly.isAnomaly | not)' | wc -l"
    assert_output 0
}
