"""Draw the Teams app icons (manifest/color.png 192x192, manifest/outline.png 32x32) with the standard library.

Why a script: the icons are part of the app package that tests check (size, transparency), so they are
reproducible from code instead of being edited by hand; no Pillow is needed. Run it from the repository
root after changing the design, then commit the PNGs: ``python3 tools/make_icons.py``.

The design is an envelope (mail) with the flap drawn as a V. Teams wants the color icon on a solid
background and the outline icon white on a fully transparent background (no other colours, no greys).
"""

from __future__ import annotations

import struct
import sys
import zlib
from collections.abc import Callable
from pathlib import Path

MANIFEST = Path(__file__).resolve().parents[1] / "manifest"
ACCENT = (0x0F, 0x6C, 0xBD)  # also the manifest's accentColor
WHITE = (255, 255, 255)

Pixel = tuple[int, int, int, int]


def png(width: int, height: int, pixel: Callable[[int, int], Pixel]) -> bytes:
    """An RGBA PNG (8 bits per channel, no interlace) of ``pixel(x, y)``."""
    rows = b"".join(b"\x00" + b"".join(bytes(pixel(x, y)) for x in range(width)) for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")


def _near_segment(x: float, y: float, a: tuple[float, float], b: tuple[float, float], width: float) -> bool:
    (ax, ay), (bx, by) = a, b
    dx, dy = bx - ax, by - ay
    t = max(0.0, min(1.0, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)))
    return (x - ax - t * dx) ** 2 + (y - ay - t * dy) ** 2 <= (width / 2) ** 2


def envelope(size: int, x: int, y: int, *, stroke: float) -> str:
    """'line', 'paper' or 'out' for the pixel centre (x, y) of an envelope drawn on a size x size grid."""
    cx, cy = x + 0.5, y + 0.5
    left, right, top, bottom = size * 0.12, size * 0.88, size * 0.24, size * 0.76
    middle = (size / 2, size * 0.54)
    if not (left <= cx <= right and top <= cy <= bottom):
        return "out"
    border = min(cx - left, right - cx, cy - top, bottom - cy) < stroke
    flap = _near_segment(cx, cy, (left, top), middle, stroke * 1.4) or \
        _near_segment(cx, cy, (right, top), middle, stroke * 1.4)
    return "line" if border or flap else "paper"


def color_pixel(x: int, y: int) -> Pixel:
    part = envelope(192, x, y, stroke=6)
    return (*(WHITE if part == "paper" else ACCENT if part == "out" else (0x0A, 0x4A, 0x84)), 255)


def outline_pixel(x: int, y: int) -> Pixel:
    return (*WHITE, 255 if envelope(32, x, y, stroke=2) == "line" else 0)


def main() -> int:
    MANIFEST.mkdir(exist_ok=True)
    for name, size, pixel in (("color.png", 192, color_pixel), ("outline.png", 32, outline_pixel)):
        (MANIFEST / name).write_bytes(png(size, size, pixel))
        print(f"wrote {MANIFEST / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
