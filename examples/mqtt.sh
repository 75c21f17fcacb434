#!/bin/sh
# The pipeline over a real MQTT broker (Debian's mosquitto):
#   devices publish telemetry to "telemetry"            (iot-sim | mosquitto_pub -l)
#   the pipeline subscribes, validates, alerts           (mosquitto_sub | iot-ingest | iot-route)
#   and publishes a command back to each hot device      (exec:mosquitto_pub ... devices/{deviceId}/commands)
#   devices listen on "devices/+/commands"              (mosquitto_sub)
# Usage: MQTT_PORT=1883 examples/mqtt.sh [OUTDIR]   (a broker must listen on 127.0.0.1:MQTT_PORT;
#        COUNT events, default 2000). Prints the counts; exits 1 if anything was lost.
set -eu
port=${MQTT_PORT:-1883}
host=${MQTT_HOST:-127.0.0.1}
count=${COUNT:-2000}
out=${1:-$(mktemp -d "${TMPDIR:-/tmp}/mqtt.XXXXXX")}
mkdir -p "$out"
HOT='temperature > 80 || vibration > 8'
sub="mosquitto_sub -h $host -p $port -q 1"
pub="mosquitto_pub -h $host -p $port -q 1"

# the events the devices will send, made first so the expected commands are known
iot-sim --devices 20 --count "$count" --anomalies 0.02 --seed 5 > "$out/sent.ndjson"
expected=$(iot-route -r "hot: $HOT => -" --fallback drop "$out/sent.ndjson" | wc -l)

# Persistent sessions (-c with a client id), registered before anything is published: the
# broker then queues QoS 1 messages for a subscriber that is still connecting, so a slow start
# (a loaded machine, a sanitizer build) loses nothing.
id=iotkit$$
$sub -c -i "$id-devices" -t 'devices/+/commands' -E
$sub -c -i "$id-pipeline" -t telemetry -E
# devices' side: collect the commands that come back
$sub -c -i "$id-devices" -t 'devices/+/commands' -v -C "$expected" -W 60 > "$out/commands.txt" 2>/dev/null &
devices=$!
# the pipeline: every event to a file (the hot store here), hot ones back to their device
$sub -c -i "$id-pipeline" -t telemetry -C "$count" -W 60 2>/dev/null |
    iot-ingest |
    iot-route -r "all: => file:$out/received.ndjson" \
              -r "hot: $HOT => exec:$pub -l -t devices/{deviceId}/commands" \
              --fallback drop &
pipeline=$!
sleep 1   # let both subscriptions reach the broker
$pub -l -t telemetry < "$out/sent.ndjson"
wait $pipeline || { echo "mqtt: the pipeline failed" >&2; exit 1; }
if [ "$expected" -gt 0 ]; then wait $devices || true; else kill $devices 2>/dev/null || true; fi

received=$(wc -l < "$out/received.ndjson" 2>/dev/null || echo 0)
commands=$(wc -l < "$out/commands.txt")
echo "mqtt: sent $count events, pipeline received $received; expected $expected commands, devices got $commands"
[ "$received" -eq "$count" ] && [ "$commands" -eq "$expected" ]
