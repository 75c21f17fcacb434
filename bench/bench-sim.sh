#!/bin/sh
# iot-sim generation: records/s, MB/s and peak RSS. Target ≥ 2 M records/s on one core.
# Wall-clock medians (the machine is shared) and, as "cpu", user+sys seconds, which is what one
# core costs. Peers for scale: mawk and mlr writing comparable random lines.
. bench/common.sh
N=${BENCH_N:-3000000}
RUNS=${BENCH_RUNS:-3}

# cpu_timed RUNS CMD...: median user+sys seconds
cpu_timed() {
    runs=$1; shift
    t=$(mktemp)
    for i in $(seq "$runs"); do /usr/bin/time -f "%U %S" -o "$t" "$@" > /dev/null 2>&1; awk '{print $1 + $2}' "$t"; done | median
    rm -f "$t"
}

sim() {   # label, then iot-sim options
    label=$1; shift
    bytes=$(iot-sim "$@" | wc -c)
    set -- $(run_timed "$RUNS" iot-sim "$@") "$@"
    secs=$1 rss=$2; shift 2
    cpu=$(cpu_timed "$RUNS" iot-sim "$@")
    report "$label" "$N" "$bytes" "$secs" "$rss" 2000000
    report "  same, per CPU second" "$N" "$bytes" "$cpu" "$rss" 2000000
}

sim "iot-sim 1k devices, NDJSON" --devices 1000 --count "$N"
sim "iot-sim 1k devices, CSV" --devices 1000 --count "$N" --format csv
sim "iot-sim 1k dev, truth+anomalies+faults" --devices 1000 --count "$N" --truth --anomalies 0.001 \
    --faults late=0.01:30s,dup=0.001,drop=0.001,malformed=0.0001
sim "iot-sim 1M devices (incl. set-up)" --devices 1000000 --count "$N"
set -- $(run_timed 1 iot-sim --devices 1000000 --count 0)
echo "  (set-up of 1M devices alone: $1 s, peak RSS $(($2 / 1024)) MiB)"

if command -v mawk >/dev/null; then
    prog='BEGIN{srand(1); for(i=0;i<n;i++){d=i%1000;
      printf "{\"deviceId\":\"cnc-%06d\",\"deviceType\":\"CNC-Machine\",\"timestamp\":\"2026-01-01T00:00:%02d.000Z\",\"temperature\":%.1f,\"pressure\":%.1f,\"vibration\":%.2f,\"priority\":\"normal\",\"messageType\":\"telemetry\"}\n",
      d, i%60, 60+rand()*20, 100+rand()*3, 10+rand()*5}}'
    bytes=$(mawk -v n="$N" "$prog" | wc -c)
    set -- $(run_timed "$RUNS" mawk -v n="$N" "$prog")
    report "mawk printf of random lines (peer)" "$N" "$bytes" "$1" "$2" 0
fi
if command -v mlr >/dev/null; then
    M=$((N / 10))
    set -- $(run_timed 1 mlr -n --ojsonl seqgen --start 1 --stop "$M" then put '$temperature = fmtnum(60 + urand() * 20, "%.1f"); $vibration = fmtnum(10 + urand() * 5, "%.2f")')
    report "mlr seqgen + put (peer, $M lines)" "$M" "$((M * 60))" "$1" "$2" 0
fi
