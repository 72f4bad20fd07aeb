#!/usr/bin/python3
"""Renders a terminal capture (`tmux capture-pane -e -p`: text with ANSI SGR colour codes) as a PNG.

usage: ansi2png.py CAPTURE.ans OUT.png [--palette dark|light] [--cols 80] [--rows 24]

Cells are drawn one by one on a grid with DejaVu Sans Mono (Debian: fonts-dejavu-core), in xterm's
16 colours plus the 256-colour cube and 24-bit colour; the terminal's default foreground and
background come from the palette (dark: light grey on black, light: black on white), which is what
lets one capture show how a theme built on those roles looks on either kind of terminal.
Needs Pillow (Debian: python3-pil).
"""
import argparse
import re
import sys

from PIL import Image, ImageDraw, ImageFont

XTERM = [
    (0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0), (0, 0, 238), (205, 0, 205), (0, 205, 205), (229, 229, 229),
    (127, 127, 127), (255, 0, 0), (0, 255, 0), (255, 255, 0), (92, 92, 255), (255, 0, 255), (0, 255, 255), (255, 255, 255),
]
PALETTES = {"dark": ((229, 229, 229), (0, 0, 0)), "light": ((0, 0, 0), (255, 255, 255))}
FONT_DIR = "/usr/share/fonts/truetype/dejavu/"


def colour256(n):
    if n < 16:
        return XTERM[n]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return (steps[n // 36], steps[(n // 6) % 6], steps[n % 6])
    v = 8 + (n - 232) * 10
    return (v, v, v)


class Style:
    def __init__(self):
        self.reset()

    def reset(self):
        self.fg = None  # None: the palette's default foreground
        self.bg = None
        self.bold = self.faint = self.italic = self.underline = self.reverse = False

    def copy(self):
        s = Style()
        s.__dict__.update(self.__dict__)
        return s

    def apply(self, params):
        codes = [int(p) if p else 0 for p in params.split(";")] if params else [0]
        i = 0
        while i < len(codes):
            c = codes[i]
            if c == 0: self.reset()
            elif c == 1: self.bold = True
            elif c == 2: self.faint = True
            elif c == 3: self.italic = True
            elif c == 4: self.underline = True
            elif c == 7: self.reverse = True
            elif c == 22: self.bold = self.faint = False
            elif c == 23: self.italic = False
            elif c == 24: self.underline = False
            elif c == 27: self.reverse = False
            elif 30 <= c <= 37: self.fg = XTERM[c - 30]
            elif c == 39: self.fg = None
            elif 40 <= c <= 47: self.bg = XTERM[c - 40]
            elif c == 49: self.bg = None
            elif 90 <= c <= 97: self.fg = XTERM[c - 90 + 8]
            elif 100 <= c <= 107: self.bg = XTERM[c - 100 + 8]
            elif c in (38, 48) and i + 1 < len(codes):
                if codes[i + 1] == 5 and i + 2 < len(codes):
                    col = colour256(codes[i + 2]); i += 2
                elif codes[i + 1] == 2 and i + 4 < len(codes):
                    col = tuple(codes[i + 2:i + 5]); i += 4
                else:
                    col = None
                if c == 38: self.fg = col
                else: self.bg = col
            i += 1


SGR = re.compile(r"\x1b\[([0-9;]*)m")
OTHER = re.compile(r"\x1b(\[[0-9;?]*[A-Za-z]|\][^\x07]*\x07|.)")


def parse(text, cols, rows):
    grid = [[(" ", Style()) for _ in range(cols)] for _ in range(rows)]
    style = Style()
    for y, line in enumerate(text.split("\n")[:rows]):
        x = 0
        pos = 0
        while pos < len(line):
            m = SGR.match(line, pos)
            if m:
                style.apply(m.group(1)); pos = m.end(); continue
            m = OTHER.match(line, pos)
            if m:
                pos = m.end(); continue
            if x < cols:
                grid[y][x] = (line[pos], style.copy())
            x += 1
            pos += 1
        # tmux ends each line's attributes explicitly when -e is given; a new line starts where the last left off.
    return grid


def render(grid, palette, out):
    default_fg, default_bg = PALETTES[palette]
    size = 16
    fonts = {
        (False, False): ImageFont.truetype(FONT_DIR + "DejaVuSansMono.ttf", size),
        (True, False): ImageFont.truetype(FONT_DIR + "DejaVuSansMono-Bold.ttf", size),
        (False, True): ImageFont.truetype(FONT_DIR + "DejaVuSansMono-Oblique.ttf", size),
        (True, True): ImageFont.truetype(FONT_DIR + "DejaVuSansMono-BoldOblique.ttf", size),
    }
    cw = int(round(fonts[(False, False)].getlength("M")))
    ch = size + 4
    rows, cols = len(grid), len(grid[0])
    pad = 8
    img = Image.new("RGB", (cols * cw + 2 * pad, rows * ch + 2 * pad), default_bg)
    draw = ImageDraw.Draw(img)
    for y, row in enumerate(grid):
        for x, (char, s) in enumerate(row):
            fg = s.fg or default_fg
            bg = s.bg or default_bg
            if s.reverse:
                fg, bg = bg, fg
            if s.faint:
                fg = tuple((a + b) // 2 for a, b in zip(fg, bg))
            left, top = pad + x * cw, pad + y * ch
            draw.rectangle([left, top, left + cw - 1, top + ch - 1], fill=bg)
            if char != " ":
                draw.text((left, top + 1), char, font=fonts[(s.bold, s.italic)], fill=fg)
            if s.underline:
                draw.line([left, top + ch - 2, left + cw - 1, top + ch - 2], fill=fg)
    img.save(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("capture")
    ap.add_argument("out")
    ap.add_argument("--palette", choices=sorted(PALETTES), default="dark")
    ap.add_argument("--cols", type=int, default=80)
    ap.add_argument("--rows", type=int, default=24)
    a = ap.parse_args()
    with open(a.capture, encoding="utf-8", errors="replace") as f:
        text = f.read()
    render(parse(text, a.cols, a.rows), a.palette, a.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
