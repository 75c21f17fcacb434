# Shared bats set-up: bats-support/bats-assert, a scratch folder, the fresh binaries on PATH.
load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'
TESTS_DIR="$(cd "$(dirname "${BATS_TEST_FILENAME}")" && pwd)"
ROOT_DIR="$(cd "$TESTS_DIR/.." && pwd)"
setup() {
    TMP="$BATS_TEST_TMPDIR"
    cd "$TMP" || return 1
}
