#!/usr/bin/env python3
"""A C-MAPSS-shaped run-to-failure fleet for iot-predict --regimes (the NASA files are not in
the repository). Shape after Saxena et al., "Damage propagation modeling for aircraft engine
run-to-failure simulation", PHM08, and the public FD001-FD004 files: engines run to failure,
one row per cycle with three operating settings (altitude kft, Mach, throttle angle) and 21
sensors; in the multi-condition sets the condition is drawn independently each cycle
(shares 15/15/15/15/15/25 %), settings carry small jitter, four sensors are constant within a
condition, two take few values, and the condition shifts every sensor by far more than wear.
Test engines stop early; truth is the remaining life at their last cycle.

usage: cmapss-like.py CONDITIONS(1|6) FAULTS(1|2) ENGINES SEED OUTDIR
(FD001 ~ 1 1 100, FD002 ~ 6 1 260, FD003 ~ 1 2 100, FD004 ~ 6 2 249; with two fault modes
each engine wears along one of two sensor patterns)
writes OUTDIR/train.ndjson, OUTDIR/test.ndjson, OUTDIR/truth.tsv (unit, RUL)"""
import math
import os
import random
import sys

CONDS6 = [((0, 0.00, 100), .15), ((10, 0.25, 100), .15), ((20, 0.70, 100), .15),
          ((25, 0.62, 60), .15), ((35, 0.84, 100), .15), ((42, 0.84, 100), .25)]
CONDS1 = [((0, 0.00, 100), 1.0)]
NS = 21
CONST = {0, 4, 17, 18}          # T2, P2, Nf_dmd, PCNfR_dmd: set by the condition alone
FEW = {9, 15}                   # epr, farB: a few values per condition
NOWEAR = {5, 8, 13, 20}         # respond to the condition only (noise)


def main():
    nc, nfault, ne, seed, out = (int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]),
                                 int(sys.argv[4]), sys.argv[5])
    conds = CONDS6 if nc == 6 else CONDS1
    g = random.Random(seed)
    # per sensor: a level per condition (spread ~ 10-40 % of the level), a noise sd, a wear
    # sign and size (end of life = 2.5-6 noise sds), a nonlinear condition gain on wear
    level = [None] * NS
    for j in range(NS):
        base = 50 + 2000 * g.random()
        level[j] = [base * (1 + 0.35 * (c * 0.7 - 1.5) / 3 + 0.05 * g.random()) for c in range(len(conds))]
    noise = [lv[0] * (0.0005 + 0.002 * g.random()) for lv in level]
    wear = [[(1 if g.random() < 0.5 else -1) * (2.5 + 3.5 * g.random()) for _ in range(NS)]
            for _ in range(nfault)]
    gain = [[0.7 + 0.6 * g.random() for _ in conds] for _ in range(NS)]
    os.makedirs(out, exist_ok=True)
    tr = open(os.path.join(out, "train.ndjson"), "w")
    te = open(os.path.join(out, "test.ndjson"), "w")
    truth = open(os.path.join(out, "truth.tsv"), "w")
    for part, f in (("train", tr), ("test", te)):
        for u in range(1, ne + 1):
            life = int(128 + g.lognormvariate(math.log(70), 0.45))
            life = min(life, 378)
            stop = life if part == "train" else int(life * (0.15 + 0.8 * g.random()))
            stop = max(stop, 31)
            if part == "test":
                stop = min(stop, life - 1)
                truth.write("%d\t%d\n" % (u, life - stop))
            offs = [g.gauss(0, 0.6) for _ in range(NS)]       # engine-to-engine variation
            fw = wear[g.randrange(nfault)]
            rate = 3.5 + 2 * g.random()
            w0 = 0.02 * g.random()
            for cyc in range(1, stop + 1):
                r = g.random()
                c = 0
                acc = 0
                for i, (_, sh) in enumerate(conds):
                    acc += sh
                    if r < acc:
                        c = i
                        break
                alt, mach, tra = conds[c][0]
                s1 = alt + (g.uniform(-0.002, 0.008) if alt else g.uniform(0, 0.003))
                s2 = mach + g.uniform(0, 0.002)
                if nc == 1:
                    s1, s2 = g.gauss(0, 0.0022), g.gauss(0, 0.0003)
                h = w0 + (math.exp(rate * cyc / life) - 1) / (math.exp(rate) - 1)   # 0 .. 1
                rec = ['"unit":%d' % u, '"timestamp":%d' % (1262304000 + 3600 * cyc),
                       '"setting1":%.4f' % s1, '"setting2":%.4f' % s2, '"setting3":%d' % tra]
                for j in range(NS):
                    v = level[j][c]
                    if j not in CONST:
                        sd = noise[j]
                        e = offs[j] * sd + g.gauss(0, sd)
                        if j not in NOWEAR:
                            e += fw[j] * sd * h * gain[j][c]
                        if j in FEW:
                            e = round(e / (2 * sd)) * 2 * sd
                        v += e
                    rec.append('"s%d":%.4f' % (j + 1, v))
                if part == "train":
                    rec.append('"_rul":%d' % (life - cyc))
                f.write("{" + ",".join(rec) + "}\n")
    tr.close(); te.close(); truth.close()


if __name__ == "__main__":
    main()
