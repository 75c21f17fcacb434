# Shared helpers for bench/*.sh (sourced). Data is cached under build/bench-data.
BENCH_DATA=${BENCH_DATA:-$(pwd)/build/bench-data}
mkdir -p "$BENCH_DATA"

# telemetry N DEVICES: path of an NDJSON file of N telemetry records (~170-190 B each) from
# DEVICES devices, made once with iot-sim if it is built, else with mawk.
telemetry() {
    n=$1; devs=${2:-1000}
    f="$BENCH_DATA/telemetry-$n-$devs.ndjson"
    if [ ! -s "$f" ]; then
        if command -v iot-sim >/dev/null 2>&1; then
            iot-sim --devices "$devs" --count "$n" --seed 1 > "$f"
        else
            mawk -v n="$n" -v devs="$devs" 'BEGIN{srand(1); for(i=0;i<n;i++){d=i%devs; s=1767225600+int(i/devs);
              printf "{\"deviceId\":\"cnc-%06d\",\"deviceType\":\"CNC-Machine\",\"timestamp\":\"2026-01-01T%02d:%02d:%02d.000Z\",\"temperature\":%.1f,\"pressure\":%.1f,\"vibration\":%.2f,\"priority\":\"normal\",\"messageType\":\"telemetry\"}\n",
              d, int((s%86400)/3600), int((s%3600)/60), s%60, 60+rand()*20, 100+rand()*3, 10+rand()*5}}' > "$f"
        fi
    fi
    echo "$f"
}

# median of the numbers on stdin
median() { sort -g | awk '{a[NR]=$1} END{print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# run_timed RUNS CMD...: runs CMD RUNS times (stdout to /dev/null); prints "median_seconds max_rss_kb"
run_timed() {
    runs=$1; shift
    t=$(mktemp)
    for i in $(seq "$runs"); do
        /usr/bin/time -f "%e %M %x" -o "$t.$i" "$@" > /dev/null 2>"$t.err"
        if [ "$(tail -1 "$t.$i" | cut -d' ' -f3)" != 0 ]; then
            echo "bench: failed: $* ($(head -c 200 "$t.err"))" >&2
            rm -f "$t" "$t".*; echo "-1 0"; return 1
        fi
    done
    secs=$(for i in $(seq "$runs"); do cut -d' ' -f1 "$t.$i"; done | median)
    rss=$(for i in $(seq "$runs"); do cut -d' ' -f2 "$t.$i"; done | sort -n | tail -1)
    rm -f "$t" "$t".*
    echo "$secs $rss"
}

# report NAME RECORDS BYTES SECONDS RSS_KB TARGET_RPS: one line with rates and the verdict
report() {
    awk -v name="$1" -v n="$2" -v b="$3" -v s="$4" -v rss="$5" -v target="$6" 'BEGIN{
        if (s < 0) { printf "%-44s FAILED\n", name; exit }
        if (s <= 0) s = 0.001
        rps = n / s; mbs = b / s / 1e6
        verdict = target > 0 ? (rps >= target ? "meets" : sprintf("MISSES by %.0f%%", 100 * (1 - rps / target))) : ""
        printf "%-44s %8.2f M rec/s %7.1f MB/s  peak RSS %6.1f MiB", name, rps / 1e6, mbs, rss / 1024
        if (target > 0) printf "  target %.2f M: %s", target / 1e6, verdict
        printf "\n"
    }'
}

# bench_input N DEVICES: sets f (the telemetry file, in the page cache), bytes (its size) and
# one (a prefix pinning a command to one core when taskset exists).
bench_input() {
    f=$(telemetry "$1" "${2:-1000}")
    bytes=$(wc -c < "$f")
    cat "$f" > /dev/null
    one="taskset -c 0"
    command -v taskset > /dev/null || one=""
}
