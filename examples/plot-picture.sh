#!/bin/sh
# The picture for the README: three simulated devices over 12 hours, temperature and vibration
# scored by iot-anomaly, alerts marked, drawn by iot-plot. Deterministic (seeded): the test
# checks that the committed examples/fleet.svg is what this script makes.
#   examples/plot-picture.sh [OUT.svg]   (default examples/fleet.svg)
set -eu
out=${1:-$(dirname "$0")/fleet.svg}
work=$(mktemp -d "${TMPDIR:-/tmp}/plot-picture.XXXXXX"); trap 'rm -rf "$work"' EXIT
iot-sim --devices 3 --duration 12h --interval 10s --anomalies 0.002 --seed 4 > "$work/day.ndjson"
iot-anomaly -f temperature,vibration "$work/day.ndjson" > "$work/scored.ndjson"
iot-anomaly -f temperature --alerts "$work/day.ndjson" > "$work/alerts.ndjson"
iot-plot -f temperature,vibration --panel-height 90 --title "Three devices, 12 hours: anomalies and alerts" \
    -o "$out" "$work/scored.ndjson" "$work/alerts.ndjson"
