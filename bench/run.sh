#!/bin/sh
# make bench: runs every bench/bench-*.sh in turn (figures, not pass/fail).
cd "$(dirname "$0")/.." || exit 1
echo "iotkit benchmarks on $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ); medians of repeated runs"
for b in bench/bench-*.sh; do
    echo
    echo "== $(basename "$b" .sh)"
    sh "$b" || echo "($b failed with status $?)"
done
