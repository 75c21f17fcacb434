# Shared bats set-up: bats-support/bats-assert, a scratch folder, the fresh binaries on PATH.
load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'
bats_require_minimum_version 1.5.0   # run ! and run -N
TESTS_DIR="$(cd "$(dirname "${BATS_TEST_FILENAME}")" && pwd)"
ROOT_DIR="$(cd "$TESTS_DIR/.." && pwd)"
setup() {
    TMP="$BATS_TEST_TMPDIR"
    cd "$TMP" || return 1
}

# golden CASE: the one golden harness. Runs $GOLDEN/CASE/cmd (sh, in a scratch copy of the case
# folder, stdin from its `input` if any) and compares standard output with `stdout`, standard
# error with `stderr` (absent = empty) and the exit status with `exit` (absent = 0), each on its
# own. IOT_BLESS=1 rewrites the three files from this run and reports the test as skipped
# ("blessed"), never as passed: review the diff, then run again without it.
golden() {
    local c="$GOLDEN/$1"
    [ -f "$c/cmd" ] || { echo "no case $1"; return 1; }
    mkdir -p "$TMP/$1" && cp -r "$c/." "$TMP/$1/" && cd "$TMP/$1"
    [ -f input ] || : > input
    local st=0
    sh -c "$(cat cmd)" < input > "$TMP/golden.out" 2> "$TMP/golden.err" || st=$?
    if [ "${IOT_BLESS:-}" = 1 ]; then
        cp "$TMP/golden.out" "$c/stdout"
        if [ -s "$TMP/golden.err" ]; then cp "$TMP/golden.err" "$c/stderr"; else rm -f "$c/stderr"; fi
        echo "$st" > "$c/exit"
        skip "blessed"
    fi
    local want_exit=0 want_err="$TMP/golden.noerr"
    : > "$want_err"
    [ -f "$c/exit" ] && want_exit=$(cat "$c/exit")
    [ -f "$c/stderr" ] && want_err="$c/stderr"
    diff -u "$c/stdout" "$TMP/golden.out" || { echo "golden $1: standard output differs"; return 1; }
    diff -u "$want_err" "$TMP/golden.err" || { echo "golden $1: standard error differs"; return 1; }
    [ "$st" = "$want_exit" ] || { echo "golden $1: exit $st, expected $want_exit"; return 1; }
}
