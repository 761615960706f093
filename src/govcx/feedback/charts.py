"""Trend charts drawn on the server as SVG bars, no script and no inline style; always shown beside a table."""

from __future__ import annotations

from dataclasses import dataclass

WIDTH, HEIGHT, PAD, AXIS = 640, 220, 24, 36


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    title: str
    css_class: str


@dataclass(frozen=True)
class TrendChart:
    width: int
    height: int
    bars: list[Bar]
    baseline: float
    gridlines: list[tuple[float, str]]


def percent_bars(points: list[tuple[str, float | None]], *, what: str) -> TrendChart:
    """Bars for percentages (0..1) by period; a withheld (suppressed) value is drawn as a hatched stub."""
    plot = HEIGHT - PAD - AXIS
    step = (WIDTH - 2 * PAD - AXIS) / max(len(points), 1)
    bars = []
    for n, (label, value) in enumerate(points):
        x = PAD + AXIS + n * step + step * 0.15
        if value is None:
            bars.append(Bar(x, PAD + plot - 4, step * 0.7, 4, label, f"{label}: {what} suppressed",
                            "chart-fill--withheld"))
            continue
        height = plot * value
        bars.append(Bar(x, PAD + plot - height, step * 0.7, height, label, f"{label}: {what} {value:.0%}",
                        "chart-fill--4"))
    grid = [(PAD + plot - plot * f, f"{f:.0%}") for f in (0, 0.25, 0.5, 0.75, 1)]
    return TrendChart(width=WIDTH, height=HEIGHT, bars=bars, baseline=PAD + plot, gridlines=grid)
