"""Draws Duly's icon (a check mark on a rounded blue square) as RGBA PNGs, no dependencies.

Run from this folder: python3 make_icons.py
"""
import struct
import zlib


def png(size, pixel):
    rows = []
    for y in range(size):
        row = bytearray([0])
        for x in range(size):
            row.extend(pixel((x + 0.5) / size, (y + 0.5) / size))
        rows.append(bytes(row))
    raw = zlib.compress(b"".join(rows), 9)

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def distance_to_segment(px, py, ax, ay, bx, by):
    dx, dy = bx - ax, by - ay
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
    cx, cy = ax + t * dx, ay + t * dy
    return ((px - cx) ** 2 + (py - cy) ** 2) ** 0.5


def duly(x, y, badge=False):
    radius, inset = 0.2, 0.04
    qx = max(abs(x - 0.5) - (0.5 - inset - radius), 0.0)
    qy = max(abs(y - 0.5) - (0.5 - inset - radius), 0.0)
    if (qx * qx + qy * qy) ** 0.5 > radius:
        return (0, 0, 0, 0)
    if badge and (x - 0.78) ** 2 + (y - 0.22) ** 2 < 0.17 ** 2:
        return (220, 38, 38, 255)
    check = min(distance_to_segment(x, y, 0.27, 0.52, 0.43, 0.68), distance_to_segment(x, y, 0.43, 0.68, 0.74, 0.34))
    if check < 0.065:
        return (255, 255, 255, 255)
    return (37, 99, 235, 255)


for name, size in [("32x32.png", 32), ("128x128.png", 128), ("128x128@2x.png", 256), ("icon.png", 512)]:
    with open(name, "wb") as out:
        out.write(png(size, duly))
# The tray's variant when overdue tasks exist carries a red badge.
with open("tray-overdue.png", "wb") as out:
    out.write(png(64, lambda x, y: duly(x, y, badge=True)))
with open("tray.png", "wb") as out:
    out.write(png(64, duly))
