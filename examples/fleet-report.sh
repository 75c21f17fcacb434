#!/bin/sh
# A lake day as one HTML page: every device's temperature and vibration scored by iot-anomaly,
# its alerts, and iot-plot --report (fleet table with status and sparklines, devices with
# alerts first, each with its curves and anomalies). Opens from a file with no network.
#   examples/fleet-report.sh OUT.html [FILE...]   (FILEs: NDJSON or .zst of one day; none: a
#                                                  simulated day of 12 devices)
set -eu
out=${1:?usage: fleet-report.sh OUT.html [FILE...]}
shift
work=$(mktemp -d "${TMPDIR:-/tmp}/fleet-report.XXXXXX"); trap 'rm -rf "$work"' EXIT
if [ $# -eq 0 ]; then
    iot-sim --devices 12 --duration 1d --interval 10s --anomalies 0.0005 --seed 7 > "$work/day.ndjson"
    set -- "$work/day.ndjson"
fi
# one pass for scores, one for alerts: both go to the same picture
iot-anomaly -f temperature,vibration "$@" > "$work/scored.ndjson"
iot-anomaly -f temperature,vibration --alerts "$@" > "$work/alerts.ndjson"
iot-plot --report -f temperature,vibration --title "Fleet report" --panel-height 90 \
    -o "$out" "$work/scored.ndjson" "$work/alerts.ndjson"
echo "fleet report: $out ($(wc -c < "$out") bytes, $(wc -l < "$work/alerts.ndjson") alerts)"
