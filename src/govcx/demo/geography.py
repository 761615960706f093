"""The demo country's map: regions that tile a bounding box, their towns and population shares."""

from __future__ import annotations

import random
from dataclasses import dataclass

from govcx.demo.country import CAPITAL_CITY

# Open ocean in the mid-Atlantic, so the invented country sits on no real one.
WEST, EAST, SOUTH, NORTH = -45.0, -39.0, 40.4, 43.6
COLUMNS, ROWS = 4, 2

# (column, row) from the south-west corner; the capital sits on the south coast.
REGION_NAMES: dict[tuple[int, int], tuple[str, str]] = {
    (0, 1): ("COA", "Coastreach"), (1, 1): ("NOR", "Northmarch"), (2, 1): ("HIG", "Highmoor"),
    (3, 1): ("EAS", "Eastvale"), (0, 0): ("WES", "Westhollow"), (1, 0): ("CAP", f"{CAPITAL_CITY} Capital Region"),
    (2, 0): ("LAK", "Lakeshore"), (3, 0): ("SOU", "Southfen"),
}
CAPITAL_CODE = "CAP"

_TOWN_HEADS = ("Ash", "Bel", "Bram", "Cor", "Dun", "El", "Fair", "Glen", "Hart", "Kings", "Lin", "Mar", "Oak",
               "Pen", "Ros", "Stan", "Thorn", "Wil", "Wyn", "Gar", "Hol", "Ked", "Lor", "Mel", "Tam", "Ves")
_TOWN_TAILS = ("ford", "ton", "bury", "field", "wick", "mouth", "dale", "haven", "stead", "bridge", "port",
               "moor", "by", "holm")

Point = tuple[float, float]


@dataclass(frozen=True)
class Town:
    name: str
    postal_prefix: str  # three digits; a household's postal code adds two more
    weight: float


@dataclass(frozen=True)
class RegionPlan:
    code: str
    name: str
    is_capital: bool
    share: float
    ring: tuple[Point, ...]  # closed, counter-clockwise, [lon, lat]
    centroid: Point
    towns: tuple[Town, ...]

    @property
    def shape(self) -> dict[str, object]:
        return {"type": "Polygon", "coordinates": [[list(p) for p in self.ring]]}


def _round(p: Point) -> Point:
    return (round(p[0], 4), round(p[1], 4))


def _vertices(rng: random.Random) -> dict[tuple[int, int], Point]:
    """Grid corners, jittered; corners on the border move only along it so the box stays whole."""
    dx, dy = (EAST - WEST) / COLUMNS, (NORTH - SOUTH) / ROWS
    points = {}
    for i in range(COLUMNS + 1):
        for j in range(ROWS + 1):
            x, y = WEST + i * dx, SOUTH + j * dy
            # Under a quarter of a cell, so every cell stays convex enough to be a simple polygon.
            if 0 < i < COLUMNS:
                x += rng.uniform(-0.2, 0.2) * dx
            if 0 < j < ROWS:
                y += rng.uniform(-0.2, 0.2) * dy
            points[i, j] = _round((x, y))
    return points


def _wiggle(rng: random.Random, a: Point, b: Point, *, on_border: bool) -> list[Point]:
    """Points from a to b (both included) with two bends, so borders look drawn, not ruled."""
    if on_border:
        return [a, _round((a[0] + (b[0] - a[0]) / 3, a[1] + (b[1] - a[1]) / 3)),
                _round((a[0] + 2 * (b[0] - a[0]) / 3, a[1] + 2 * (b[1] - a[1]) / 3)), b]
    nx, ny = -(b[1] - a[1]), b[0] - a[0]  # the normal; scaled by the edge's length
    bends = []
    for t in (1 / 3, 2 / 3):
        off = rng.uniform(-0.07, 0.07)
        bends.append(_round((a[0] + t * (b[0] - a[0]) + off * nx, a[1] + t * (b[1] - a[1]) + off * ny)))
    return [a, *bends, b]


def _rings(rng: random.Random) -> dict[tuple[int, int], tuple[Point, ...]]:
    """One closed ring per cell, built from shared edges so neighbours meet exactly."""
    v = _vertices(rng)
    across = {(i, j): _wiggle(rng, v[i, j], v[i + 1, j], on_border=j in (0, ROWS))
              for i in range(COLUMNS) for j in range(ROWS + 1)}
    up = {(i, j): _wiggle(rng, v[i, j], v[i, j + 1], on_border=i in (0, COLUMNS))
          for i in range(COLUMNS + 1) for j in range(ROWS)}
    rings = {}
    for i in range(COLUMNS):
        for j in range(ROWS):
            bottom, right = across[i, j], up[i + 1, j]
            top, left = across[i, j + 1][::-1], up[i, j][::-1]
            ring = bottom + right[1:] + top[1:] + left[1:]  # ends where it starts: closed
            rings[i, j] = tuple(ring)
    return rings


def signed_area(ring: tuple[Point, ...] | list[Point]) -> float:
    """Shoelace area of a closed ring; positive when counter-clockwise."""
    return sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring, ring[1:], strict=False)) / 2


def centroid(ring: tuple[Point, ...]) -> Point:
    area = signed_area(ring)
    cx = sum((x0 + x1) * (x0 * y1 - x1 * y0) for (x0, y0), (x1, y1) in zip(ring, ring[1:], strict=False))
    cy = sum((y0 + y1) * (x0 * y1 - x1 * y0) for (x0, y0), (x1, y1) in zip(ring, ring[1:], strict=False))
    return _round((cx / (6 * area), cy / (6 * area)))


def _towns(rng: random.Random, *, region_number: int, is_capital: bool, used: set[str]) -> tuple[Town, ...]:
    names = [CAPITAL_CITY] if is_capital else []
    count = rng.randint(4, 6)
    while len(names) < count:
        name = rng.choice(_TOWN_HEADS) + rng.choice(_TOWN_TAILS)
        if name not in used:
            used.add(name)
            names.append(name)
    # Zipf-like: the first town is the region's seat; the capital city dwarfs its suburbs.
    weights = [(6.0 if is_capital and k == 0 else 1.0) / (k + 1) for k in range(len(names))]
    return tuple(Town(name, f"{region_number}{k:02d}", weights[k]) for k, name in enumerate(names))


def plan_regions(*, rng: random.Random) -> list[RegionPlan]:
    """Draw the regions: shapes tiling the country's box, towns, and population shares (capital largest)."""
    rings = _rings(rng)
    capital_share = rng.uniform(0.30, 0.38)
    others = {cell: rng.uniform(0.6, 1.4) for cell in REGION_NAMES if REGION_NAMES[cell][0] != CAPITAL_CODE}
    total = sum(others.values())
    used: set[str] = {CAPITAL_CITY}
    plans = []
    for number, cell in enumerate(sorted(REGION_NAMES, key=lambda c: REGION_NAMES[c][0]), start=1):
        code, name = REGION_NAMES[cell]
        is_capital = code == CAPITAL_CODE
        share = capital_share if is_capital else (1 - capital_share) * others[cell] / total
        plans.append(RegionPlan(
            code=code, name=name, is_capital=is_capital, share=share, ring=rings[cell],
            centroid=centroid(rings[cell]), towns=_towns(rng, region_number=number, is_capital=is_capital, used=used),
        ))
    return plans


def apportion(*, total: int, shares: list[float]) -> list[int]:
    """Split `total` into whole counts proportional to `shares` (largest remainder), summing exactly."""
    exact = [total * s / sum(shares) for s in shares]
    counts = [int(x) for x in exact]
    by_remainder = sorted(range(len(shares)), key=lambda k: (exact[k] - counts[k], -k), reverse=True)
    for k in by_remainder[: total - sum(counts)]:
        counts[k] += 1
    return counts
