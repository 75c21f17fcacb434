#!/bin/sh
# Runs every unit test binary and bats file as TAP; ends with one line "N passed, N failed".
# IOT_BIN and IOT_UNIT name the build's folders (set by make). Arguments: only these bats files.
set -u
here=$(cd "$(dirname "$0")" && pwd)
export PATH="$IOT_BIN:$PATH"
# leaks are checked with valgrind (see README); ASan stops on errors, not on exit-time leaks
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
log=$(mktemp); trap 'rm -f "$log"' EXIT
pass=0; fail=0
count() {  # reads TAP on stdin, echoes it, counts ok / not ok
    while IFS= read -r l; do
        printf '%s\n' "$l"
        case "$l" in
            "ok "*) pass=$((pass + 1));;
            "not ok "*) fail=$((fail + 1));;
        esac
    done
}
if [ $# -eq 0 ]; then
    for u in "$IOT_UNIT"/test_*; do
        [ -x "$u" ] || continue
        echo "# unit: $(basename "$u")"
        "$u" > "$log" 2>&1; rc=$?
        count < "$log"
        # a crash or a bad exit without a "not ok" line still counts as a failure
        if [ $rc -ne 0 ] && ! grep -q '^not ok' "$log"; then
            echo "not ok - $(basename "$u") exited $rc"; fail=$((fail + 1))
        fi
    done
    set -- "$here"/*.bats
fi
for f in "$@"; do
    [ -f "$f" ] || continue
    echo "# bats: $(basename "$f")"
    bats --tap "$f" > "$log" 2>&1
    count < "$log"
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
