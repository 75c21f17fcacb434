#!/bin/sh
# A closed control loop over a real MQTT broker (Debian's mosquitto):
#   devices     mosquitto_sub devices/+/commands > FIFO; iot-sim --commands FIFO | mosquitto_pub telemetry
#   warm path   mosquitto_sub telemetry | alarm | iot-state --db state.sqlite --tee | iot-route
#   alarm       raised when a device's temperature goes above HI, cleared below LO (hysteresis);
#               a raise sends {"command":"setpoint"} back to exactly that device's topic
# Three pumps are throttled to 150 % at the start, run hot, get an alarm and a setpoint command,
# acknowledge it, cool down, and the alarm clears. The script prints each alarm's response
# times (raise -> command -> ack -> clear, in event seconds, and raise -> ack in wall ms) and
# exits 1 unless every raised alarm got its command, a completed ack and its clear.
# Usage: MQTT_PORT=1883 examples/control-loop.sh [OUTDIR]  (a broker on 127.0.0.1:MQTT_PORT;
#        SPEED event seconds per wall second, default 1200: two hours of event time in 6 s).
set -eu
port=${MQTT_PORT:-1883}
host=${MQTT_HOST:-127.0.0.1}
speed=${SPEED:-1200}
HI=${HI:-47} LO=${LO:-44}
out=${1:-$(mktemp -d "${TMPDIR:-/tmp}/loop.XXXXXX")}
mkdir -p "$out"
rm -f "$out/state.sqlite" "$out/state.sqlite-wal" "$out/state.sqlite-shm" "$out/commands.fifo" \
      "$out/telemetry.fifo" "$out/loop.ndjson"
sub="mosquitto_sub -h $host -p $port -q 1"
pub="mosquitto_pub -h $host -p $port -q 1"
id=loop$$
pids=
cleanup() { for p in $pids; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

# persistent sessions registered before anything is published (see examples/mqtt.sh)
$sub -c -i "$id-devices" -t 'devices/+/commands' -E
$sub -c -i "$id-pipeline" -t telemetry -E

# the warm path: the alarm with hysteresis (jq), state in SQLite, commands back by device id;
# the subscriber writes into a FIFO so that the pipeline ends when the alarm stage sees "end"
mkfifo "$out/telemetry.fifo"
$sub -c -i "$id-pipeline" -t telemetry > "$out/telemetry.fifo" 2>/dev/null &
pipesub=$!
pids="$pipesub"
jq --unbuffered -nc --argjson hi "$HI" --argjson lo "$LO" '
        label $done | foreach inputs as $r ({on: {}, n: 0};
            .emit = [$r] |
            if $r.messageType == "end" then .stop = true
            elif $r.messageType == "commandAck" then .emit = [$r + {seen: now}]
            elif $r.messageType != "telemetry" or ($r.temperature | type) != "number" then .
            elif $r.temperature > $hi and (.on[$r.deviceId] | not) then
                .n += 1 | .on[$r.deviceId] = "cool-\(.n)" |
                .emit += [{deviceId: $r.deviceId, messageType: "alarm", alarm: "raised", alarmId: .on[$r.deviceId],
                          temperature: $r.temperature, timestamp: $r.timestamp, seen: now},
                         {deviceId: $r.deviceId, messageType: "command", command: "setpoint", value: 0.7,
                          commandId: .on[$r.deviceId], timestamp: $r.timestamp}]
            elif $r.temperature < $lo and .on[$r.deviceId] then
                .emit += [{deviceId: $r.deviceId, messageType: "alarm", alarm: "cleared", alarmId: .on[$r.deviceId],
                          temperature: $r.temperature, timestamp: $r.timestamp, seen: now}] |
                .on[$r.deviceId] = null
            else . end;
            if .stop then break $done else .emit[] end)' < "$out/telemetry.fifo" |
    iot-state --db "$out/state.sqlite" --tee --offline-after 5m |
    iot-route -r "cmd: messageType == \"command\" => exec:$pub -l -t devices/{deviceId}/commands" \
              -r "log: true => file:$out/loop.ndjson" &
pipeline=$!
pids="$pids $pipeline"

# the devices: commands from the broker through a FIFO, telemetry and acks to the broker
mkfifo "$out/commands.fifo"
for d in 0 1 2; do
    echo "{\"deviceId\":\"pump-00000$d\",\"command\":\"throttle\",\"value\":1.5,\"commandId\":\"hot-$d\"}"
done > "$out/initial.ndjson"
{ cat "$out/initial.ndjson"; exec $sub -c -i "$id-devices" -t 'devices/+/commands' 2>/dev/null; } > "$out/commands.fifo" &
devsub=$!
pids="$pids $devsub"
sleep 1   # let the subscriptions reach the broker
iot-sim --types Pump --devices 6 --interval 10s --duration 2h --speed "$speed" --seed 3 \
        --commands "$out/commands.fifo" | tee "$out/sent.ndjson" | $pub -l -t telemetry
echo '{"messageType":"end"}' | $pub -l -t telemetry
wait "$pipeline" || { echo "control-loop: the pipeline failed" >&2; exit 1; }

# response times per alarm, and the checks
jq -rs '
    def ev: sub("\\.[0-9]+Z$"; "Z") | fromdate;
    (map(select(.messageType == "alarm" and .alarm == "raised"))) as $raised |
    $raised[] | . as $a |
    ([$all[] | select(.messageType == "commandAck" and .commandId == $a.alarmId)] | first) as $ack |
    ([$all[] | select(.messageType == "alarm" and .alarm == "cleared" and .alarmId == $a.alarmId)] | first) as $clr |
    "\($a.deviceId) \($a.alarmId): raised \($a.timestamp) at \($a.temperature)"
    + ", command +0 s"
    + ", ack " + (if $ack then "+\(($ack.timestamp | ev) - ($a.timestamp | ev)) s (\((($ack.seen - $a.seen) * 1000) | floor) ms wall) \($ack.status)" else "MISSING" end)
    + ", clear " + (if $clr then "+\(($clr.timestamp | ev) - ($a.timestamp | ev)) s at \($clr.temperature)" else "MISSING" end)
' --slurpfile all "$out/loop.ndjson" "$out/loop.ndjson" | tee "$out/report.txt"

raised=$(jq -c 'select(.messageType == "alarm" and .alarm == "raised")' "$out/loop.ndjson" | wc -l)
cleared=$(jq -c 'select(.messageType == "alarm" and .alarm == "cleared")' "$out/loop.ndjson" | wc -l)
acked=$(jq -r 'select(.messageType == "commandAck" and .status == "completed") | .commandId' "$out/loop.ndjson" | grep -c '^cool-' || true)
echo "control-loop: $raised alarms raised, $acked commands completed, $cleared cleared"
if command -v sqlite3 > /dev/null; then   # the warm path holds each device's alarm and last command
    sqlite3 -separator ' ' "$out/state.sqlite" "SELECT device, value FROM properties WHERE name = 'alarm' ORDER BY device" |
        sed 's/^/state: alarm /'
fi
[ "$raised" -gt 0 ] && [ "$acked" -eq "$raised" ] && [ "$cleared" -eq "$raised" ] && ! grep -q MISSING "$out/report.txt"
