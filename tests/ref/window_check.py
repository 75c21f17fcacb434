#!/usr/bin/env python3
"""Independent check of iot-window tumbling results (ASA semantics), written from the spec in
shared/reference/windows.md without looking at lib/: windows (start, end] aligned to the epoch,
watermark = max event time - lateness, late events adjusted to the watermark or dropped, one
row per (key, window) with count, avg, min, max, stdev (sample) and stdevp of FIELD.

usage: window_check.py SIZE_S LATENESS_S adjust|drop FIELD input.ndjson iot-window-output.ndjson
Exits 0 when every row agrees to 1e-9 relative, 1 with the differences otherwise."""
import json, math, sys
from datetime import datetime, timezone
from fractions import Fraction

def ns(s):
    d = datetime.fromisoformat(s.replace('Z', '+00:00'))
    frac = s.split('.')[1].rstrip('Z') if '.' in s else ''
    whole = int(d.replace(microsecond=0).timestamp())
    return whole * 10**9 + int((frac + '000000000')[:9])

size, late, policy, field, inp, outp = sys.argv[1:7]
size = int(float(size) * 10**9); late = int(float(late) * 10**9)
maxt = None
groups = {}
for line in open(inp):
    r = json.loads(line)
    t = ns(r['timestamp'])
    if maxt is not None and t < maxt - late:
        if policy == 'drop':
            continue
        t = maxt - late
    maxt = t if maxt is None else max(maxt, t)
    end = -((-t) // size) * size          # ceil: an event on a boundary ends that window
    g = groups.setdefault((r['deviceId'], end), [])
    g.append(r.get(field))

want = {}
for (k, end), vals in groups.items():
    xs = [Fraction(v) for v in vals if isinstance(v, (int, float))]
    row = {'count': len(vals)}
    if xs:
        n = len(xs); mean = sum(xs) / n; m2 = sum((x - mean) ** 2 for x in xs)
        row.update(avg=float(mean), min=float(min(xs)), max=float(max(xs)),
                   stdevp=math.sqrt(m2 / n), stdev=math.sqrt(m2 / (n - 1)) if n > 1 else None)
    want[(k, end)] = row

bad = 0
got = {}
prev = None
for line in open(outp):
    r = json.loads(line)
    key = (r['deviceId'], ns(r['windowEnd']))
    if prev is not None and (key[1], key[0]) < prev:
        print('order: row', key, 'after', prev); bad += 1
    prev = (key[1], key[0])
    got[key] = r
for k in sorted(set(want) | set(got)):
    w, g = want.get(k), got.get(k)
    if w is None or g is None:
        print('missing' if g is None else 'extra', k); bad += 1; continue
    for a, b in (('count', 'count'), ('avg', 'avg_' + field), ('min', 'min_' + field),
                 ('max', 'max_' + field), ('stdev', 'stdev_' + field), ('stdevp', 'stdevp_' + field)):
        x, y = w.get(a), g.get(b)
        if x is None or y is None:
            if x != y: print(k, a, 'want', x, 'got', y); bad += 1
        elif abs(x - y) > 1e-9 * max(1.0, abs(x)):
            print(k, a, 'want', x, 'got', y); bad += 1
print('%d rows checked, %d differences' % (len(want), bad))
sys.exit(1 if bad else 0)
