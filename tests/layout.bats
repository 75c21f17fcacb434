#!/usr/bin/env bats
# The house rules of lib/README.md: rooms, layering, no circles, thin mains, no CLI globals in
# lib/, one key rule for every tool, comments citing public sources.
load helpers

@test "layout: core includes only core, engines core and themselves, no include or call circle" {
    cd "$ROOT_DIR"
    run sh tests/layout.sh "$IOT_BIN/../lib"
    assert_success
    assert_output ""
}

@test "layout: the checker catches a core file reaching into an engine, and a circle" {
    mkdir -p t/lib/core t/lib/window
    printf '#include "window/w.h"\n' > t/lib/core/a.c; : > t/lib/window/w.h
    run sh -c "cd t && sh '$ROOT_DIR/tests/layout.sh'"
    assert_failure
    assert_output --partial 'core includes "window/w.h"'
    rm t/lib/core/a.c
    printf '#include "b.h"\n' > t/lib/core/a.h; printf '#include "a.h"\n' > t/lib/core/b.h
    run sh -c "cd t && sh '$ROOT_DIR/tests/layout.sh'"
    assert_failure
    assert_output --partial 'include circle'
    printf '#include "window/w.h"\n' > t/lib/window/x.c; mkdir -p t/lib/route; printf '#include "window/w.h"\n' > t/lib/route/r.c
    rm t/lib/core/a.h t/lib/core/b.h
    run sh -c "cd t && sh '$ROOT_DIR/tests/layout.sh'"
    assert_failure
    assert_output --partial 'route includes "window/w.h"'
}

@test "layout: every cmd/iot-*.c is options and wiring, at most 250 lines" {
    for f in "$ROOT_DIR"/cmd/iot-*.c; do
        n=$(wc -l < "$f")
        [ "$n" -le 250 ] || fail "$(basename "$f"): $n lines"
    done
}

@test "layout: no lib file reads the CLI's globals (iot_common is cli's own)" {
    run grep -ln 'iot_common' $(ls "$ROOT_DIR"/lib/*/*.[ch] | grep -v '/core/cli\.[ch]$')
    assert_failure
    assert_output ""
}

@test "layout: comments cite public sources, not paths outside the repository" {
    run grep -rnE 'shared/reference|\.\./shared|/work/|[a-z]+\.md §' "$ROOT_DIR/lib" "$ROOT_DIR/cmd" "$ROOT_DIR/tests/unit" "$ROOT_DIR/man" "$ROOT_DIR/README.md" "$ROOT_DIR/examples"
    assert_failure
    assert_output ""
}
