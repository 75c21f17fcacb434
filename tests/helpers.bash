# Shared bats set-up: bats-support/bats-assert, a scratch folder, the fresh binaries on PATH.
load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'
TESTS_DIR="$(cd "$(dirname "${BATS_TEST_FILENAME}")" && pwd)"
ROOT_DIR="$(cd "$TESTS_DIR/.." && pwd)"
setup() {
    TMP="$BATS_TEST_TMPDIR"
    cd "$TMP" || return 1
}

# golden CASE: runs $GOLDEN/CASE/cmd (sh, in a scratch copy of the case folder, stdin from its
# `input` if any) and compares standard output and error with `expected` and the status with
# `exit` (default 0). IOT_BLESS=1 rewrites expected and exit from this run, on purpose.
golden() {
    local c="$GOLDEN/$1"
    [ -f "$c/cmd" ] || { echo "no case $1"; return 1; }
    mkdir -p "$TMP/$1" && cp -r "$c/." "$TMP/$1/" && cd "$TMP/$1"
    [ -f input ] || : > input
    run sh -c "$(cat cmd)" < input
    if [ "${IOT_BLESS:-}" = 1 ]; then
        printf '%s\n' "$output" > "$c/expected"
        echo "$status" > "$c/exit"
    fi
    local want_exit=0
    [ -f "$c/exit" ] && want_exit=$(cat "$c/exit")
    assert_equal "$status" "$want_exit"
    assert_equal "$output" "$(cat "$c/expected")"
}
