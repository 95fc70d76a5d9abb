"""Small server-rendered SVG charts for the dashboard (no JavaScript, no library to load):
stacked bars per hour and lines per hour, with axis labels and a text alternative."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from markupsafe import Markup

WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 400, 170, 40, 20, 8


@dataclass(frozen=True)
class Series:
    name: str
    colour: str
    values: list[float | None]


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    for step in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 60_000, 300_000, 600_000):
        if value <= step:
            return float(step)
    return float(value)


def _frame(labels: list[str], top: float, unit: str, title: str, body: str) -> Markup:
    plot_w = WIDTH - LEFT - 8
    plot_h = HEIGHT - BOTTOM - TOP
    parts = [
        f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}" '
        'xmlns="http://www.w3.org/2000/svg" font-size="10.5" font-family="system-ui, sans-serif">',
        f"<title>{escape(title)}</title>",
    ]
    for frac in (0, 0.5, 1):
        y = TOP + plot_h * (1 - frac)
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - 8}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d1d5db"/>')
        parts.append(
            f'<text x="{LEFT - 4}" y="{y + 4:.1f}" text-anchor="end" fill="#374151">'
            f"{escape(_fmt(top * frac, unit))}</text>"
        )
    step = max(1, len(labels) // 6)
    for i, label in enumerate(labels):
        if i % step == 0 or i == len(labels) - 1:
            x = LEFT + plot_w * (i + 0.5) / len(labels)
            parts.append(
                f'<text x="{x:.1f}" y="{HEIGHT - 6}" text-anchor="middle" fill="#374151">'
                f"{escape(label)}</text>"
            )
    parts.append(body)
    parts.append("</svg>")
    return Markup("".join(parts))


def _fmt(value: float, unit: str) -> str:
    if unit == "ms":
        return f"{value / 1000:.0f} s" if value >= 1000 else f"{value:.0f} ms"
    return f"{value:.0f}"


def stacked_bars(labels: list[str], series: list[Series], title: str) -> Markup:
    totals = [sum(s.values[i] or 0 for s in series) for i in range(len(labels))]
    top = _nice_max(max(totals, default=0))
    plot_w, plot_h = WIDTH - LEFT - 8, HEIGHT - BOTTOM - TOP
    bar_w = plot_w / max(1, len(labels)) * 0.7
    rects = []
    for i in range(len(labels)):
        x = LEFT + plot_w * (i + 0.15) / len(labels)
        y = TOP + plot_h
        for s in series:
            v = s.values[i] or 0
            if v:
                h = plot_h * v / top
                y -= h
                rects.append(
                    f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" fill="{s.colour}">'
                    f"<title>{escape(labels[i])}: {escape(s.name)} {v:.0f}</title></rect>"
                )
    return _frame(labels, top, "", title, "".join(rects))


def lines(labels: list[str], series: list[Series], title: str, unit: str = "ms") -> Markup:
    values = [v for s in series for v in s.values if v is not None]
    top = _nice_max(max(values, default=0))
    plot_w, plot_h = WIDTH - LEFT - 8, HEIGHT - BOTTOM - TOP
    body = []
    for s in series:
        points = [
            (LEFT + plot_w * (i + 0.5) / len(labels), TOP + plot_h * (1 - v / top))
            for i, v in enumerate(s.values)
            if v is not None
        ]
        if len(points) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            body.append(f'<polyline points="{path}" fill="none" stroke="{s.colour}" stroke-width="2"/>')
        for (x, y), v in zip(points, [v for v in s.values if v is not None], strict=True):
            body.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{s.colour}"><title>{escape(s.name)} '
                f"{escape(_fmt(v, unit))}</title></circle>"
            )
    return _frame(labels, top, unit, title, "".join(body))
