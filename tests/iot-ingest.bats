#!/usr/bin/env bats
# iot-ingest: golden cases (tests/golden/iot-ingest/<case>/{cmd,input,stdout,stderr,exit}), the
# reduction error bounds on iot-sim data, the accounting rule, replay pacing, docs.
load helpers

GOLDEN="$ROOT_DIR/tests/golden/iot-ingest"

# golden CASE: helpers.bash (stdout, stderr and exit status each compared).
@test "golden: every timestamp form, and bad ones dead-lettered with the reason" { golden time-forms; }
@test "golden: CSV quotes, embedded newline, BOM, CRLF, ragged rows, empty cells, typed numbers" { golden csv-edge; }
@test "golden: --csv-columns and --csv-delimiter (no header, ';')" { golden csv-columns; }
@test "golden: --csv-delimiter tab on a .tsv file" { golden csv-tab; }
@test "golden: --rename, --set (JSON or string), --drop keep every other byte" { golden rename-set-drop; }
@test "golden: --schema failures go to the dead-letter stream with the reason" { golden schema; }
@test "golden: --assets NDJSON joined under asset; unknown devices kept and counted" { golden assets-nested; }
@test "golden: --assets CSV with --assets-prefix; --unknown-assets count drops and counts" { golden assets-prefix-csv; }
@test "golden: --unknown-assets dead-letter, fields at top level with an empty prefix" { golden assets-unknown-dead; }
@test "golden: --dedupe key+time within the horizon; older events cannot be judged" { golden dedupe-horizon; }
@test "golden: --dedupe=FIELD,... compares values with their JSON type" { golden dedupe-fields; }
@test "golden: --merge in event time, ties by input order then line, CSV input too" { golden merge-ties; }
@test "golden: several inputs are concatenated without --merge" { golden concat; }
@test "golden: --deadband sends the held value when a change passes" { golden deadband-held; }
@test "golden: --swinging-door PI example 1,2,3,4,5,5 keeps 1,5,5" { golden swinging-door-pi; }
@test "golden: --max-gap forces a point" { golden max-gap; }
@test "golden: zstd input, NDJSON and CSV, detected by content" { golden zstd-input; }
@test "golden: bad lines without --dead-letter: reported, exit 65" { golden bad-lines-exit; }
@test "golden: --rebase shifts event times, gaps kept" { golden rebase; }

# Simulated telemetry (iot-sim when it is built, else a generated random walk).
sim_data() {
    if command -v iot-sim > /dev/null; then
        iot-sim --devices "$1" --duration "$2" --seed 7 "${@:3}"
    else
        awk -v n="$1" 'BEGIN { srand(7); for (s = 0; s < 3600; s++) for (d = 0; d < n; d++) {
            x[d] += rand() - 0.5; y[d] += (rand() - 0.5) / 5
            printf "{\"deviceId\":\"dev-%d\",\"timestamp\":%d,\"temperature\":%.2f,\"vibration\":%.3f}\n",
                d, 1767225600000 + s * 1000 + d, 20 + x[d], 2 + y[d] } }'
    fi
}

# device, time (s), value of FIELD as TSV (records where FIELD is a number)
tsv() {
    jq -r --arg f "$1" 'select(.[$f] | type == "number") |
        [.deviceId, (.timestamp | sub("\\.(?<ms>[0-9]+)Z$"; "Z") | fromdate), (.timestamp | capture("\\.(?<ms>[0-9]+)Z$").ms), .[$f]] | @tsv' "$2" |
        awk -F'\t' '{ printf "%s\t%s.%s\t%s\n", $1, $2, $3, $4 }'
}

# Largest |raw - reconstruction| over every input point; mode step (hold) or linear.
max_error() {
    awk -F'\t' -v mode="$1" '
        NR == FNR { k = ++n[$1]; T[$1, k] = $2 + 0; V[$1, k] = $3 + 0; next }
        { d = $1; t = $2 + 0; v = $3 + 0; j = p[d] + 0; if (j == 0) j = 1
          while (j < n[d] && T[d, j + 1] <= t) j++
          p[d] = j; r = V[d, j]
          if (mode == "linear" && T[d, j] < t && j < n[d])
              r = V[d, j] + (V[d, j + 1] - V[d, j]) * (t - T[d, j]) / (T[d, j + 1] - T[d, j])
          e = v - r; if (e < 0) e = -e; if (e > m) m = e }
        END { printf "%.17g\n", m }' "$2" "$3"
}

@test "deadband and swinging door: reconstruction error bounds hold exactly on simulated data" {
    sim_data 20 1h > raw.ndjson
    iot-ingest --deadband temperature=0.5 < raw.ndjson > db.ndjson
    iot-ingest --swinging-door vibration=0.2 < raw.ndjson > sd.ndjson
    iot-ingest --deadband temperature=0.5 --swinging-door vibration=0.2 --max-gap 5m < raw.ndjson > both.ndjson
    tsv temperature raw.ndjson > raw_t.tsv
    tsv vibration raw.ndjson > raw_v.tsv
    [ "$(wc -l < db.ndjson)" -lt "$(wc -l < raw.ndjson)" ]
    [ "$(wc -l < sd.ndjson)" -lt "$(wc -l < raw.ndjson)" ]
    tsv temperature db.ndjson > db_t.tsv
    tsv vibration sd.ndjson > sd_v.tsv
    tsv temperature both.ndjson > both_t.tsv
    tsv vibration both.ndjson > both_v.tsv
    # deadband, step reconstruction: <= dev, no tolerance
    e=$(max_error step db_t.tsv raw_t.tsv); echo "deadband step $e"
    awk -v e="$e" 'BEGIN { exit !(e <= 0.5 && e > 0.25) }'
    e=$(max_error linear db_t.tsv raw_t.tsv); echo "deadband linear $e"
    awk -v e="$e" 'BEGIN { exit !(e <= 1.0) }'
    # swinging door, linear interpolation: <= dev (1e-9: the interpolation's own rounding)
    e=$(max_error linear sd_v.tsv raw_v.tsv); echo "swinging door $e"
    awk -v e="$e" 'BEGIN { exit !(e <= 0.2 + 1e-9 && e > 0.1) }'
    # both reducers on one record: each bound still holds
    e=$(max_error step both_t.tsv raw_t.tsv); awk -v e="$e" 'BEGIN { exit !(e <= 0.5) }'
    e=$(max_error linear both_v.tsv raw_v.tsv); awk -v e="$e" 'BEGIN { exit !(e <= 0.2 + 1e-9) }'
}

@test "a looser deviation keeps fewer points" {
    sim_data 10 30m > raw.ndjson
    a=$(iot-ingest --swinging-door temperature=0.1 < raw.ndjson | wc -l)
    b=$(iot-ingest --swinging-door temperature=1 < raw.ndjson | wc -l)
    [ "$b" -lt "$a" ]
}

@test "accounting: lines in = records out + dead-lettered + deduped + reduced (from --stats)" {
    if command -v iot-sim > /dev/null; then
        iot-sim --devices 20 --duration 20m --seed 3 --faults dup=0.01,malformed=0.005 > raw.ndjson
    else
        sim_data 20 20m > raw.ndjson
        sed -n '1~50p' raw.ndjson >> raw.ndjson; echo '{"deviceId":' >> raw.ndjson
    fi
    run iot-ingest --stats --dead-letter dl.ndjson --dedupe --deadband temperature=0.3 \
        --swinging-door vibration=0.1 -o out.ndjson raw.ndjson
    assert_success
    s=$(printf '%s\n' "$output" | tail -n 1)
    echo "$s"
    in=$(jq .lines_in <<< "$s"); out=$(jq .records_out <<< "$s"); rej=$(jq .rejected <<< "$s")
    dd=$(jq '.deduped // 0' <<< "$s"); red=$(jq '.reduced // 0' <<< "$s")
    [ "$in" -eq "$(wc -l < raw.ndjson)" ]
    [ "$out" -eq "$(wc -l < out.ndjson)" ]
    [ "$rej" -eq "$(wc -l < dl.ndjson)" ]
    [ "$dd" -gt 0 ] && [ "$red" -gt 0 ] && [ "$rej" -gt 0 ]
    [ "$in" -eq $((out + rej + dd + red)) ]
    [ "$(jq .bytes_in <<< "$s")" -eq "$(wc -c < raw.ndjson)" ]
    [ "$(jq .bytes_out <<< "$s")" -eq "$(wc -c < out.ndjson)" ]
}

@test "replay: output is spread over the events' gaps at --speed (generous bounds)" {
    for i in 0 1 2 3 4; do
        printf '{"deviceId":"a","timestamp":%d}\n' $((1767225600 + i * 10))
    done > in.ndjson
    # 40 s of event time at 40x = 1 s of wall time at least
    start=$(date +%s%N)
    iot-ingest --replay --speed 40 in.ndjson > out.ndjson
    end=$(date +%s%N)
    ms=$(( (end - start) / 1000000 ))
    echo "took ${ms} ms"
    [ "$(wc -l < out.ndjson)" -eq 5 ]
    [ "$ms" -ge 950 ] && [ "$ms" -lt 30000 ]
}

@test "replay: each record is delivered when due, not at the end (-u into a pipe)" {
    printf '{"deviceId":"a","timestamp":0}\n{"deviceId":"a","timestamp":1}\n' > in.ndjson
    iot-ingest --time-unit s --replay --speed 2 -u in.ndjson | while IFS= read -r l; do
        date +%s%N; done > arrivals
    a=$(sed -n 1p arrivals); b=$(sed -n 2p arrivals)
    gap=$(( (b - a) / 1000000 ))
    echo "gap ${gap} ms"
    [ "$gap" -ge 300 ] && [ "$gap" -lt 3000 ]
}

@test "--rebase now makes the first event about now" {
    printf '{"deviceId":"a","timestamp":"2020-01-01T00:00:00Z"}\n' | iot-ingest --rebase now > out
    t=$(jq -r '.timestamp | sub("\\.[0-9]+Z$"; "Z") | fromdate' out)
    now=$(date +%s)
    [ $((now - t)) -ge 0 ] && [ $((now - t)) -lt 60 ]
}

@test "--ingest-time adds the arrival time, replacing a field of that name" {
    printf '{"deviceId":"a","timestamp":0,"arrived":1}\n' | iot-ingest --ingest-time arrived > out
    run jq -r '[(.arrived | test("^20[0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9:]{8}\\.[0-9]{3}Z$")), (keys | length)] | @tsv' out
    assert_output "$(printf 'true\t3')"
}

@test "--strict stops at the first bad line with 65" {
    run iot-ingest --strict <<< $'{"deviceId":"a","timestamp":0}\nbad\n{"deviceId":"a","timestamp":1}'
    assert_equal "$status" 65
    assert_output --partial "<stdin>:2:"
}

@test "usage errors exit 64; a missing file 66; /dev/full 74" {
    run iot-ingest --deadband temperature; assert_equal "$status" 64
    run iot-ingest --deadband temperature=-1; assert_equal "$status" 64
    run iot-ingest --format xml; assert_equal "$status" 64
    run iot-ingest --unknown-assets maybe; assert_equal "$status" 64
    run iot-ingest --max-gap 5m; assert_equal "$status" 64
    run iot-ingest no-such-file.ndjson; assert_equal "$status" 66
    echo '{"type":"object","additionalProperties":false}' > s.json
    run iot-ingest --schema s.json < /dev/null; assert_equal "$status" 64
    assert_output --partial 'unsupported keyword "additionalProperties"'
    run sh -c 'printf "{\"deviceId\":\"a\",\"timestamp\":0}\n" | iot-ingest > /dev/full'
    assert_equal "$status" 74
}

@test "| head ends it quietly" {
    sim_data 5 10m > raw.ndjson
    run sh -c 'iot-ingest raw.ndjson | head -n 1 > /dev/null'
    assert_success
    assert_output ""
}

@test "memory stays bounded: 100x the input does not need more memory" {
    sim_data 50 2m > small.ndjson
    for i in $(seq 100); do cat small.ndjson; done > big.ndjson
    m1=$( { /usr/bin/time -f %M iot-ingest --dedupe small.ndjson > /dev/null; } 2>&1 )
    m2=$( { /usr/bin/time -f %M iot-ingest --dedupe big.ndjson > /dev/null; } 2>&1 )
    echo "$m1 KB vs $m2 KB"
    [ "$m2" -lt $((m1 * 2 + 4096)) ]
}

@test "the man page renders" {
    run sh -c "man -l '$ROOT_DIR/man/iot-ingest.1' 2>&1 | cat"
    assert_success
    assert_output --partial "STREAMING AND MEMORY"
    assert_output --partial "EXIT STATUS"
    refute_output --partial "warning"
}

@test "examples/replay.sh replays a day of simulated history at 3600x into a live pipeline" {
    command -v iot-sim > /dev/null || skip "iot-sim is not built"
    run sh "$ROOT_DIR/examples/replay.sh" 5
    assert_success
    # the consumer saw records of the whole day, in event-time order, within the run
    assert_output --regexp 'records: [0-9]+'
    assert_output --partial "ordered: yes"
    assert_output --partial "span_hours: 23"
    # a day at 3600x is spread over about 24 s of wall time
    secs=$(printf '%s\n' "$output" | sed -n 's/^wall_seconds: //p')
    [ "$secs" -ge 20 ] && [ "$secs" -lt 300 ]
}

@test "csv: an empty line inside a quoted field is kept" {
    printf 'deviceId,timestamp,note\nd1,2026-01-01T00:00:00Z,"a\n\nb"\n\nd2,2026-01-01T00:00:01Z,x\n' > in.csv
    run iot-ingest in.csv
    assert_success
    assert_line --index 0 '{"deviceId":"d1","timestamp":"2026-01-01T00:00:00.000Z","note":"a\n\nb"}'
    assert_line --index 1 '{"deviceId":"d2","timestamp":"2026-01-01T00:00:01.000Z","note":"x"}'
}

@test "--rename onto an existing name replaces that member; a=b,b=a swaps; dotted targets refused" {
    echo '{"deviceId":"d1","timestamp":1764183205000,"a":1,"b":2,"x":{"a":3,"z":4}}' > in.ndjson
    run iot-ingest --rename a=b,x.a=z in.ndjson
    assert_success
    assert_output '{"deviceId":"d1","timestamp":"2025-11-26T18:53:25.000Z","b":1,"x":{"z":3}}'
    run iot-ingest --rename a=b,b=a in.ndjson
    assert_output '{"deviceId":"d1","timestamp":"2025-11-26T18:53:25.000Z","b":1,"a":2,"x":{"a":3,"z":4}}'
    run iot-ingest --rename a=b --set b=9 in.ndjson
    assert_output '{"deviceId":"d1","timestamp":"2025-11-26T18:53:25.000Z","x":{"a":3,"z":4},"b":9}'
    run iot-ingest --rename a=x.y in.ndjson
    assert_equal "$status" 64
    assert_output --partial "member name, not a path"
    run iot-ingest --set x.y=1 in.ndjson
    assert_equal "$status" 64
    run iot-ingest --rename a=c,b=c in.ndjson
    assert_equal "$status" 64
    assert_output --partial "two fields are renamed to one name"
}

@test "csv: a dotted key path does not match a column named with a dot (as for NDJSON)" {
    printf 'a.b,timestamp\nk1,1764183205000\n' > in.csv
    run iot-ingest -k a.b --dead-letter dl.ndjson in.csv
    assert_success
    assert_output ""
    run jq -r .kind dl.ndjson
    assert_output "missing key"
    run iot-ingest -k a.b --dead-letter dl2.ndjson < <(printf '{"a.b":"k1","timestamp":1764183205000}\n')
    assert_output ""
}

@test "--dedupe: a 10-minute window over 1000 devices fits in a few MB (8 bytes an event)" {
    sim_data 1000 3m > raw.ndjson
    n=$(wc -l < raw.ndjson)
    [ "$n" -ge 150000 ]
    cat raw.ndjson raw.ndjson > twice.ndjson
    /usr/bin/time -f %M -o rss.txt iot-ingest --dedupe --stats twice.ndjson > out.ndjson 2> stats.json
    m=$(tail -1 rss.txt)
    echo "peak RSS $m KB for $n events remembered"
    assert_equal "$(wc -l < out.ndjson)" "$n"
    assert_equal "$(jq .deduped stats.json)" "$n"
    [ "$m" -lt 24000 ]
}

@test "csv: an unbalanced quote at the end is one rejected row; the counts add up to the file's 5 lines" {
    printf 'deviceId,timestamp,temperature\na,2026-01-01T00:00:00Z,1\nb,2026-01-01T00:00:01Z,2\nc,2026-01-01T00:00:02Z,3\n"d,2026-01-01T00:00:03Z,4\n' > q.csv
    run iot-ingest --stats -q q.csv
    assert_failure 65
    st=$(printf '%s\n' "$output" | grep '"tool"')
    [ "$(jq '.lines_in + .csv_header_lines + (.csv_continuation_lines // 0)' <<< "$st")" -eq 5 ]
    [ "$(jq '.lines_in' <<< "$st")" -eq 4 ]
    [ "$(jq '.rejected' <<< "$st")" -eq 1 ]
}

@test "zstd: a damaged frame is counted in lines_in as well as in rejected (lines_in = out + rejected)" {
    printf '\x28\xb5\x2f\xfd not a frame' > bad.zst
    run iot-ingest --stats -q bad.zst
    assert_failure 65
    st=$(printf '%s\n' "$output" | grep '"tool"')
    [ "$(jq '.rejected_by["bad zstd"]' <<< "$st")" -eq 1 ]
    [ "$(jq '.lines_in' <<< "$st")" -eq "$(jq '.records_out + .rejected' <<< "$st")" ]
}

@test "--dedupe FIELDS with a space: the operand that cannot be opened gets 'did you mean --dedupe=FIELDS?'" {
    echo '{"deviceId":"a","timestamp":"2026-01-01T00:00:01Z"}' > in.ndjson
    run iot-ingest --dedupe deviceId,timestamp in.ndjson
    assert_failure 66
    assert_output "iot-ingest: deviceId,timestamp: cannot open: No such file or directory; did you mean --dedupe=deviceId,timestamp?"
    # a file of that name is read as a file: no guess
    cp in.ndjson deviceId
    run iot-ingest --dedupe deviceId in.ndjson
    assert_success
    [ "${#lines[@]}" -eq 1 ]
    # an operand after a required-argument option or elsewhere: the plain message
    run iot-ingest nosuchfile
    assert_failure 66
    refute_output --partial "did you mean"
}

@test "--dedupe-window: a repeat exactly one window behind the newest event is still judged (dropped), by key+time and by fields" {
    printf '%s\n' '{"deviceId":"a","timestamp":"2026-01-01T00:00:00Z","v":1}' '{"deviceId":"a","timestamp":"2026-01-01T00:00:10Z","v":2}' \
        '{"deviceId":"a","timestamp":"2026-01-01T00:00:00Z","v":1}' > in
    for d in --dedupe --dedupe=deviceId,v; do
        iot-ingest $d --dedupe-window 10s --stats in > out 2> stats
        [ "$(wc -l < out)" -eq 2 ] || { cat out stats; false; }
        [ "$(jq .deduped stats)" -eq 1 ]
        [ "$(jq '.dedupe_too_old // 0' stats)" -eq 0 ]
    done
}

# ---- the map stage: --eval, --where, --select (issue 15); expected values computed by python3
# from the input, independently of the expression evaluator.

map_input() {
    cat > in.ndjson <<'J'
{"deviceId":"cnc-01", "DeviceType":"CNC-Machine","timestamp":"2024-01-08T10:00:00Z","EventEnqueuedUtcTime":"2024-01-08T10:00:00.250Z","temperature":85.5,"vibration":7.25,"pressure":101,"big":9007199254740993}
{"deviceId":"cnc-02","DeviceType":"CNC-Machine","timestamp":"2024-01-01T09:00:00Z","EventEnqueuedUtcTime":"2024-01-01T09:00:01Z","temperature":60,"vibration":2.5,"pressure":99.5,"big":-12}
{"deviceId":"pump-1","DeviceType":"Pump","timestamp":"2024-01-08T11:00:00Z","EventEnqueuedUtcTime":"2024-01-08T11:00:00Z","temperature":95.25,"vibration":4.75,"pressure":"n/a","big":1}
{"deviceId":"cnc-03","DeviceType":"CNC-Machine","timestamp":"2024-01-05T00:00:00Z","EventEnqueuedUtcTime":"2024-01-05T00:00:00.5Z","temperature":30.125,"vibration":0.5,"pressure":1e2,"big":0}
J
}

@test "--eval: EventTime copied byte for byte, ProcessingTime from --now; untouched bytes kept" {
    map_input
    run iot-ingest --now 2024-01-08T12:00:00Z --eval 'EventTime = EventEnqueuedUtcTime' \
        --eval 'ProcessingTime = now()' in.ndjson
    assert_success
    echo "$output" > out.ndjson
    python3 - <<'P'
import json
ins = [l.rstrip("\n") for l in open("in.ndjson")]
outs = [l.rstrip("\n") for l in open("out.ndjson")]
assert len(ins) == len(outs) == 4
for i, o in zip(ins, outs):
    src = json.loads(i)
    want_tail = ',"EventTime":"%s","ProcessingTime":"2024-01-08T12:00:00Z"}' % src["EventEnqueuedUtcTime"]
    assert o.endswith(want_tail), (o, want_tail)
    # every byte before the appended members is the input's, but the time rewritten to ms
    ts = src["timestamp"]
    assert o[: len(o) - len(want_tail)] == i[:-1].replace(ts, ts[:-1] + ".000Z", 1), o
P
}

@test "--eval: MaintenanceStatus CRITICAL/WARNING/NORMAL by case(), as the reference architecture's CASE" {
    map_input
    run iot-ingest --select deviceId,MaintenanceStatus \
        --eval 'MaintenanceStatus = case(vibration > 7, "CRITICAL", vibration > 4, "WARNING", "NORMAL")' in.ndjson
    assert_success
    echo "$output" > out.ndjson
    python3 - <<'P'
import json
for i, o in zip(open("in.ndjson"), open("out.ndjson")):
    v = json.loads(i)["vibration"]
    want = "CRITICAL" if v > 7 else "WARNING" if v > 4 else "NORMAL"
    assert json.loads(o) == {"deviceId": json.loads(i)["deviceId"], "MaintenanceStatus": want}, o
    assert list(json.loads(o)) == ["deviceId", "MaintenanceStatus"]
P
}

@test "--eval: latency = ingest time - event time, in ms" {
    map_input
    run iot-ingest --ingest-time ingestTime --eval 'latencyMs = (todatetime(ingestTime) - todatetime(timestamp)) / 1ms' in.ndjson
    assert_success
    echo "$output" > out.ndjson
    python3 - <<'P'
import json, datetime
def t(s): return datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))
for o in open("out.ndjson"):
    r = json.loads(o)
    want = (t(r["ingestTime"]) - t(r["timestamp"])) / datetime.timedelta(milliseconds=1)
    assert abs(r["latencyMs"] - want) < 1e-6, (r, want)
P
}

@test "--eval: days since the last maintenance, from a date in the asset registry" {
    map_input
    printf '%s\n' '{"deviceId":"cnc-01","lastMaintenance":"2023-12-25T00:00:00Z"}' \
        '{"deviceId":"cnc-02","lastMaintenance":"2023-06-30T12:00:00Z"}' > assets.ndjson
    run iot-ingest --assets assets.ndjson --select deviceId,days \
        --eval 'days = floor((todatetime(timestamp) - todatetime(asset.lastMaintenance)) / 1d)' --stats in.ndjson
    assert_success
    echo "$output" | grep -v '^{"tool"' > out.ndjson
    python3 - <<'P'
import json, datetime, math
def t(s): return datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))
last = {json.loads(l)["deviceId"]: json.loads(l)["lastMaintenance"] for l in open("assets.ndjson")}
got = [json.loads(l) for l in open("out.ndjson")]
want = []
for l in open("in.ndjson"):
    r = json.loads(l)
    if r["deviceId"] in last:
        want.append({"deviceId": r["deviceId"], "days": math.floor((t(r["timestamp"]) - t(last[r["deviceId"]])) / datetime.timedelta(days=1))})
    else:
        want.append({"deviceId": r["deviceId"]})
assert got == want, (got, want)
P
    assert_output --partial '"undefined_days":2'
}

@test "--where: Kusto's Timestamp > ago(7d) and DeviceType == \"CNC-Machine\"; the rest counted as filtered" {
    map_input
    run iot-ingest --now 2024-01-08T12:00:00Z --where 'timestamp > ago(7d) and DeviceType == "CNC-Machine"' --stats in.ndjson
    assert_success
    echo "$output" > all.txt
    grep -v '^{"tool"' all.txt > out.ndjson
    python3 - <<'P'
import json, datetime
def t(s): return datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))
now = t("2024-01-08T12:00:00Z")
want = [json.loads(l)["deviceId"] for l in open("in.ndjson")
        if t(json.loads(l)["timestamp"]) > now - datetime.timedelta(days=7) and json.loads(l)["DeviceType"] == "CNC-Machine"]
got = [json.loads(l)["deviceId"] for l in open("out.ndjson")]
assert got == want and len(want) == 2, (got, want)
stats = json.loads([l for l in open("all.txt") if l.startswith('{"tool"')][0])
assert stats["filtered"] == 2 and stats["rejected"] == 0, stats
P
}

@test "--eval: the edge alert payload carries the value (an object literal)" {
    map_input
    run iot-ingest --where 'temperature > 80' --select alert \
        --eval 'alert = {"type": "HighTemperature", "deviceId": deviceId, "value": temperature, "limit": 80}' in.ndjson
    assert_success
    echo "$output" > out.ndjson
    python3 - <<'P'
import json
want = [{"alert": {"type": "HighTemperature", "deviceId": r["deviceId"], "value": r["temperature"], "limit": 80}}
        for r in map(json.loads, open("in.ndjson")) if r["temperature"] > 80]
got = [json.loads(l) for l in open("out.ndjson")]
assert got == want and len(got) == 2, (got, want)
P
}

@test "--eval: integers stay exact; int64 overflow dead-lettered with file:line, never wrapped" {
    map_input
    run iot-ingest --select deviceId,b1,b2 --eval 'b1 = big + 1' --eval 'b2 = b1 * 1000' in.ndjson
    assert_success
    echo "$output" > out.ndjson
    python3 - <<'P'
import json
for i, o in zip(open("in.ndjson"), open("out.ndjson")):
    b = json.loads(i)["big"]
    assert json.loads(o) == {"deviceId": json.loads(i)["deviceId"], "b1": b + 1, "b2": (b + 1) * 1000}, o
P
    printf '%s\n' '{"deviceId":"a","timestamp":1,"n":9223372036854775000}' '{"deviceId":"b","timestamp":2,"n":5}' > big.ndjson
    run iot-ingest --eval 'm = n + 1000' --dead-letter dl.ndjson big.ndjson
    assert_success
    assert_output '{"deviceId":"b","timestamp":"1970-01-01T00:00:02.000Z","n":5,"m":1005}'
    run jq -c '[.kind, .source, .line, .error]' dl.ndjson
    assert_output '["eval","big.ndjson",1,"--eval m: integer overflow in '"'+'"'"]'
    run iot-ingest --eval 'm = n + 1000' big.ndjson
    assert_equal "$status" 65
    assert_output --partial "big.ndjson:1: --eval m: integer overflow in '+'"
}

@test "--eval: in order, each sees the ones before; undefined is not written and is counted" {
    map_input
    run iot-ingest --select p1,p2,t --stats --eval 'p1 = pressure - 1' --eval 'p2 = p1 * 2' --eval 't = tostring(p2)' in.ndjson
    assert_success
    assert_line -n 0 '{"p1":100,"p2":200,"t":"200"}'
    assert_line -n 1 '{"p1":98.5,"p2":197,"t":"197"}'
    assert_line -n 2 '{"t":""}'
    assert_line -n 3 '{"p1":99,"p2":198,"t":"198"}'
    assert_output --partial '"undefined_p1":1,"undefined_p2":1'
    assert_output --partial '"select_absent":2'
}

@test "--eval/--where/--select: bad expressions and names are usage errors naming the column" {
    map_input
    run iot-ingest --eval 'q = (1' in.ndjson
    assert_equal "$status" 64
    assert_output --partial "--eval: 'q = (1': column 7: expected ')' before the end"
    run iot-ingest --eval 'q = "a" + 1' in.ndjson
    assert_equal "$status" 64
    assert_output --partial "column 9: '+' needs numbers, datetimes or timespans, not a string"
    run iot-ingest --eval 'a.b = 1' in.ndjson
    assert_equal "$status" 64
    assert_output --partial "NAME must be a plain member name"
    run iot-ingest --eval 'q == 1' in.ndjson
    assert_equal "$status" 64
    run iot-ingest --where 'frob(1)' in.ndjson
    assert_equal "$status" 64
    assert_output --partial "unknown function 'frob'"
    run iot-ingest --select 'a.b' in.ndjson
    assert_equal "$status" 64
    run iot-ingest --eval 'x = 1' --eval 'x = 2' in.ndjson
    assert_equal "$status" 64
    assert_output --partial "'x' is computed twice"
}
