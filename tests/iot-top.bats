#!/usr/bin/env bats
# iot-top: plain frames (--once) with devices, rates and alarms; text from the stream made safe
# for a terminal; and the live dashboard in tmux against a live iot-sim stream: device count,
# an alarm, keys, colour and NO_COLOR, resize, and the terminal given back on q.
load helpers

SOCK="iot-top-test-$$"
teardown() { tmux -L "$SOCK" kill-server 2> /dev/null || true; }

# wait_screen PATTERN [SECONDS]: polls the pane until PATTERN (grep -E) shows up
wait_screen() {
    local i
    for i in $(seq $(( ${2:-20} * 5 ))); do
        tmux -L "$SOCK" capture-pane -p -t t > screen 2> /dev/null && grep -Eq -- "$1" screen && return 0
        sleep 0.2
    done
    echo "screen never showed $1:"; cat screen; return 1
}

@test "--once: device count, event-time rates, alarms worst first, latest values" {
    {
        printf '{"deviceId":"a","timestamp":"2026-01-01T00:00:00Z","temperature":20,"vibration":1}\n'
        printf '{"deviceId":"a","timestamp":"2026-01-01T00:00:10Z","temperature":21.5,"vibration":1}\n'
        printf '{"deviceId":"b","timestamp":"2026-01-01T00:00:05Z","temperature":30,"anomaly":{"score":1,"isAnomaly":true,"field":"temperature"}}\n'
        printf '{"deviceId":"c","timestamp":"2026-01-01T00:01:00Z","temperature":"hot"}\n'
        printf '{"deviceId":"c","alertType":"spike","field":"temperature","timestamp":"2026-01-01T00:01:00Z","severity":"critical"}\n'
        printf '{"deviceId":"b","alertType":"hot","timestamp":"2026-01-01T00:00:30Z","severity":"warning"}\n'
        printf '{"deviceId":"b","alertType":"hot","timestamp":"2026-01-01T00:00:40Z","severity":"warning","event":"cleared"}\n'
    } > in
    run iot-top --once --offline 30s in
    assert_success
    assert_line --index 0 --partial 'iot-top  3 devices: 2 online, 1 offline'
    assert_line --index 1 'ALARMS (2)'
    assert_line --index 2 --regexp '^  CRIT  c +spike temperature +since 00:01:00'
    assert_line --index 3 --regexp '^  WARN  b +anomaly temperature'
    assert_line --regexp '^  a +OFFLINE +0\.1 +0 +21\.5 '
    assert_output --partial 'iot-top: 1 values were not numbers and were skipped'
    run iot-top --once --filter alarms --sort name in
    refute_line --regexp '^  a  '
    assert_line --regexp '^  b +online'
}

@test "--once: escapes and control bytes in device ids never reach the terminal; no colour off a terminal" {
    printf '{"deviceId":"\\u001b[31mevil\\u0007","timestamp":"2026-01-01T00:00:00Z","temperature":1}\n' > in
    run iot-top --once in
    assert_success
    assert_output --partial '?[31mevil?'
    iot-top --once in > out
    run grep -c $'\e' out
    assert_output 0
    run iot-top --once --color=sometimes in
    assert_failure 64
    run iot-top --refresh 10ms in
    assert_failure 64
}

@test "bad JSON: file:line, exit 65, the frame is still printed" {
    printf 'nope\n{"deviceId":"a","timestamp":"2026-01-01T00:00:00Z","temperature":1}\n' > in
    run iot-top --once in
    assert_failure 65
    assert_output --partial 'iot-top: in:1: invalid JSON'
    assert_output --partial '1 devices: 1 online'
}

@test "live in tmux: a live iot-sim stream shows 5 devices and an alarm; keys s and f; q restores the terminal" {
    command -v tmux || skip "tmux not installed (Debian tmux)"
    cat > run.sh <<SH
export PATH="$PATH" LANG=C.UTF-8
iot-sim --live -n 5 --rate 50 -a 0.05 --seed 3 | iot-anomaly -m zscore -w 20 --warmup 10 -f temperature | iot-top
echo "iot-top exited \$?"
sleep 30
SH
    tmux -L "$SOCK" new-session -d -s t -x 120 -y 30 "sh run.sh"
    wait_screen '5 devices: 5 online, 0 offline'
    wait_screen '^  WARN  [a-z]+-0000[0-9]+ +anomaly temperature' 30
    grep -Eq '[0-9.]+ rec/s' screen
    grep -q 'DEVICES (sort: busy, filter: all)' screen
    tmux -L "$SOCK" send-keys -t t s
    wait_screen 'DEVICES \(sort: name, filter: all\)' 5
    tmux -L "$SOCK" send-keys -t t f
    wait_screen 'DEVICES \(sort: name, filter: alarms\)' 5
    # colour on a terminal: SGR sequences in the pane
    tmux -L "$SOCK" capture-pane -e -p -t t > colours
    grep -q $'\e\\[33m' colours
    tmux -L "$SOCK" resize-window -t t -x 90 -y 20
    wait_screen 'q quit' 5
    [ "$(LC_ALL=C.UTF-8 wc -L < screen)" -le 90 ]
    tmux -L "$SOCK" send-keys -t t q
    wait_screen '^iot-top exited 0' 10
    run grep -c DEVICES screen   # the alternate screen is gone: the shell's screen is back
    assert_output 0
}

@test "live in tmux with NO_COLOR: no colour, the state still in words" {
    command -v tmux || skip "tmux not installed (Debian tmux)"
    printf '{"deviceId":"a","timestamp":"2026-01-01T00:00:00Z","temperature":1,"anomaly":{"isAnomaly":true}}\n' > in
    cat > run.sh <<SH
export PATH="$PATH" NO_COLOR=1
{ cat in; sleep 30; } | iot-top
SH
    tmux -L "$SOCK" new-session -d -s t -x 100 -y 20 "sh run.sh"
    wait_screen 'WARN  a'
    tmux -L "$SOCK" capture-pane -e -p -t t > colours
    run grep -c $'\e\\[3[0-9]m' colours
    assert_output 0
}

@test "live in tmux: --follow reads a file as it grows" {
    command -v tmux || skip "tmux not installed (Debian tmux)"
    printf '{"deviceId":"a","timestamp":"2026-01-01T00:00:00Z","temperature":1}\n' > grow.ndjson
    cat > run.sh <<SH
export PATH="$PATH"
iot-top -F grow.ndjson
SH
    tmux -L "$SOCK" new-session -d -s t -x 120 -y 20 "sh run.sh"
    wait_screen '1 devices: 1 online'
    printf '{"deviceId":"b","timestamp":"2026-01-01T00:00:01Z","temperature":2}\n{"deviceId":"c","timestamp":"2026-01-01T00:00:02Z",' >> grow.ndjson
    wait_screen '2 devices: 2 online' 10
    printf '"temperature":3}\n' >> grow.ndjson   # the rest of a line written in two pieces
    wait_screen '3 devices: 3 online' 10
    tmux -L "$SOCK" send-keys -t t q
}
