"""Small, dependency-free SVG plots for the static HTML report (no JavaScript, nothing fetched).

Each function returns one ``<svg class="plot" data-kind="...">`` element as a string. Marks carry classes
(``bar``, ``line``, ``point``, ``cell``) so a browser test can check what was drawn.
"""

from __future__ import annotations

import html
import math
from typing import Sequence

WIDTH, HEIGHT = 440, 260
MARGIN_L, MARGIN_R, MARGIN_T, MARGIN_B = 52, 16, 30, 42
PALETTE = ("#3366cc", "#dc3912", "#ff9900", "#109618", "#990099", "#0099c6", "#dd4477", "#66aa00", "#b82e2e", "#316395")


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def fmt(x: float) -> str:
    """A short tick label: plain digits up to 9999, then k / M (never scientific notation for large values).

    >>> fmt(0.5), fmt(1234.0), fmt(3000.0), fmt(12500.0), fmt(2.5e6), fmt(1e-5), fmt(2.0), fmt(-0.25)
    ('0.5', '1234', '3000', '12.5k', '2.5M', '1e-05', '2', '-0.25')
    """
    if x == 0:
        return "0"
    a = abs(x)
    if a >= 1e6:
        return f"{x / 1e6:.3g}M"
    if a >= 1e4:
        return f"{x / 1e3:.3g}k"
    if a >= 1000:
        return f"{x:.0f}"
    if a < 1e-3:
        return f"{x:.3g}"
    text = f"{x:.3g}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """About n round tick values covering [lo, hi].

    >>> ticks(0.0, 1.0)
    [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    """
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo]
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = min((m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw), default=10 * mag)
    start = math.ceil(lo / step - 1e-9) * step
    out = []
    v = start
    while v <= hi + 1e-9 * step:
        out.append(round(v, 12))
        v += step
    return out


def _bounds(values: Sequence[float], pad: float = 0.0) -> tuple[float, float]:
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return 0.0, 1.0
    lo, hi = min(finite), max(finite)
    if hi == lo:
        lo, hi = lo - 0.5, hi + 0.5
    span = hi - lo
    return lo - pad * span, hi + pad * span


class Frame:
    """A plotting area mapping data coordinates to pixels, with axes and labels."""

    def __init__(self, kind: str, title: str, xlim: tuple[float, float], ylim: tuple[float, float],
                 xlabel: str = "", ylabel: str = "", width: int = WIDTH, height: int = HEIGHT, top: int = MARGIN_T) -> None:
        self.kind, self.title, self.xlim, self.ylim, self.top = kind, title, xlim, ylim, top
        self.xlabel, self.ylabel, self.width, self.height = xlabel, ylabel, width, height
        self.parts: list[str] = []

    def x(self, v: float) -> float:
        lo, hi = self.xlim
        return MARGIN_L + (v - lo) / (hi - lo) * (self.width - MARGIN_L - MARGIN_R)

    def y(self, v: float) -> float:
        lo, hi = self.ylim
        return self.height - MARGIN_B - (v - lo) / (hi - lo) * (self.height - self.top - MARGIN_B)

    def axes(self, xticks: bool = True) -> None:
        x0, x1 = MARGIN_L, self.width - MARGIN_R
        y0, y1 = self.height - MARGIN_B, self.top
        p = self.parts
        p.append(f'<line class="axis" x1="{x0}" y1="{y0}" x2="{x1}" y2="{y0}" stroke="#444"/>')
        p.append(f'<line class="axis" x1="{x0}" y1="{y0}" x2="{x0}" y2="{y1}" stroke="#444"/>')
        for t in ticks(*self.ylim):
            yy = self.y(t)
            p.append(f'<line x1="{x0}" y1="{yy:.1f}" x2="{x1}" y2="{yy:.1f}" stroke="#eee"/>')
            p.append(f'<text x="{x0 - 4}" y="{yy + 4:.1f}" font-size="10" text-anchor="end">{_esc(fmt(t))}</text>')
        if xticks:
            for t in ticks(*self.xlim):
                xx = self.x(t)
                p.append(f'<text x="{xx:.1f}" y="{y0 + 14}" font-size="10" text-anchor="middle">{_esc(fmt(t))}</text>')
        if self.xlabel:
            p.append(f'<text x="{(x0 + x1) / 2:.1f}" y="{self.height - 8}" font-size="11" text-anchor="middle">{_esc(self.xlabel)}</text>')
        if self.ylabel:
            p.append(f'<text x="12" y="{(y0 + y1) / 2:.1f}" font-size="11" text-anchor="middle" '
                     f'transform="rotate(-90 12 {(y0 + y1) / 2:.1f})">{_esc(self.ylabel)}</text>')

    def render(self) -> str:
        title = f'<text x="{self.width / 2:.0f}" y="18" font-size="13" font-weight="bold" text-anchor="middle">{_esc(self.title)}</text>'
        return (
            f'<svg class="plot" data-kind="{_esc(self.kind)}" xmlns="http://www.w3.org/2000/svg" '
            f'width="{self.width}" height="{self.height}" viewBox="0 0 {self.width} {self.height}" role="img" '
            f'aria-label="{_esc(self.title)}"><rect width="100%" height="100%" fill="#fff"/>{title}{"".join(self.parts)}</svg>'
        )


def empty(kind: str, title: str, message: str) -> str:
    """A placeholder plot saying why there is nothing to draw."""
    f = Frame(kind, title, (0, 1), (0, 1))
    f.parts.append(f'<text class="empty" x="{WIDTH / 2}" y="{HEIGHT / 2}" font-size="12" text-anchor="middle" fill="#888">{_esc(message)}</text>')
    return f.render()


def histogram(values: Sequence[float], title: str, bins: int = 20, xlabel: str = "value", color: str = PALETTE[0]) -> str:
    """Counts of values in equal-width bins. A constant column (every value the same) is drawn as one narrow
    spike at its value with the words "all N values = v", not as a bar filling the plot."""
    vals = [float(v) for v in values if v is not None and math.isfinite(v)]
    if not vals:
        return empty("histogram", title, "no values")
    lo, hi = _bounds(vals)
    if min(vals) == max(vals):
        return _constant_histogram(vals[0], len(vals), title, xlabel, color)
    width = (hi - lo) / bins
    counts = [0] * bins
    for v in vals:
        counts[min(int((v - lo) / width), bins - 1)] += 1
    f = Frame("histogram", title, (lo, hi), (0, max(counts) * 1.05), xlabel, "count")
    f.axes()
    for i, c in enumerate(counts):
        x0, x1 = f.x(lo + i * width), f.x(lo + (i + 1) * width)
        y = f.y(c)
        f.parts.append(f'<rect class="bar" x="{x0:.1f}" y="{y:.1f}" width="{max(x1 - x0 - 1, 0.5):.1f}" '
                       f'height="{f.y(0) - y:.1f}" fill="{color}"><title>{_esc(fmt(lo + i * width))}..{_esc(fmt(lo + (i + 1) * width))}: {c}</title></rect>')
    return f.render()


def _constant_histogram(value: float, n: int, title: str, xlabel: str, color: str) -> str:
    lo, hi = value - 1.0, value + 1.0
    f = Frame("histogram", title, (lo, hi), (0, n * 1.25), xlabel, "count")
    f.axes()
    x0, x1 = f.x(value - 0.03), f.x(value + 0.03)
    y = f.y(n)
    f.parts.append(f'<rect class="bar" data-constant="true" x="{x0:.1f}" y="{y:.1f}" width="{x1 - x0:.1f}" '
                   f'height="{f.y(0) - y:.1f}" fill="{color}"><title>{_esc(fmt(value))}: {n}</title></rect>')
    f.parts.append(f'<text class="constant" x="{f.x(value):.1f}" y="{y - 6:.1f}" font-size="11" text-anchor="middle" '
                   f'fill="#555">constant: all {n} values = {_esc(fmt(value))}</text>')
    return f.render()


def bars(labels: Sequence[str], values: Sequence[float], title: str, ylabel: str = "", colors: Sequence[str] | None = None) -> str:
    """One bar per label."""
    if not labels:
        return empty("bars", title, "no values")
    top = max([v for v in values if math.isfinite(v)] + [0.0])
    bottom = min([v for v in values if math.isfinite(v)] + [0.0])
    f = Frame("bars", title, (0, len(labels)), (bottom, (top if top > bottom else bottom + 1) * 1.05), "", ylabel)
    f.axes(xticks=False)
    for i, (lab, v) in enumerate(zip(labels, values)):
        x0 = f.x(i + 0.15)
        w = f.x(i + 0.85) - x0
        y0, y1 = f.y(max(v, 0)), f.y(min(v, 0))
        color = (colors or PALETTE)[i % len(colors or PALETTE)]
        f.parts.append(f'<rect class="bar" x="{x0:.1f}" y="{y0:.1f}" width="{w:.1f}" height="{max(y1 - y0, 0.5):.1f}" fill="{color}">'
                       f'<title>{_esc(lab)}: {_esc(fmt(v))}</title></rect>')
        f.parts.append(f'<text x="{x0 + w / 2:.1f}" y="{f.height - MARGIN_B + 14}" font-size="10" text-anchor="middle">{_esc(lab[:14])}</text>')
        f.parts.append(f'<text x="{x0 + w / 2:.1f}" y="{y0 - 3:.1f}" font-size="10" text-anchor="middle">{_esc(fmt(v))}</text>')
    return f.render()


def lines(series: dict[str, tuple[Sequence[float], Sequence[float]]], title: str, xlabel: str = "", ylabel: str = "",
          markers: bool = True, width: int = WIDTH, height: int = HEIGHT) -> str:
    """One polyline per named series, with a legend."""
    xs = [x for s in series.values() for x in s[0]]
    ys = [y for s in series.values() for y in s[1] if y is not None and math.isfinite(y)]
    if not xs or not ys:
        return empty("lines", title, "no values")
    rows_needed = 1 + sum(min(len(n), 28) * 6 + 24 for n in series) // max(width - MARGIN_L - MARGIN_R, 1)
    f = Frame("lines", title, _bounds(xs), _bounds(ys, 0.05), xlabel, ylabel, width, height, top=MARGIN_T + 14 * rows_needed)
    f.axes()
    lx, ly = MARGIN_L, MARGIN_T - 4
    for k, (name, (sx, sy)) in enumerate(series.items()):
        color = PALETTE[k % len(PALETTE)]
        pts = [(f.x(x), f.y(y)) for x, y in zip(sx, sy) if y is not None and math.isfinite(y)]
        if not pts:
            continue
        path = " ".join(f"{a:.1f},{b:.1f}" for a, b in pts)
        f.parts.append(f'<polyline class="line" data-series="{_esc(name)}" points="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
        if markers and len(pts) <= 60:
            for a, b in pts:
                f.parts.append(f'<circle class="point" cx="{a:.1f}" cy="{b:.1f}" r="2.5" fill="{color}"/>')
        label = name[:28]
        step = len(label) * 6 + 24
        if lx + step > f.width - MARGIN_R:
            lx, ly = MARGIN_L, ly + 14
        f.parts.append(f'<rect class="legend" x="{lx}" y="{ly}" width="10" height="3" fill="{color}"/>'
                       f'<text x="{lx + 14}" y="{ly + 5}" font-size="10">{_esc(label)}</text>')
        lx += step
    return f.render()


def scatter(xs: Sequence[float], ys: Sequence[float], title: str, xlabel: str = "", ylabel: str = "", limit: int = 2000) -> str:
    """Points (the first ``limit``), with the least-squares line."""
    pts = [(float(x), float(y)) for x, y in zip(xs, ys) if y is not None and x is not None and math.isfinite(x) and math.isfinite(y)]
    if not pts:
        return empty("scatter", title, "no values")
    f = Frame("scatter", title, _bounds([p[0] for p in pts], 0.02), _bounds([p[1] for p in pts], 0.05), xlabel, ylabel)
    f.axes()
    for a, b in pts[:limit]:
        f.parts.append(f'<circle class="point" cx="{f.x(a):.1f}" cy="{f.y(b):.1f}" r="2.2" fill="{PALETTE[0]}" fill-opacity="0.5"/>')
    n = len(pts)
    mx = sum(p[0] for p in pts) / n
    my = sum(p[1] for p in pts) / n
    sxx = sum((p[0] - mx) ** 2 for p in pts)
    if sxx > 0:
        slope = sum((p[0] - mx) * (p[1] - my) for p in pts) / sxx
        lo, hi = f.xlim
        ylo, yhi = f.ylim
        if slope != 0:  # keep the segment inside the frame
            xa, xb = sorted(((ylo - my) / slope + mx, (yhi - my) / slope + mx))
            lo, hi = max(lo, xa), min(hi, xb)
        if lo < hi:
            f.parts.append(f'<line class="fit" x1="{f.x(lo):.1f}" y1="{f.y(my + slope * (lo - mx)):.1f}" '
                           f'x2="{f.x(hi):.1f}" y2="{f.y(my + slope * (hi - mx)):.1f}" stroke="{PALETTE[1]}" stroke-width="1.5"/>')
    return f.render()


def _diverging(v: float) -> str:
    """-1 blue .. 0 white .. +1 red."""
    if not math.isfinite(v):
        return "#ddd"
    v = max(-1.0, min(1.0, v))
    if v >= 0:
        g = int(255 * (1 - v))
        return f"rgb(255,{g},{g})"
    g = int(255 * (1 + v))
    return f"rgb({g},{g},255)"


def heatmap(matrix: Sequence[Sequence[float]], labels: Sequence[str], title: str) -> str:
    """A square matrix in [-1, 1] (e.g. correlations) with values written in the cells."""
    n = len(labels)
    if n == 0:
        return empty("heatmap", title, "no components")
    cell = 56.0
    size = int(110 + cell * n + 10)
    parts = []
    for i in range(n):
        for j in range(n):
            v = matrix[i][j]
            x, y = 100 + j * cell, 30 + i * cell
            label = "-" if not math.isfinite(v) else f"{v:.2f}"
            parts.append(f'<rect class="cell" x="{x:.1f}" y="{y:.1f}" width="{cell - 1:.1f}" height="{cell - 1:.1f}" fill="{_diverging(v)}">'
                         f'<title>{_esc(labels[i])} / {_esc(labels[j])}: {label}</title></rect>')
            parts.append(f'<text x="{x + cell / 2:.1f}" y="{y + cell / 2 + 4:.1f}" font-size="10" text-anchor="middle">{label}</text>')
        parts.append(f'<text x="96" y="{30 + i * cell + cell / 2 + 4:.1f}" font-size="10" text-anchor="end">{_esc(labels[i][:14])}</text>')
        cx, cy = 100 + i * cell + cell / 2, 30 + n * cell + 8
        parts.append(f'<text x="{cx:.1f}" y="{cy:.1f}" font-size="10" text-anchor="end" transform="rotate(-40 {cx:.1f} {cy:.1f})">{_esc(labels[i][:14])}</text>')
    h = int(30 + n * cell + 70)
    return (f'<svg class="plot" data-kind="heatmap" xmlns="http://www.w3.org/2000/svg" width="{size}" height="{h}" '
            f'viewBox="0 0 {size} {h}" role="img" aria-label="{_esc(title)}"><rect width="100%" height="100%" fill="#fff"/>'
            f'<text x="{size / 2:.0f}" y="18" font-size="13" font-weight="bold" text-anchor="middle">{_esc(title)}</text>{"".join(parts)}</svg>')


def standalone(svg: str) -> str:
    """An SVG element as a standalone .svg file."""
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + svg + "\n"
