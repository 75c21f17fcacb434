#!/usr/bin/env python3
"""Reads a PNG (8-bit RGB or RGBA, not interlaced; what headless Chromium writes) with the
standard library only (PNG spec: https://www.w3.org/TR/png/) and prints facts for tests:
  size WxH, the share of non-white pixels, the number of frames (runs of exactly #bbbbbb,
  the panel frame colour, met going down column X, halved), and pixel counts of colours asked."""
import struct, sys, zlib

def read(path):
    data = open(path, 'rb').read()
    assert data[:8] == b'\x89PNG\r\n\x1a\n', 'not a PNG'
    pos, idat, w = 8, b'', 0
    while pos < len(data):
        n, kind = struct.unpack('>I4s', data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b'IHDR':
            w, h, depth, ctype, _, _, inter = struct.unpack('>IIBBBBB', body)
            assert depth == 8 and ctype in (2, 6) and inter == 0, 'unsupported PNG'
            bpp = 3 if ctype == 2 else 4
        elif kind == b'IDAT':
            idat += body
        pos += 12 + n
    raw, stride, rows, prev = zlib.decompress(idat), w * bpp, [], bytearray(w * bpp)
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if f == 1:
            for i in range(bpp, stride): line[i] = (line[i] + line[i - bpp]) & 255
        elif f == 2:
            line = bytearray((a + b) & 255 for a, b in zip(line, prev))
        elif f == 3:
            for i in range(stride): line[i] = (line[i] + ((line[i - bpp] if i >= bpp else 0) + prev[i]) // 2) & 255
        elif f == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0; b = prev[i]; c = prev[i - bpp] if i >= bpp else 0
                p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line); prev = line
    return w, h, bpp, rows

def main():
    path, xs, colours = sys.argv[1], [int(x) for x in sys.argv[2].split(',')], sys.argv[3:]
    w, h, bpp, rows = read(path)
    px = lambda x, y: tuple(rows[y][x * bpp:x * bpp + 3])
    nonwhite = sum(1 for y in range(0, h, 2) for x in range(0, w, 2) if px(x, y) != (255, 255, 255))
    print('size %dx%d' % (w, h))
    print('nonwhite %.4f' % (nonwhite / ((h + 1) // 2 * ((w + 1) // 2))))
    frames = 0
    for x in xs:
        inrun = False
        for y in range(h):
            hit = px(x, y) == (0xbb, 0xbb, 0xbb)
            if hit and not inrun: frames += 1
            inrun = hit
    print('frames %d' % (frames // 2))
    for c in colours:
        rgb = tuple(int(c[i:i + 2], 16) for i in (0, 2, 4))
        print('colour %s %d' % (c, sum(1 for r in rows for i in range(0, w * bpp, bpp) if tuple(r[i:i + 3]) == rgb)))

main()
