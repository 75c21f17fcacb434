#!/usr/bin/env bats
# iot-plot: golden SVGs, well-formed output (xmllint), hostile strings, empty and bad input,
# 1e6 points keeping every spike in memory independent of the input size, and a render in
# headless Chromium checked for panels and colours.
load helpers

GOLDEN="$ROOT_DIR/tests/golden/iot-plot"

# Absolute path positions of the first series line (stroke-width 1.3) in an SVG: "x y" lines.
line_points() {
    grep -m1 -o 'stroke-width="1.3"[^>]* d="[^"]*"' "$1" | sed 's/.* d="//; s/"$//' |
        sed 's/\([Ml]\)/\n\1 /g' | awk '$1 == "M" { x = $2; y = $3 } $1 == "l" { x += $2; y += $3 } NF { printf "%.1f %.1f\n", x, y }'
}

shot() {   # shot FILE.svg|html PNG WIDTH HEIGHT
    local bin
    bin=$(command -v chromium || command -v chromium-headless-shell)
    timeout 60 "$bin" --headless --no-sandbox --disable-gpu --disable-background-networking --hide-scrollbars \
        --window-size="$3,$4" --screenshot="$2" "file://$1" > /dev/null 2>&1
}

@test "golden: two devices, two fields, an anomaly, a null break, an alert on vibration only" { golden small; }
@test "golden: iot-window rows give a min-max band (steps over each window) and the average" { golden window-band; }

@test "every SVG and the HTML page are well-formed XML (xmllint)" {
    command -v xmllint || skip "xmllint not installed (Debian libxml2-utils)"
    for c in small window-band; do
        sh -c "$(cat "$GOLDEN/$c/cmd")" < "$GOLDEN/$c/input" > "$c.svg" 2> /dev/null
        xmllint --noout "$c.svg"
    done
    iot-plot --html -f temperature,vibration < "$GOLDEN/small/input" > p.html 2> /dev/null
    xmllint --noout p.html
    grep -q '<svg xmlns="http://www.w3.org/2000/svg"' p.html
    run grep -E '<script|<link|src=|href=|@import|url\(' p.html
    assert_failure   # nothing to fetch
}

@test "hostile device ids and titles are escaped: <script>, ]]>, &, control characters, bad UTF-8" {
    printf '{"deviceId":"<script>alert(1)</script>]]>&\\u0001\\"x","timestamp":"2026-01-01T00:00:00Z","temperature":1}\n' > in
    printf '{"deviceId":"<script>alert(1)</script>]]>&\\u0001\\"x","timestamp":"2026-01-01T00:01:00Z","temperature":2}\n' >> in
    printf '{"deviceId":"\\u00ff\\ud800x","timestamp":"2026-01-01T00:01:00Z","temperature":2}\n' >> in
    iot-plot --title ']]><script>x</script>' < in > p.svg
    xmllint --noout p.svg
    iot-plot --html --title ']]><script>x</script>' < in > p.html
    xmllint --noout p.html
    run grep -c '<script' p.svg p.html
    assert_output $'p.svg:0\np.html:0'
    grep -q '&lt;script&gt;alert(1)&lt;/script&gt;]]&gt;&amp;&quot;x' p.svg
}

@test "empty input: a clear message and an empty-state picture that is still a valid SVG" {
    run iot-plot < /dev/null
    assert_success
    assert_output --partial 'iot-plot: no numeric values of temperature in the input'
    iot-plot < /dev/null > e.svg 2> /dev/null
    xmllint --noout e.svg
    grep -q 'No data to draw' e.svg
    printf '{"deviceId":"a","timestamp":"2026-01-01T00:00:00Z","temperature":"hot"}\n' | iot-plot -o e2.svg 2> err
    grep -q '1 values were not numbers' err
    grep -q 'No data to draw' e2.svg
}

@test "bad JSON and bad times: file:line on stderr, the rest still drawn, exit 65" {
    printf '{"deviceId":"a","timestamp":"2026-01-01T00:00:00Z","temperature":1}\nnot json\n{"deviceId":"a","timestamp":"yesterday","temperature":2}\n{"deviceId":"a","timestamp":"2026-01-01T00:01:00Z","temperature":3}\n' > in
    run iot-plot -o p.svg in
    assert_failure 65
    assert_output --partial 'iot-plot: in:2: invalid JSON'
    assert_output --partial 'iot-plot: in:3: timestamp:'
    xmllint --noout p.svg
    [ "$(line_points p.svg | wc -l)" -eq 2 ]
}

@test "-o writes atomically: a failed run leaves no file and no temporary behind" {
    printf 'not json\n' > in
    run iot-plot --strict -o out.svg in
    assert_failure 65
    [ ! -e out.svg ]
    [ -z "$(ls -A | grep -v '^in$')" ]
    run iot-plot -o /nonexistent/dir/p.svg < /dev/null
    assert_failure 73
}

@test "usage errors exit 64" {
    run iot-plot --width 5
    assert_failure 64
    run iot-plot -f ''
    assert_failure 64
    run iot-plot --gap soon
    assert_failure 64
}

@test "1,000,000 points: every spike and dip is in the picture, memory does not grow with the input" {
    # one sample a second; 10 spikes to 100 and 10 dips to -60 at irregular places, else 19..21
    gen() { awk -v n="$1" 'BEGIN { srand(3); for (i = 0; i < n; i++) { v = 20 + rand() * 2 - 1;
            if (i % (n / 10) == 4321) v = 100; if (i % (n / 10) == 7777 + int(n / 20)) v = -60;
            printf "{\"deviceId\":\"d\",\"timestamp\":%d,\"temperature\":%.3f}\n", 1767225600 + i, v } }' > "$2"; }
    gen 1000000 big.ndjson
    gen 100000 small.ndjson
    /usr/bin/time -f '%M' -o big.rss iot-plot --stats -o big.svg big.ndjson 2> big.err
    /usr/bin/time -f '%M' -o small.rss iot-plot -o small.svg small.ndjson
    grep -q '"values":1000000' big.err
    xmllint --noout big.svg
    line_points big.svg > pts
    top=$(sort -k2,2g pts | head -1 | cut -d' ' -f2)
    bottom=$(sort -k2,2g pts | tail -1 | cut -d' ' -f2)
    # the spikes are the only samples at the top of the plot, the dips the only ones at the bottom
    [ "$(awk -v y="$top" '$2 == y { print $1 }' pts | sort -u | wc -l)" -eq 10 ]
    [ "$(awk -v y="$bottom" '$2 == y { print $1 }' pts | sort -u | wc -l)" -eq 10 ]
    [ "$(wc -l < pts)" -le 4000 ]
    [ "$(wc -c < big.svg)" -lt 200000 ]
    # peak memory (KiB) with 10x the input stays within 1 MiB of the small run
    echo "rss big $(cat big.rss) small $(cat small.rss)"
    [ "$(cat big.rss)" -lt $(( $(cat small.rss) + 1024 )) ]
}

@test "headless Chromium renders the SVG and the HTML page: not blank, one frame per panel, series colours" {
    command -v chromium || command -v chromium-headless-shell || skip "chromium not installed (Debian chromium)"
    command -v python3 || skip "python3 not installed"
    iot-sim -n 3 -d 2h -a 0.002 --seed 5 | iot-anomaly -f temperature,vibration > in
    iot-plot -f temperature,vibration -o p.svg in
    h=$(grep -m1 -o 'height="[0-9]*"' p.svg | tr -dc 0-9)
    shot "$TMP/p.svg" p.png 960 "$h"
    [ -s p.png ]
    run python3 "$ROOT_DIR/tests/ref/png_scan.py" p.png 100,560 0072b2 009e73 d55e00
    echo "$output"
    assert_line "size 960x$h"
    assert_line 'frames 6'            # 3 devices x 2 fields
    nonwhite=$(echo "$output" | awk '/^nonwhite/ { print $2 }')
    awk -v f="$nonwhite" 'BEGIN { exit !(f > 0.02) }'
    for c in 0072b2 009e73; do
        [ "$(echo "$output" | awk -v c="$c" '$1 == "colour" && $2 == c { print $3 }')" -gt 200 ]
    done
    iot-plot --html -f temperature,vibration -o p.html in
    shot "$TMP/p.html" h.png 1000 $((h + 200))
    run python3 "$ROOT_DIR/tests/ref/png_scan.py" h.png 120,580
    echo "$output"
    assert_line 'frames 6'
}

@test "--fleet: one row per key, worst first, status in words as well as colours; stale keys" {
    {
        printf '{"deviceId":"ok-1","timestamp":"2026-01-01T00:00:00Z","temperature":20}\n'
        printf '{"deviceId":"ok-1","timestamp":"2026-01-01T01:00:00Z","temperature":21}\n'
        printf '{"deviceId":"old-2","timestamp":"2026-01-01T00:10:00Z","temperature":22}\n'
        printf '{"deviceId":"hot-3","timestamp":"2026-01-01T00:30:00Z","temperature":90,"anomaly":{"score":1,"isAnomaly":true,"field":"temperature"}}\n'
        printf '{"deviceId":"hot-3","timestamp":"2026-01-01T00:59:00Z","temperature":30}\n'
        printf '{"deviceId":"bad-4","timestamp":"2026-01-01T00:59:30Z","temperature":25}\n'
        printf '{"deviceId":"bad-4","alertType":"spike","field":"temperature","timestamp":"2026-01-01T00:59:30Z","severity":"critical"}\n'
    } > in
    iot-plot --fleet --stale 30m -o f.svg in
    xmllint --noout f.svg
    run grep -o 'class="row [A-Z]*"' f.svg
    assert_output $'class="row CRIT"\nclass="row WARN"\nclass="row STALE"\nclass="row OK"'
    grep -q 'Fleet: 4 keys, 1 critical, 1 warning, 1 stale, 1 ok' f.svg
    [ "$(grep -c 'class="spark"' f.svg)" -eq 4 ]
    run grep -c 'remaining life' f.svg
    assert_output 0
    printf '{"deviceId":"ok-1","timestamp":"2026-01-01T01:00:00Z","temperature":21,"rul":172800}\n{"deviceId":"ok-1","timestamp":"2026-01-01T00:30:00Z","temperature":21,"rul":999999}\n' >> in
    iot-plot --fleet --stale 30m -o f2.svg in
    grep -q '<text class="rul" x="[0-9]*" y="15">2.0 days</text>' f2.svg
    run iot-plot --fleet --html in
    assert_failure 64
}

@test "--report: one HTML page with the fleet table and the curves, devices with alerts first" {
    iot-sim -n 4 -d 2h -a 0.001 --seed 11 > day
    { iot-anomaly -f temperature day; iot-anomaly -f temperature --alerts day; } > in
    iot-plot --report -f temperature,vibration -o r.html in
    xmllint --noout r.html
    grep -q '<h2>Fleet</h2>' r.html
    [ "$(grep -c '<svg xmlns' r.html)" -eq 2 ]
    # the first device drawn is one with an alert
    first=$(grep -m1 -o 'class="row [A-Z]*"' r.html)
    [ "$first" = 'class="row CRIT"' ]
    if command -v chromium > /dev/null && command -v python3 > /dev/null; then
        h=$(grep -o 'height="[0-9]*"' r.html | tr -dc '0-9\n' | awk '{ s += $1 } END { print s }')
        shot "$TMP/r.html" r.png 1000 $((h + 400))
        run python3 "$ROOT_DIR/tests/ref/png_scan.py" r.png 120,580 d55e00
        echo "$output"
        assert_line 'frames 8'    # 4 devices x 2 fields
        [ "$(echo "$output" | awk '$1 == "colour" { print $3 }')" -gt 50 ]   # alerts and CRIT marks
    fi
}

@test "iot-window --series records: arrays drawn as they are, a null breaks the line, a length mismatch is rejected" {
    printf '{"deviceId":"a","timestamp":["2026-01-01T00:00:00.000Z","2026-01-01T01:00:00.000Z","2026-01-01T02:00:00.000Z","2026-01-01T03:00:00.000Z"],"avg_temperature":[1,2,null,4]}\n' > in
    iot-plot -f avg_temperature -o p.svg in
    xmllint --noout p.svg
    run line_points p.svg
    assert_output $'0.0 120.0\n291.3 80.0\n874.0 0.0\n874.0 0.0'
    grep -q ' d="M0 120l291.3 -40M874 0l0 0"' p.svg   # the lone last sample is a dot
    printf '{"deviceId":"a","timestamp":["2026-01-01T00:00:00.000Z"],"avg_temperature":[1,2]}\n' > bad
    run iot-plot -f avg_temperature -o p2.svg bad
    assert_failure 65
    assert_output --partial 'bad:1: avg_temperature: 2 values for 1 times'
}

@test "examples/fleet-report.sh: a simulated lake day as one self-contained HTML page" {
    run sh "$ROOT_DIR/examples/fleet-report.sh" day.html
    assert_success
    assert_output --regexp '^fleet report: day.html \([0-9]+ bytes, [0-9]+ alerts\)$'
    xmllint --noout day.html
    grep -q 'Fleet: 12 keys' day.html
    [ "$(grep -c 'class="panel"' day.html)" -eq 24 ]
}

@test "--hist: one panel per field, every key pooled, bar counts add up to the values" {
    awk 'BEGIN { for (i = 0; i < 1000; i++) printf "{\"deviceId\":\"d%d\",\"timestamp\":%d,\"temperature\":%.2f,\"vibration\":%d}\n", i % 3, 1767225600 + i, 20 + (i % 100) / 10, i % 7 }' > in
    iot-plot --hist=16 -f temperature,vibration -o h.svg in
    xmllint --noout h.svg
    [ "$(grep -c 'class="panel"' h.svg)" -eq 2 ]
    grep -q 'temperature · 1000 values, 20 to 29.9, bins of 1' h.svg
    # every bar's title says "[a, b): n"; the counts of each panel add up to 1000
    run sh -c "grep -o '): [0-9]*</title>' h.svg | tr -dc '0-9\n' | awk '{ s += \$1 } END { print s }'"
    assert_output 2000
    run iot-plot --hist=1 in
    assert_failure 64
}

@test "--overlay: one panel per field, a line and a legend entry per key; --gap breaks lines" {
    for d in a b c; do
        for i in 0 1 2 3 10 11; do
            printf '{"deviceId":"%s","timestamp":%d,"temperature":%d,"vibration":1}\n' "$d" $((1767225600 + i * 60)) "$i"
        done
    done > in
    iot-plot --overlay -f temperature,vibration -o o.svg in
    xmllint --noout o.svg
    [ "$(grep -c 'class="panel"' o.svg)" -eq 2 ]
    [ "$(grep -o 'class="swatch"' o.svg | wc -l)" -eq 3 ]
    [ "$(grep -c 'stroke-width="1.3"' o.svg)" -eq 6 ]
    # samples a minute apart, then 7 minutes of silence: the default gap (5 x the mean
    # interval, 10 min) keeps one run, --gap 2m makes two
    [ "$(grep -m1 -o 'stroke-width="1.3"[^>]* d="[^"]*"' o.svg | grep -o M | wc -l)" -eq 1 ]
    iot-plot --overlay --gap 2m -f temperature -o g.svg in
    [ "$(grep -m1 -o 'stroke-width="1.3"[^>]* d="[^"]*"' g.svg | grep -o M | wc -l)" -eq 2 ]
}

@test "examples/fleet.svg (the README picture) is what examples/plot-picture.sh makes (if not: run it and commit)" {
    sh "$ROOT_DIR/examples/plot-picture.sh" pic.svg
    xmllint --noout pic.svg
    cmp pic.svg "$ROOT_DIR/examples/fleet.svg"
}

@test "extreme input (times at the 1678 and 2261 bounds, 1 ns apart, +-1e308, 1e999, typed keys): every kind is well-formed" {
    for m in "" --html --fleet --report --hist --overlay; do
        iot-plot $m -o "x$m.out" "$GOLDEN/extremes.ndjson" 2> err
        xmllint --noout "x$m.out"
        run grep -c 'runtime error' err
        assert_output 0
    done
    grep -q '1e+308' x--html.out
    run iot-top --once "$GOLDEN/extremes.ndjson"
    assert_failure 65      # the array and missing times of lines 7 and 8
    assert_output --partial '5 devices'   # a b c 42 "42": a number and a string are two keys
}

@test "--tz: ticks on local wall time; the hour skipped by the spring DST change has no tick" {
    [ -f /usr/share/zoneinfo/Europe/Berlin ] || skip "tzdata not installed (Debian tzdata)"
    printf '%s\n' '{"deviceId":"a","timestamp":"2026-03-28T20:00:00Z","temperature":1}' \
                  '{"deviceId":"a","timestamp":"2026-03-29T06:00:00Z","temperature":2}' > in
    iot-plot --tz Europe/Berlin -o p.svg in
    xmllint --noout p.svg
    run sh -c "grep -o 'y=\"134\">[^<]*' p.svg | cut -d'>' -f2 | tr '\n' ' '"
    assert_output '21:00 22:00 23:00 03-29 01:00 03:00 04:00 05:00 06:00 07:00 08:00 '
    grep -q 'time (Europe/Berlin), 2026-03-28 21:00:00 to 2026-03-29 08:00:00' p.svg
    iot-plot -o u.svg in
    grep -q 'time (UTC), 2026-03-28 20:00:00 UTC to 2026-03-29 06:00:00 UTC' u.svg
    run iot-plot --tz Nowhere/Land in
    assert_failure 64
    run iot-plot --tz ../../etc/passwd in
    assert_failure 64
}
