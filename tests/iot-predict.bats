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

# A fleet in operating regimes, like C-MAPSS FD002: $1 engines run to failure, one record per
# cycle, the load drawn each cycle from three conditions (20, 50, 80, with jitter); every sensor
# moves with the load far more than with wear. "rpm" is set by the load alone (an indicator).
regime_fleet() {
    mawk -v ne="$1" -v seed="${2:-11}" 'BEGIN { s = seed
        for (u = 1; u <= ne; u++) {
            s = (s * 16807) % 2147483647; life = 80 + s % 80
            for (c = 1; c <= life; c++) {
                s = (s * 16807) % 2147483647; k = s % 3; load = 20 + 30 * k
                s = (s * 16807) % 2147483647; j = (s / 2147483647) * 0.01
                s = (s * 16807) % 2147483647; n1 = s / 2147483647 - 0.5
                s = (s * 16807) % 2147483647; n2 = s / 2147483647 - 0.5
                w = (exp(4 * c / life) - 1) / (exp(4) - 1)
                printf "{\"unit\":%d,\"timestamp\":%d,\"load\":%.3f,\"temp\":%.3f,\"flow\":%.3f,\"rpm\":%d,\"_rul\":%d}\n", u, 1262304000 + 3600 * c, load + j, 300 + 4 * load + 3 * n1 + 12 * w * (1 + load / 80), 900 - 6 * load + 2 * n2 - 8 * w, 1000 + 20 * load, life - c
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
    assert_output $'iot-predict\n3\nregress\nrul\ntrue'
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
    for x in a:3 b:3 c:4; do
        iot-predict train "${CLS[@]}" --trees 20 --folds 0 --seed ${x#*:} -o ${x%:*}.json in
        # the card's training time is the one member that may differ
        jq -c 'del(.card.training_seconds, .crc32c)' ${x%:*}.json > ${x%:*}.cmp
    done
    cmp a.cmp b.cmp
    run cmp -s a.cmp c.cmp
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

@test "alerts: one work order per predicted failure episode, checked by an independent count" {
    fleet 3 60 > in
    iot-predict train "${CLS[@]}" --trees 20 --folds 0 -o m.json in
    iot-predict score -m m.json --alert 0.5 --alerts-only in > alerts
    run jq -r '.alertType' alerts
    assert_line --index 0 'PREDICTED_FAILURE'
    run jq -r '[.deviceId, .horizon] | join(" ")' alerts
    assert_line --partial ' 7d'
    # independent: per device an episode opens at the first probability >= A and ends at a
    # failure or maintenance record, or once the probability has stayed below A for C seconds
    # (m2 reads raw values only, so its probability flickers: the cooldown decides)
    iot-predict train "${CLS[@]}" --trees 20 --folds 0 --features 'raw(vibration),raw(temperature)' -o m2.json in
    for ac in m:0.5:86400:1d m2:0.3:10800:3h; do
        IFS=: read m a c cd <<< "$ac"
        iot-predict score -m $m.json --alert $a --cooldown $cd --alerts-only in |
            jq -r '[.deviceId, (.timestamp | sub("\\.[0-9]+Z$"; "Z") | fromdate)] | join(" ")' > got
        iot-predict score -m $m.json in | jq -r '[.deviceId, .timestamp, .messageType,
            (.failureProbability // -1)] | @tsv' | mawk -F'\t' -v A=$a -v C=$c '
            $3 != "telemetry" { open[$1] = 0; safe[$1] = 0; next }
            open[$1] && $4 >= A { safe[$1] = 0; next }
            open[$1] { if (!safe[$1]) { safe[$1] = 1; since[$1] = $2 } else if ($2 - since[$1] >= C) open[$1] = safe[$1] = 0; next }
            $4 >= A { open[$1] = 1; safe[$1] = 0; print $1, $2 }' > want
        test -s want
        diff want got
    done
    [ "$(wc -l < got)" -gt "$(iot-predict score -m m2.json --alert 0.3 --alerts-only in | wc -l)" ]
    # a failure episode gives one work order, not one per day: no more orders than failures + keys
    fails=$(grep -c '"failure"' in)
    run mawk -v a="$(wc -l < alerts)" -v f="$fails" 'BEGIN { exit !(a <= f + 3) }'
    assert_success
    run sh -c 'iot-predict score -m m.json --alert 0.5 in | grep -c alertType'
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
    # the stream has the model's fields (first line); one record lacking them is still scored
    printf '{"deviceId":"dev-02","timestamp":1767225600,"temperature":60,"vibration":1.5}\n{"deviceId":"dev-00","timestamp":1767225600}\n{"timestamp":1767225600,"vibration":2}\n{"deviceId":"dev-01","vibration":2}\n{"deviceId":"dev-01","timestamp":"x","vibration":"high"}\n' > odd
    run iot-predict score -m m.json odd
    assert_failure 65
    assert_line --regexp '^\{"deviceId":"dev-00","timestamp":1767225600,"failureProbability":0\.[0-9]+\}$'
    assert_output --partial 'odd:3: deviceId: missing key field'
    assert_output --partial 'odd:4: timestamp: missing time field'
    assert_output --partial 'odd:5: timestamp:'
    printf '{"deviceId":"dev-01","timestamp":1767225600,"vibration":"high"}\n' > s
    run iot-predict score -m m.json s
    assert_failure 65
    assert_output --partial 'vibration: expected a number'
}

@test "a stream that lacks the model's fields is refused, naming them, before any output" {
    fleet 3 40 > in
    iot-predict train "${CLS[@]}" --trees 20 --folds 0 -o m.json in
    grep telemetry in | head -200 | jq -c 'del(.vibration)' > novib
    run iot-predict score -m m.json novib
    assert_failure 65
    assert_output --partial "the stream lacks the model's field vibration (in none of the first 64 telemetry records)"
    refute_output --partial failureProbability
    grep telemetry in | head -200 | jq -c 'del(.vibration, .temperature)' > none
    run iot-predict score -u -m m.json none
    assert_failure 65
    assert_output --partial "the stream lacks the model's fields temperature, vibration (in none of the first 1 telemetry records)"
    # the field present in some records of the first batch is enough
    { grep telemetry in | head -1; grep telemetry in | sed -n 2,200p | jq -c 'del(.vibration)'; } > some
    run iot-predict score -m m.json some
    assert_success
}

@test "broken, foreign and future model files are refused" {
    fleet 2 30 > in
    iot-predict train --label _rul --trees 5 --folds 0 -o m.json in
    head -c 500 m.json > cut.json
    run iot-predict score -m cut.json in
    assert_failure 65
    assert_output --partial 'cut.json: not a usable model'
    # files of other formats: an older one has no seal; either way refused, never guessed at
    jq -c '.format = 1 | del(.crc32c)' m.json > v1.json
    run iot-predict score -m v1.json in
    assert_failure 65
    assert_output --partial 'v1.json: not a usable model (model format 1 was written by an older iot-predict, this one reads format 3'
    assert_output --partial 'train the model again'
    jq -c 'del(.crc32c)' m.json > unsealed.json
    run iot-predict score -m unsealed.json in
    assert_failure 65
    assert_output --partial 'unsealed.json: not a usable model (no checksum'
    # one changed digit anywhere: refused by its CRC-32C, naming the file
    perl -pe 's/(\d)/++$n == 40 ? ($1 + 1) % 10 : $1/ge' m.json > digit.json
    run cmp -s m.json digit.json
    assert_failure
    run iot-predict score -m digit.json in
    assert_failure 65
    assert_output --partial 'digit.json: checksum mismatch (crc32c)'
    echo '{"iotkit_state":"x"}' > other.json
    run iot-predict explain -m other.json
    assert_failure 65
    assert_output --partial 'not an iot-predict model'
    jq '.gbdt.trees[0].feature[0] = 999 | del(.crc32c)' m.json > badtree.json
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

@test "--regimes: k-means finds the three loads, sensors standardised per regime, better fit" {
    regime_fleet 24 > in
    REG=(-k unit --label _rul --task regress --cap 60 --trees 60 --folds 3)
    run iot-predict train "${REG[@]}" --regimes load -o r.json in
    assert_success
    assert_output --partial 'regimes: 3 (silhouette'
    assert_output --partial 'rpm: constant within every regime, not used'
    with=$(printf '%s\n' "$output" | grep '"fold":"all"' | jq .rmse)
    run jq -r '.features.regimes.regimes | map(.settings[0] | round) | join(",")' r.json
    assert_output '20,50,80'
    # the setting is not a feature; every regime has its own mean for temp
    run jq -r '.features.fields | join(",")' r.json
    assert_output 'temp,flow'
    run jq -r '[.features.groups[1:][] | .mean[0] | round] | join(",")' r.json
    assert_output '384,504,626'
    without=$(iot-predict train "${REG[@]}" -o p.json in | jq -r 'select(.fold == "all") | .rmse')
    run mawk -v a="$with" -v b="$without" 'BEGIN { print a, b; exit !(a < 0.8 * b) }'
    assert_success
    # scoring applies the stored regimes: a fresh fleet scores close to its truth
    regime_fleet 6 99 > live
    iot-predict score -m r.json live | jq -r '[(._rul | if . > 60 then 60 else . end), .rul] | @tsv' |
        mawk -F'\t' '{ d = $1 - $2; s += d * d; n++ } END { r = sqrt(s / n); print r; exit !(r < 4) }'
}

@test "--regimes: out-of-regime and setting-less records are scored, counted and said" {
    regime_fleet 8 > in
    iot-predict train -k unit --label _rul --task regress --trees 20 --folds 0 --regimes load -o r.json in 2>/dev/null
    { head -3 in; printf '{"unit":1,"timestamp":1262400000,"load":200,"temp":900,"flow":1}\n'
      printf '{"unit":1,"timestamp":1262403600,"temp":500,"flow":600}\n'; } > odd
    run iot-predict score -m r.json --stats odd
    assert_success
    assert_output --partial '1 records were in no known operating regime; each was scored with the nearest one'
    assert_output --partial '1 records lacked an operating setting; they were scored with the global statistics'
    assert_output --partial '"out_of_regime":1'
    assert_output --partial '"regime_missing":1'
    run sh -c 'iot-predict score -m r.json -q odd | grep -c "\"rul\":"'
    assert_output 5
    printf '{"unit":1,"timestamp":1262400000,"load":"high","temp":900,"flow":1}\n' > bad
    run iot-predict score -m r.json bad
    assert_failure 65
    assert_output --partial 'load: expected a number (operating setting)'
    run iot-predict train -k unit --label _rul --regimes load --standardize-by load -o x.json in
    assert_failure 64
}

@test "since(FIELD): days from a date or timestamp field to the event, learned exactly" {
    # y is the days since lastMaintenance (an RFC 3339 text): a linear model on since() fits it
    mawk 'BEGIN { for (d = 0; d < 6; d++) for (i = 0; i < 200; i++) { t = 1767225600 + i * 21600
        lm = 1767225600 - (d * 10 + i % 50) * 86400
        printf "{\"deviceId\":\"d%d\",\"timestamp\":%d,\"lastMaintenance\":\"%s\",\"y\":%.6f}\n", d, t, strftime("%Y-%m-%dT%H:%M:%SZ", lm, 1), (t - lm) / 86400 } }' > in
    run iot-predict train --label y --task regress --learner linear --l2 0 --folds 0 --features 'since(lastMaintenance)' -o s.json in
    assert_success
    run sh -c "iot-predict score -m s.json in | jq -r '(.y - .rul) | fabs' | sort -g | tail -1"
    assert_output 0
    # the feature's training mean is the mean of y: days, with their sign
    run sh -c "jq -s 'map(.y) | add / length' in; jq '.linear.mean[0]' s.json"
    run mawk -v a="${lines[0]}" -v b="${lines[1]}" 'BEGIN { print a, b; d = a - b; exit !(d < 1e-9 && d > -1e-9) }'
    assert_success
    # a date alone is midnight UTC; a number is read in --time-unit like the event time
    printf '%s\n' '{"deviceId":"a","timestamp":"2026-03-01T00:00:00Z","lastMaintenance":"2026-02-01"}' \
        '{"deviceId":"a","timestamp":"2026-03-01T12:00:00Z","lastMaintenance":1767225600}' > two
    run sh -c 'iot-predict score -m s.json two | jq .rul'
    assert_output $'28\n59.5'
    printf '{"deviceId":"a","timestamp":1767225600,"lastMaintenance":"soon"}\n' > bad
    run iot-predict score -m s.json bad
    assert_failure 65
    assert_output --partial 'lastMaintenance: expected a date or timestamp for since()'
    run iot-predict train --label y --features 'raw(lastMaintenance),since(lastMaintenance)' -o x.json in
    assert_failure 64
    assert_output --partial 'lastMaintenance is a time (read by since()), not a number'
}

@test "info prints the model card" {
    regime_fleet 6 > in
    iot-predict train -k unit --label _rul --task regress --cap 60 --trees 10 --folds 2 --regimes load \
        --tag 'fleet A, 2026-12' -o m.json in 2>/dev/null >/dev/null
    run iot-predict info m.json
    assert_success
    run sh -c "iot-predict info m.json | jq -c '[.format, .tag, .task, .label, .learner, (.features | length), .regimes.k, .regimes.fields, .training_data.keys, (.training_data.records > 0), (.cv.rmse > 0), .threshold, (.training_seconds >= 0)]'"
    assert_output '[3,"fleet A, 2026-12","regress","_rul",{"name":"gbdt","trees":10,"depth":4},7,3,["load"],6,true,true,null,true]'
    run sh -c "iot-predict info -m m.json | jq -r '.regimes.regimes | map(.settings[0] | round | tostring) | join(\" \")'"
    assert_output '20 50 80'
    run iot-predict info m.json extra
    assert_failure 64
}

@test "tune: seeded random search by grouped CV, reproducible, writes the best model and the table" {
    regime_fleet 12 > in
    T=(-k unit --label _rul --task regress --cap 60 --folds 3)
    for x in a:3 b:3 c:4; do
        iot-predict tune "${T[@]}" --trials 4 --seed ${x#*:} -o ${x%:*}.json in > ${x%:*}.tab
        jq -c 'del(.seconds)' ${x%:*}.tab > ${x%:*}.t
        jq -c 'del(.card.training_seconds, .crc32c)' ${x%:*}.json > ${x%:*}.m
    done
    cmp a.t b.t
    cmp a.m b.m
    run cmp -s a.t c.t
    assert_failure
    run jq -sc 'map(select(.trial)) | length' a.tab
    assert_output 4
    # the first trial is the defaults; the best line names the trial with the lowest RMSE
    run jq -c 'select(.trial == 1) | [.trees, .depth, .learning_rate, .ewm]' a.tab
    assert_output '[400,4,0.05,0.1]'
    run jq -sc '(map(select(.trial)) | min_by(.rmse) | .trial) == (.[-1].best) and all(.[]; .rmse > 0)' a.tab
    assert_output true
    # the model holds the best trial's trees and only its ewm span
    best=$(tail -1 a.tab)
    run jq -c '[(.gbdt.trees | length), .gbdt.depth]' a.json
    assert_output "$(printf '%s' "$best" | jq -c '[.trees, .depth]')"
    span=$(printf '%s' "$best" | jq -r .ewm)
    run jq -r '[.features.features[] | select(startswith("ewm"))] | map(split(",")[1] | rtrimstr(")")) | unique | join(" ")' a.json
    assert_output "$span"
    # one trial: exactly the model train gives
    iot-predict tune "${T[@]}" --trials 1 -o t1.json in > t1.tab
    iot-predict train "${T[@]}" -o tr.json in > tr.cv
    # trial 1's RMSE is train's cross-validation RMSE with the same options
    [ "$(jq 'select(.trial == 1) | .rmse' t1.tab)" = "$(jq 'select(.fold == "all") | .rmse' tr.cv)" ]
    diff <(jq -c 'del(.card, .crc32c)' t1.json) <(jq -c 'del(.card, .crc32c)' tr.json)
    # the budget: no trial starts after it (the first always runs)
    run sh -c "iot-predict tune ${T[*]} --budget 1ms -o b1.json in | jq -c 'select(.best) | .trials'"
    assert_output 1
    run iot-predict tune "${T[@]}" --learner linear -o x.json in
    assert_failure 64
    run iot-predict tune -k unit --label _rul --folds 0 -o x.json in
    assert_failure 64
}

@test "eval: precision, recall, false alarms per device-year and lead times from a scored stream" {
    fleet 6 90 > in
    head -n $(($(wc -l < in) / 2)) in > train
    iot-predict train "${CLS[@]}" --trees 30 --folds 0 -o m.json train > /dev/null
    iot-predict score -m m.json in > scored
    run sh -c "iot-predict eval -m m.json --alert 0.5 scored | tail -1"
    assert_success
    printf '%s\n' "$output" | jq -e '.group == "all" and .horizon == "7d" and .alert == 0.5' > /dev/null
    ev=$output
    # independent: the work orders score writes, against the failure records of the input
    iot-predict score -m m.json --alert 0.5 --alerts-only in |
        jq -r '[.deviceId, (.timestamp | sub("\\.[0-9]+Z$"; "Z") | fromdate), "A"] | @tsv' > orders
    jq -r 'select(.messageType == "failure") | [.deviceId, .timestamp, "F"] | @tsv' in > fails
    want=$(sort -k1,1 -k2,2n orders fails | mawk -F'\t' -v H=604800 '
        $3 == "A" { o[$1] = o[$1] " " $2; n++; next }
        { f++; k = split(o[$1], a, " "); lead = -1
          for (i = 1; i <= k; i++) if ($2 - a[i] <= H && $2 - a[i] > lead) lead = $2 - a[i]
          if (lead >= 0) c++ }
        END { printf "%d %d %d\n", f, c, n }')
    [ "$(printf '%s' "$ev" | jq -r '"\(.failures) \(.caught) \(.work_orders)"')" = "$want" ]
    printf '%s' "$ev" | jq -e '.caught > 0 and .precision > 0 and .false_alarms_per_device_year >= 0 and .mean_lead_days > 0 and .mean_lead_days <= 7' > /dev/null
    # one line per caught failure with its lead time
    run sh -c "iot-predict eval -m m.json --alert 0.5 scored | jq -s 'map(select(.lead_days)) | length'"
    assert_output "$(printf '%s' "$ev" | jq .caught)"
    # per group: the groups add up to the whole
    mawk '{ sub(/"deviceId":"dev-0[0-2]"/, "&,\"site\":\"north\""); sub(/"deviceId":"dev-0[3-5]"/, "&,\"site\":\"south\""); print }' scored > sited
    run sh -c "iot-predict eval -m m.json --alert 0.5 --by site sited | jq -sc '[(map(select(.site)) | .[].site), (map(select(.site) | .failures) | add) == (.[-1].failures)]'"
    assert_output '["north","south",true]'
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
