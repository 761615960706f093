"""Charts drawn on the server as SVG: no script, no inline style (classes carry the colours).

Every chart is shown beside a table of the same numbers; the SVG is the picture, the table the data.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from govcx.web.i18n import format_number
from govcx.web.i18n import gettext as _

MAP_WIDTH = 640
_PAD = 8
BUCKETS = 5


@dataclass(frozen=True)
class Feature:
    """One area to draw: a GeoJSON Polygon or MultiPolygon in longitude/latitude, and its value."""

    title: str
    geometry: dict[str, Any]
    value: int | None  # None: withheld (e.g. suppressed), drawn apart from every bucket


@dataclass(frozen=True)
class Area:
    title: str
    path: str
    css_class: str


@dataclass(frozen=True)
class LegendEntry:
    label: str
    css_class: str


@dataclass(frozen=True)
class ChoroplethMap:
    width: int
    height: int
    areas: list[Area]
    legend: list[LegendEntry]


def _rings(geometry: dict[str, Any]) -> Iterable[Sequence[Sequence[float]]]:
    polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    for polygon in polygons:
        yield from polygon


def _buckets(values: list[int]) -> list[tuple[int, int]]:
    """Split the range of `values` into at most BUCKETS equal, non-empty integer intervals."""
    low, high = min(values), max(values)
    count = min(BUCKETS, high - low + 1)
    step = (high - low + 1) / count
    edges = [low + math.ceil(step * i) for i in range(count)] + [high + 1]
    return [(edges[i], edges[i + 1] - 1) for i in range(count)]


def choropleth(
    features: Sequence[Feature], *, withheld_label: str = "Withheld", say: Callable[[int], str] = format_number,
) -> ChoroplethMap | None:
    """Project `features` onto an SVG map shaded by value; None when no feature has a shape."""
    drawable = [f for f in features if f.geometry]
    if not drawable:
        return None
    points = [p for f in drawable for ring in _rings(f.geometry) for p in ring]
    west, east = min(p[0] for p in points), max(p[0] for p in points)
    south, north = min(p[1] for p in points), max(p[1] for p in points)
    # Equirectangular, squeezed by the cosine of the middle latitude so shapes keep their proportions.
    squeeze = math.cos(math.radians((north + south) / 2))
    span_x = max((east - west) * squeeze, 1e-9)
    span_y = max(north - south, 1e-9)
    scale = (MAP_WIDTH - 2 * _PAD) / span_x
    height = math.ceil(span_y * scale + 2 * _PAD)

    def project(lon: float, lat: float) -> str:
        return f"{_PAD + (lon - west) * squeeze * scale:.1f},{_PAD + (north - lat) * scale:.1f}"

    values = [f.value for f in drawable if f.value is not None]
    buckets = _buckets(values) if values else []

    # Fewer buckets than shades (a narrow range) still spread from light to dark.
    shades = [f"chart-fill--{1 + round(i * (BUCKETS - 1) / max(len(buckets) - 1, 1))}" for i in range(len(buckets))]

    def css_class(value: int | None) -> str:
        if value is None:
            return "chart-fill--withheld"
        return shades[next(i for i, (low, high) in enumerate(buckets) if low <= value <= high)]

    areas = [
        Area(
            title=f.title,
            path=" ".join("M" + " L".join(project(lon, lat) for lon, lat, *_ in ring) + " Z"
                          for ring in _rings(f.geometry)),
            css_class=css_class(f.value),
        )
        for f in drawable
    ]
    legend = [
        LegendEntry(say(low) if low == high else _("%(low)s to %(high)s") % {"low": say(low), "high": say(high)},
                    shade)
        for (low, high), shade in zip(buckets, shades, strict=True)
    ]
    if any(f.value is None for f in drawable):
        legend.append(LegendEntry(withheld_label, "chart-fill--withheld"))
    return ChoroplethMap(width=MAP_WIDTH, height=height, areas=areas, legend=legend)
