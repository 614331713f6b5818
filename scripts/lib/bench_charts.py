#!/usr/bin/env python3
"""SVG charts from scripts/bench.sh's raw runs (CSV: section,cell,side,value,void).

One chart per group (throughput, latency, http): a small panel per cell, each with its own scale,
two bars (tapstack, baseline) at the median and a line from the lowest to the highest run. Plain
SVG written by hand: no dependency beyond Python's standard library.
"""
import csv
import statistics
import sys
from collections import OrderedDict
from html import escape

GROUPS = {
    "throughput": lambda sec, cell: sec.startswith("TCP") and "CPU" not in cell,
    "cpu": lambda sec, cell: sec.startswith("TCP") and "CPU" in cell,
    "latency": lambda sec, cell: sec == "latency",
    "http": lambda sec, cell: sec == "http",
}
COLOURS = {"tapstack": "#2b6cb0", "baseline": "#a0a0a0"}
PW, PH = 230, 190  # panel size


def load(path):
    cells = OrderedDict()
    with open(path) as f:
        for n, r in enumerate(csv.DictReader(f), start=2):
            # a row that does not parse into the five columns (an unquoted comma in a name) must
            # not turn into an empty panel: say which row and stop
            if None in r or r.get("side") not in ("tapstack", "baseline") or r.get("void") not in ("0", "1"):
                raise SystemExit("bench_charts: %s line %d does not parse as section,cell,side,value,void: %r" % (path, n, r))
            key = (r["section"], r["cell"])
            d = cells.setdefault(key, {"tapstack": [], "baseline": []})
            if r["void"] == "0" and r["value"] not in ("nan", ""):
                d[r["side"]].append(float(r["value"]))
    return cells


def panel(x0, y0, title, data):
    out = ['<g transform="translate(%d,%d)">' % (x0, y0)]
    lines = wrap(title, 34)
    for i, line in enumerate(lines):
        out.append('<text x="%d" y="%d" font-size="11" text-anchor="middle">%s</text>' % (PW // 2, 12 + 13 * i, escape(line)))
    top = max([max(v) for v in data.values() if v] or [1.0]) * 1.15
    base_y, height = PH - 25, PH - 25 - 45
    out.append('<line x1="20" y1="%d" x2="%d" y2="%d" stroke="#333"/>' % (base_y, PW - 20, base_y))
    for i, side in enumerate(("tapstack", "baseline")):
        v = data[side]
        bx = 45 + i * 80
        if not v:
            out.append('<text x="%d" y="%d" font-size="10">n/a</text>' % (bx, base_y - 5))
            continue
        med, lo, hi = statistics.median(v), min(v), max(v)
        def y(val):
            return base_y - height * val / top
        out.append('<rect x="%d" y="%.1f" width="50" height="%.1f" fill="%s"/>' % (bx, y(med), base_y - y(med), COLOURS[side]))
        cx = bx + 25
        out.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#000"/>' % (cx, y(hi), cx, y(lo)))
        for val in (lo, hi):
            out.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#000"/>' % (cx - 6, y(val), cx + 6, y(val)))
        out.append('<text x="%d" y="%.1f" font-size="10" text-anchor="middle">%s</text>' % (cx, y(hi) - 4, fmt(med)))
        out.append('<text x="%d" y="%d" font-size="10" text-anchor="middle">%s</text>' % (cx, base_y + 14, side))
    out.append("</g>")
    return out


def wrap(text, n):
    words, lines, cur = text.split(), [], ""
    for w in words:
        if len(cur) + len(w) + 1 > n and cur:
            lines.append(cur)
            cur = w
        else:
            cur = (cur + " " + w).strip()
    lines.append(cur)
    return lines[:3]


def fmt(v):
    return "%.3g" % v if v < 1000 else "%d" % round(v)


def chart(name, items):
    cols = min(4, len(items))
    rows = (len(items) + cols - 1) // cols
    w, h = max(cols * PW + 20, 560), rows * PH + 40
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif">' % (w, h),
           '<rect width="100%" height="100%" fill="white"/>',
           '<text x="10" y="20" font-size="14">tapstack vs baseline: %s (median, bar from min to max)</text>' % escape(name)]
    for i, ((sec, cell), data) in enumerate(items):
        out += panel(10 + (i % cols) * PW, 30 + (i // cols) * PH, "%s: %s" % (sec, cell), data)
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main():
    cells = load(sys.argv[1])
    outdir = sys.argv[2]
    for name, pick in GROUPS.items():
        items = [(k, v) for k, v in cells.items() if pick(*k)]
        if items:
            with open("%s/%s.svg" % (outdir, name), "w") as f:
                f.write(chart(name, items))


if __name__ == "__main__":
    main()
