#!/usr/bin/env bats
load helpers

# Synthetic run-to-failure fleet: $1 devices, hourly samples, each device runs cycles of 20..40
# days whose vibration rises towards the failure; a failure record, then a maintenance record,
# then a fresh cycle. _rul = seconds to the next failure. "voltage" is constant.
fleet() {
    mawk -v nd="$1" -v days="${2:-120}" 'BEGIN { s = 7
        for (d = 0; d < nd; d++) {
            t = 1767225600; end = t + days * 86400
            while (t < end) {
                s = (s * 16807) % 2147483647; life = (20 + s % 21) * 86400; fail = t + life
                for (; t < fail && t < end; t += 3600) {
                    s = (s * 16807) % 2147483647; u = s / 2147483647 - 0.5
                    w = 1 - (fail - t) / life; w = w * w * w
                    printf "{\"deviceId\":\"dev-%02d\",\"timestamp\":%d,\"temperature\":%.2f,\"vibration\":%.3f,\"voltage\":230,\"messageType\":\"telemetry\",\"_rul\":%d}\n", d, t, 60 + 2 * u + 8 * w, 1.5 + 0.2 * u + 4 * w, fail - t
                }
                if (t >= fail) {
                    printf "{\"deviceId\":\"dev-%02d\",\"timestamp\":%d,\"messageType\":\"failure\"}\n", d, fail
                    printf "{\"deviceId\":\"dev-%02d\",\"timestamp\":%d,\"messageType\":\"maintenance\"}\n", d, fail + 1800
                    t = fail + 3600
                }
            }
        } }'
}

FAST="--trees 40 --folds 3"
CLS=(--label-from 'messageType == "failure"' --horizon 7d --reset-on 'messageType == "maintenance"')

@test "train regress on remaining life: model file and fold metrics" {
    fleet 6 > in
    run iot-predict train --label _rul --task regress --cap 1209600 $FAST -o m.json in
    assert_success
    assert_line --index 0 --partial '{"fold":1,'
    assert_line --partial '"fold":"all"'
    assert_output --partial '"rmse":'
    run jq -r '.iotkit_model, .format, .task, .output, (.features.features | index("xslope(vibration)") != null)' m.json
    assert_output $'iot-predict\n1\nregress\nrul\ntrue'
    # the truth field, the key, the time and the constant field are not features
    run jq -r '.features.fields | join(",")' m.json
    assert_output 'temperature,vibration'
    # remaining life is learned: the overall RMSE is well under the spread of the capped label
    rmse=$(iot-predict train --label _rul --task regress --cap 1209600 $FAST -o m2.json in | jq -r 'select(.fold == "all") | .rmse')
    run mawk -v r="$rmse" 'BEGIN { exit !(r < 250000) }'
    assert_success
}

@test "train classify from failure records; AUC well above chance" {
    fleet 8 > in
    run iot-predict train "${CLS[@]}" $FAST -o m.json in
    assert_success
    auc=$(printf '%s\n' "$output" | jq -r 'select(.fold == "all") | .auc')
    run mawk -v a="$auc" 'BEGIN { exit !(a > 0.85) }'
    assert_success
    run jq -r '.task, .output, .horizon_ns, (.threshold > 0 and .threshold < 1), .training_data.keys' m.json
    assert_output $'classify\nfailureProbability\n604800000000000\ntrue\n8'
}

@test "same data and seed: byte-identical model; another seed: another model" {
    fleet 4 60 > in
    iot-predict train "${CLS[@]}" --trees 20 --folds 0 --seed 3 -o a.json in
    iot-predict train "${CLS[@]}" --trees 20 --folds 0 --seed 3 -o b.json in
    iot-predict train "${CLS[@]}" --trees 20 --folds 0 --seed 4 -o c.json in
    cmp a.json b.json
    run cmp -s a.json c.json
    assert_failure
}

@test "score keeps every byte of the line and appends failureProbability" {
    fleet 4 60 > in
    iot-predict train "${CLS[@]}" --trees 20 --folds 0 -o m.json in
    printf '{"deviceId":"dev-00", "timestamp":1767225600,"temperature":61.50,"vibration":1.5e0,"x":[1, 2],"failureProbability":9}\n' > one
    run iot-predict score -m m.json one
    assert_success
    assert_output --regexp '^\{"deviceId":"dev-00", "timestamp":1767225600,"temperature":61.50,"vibration":1.5e0,"x":\[1, 2\],"failureProbability":0\.[0-9]+\}$'
    # whole stream: one line out per line in; stripping the member gives the input back
    iot-predict score -m m.json in > out
    sed 's/,"failureProbability":[^,}]*}$/}/' out > back
    cmp in back
}

@test "the model carries the features: scoring a live stream gives the training features" {
    fleet 3 40 > in
    iot-predict train --label _rul --task regress --trees 10 --folds 0 --features 'ewm(vibration,0.2), mean(temperature,6h), xslope(vibration), count, since_reset' --reset-on 'messageType == "maintenance"' -o m.json in
    run jq -r '.features.features | join(" ")' m.json
    assert_output 'ewm(vibration,0.2) mean(temperature,6h) xslope(vibration) count since_reset'
    # failure records are not events of this model (no --label-from): they are scored too
    run sh -c 'iot-predict score -m m.json in | grep -c "\"rul\":"'
    assert_output "$(grep -vc maintenance in)"
}

@test "feature spec from a JSON file; linear learner; per-group standardisation and health" {
    fleet 4 60 > in
    echo '{"features": ["raw(vibration)", "ewm(health,0.1)", "xslope(temperature)"], "health": true}' > spec.json
    run iot-predict train "${CLS[@]}" --learner linear --features spec.json --standardize-by deviceId --folds 2 -o m.json in
    assert_success
    run jq -r '.linear.logistic, (.features.groups | length), (.features.health_weights | length)' m.json
    assert_output $'true\n5\n2'
    run sh -c 'iot-predict score -m m.json in | grep -c failureProbability'
    assert_output "$(grep -c telemetry in)"
}

@test "alerts: work orders above the threshold, one per device per cooldown" {
    fleet 3 60 > in
    iot-predict train "${CLS[@]}" --trees 20 --folds 0 -o m.json in
    iot-predict score -m m.json --alert 0.5 --cooldown 30d --alerts-only in > alerts
    run jq -r '.alertType' alerts
    assert_line --index 0 'PREDICTED_FAILURE'
    run jq -r '[.deviceId, .horizon] | join(" ")' alerts
    assert_line --partial ' 7d'
    # at most one per device in any 30 days: over 60 days, at most 2 per device
    run sh -c "jq -r .deviceId alerts | sort | uniq -c | mawk '\$1 > 2' | wc -l"
    assert_output 0
    run sh -c 'iot-predict score -m m.json --alert 0.5 --cooldown 30d in | grep -c alertType'
    assert_output "$(wc -l < alerts)"
}

@test "--state: three parts in a row give the same output as one run" {
    fleet 3 40 > in
    iot-predict train "${CLS[@]}" --trees 20 --folds 0 -o m.json in
    iot-predict score -m m.json --alert 0.6 in > whole
    n=$(wc -l < in); a=$((n / 3)); b=$((2 * n / 3))
    sed -n "1,${a}p" in > p1; sed -n "$((a + 1)),${b}p" in > p2; sed -n "$((b + 1)),\$p" in > p3
    for p in p1 p2 p3; do iot-predict score -m m.json --alert 0.6 --state st.json $p; done > parts
    cmp whole parts
    run jq -r '.iotkit_state' st.json
    assert_output iot-predict
}

@test "score does not hold records back while the input is quiet" {
    fleet 3 60 > in
    iot-predict train "${CLS[@]}" --trees 10 --folds 0 -o m.json in
    mkfifo feed
    iot-predict score -m m.json < feed > out &
    exec 7> feed
    head -3 in >&7
    # generous bound: the three records come out long before the input ends
    for i in $(seq 50); do [ "$(wc -l < out)" -ge 3 ] && break; sleep 0.1; done
    run wc -l < out
    exec 7>&-
    wait
    assert_output 3
}

@test "explain: importances by gain, shares add up to 1" {
    fleet 4 60 > in
    iot-predict train "${CLS[@]}" --trees 30 --folds 0 -o m.json in
    run iot-predict explain -m m.json
    assert_success
    assert_line --index 0 --regexp '^\{"feature":"[a-z_]+(\([a-z]+(,[0-9.]+)?\))?","gain":[0-9.e+-]+,"share":[0-9.e-]+,"splits":[0-9]+\}$'
    run sh -c "iot-predict explain -m m.json | jq -s '[.[].gain] == ([.[].gain] | sort | reverse) and ((map(.share) | add) - 1 | fabs) < 1e-4'"
    assert_output true
}

@test "bad labels are rejected by line" {
    fleet 2 30 > in
    printf '{"deviceId":"dev-00","timestamp":1767225601,"temperature":1,"vibration":1,"_rul":"soon"}\n' >> in
    run iot-predict train --label _rul --trees 5 --folds 0 -o m.json in
    assert_failure 65
    assert_output --partial "_rul: expected a number"
    printf '{"deviceId":"a","timestamp":1,"temperature":1,"vibration":2,"broken":2}\n' > c
    run iot-predict train --label broken --task classify --trees 5 --folds 0 -o m.json c
    assert_failure 65
    assert_output --partial "expected 0 or 1"
    # with --dead-letter the bad line goes there and training proceeds
    run iot-predict train --label _rul --trees 5 --folds 0 --dead-letter dl -o m.json in
    assert_success
    run jq -r .kind dl
    assert_output 'bad label'
}

@test "missing fields: missing values are scored, a missing key or time is rejected" {
    fleet 3 40 > in
    iot-predict train "${CLS[@]}" --trees 20 --folds 0 -o m.json in
    printf '{"deviceId":"dev-00","timestamp":1767225600}\n{"timestamp":1767225600,"vibration":2}\n{"deviceId":"dev-01","vibration":2}\n{"deviceId":"dev-01","timestamp":"x","vibration":"high"}\n' > odd
    run iot-predict score -m m.json odd
    assert_failure 65
    assert_line --regexp '^\{"deviceId":"dev-00","timestamp":1767225600,"failureProbability":0\.[0-9]+\}$'
    assert_output --partial 'odd:2: deviceId: missing key field'
    assert_output --partial 'odd:3: timestamp: missing time field'
    assert_output --partial 'odd:4: timestamp:'
    printf '{"deviceId":"dev-01","timestamp":1767225600,"vibration":"high"}\n' > s
    run iot-predict score -m m.json s
    assert_failure 65
    assert_output --partial 'vibration: expected a number'
}

@test "broken, foreign and future model files are refused" {
    fleet 2 30 > in
    iot-predict train --label _rul --trees 5 --folds 0 -o m.json in
    head -c 500 m.json > cut.json
    run iot-predict score -m cut.json in
    assert_failure 65
    assert_output --partial 'cut.json: not a usable model'
    jq '.format = 2' m.json > v2.json
    run iot-predict score -m v2.json in
    assert_failure 65
    assert_output --partial 'model format 2, this iot-predict reads format 1'
    echo '{"iotkit_state":"x"}' > other.json
    run iot-predict explain -m other.json
    assert_failure 65
    assert_output --partial 'not an iot-predict model'
    jq '.gbdt.trees[0].feature[0] = 999' m.json > badtree.json
    run iot-predict explain -m badtree.json
    assert_failure 65
    assert_output --partial 'malformed tree 0'
    run iot-predict score -m nowhere.json in
    assert_failure 66
}

@test "the model file is written atomically: a failed training leaves the old one" {
    fleet 2 30 > in
    iot-predict train --label _rul --trees 5 --folds 0 -o m.json in
    cp m.json keep.json
    printf '{"deviceId":"a","timestamp":1}\n' > empty
    run iot-predict train --label _rul --trees 5 --folds 0 -o m.json empty
    assert_failure 65
    assert_output --partial 'no labelled rows'
    cmp m.json keep.json
    run sh -c 'ls | grep -c tmp'
    assert_output 0
}

@test "usage errors exit 64" {
    run iot-predict
    assert_failure 64
    assert_output --partial 'subcommand'
    run iot-predict fly
    assert_failure 64
    run iot-predict train --label x
    assert_failure 64
    assert_output --partial '-o MODEL'
    run iot-predict train --label x --label-from 'a == 1' -o m.json
    assert_failure 64
    run iot-predict train --label x --features 'ewm(x)' -o m.json
    assert_failure 64
    assert_output --partial 'needs a second argument'
    run iot-predict train --label-from 'messageType ==' -o m.json
    assert_failure 64
    run iot-predict score
    assert_failure 64
    run iot-predict train --label x --task guess -o m.json
    assert_failure 64
}

@test "the man page renders" {
    run sh -c "man -l '$ROOT_DIR/man/iot-predict.1' 2>&1 | cat"
    assert_success
    assert_output --partial 'STREAMING AND MEMORY'
}

@test "the iot-sim fleet trains and scores end to end" {
    command -v iot-sim >/dev/null || skip "iot-sim not built"
    iot-sim -n 8 --events --truth --mtbf 20d -d 60d -i 2h > sim
    run iot-predict train --label-from 'messageType == "failure"' --horizon 7d --reset-on 'messageType == "maintenance"' $FAST -o m.json sim
    assert_success
    run jq -r '.features.fields | map(select(startswith("_"))) | length' m.json
    assert_output 0
    run sh -c 'iot-predict score -m m.json sim | grep -c failureProbability'
    assert_output "$(grep -c '"telemetry"' sim)"
}

@test "scores do not depend on batching: one record at a time (-u) gives the same lines, trees and linear" {
    fleet 4 30 > in
    iot-predict train "${CLS[@]}" --trees 30 --depth 5 --folds 0 -o t.json in
    iot-predict train "${CLS[@]}" --learner linear --folds 0 -o l.json in
    for m in t.json l.json; do
        iot-predict score -m $m in > batched
        iot-predict score -u -m $m in > single
        cmp batched single
        run sh -c "grep -c failureProbability batched"
        assert_output "$(grep -c telemetry in)"
    done
    # scores differ between records (the model is not a constant)
    run sh -c "jq -r .failureProbability batched | sort -u | wc -l"
    assert [ "$output" -gt 10 ]
}

@test "the portable tree path (IOT_NO_SIMD=1) scores exactly like the vectorised one" {
    grep -qw avx2 /proc/cpuinfo || skip "this CPU has no AVX2: only the portable path can run"
    fleet 4 30 > in
    for d in 3 6 8; do
        iot-predict train "${CLS[@]}" --trees 40 --depth $d --folds 0 -o m$d.json in
        iot-predict score --stats -m m$d.json in > simd 2> simd.stats
        IOT_NO_SIMD=1 iot-predict score --stats -m m$d.json in > portable 2> portable.stats
        cmp simd portable
        # which path ran: AVX2 up to depth 6, portable beyond and when told
        [ "$(grep '^{' simd.stats | jq "if $d <= 6 then .rows_avx2 else .rows_portable end")" -gt 0 ]
        [ "$(grep '^{' portable.stats | jq '.rows_portable')" -gt 0 ]
        [ "$(grep '^{' portable.stats | jq '.rows_avx2 // 0')" -eq 0 ]
        run sh -c "grep -c failureProbability portable"
        assert_output "$(grep -c telemetry in)"
    done
}
