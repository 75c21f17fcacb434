#!/usr/bin/env bats
# Conventions every tool shares (STYLE.md 3-6): help, version, usage errors, option coverage in
# the man page and the three completion scripts, output failures.
load helpers

tools() { for f in "$ROOT_DIR"/cmd/iot-*.c; do basename "$f" .c; done; }
longopts() { "$1" --help | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u; }

@test "every tool: --help on stdout, exit 0, lists --help and --version" {
    for t in $(tools); do
        run "$t" --help
        assert_success
        assert_output --partial "Usage: $t"
        assert_output --partial "--version"
    done
}

@test "every tool: --version names the tool and iotkit" {
    for t in $(tools); do
        run "$t" --version
        assert_success
        assert_output --regexp "^$t \(iotkit\) [0-9]+\.[0-9]+"
    done
}

@test "every tool: an unknown option is one line plus Try, exit 64" {
    for t in $(tools); do
        run "$t" --no-such-option
        assert_failure 64
        assert_line --index 0 --partial "$t: "
        assert_line --index 1 "Try '$t --help'."
        [ "${#lines[@]}" -eq 2 ]
    done
}

@test "every tool: a man page that renders and names every long option (whole names)" {
    for t in $(tools); do
        [ -f "$ROOT_DIR/man/$t.1" ] || fail "no man/$t.1"
        run sh -c "man -l '$ROOT_DIR/man/$t.1' 2>&1 | col -b"
        assert_success
        page=$output
        # whole option names on the rendered page: --to is not found inside --top or --total
        for o in $(longopts "$t"); do
            printf '%s\n' "$page" | grep -qE -- "(^|[^a-z0-9-])$o([^a-z0-9-]|\$)" ||
                fail "$t: $o missing from man/$t.1"
        done
        [[ "$page" == *"EXIT STATUS"* ]] || fail "$t: no EXIT STATUS section"
        [[ "$page" == *"EXAMPLES"* ]] || fail "$t: no EXAMPLES section"
    done
}

# The completions are kept by hand and held strictly to the option table (--help is generated
# from it): each script offers exactly the tool's long options, whole names, none extra.
compopts() {  # FILE KIND: the long options a completion script offers, one per line
    case $2 in
        bash) grep -oE -- '--[a-z][a-z0-9-]*' "$1" ;;
        zsh) grep -oE -- "(^|[ '{,*)])--[a-z][a-z0-9-]*" "$1" | grep -oE -- '--[a-z][a-z0-9-]*' ;;
        fish) grep -oE -- ' -l [a-z][a-z0-9-]*' "$1" | sed 's/ -l /--/' ;;
    esac | sort -u
}
@test "every tool: bash, zsh and fish completions offer exactly the long options of --help" {
    for t in $(tools); do
        want=$(longopts "$t")
        for k in bash zsh fish; do
            case $k in bash) c=completions/$t.bash;; zsh) c=completions/_$t;; fish) c=completions/$t.fish;; esac
            [ -f "$ROOT_DIR/$c" ] || fail "missing $c"
            got=$(compopts "$ROOT_DIR/$c" $k)
            [ "$got" = "$want" ] || fail "$c: $(diff <(echo "$want") <(echo "$got") | grep '^[<>]' | tr '\n' ' ')"
        done
    done
}

@test "the completion check is strict: an extra or a missing option is caught" {
    printf 'complete -c x -l alpha\ncomplete -c x -l beta\n' > x.fish
    [ "$(compopts x.fish fish)" = "$(printf -- '--alpha\n--beta')" ]
    printf 'x --alpha --beta --gamma\n' > x.bash
    [ "$(compopts x.bash bash)" != "$(printf -- '--alpha\n--beta')" ]
}

@test "bash completion of iot-sim offers its long options" {
    source "$ROOT_DIR/completions/iot-sim.bash"
    COMP_WORDS=(iot-sim --dev); COMP_CWORD=1
    _iot_sim 2>/dev/null || _iot-sim 2>/dev/null || complete -p iot-sim
    fn=$(complete -p iot-sim | sed -E 's/.*-F ([^ ]+).*/\1/')
    COMPREPLY=()
    "$fn" iot-sim --dev iot-sim
    [[ " ${COMPREPLY[*]} " == *" --devices "* ]] || fail "got: ${COMPREPLY[*]}"
}

@test "iot.7 renders and documents the exit codes" {
    run sh -c "man -l '$ROOT_DIR/man/iot.7' | col -b"
    assert_success
    for c in 64 65 66 70 73 74; do [[ "$output" == *"$c"* ]] || fail "exit code $c not in iot.7"; done
}

@test "output to /dev/full: exit 74 with a message" {
    run sh -c 'iot-sim --devices 2 --count 10 > /dev/full'
    assert_failure 74
    assert_output --partial "write error"
}

@test "every tool: --help and --version > /dev/full exit 74 with a message, not 0" {
    for t in $(tools); do
        run sh -c "$t --help > /dev/full"
        [ "$status" -eq 74 ] || { echo "$t --help: exit $status"; false; }
        [[ "$output" == *"<stdout>: write error"* ]]
        run sh -c "$t --version > /dev/full"
        [ "$status" -eq 74 ] || { echo "$t --version: exit $status"; false; }
    done
}

@test "| head -1: silent" {
    run sh -c 'iot-sim --devices 100 --count 1000000 2>&1 | head -1'
    assert_success
    assert_output --partial '"deviceId"'
    [ "${#lines[@]}" -eq 1 ]
}

@test "-o FILE.zst writes zstd that reads back" {
    iot-sim --devices 3 --count 30 -o out.ndjson.zst
    run zstd -t out.ndjson.zst
    assert_success
    [ "$(zstd -dc out.ndjson.zst | wc -l)" -eq 30 ]
}

@test "make install and uninstall with DESTDIR and PREFIX" {
    cd "$ROOT_DIR"
    run make -s install DESTDIR="$TMP/root" PREFIX=/usr
    assert_success
    for t in $(tools); do
        [ -x "$TMP/root/usr/bin/$t" ] || fail "$t not installed"
        [ -f "$TMP/root/usr/share/man/man1/$t.1" ] || fail "$t.1 not installed"
        [ -f "$TMP/root/usr/share/bash-completion/completions/$t" ] || fail "$t bash completion not installed"
    done
    [ -f "$TMP/root/usr/share/man/man7/iot.7" ]
    run make -s uninstall DESTDIR="$TMP/root" PREFIX=/usr
    assert_success
    [ -z "$(find "$TMP/root" -type f)" ] || fail "left: $(find "$TMP/root" -type f)"
}

@test "the demo (make demo) runs every stage and shows results" {
    run sh "$ROOT_DIR/examples/demo.sh"
    assert_success
    assert_output --partial "1. iot-sim"
    assert_output --regexp "stats: \{\"tool\":\"iot-ingest\",\"lines_in\":[0-9]+"
    assert_output --regexp "cnc-[0-9]+ +2026-01-01T06:00:00.000Z"
    assert_output --regexp "[1-9][0-9]* alerts"
    assert_output --partial "lake/2026/01/01/Pump.ndjson.zst"
}

@test "flush before blocking: a live record goes through a pipeline while the input stays open" {
    mkfifo in.fifo
    # writer: one record, then keeps the pipe open for 4 s
    ( printf '{"deviceId":"d1","timestamp":"2026-01-01T00:00:00Z","temperature":80}\n'; sleep 4 ) > in.fifo &
    start=$(date +%s%N)
    iot-ingest < in.fifo | iot-route -r 'hot: temperature > 50 => -' --fallback drop |
        { read -r l; date +%s%N > arrived; printf '%s\n' "$l" > got; cat > /dev/null; }
    wait
    grep -q '"deviceId":"d1"' got || fail "got: $(cat got)"
    # the record must arrive long before the writer closes the pipe (4 s)
    ms=$(( ($(cat arrived) - start) / 1000000 ))
    [ "$ms" -lt 3000 ] || fail "took $ms ms"
}

# bats ignores a failing command whose status is negated with a bare `!` unless it is the last
# of the test: every negation goes through `run !` or an explicit test.
@test "lint: no bare '! cmd' line in any bats file or helper" {
    run grep -nE '^[[:space:]]*![[:space:]]' "$ROOT_DIR"/tests/*.bats "$ROOT_DIR"/tests/helpers.bash
    [ "$status" -eq 1 ] || fail "bare ! lines (use run ! or an explicit test): $output"
}

@test "every golden case folder is run by its tool's bats file, and has stdout and exit" {
    n=0
    for d in "$ROOT_DIR"/tests/golden/*/*/; do
        d=${d%/}; c=$(basename "$d"); t=$(basename "$(dirname "$d")")
        [ -f "$d/cmd" ] && [ -f "$d/stdout" ] && [ -f "$d/exit" ] || fail "$t/$c: cmd, stdout or exit missing"
        grep -qE -- "golden $c;" "$ROOT_DIR/tests/$t.bats" || fail "$t/$c is not run by tests/$t.bats"
        n=$((n + 1))
    done
    [ "$n" -gt 40 ]
}

@test "golden(): stdout, stderr and exit are compared apart; IOT_BLESS=1 reports 'skip: blessed'" {
    mkdir -p g/one && echo 'echo out; echo err >&2; exit 3' > g/one/cmd
    printf 'out\n' > g/one/stdout; printf 'err\n' > g/one/stderr; echo 3 > g/one/exit
    inner() { env $(env | sed -n 's/^\(BATS_[A-Za-z0-9_]*\)=.*/-u \1/p') bats --tap t.bats 3>&-; }
    # (the @test line is built, or bats would take it for one of this file's own tests)
    printf '%s\n' "load '$TESTS_DIR/helpers'" "GOLDEN=$TMP/g" "@""test \"one\" { golden one; }" > t.bats
    run inner
    assert_success
    assert_line "ok 1 one"
    printf 'other\n' > g/one/stderr        # only standard error differs: a failure
    run inner
    assert_failure
    assert_output --partial "standard error differs"
    printf 'err\n' > g/one/stderr; echo 0 > g/one/exit   # only the status differs
    run inner
    assert_failure
    assert_output --partial "exit 3, expected 0"
    IOT_BLESS=1 run inner
    assert_success
    assert_line "ok 1 one # skip blessed"
    [ "$(cat g/one/exit)" = 3 ]
    run inner
    assert_line "ok 1 one"
}

# the dead-letter stream gives every line back: `bytes` (base64) when present, else `text`
@test "dead letters round-trip: a 20 MB line past --max-line (streamed, not held), invalid UTF-8, NUL bytes, CRLF" {
    {
        echo '{"deviceId":"a","timestamp":"2026-01-01T00:00:01Z","temperature":1}'
        printf '{"deviceId":"a","timestamp":"2026-01-01T00:00:02Z","temperature":2,"pad":"'
        head -c 20000000 /dev/zero | tr '\0' 'x'
        printf '"}\r\n'
        printf '{"deviceId":"\377\376b","timestamp":"2026-01-01T00:00:03Z","temperature":\200}\n'
        printf '{"deviceId":"n\0ul","timestamp":"2026-01-01T00:00:04Z"}\n'
        printf 'caf\303\251 is not JSON\n'
        printf '{"deviceId":"b","timestamp":"2026-01-01T00:00:05Z","temperature":5,"pad":"'
        head -c 5000 /dev/zero | tr '\0' 'y'
        printf '"}'                                   # over-long last line, no newline
    } > in.ndjson
    for t in iot-window iot-ingest iot-anomaly; do
        case $t in
            iot-window) args="--tumbling 1m -a count()" ;;
            iot-ingest) args="" ;;
            iot-anomaly) args="-f temperature" ;;
        esac
        rm -f dl
        if [ -x /usr/bin/time ]; then
            /usr/bin/time -f %M -o rss $t --max-line 1000 $args --dead-letter dl in.ndjson > out
            [ "$(cat rss)" -lt 30000 ] || fail "$t held the long line: max RSS $(cat rss) kB"
        else
            $t --max-line 1000 $args --dead-letter dl in.ndjson > out
        fi
        [ "$(wc -l < dl)" -eq 5 ] || fail "$t: $(wc -l < dl) dead letters"
        jq -r 'if .bytes then .bytes else (.text | @base64) end' dl |
            while read -r b; do printf '%s' "$b" | base64 -d; echo; done > back
        { sed -n '2,6p' in.ndjson | tr -d '\r'; echo; } | cmp - back || fail "$t: dead letters differ from the lines"
        [ "$(jq -s '[.[] | select(.kind == "line too long") | .length]' dl | jq -c .)" = "[20000076,5076]" ]
        [ "$(jq -s '[.[] | select(.bytes and .kind != "line too long")] | length' dl)" -eq 1 ]  # only the invalid UTF-8 one
    done
    # and back into a tool: without the bound the long lines are records again
    run --separate-stderr iot-window --tumbling 1m -a 'count()' back
    assert_line --index 0 --partial '{"deviceId":"a","windowStart"'
    assert_line --index 1 --partial '{"deviceId":"b","windowStart"'
    [ "${#lines[@]}" -eq 2 ]
}

# man_block PAGE MARKER: the first literal block after the line containing MARKER, as shell text
man_block() {
    awk -v m="$2" 'index($0, m) { f = 1 } f && /^\.Bd -literal/ { b = 1; next } b && /^\.Ed/ { exit }
                   b { gsub(/\\e/, "\\"); print }' "$ROOT_DIR/man/$1"
}

@test "man pages quote the reference architecture, and those examples run as printed" {
    # a WARNING window (avg 45, stdev 9.9), a CRITICAL one (avg 55, stdev 14.1), a quiet one (avg 45, stdev 1.4)
    for s in 10:50:5:1 20:52:7:2; do
        IFS=: read -r t te p k <<< "$s"
        for d in w:38:52 c:45:65 q:44:46; do
            IFS=: read -r id v1 v2 <<< "$d"
            [ "$k" = 1 ] && v=$v1 || v=$v2
            echo "{\"deviceId\":\"$id\",\"deviceType\":\"Pump\",\"timestamp\":\"2026-01-01T00:00:${t}Z\",\"temperature\":$te,\"pressure\":$p,\"vibration\":$v}"
        done
    done > in.ndjson
    w=$(man_block iot-window.1 'Stream Analytics query of the reference architecture')
    [[ "$w" == *"-k deviceId,deviceType"* && "$w" == *"as AvgPressure"* && "$w" == *"as StdDevVibration"* ]]
    run sh -c "$w" < in.ndjson
    assert_success
    assert_line '{"deviceId":"w","deviceType":"Pump","windowStart":"2026-01-01T00:00:00.000Z","windowEnd":"2026-01-01T00:01:00.000Z","AvgTemperature":51,"AvgPressure":6,"AvgVibration":45,"StdDevVibration":9.899494936611665}'
    a=$(man_block iot-anomaly.1 'maintenance rules of the reference architecture')
    [[ "$a" == *"'WARNING: AvgVibration > 40 AND StdDevVibration > 5'"* ]]
    run sh -c "$a" < in.ndjson
    assert_success
    # with --alerts the rules are alarms: raised once per device and level (iot-anomaly(1) ALARMS)
    assert_line --regexp '^\{"deviceId":"w","alarm":"WARNING","severity":"warning","state":"raised"'
    assert_line --regexp '^\{"deviceId":"c","alarm":"CRITICAL","severity":"critical","state":"raised"'
    refute_line --regexp '"deviceId":"w","alarm":"CRITICAL"'
    [ "$(printf '%s\n' "${lines[@]}" | grep -c '"state":"raised"')" -eq 3 ]
}

@test "state files are fsynced before the rename that publishes them (strace)" {
    command -v strace > /dev/null || skip "strace is not installed"
    echo '{"deviceId":"a","timestamp":"2026-01-01T00:00:01Z","temperature":1}' > in.ndjson
    strace -f -e trace=fsync,fdatasync,rename,renameat,renameat2 -o trace \
        iot-window --tumbling 1m -a 'count()' --state st in.ndjson > /dev/null || skip "strace cannot trace here"
    grep -q 'rename.*"st"' trace || fail "no rename into place: $(cat trace)"
    awk '/fsync|fdatasync/ && !r { s = 1 } /rename/ { r = 1; exit !s }' trace || fail "rename before fsync: $(cat trace)"
}
