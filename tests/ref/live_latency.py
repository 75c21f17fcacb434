# Reads iot-sim --live records on stdin; prints the count and the smallest (arrival - timestamp) in seconds.
import sys, time, json, datetime
worst = 1e9; n = 0; first=None
for line in sys.stdin:
    now = time.time()
    ts = json.loads(line)["timestamp"]
    t = datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc).timestamp()
    worst = min(worst, now - t); n += 1
print(n, "%.4f" % worst)
