"""The KPI engine: trust, satisfaction, drivers, CES, NPS and response rate by group and period,
with 95% intervals, period-over-period tests, and suppression of small cells.

SQL does the heavy part on the operational store: one aggregate query per fact table, grouped by
the chosen dimension and by calendar month (by day for weeks). Months roll up into fiscal quarters
here (the sums are additive), which keeps the SQL the same on SQLite and PostgreSQL. `compute` is the boundary an
analytics-store implementation can replace: same arguments, same `KpiCell`s.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass, field, fields
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, case, extract, func, select
from sqlalchemy.orm import Session

from govcx.core.bounded import fiscal_quarter_bounds
from govcx.core.errors import Invalid
from govcx.feedback.models import Invitation, Response
from govcx.feedback.schemas import (
    DRIVER_BIT,
    Change,
    Dimension,
    KpiCell,
    KpiFilters,
    Period,
    Proportion,
    Score,
)

Z95 = 1.959963984540054


# Statistics ------------------------------------------------------------------------------------


def wilson(successes: int, n: int, z: float = Z95) -> Proportion:
    """A proportion with its Wilson score interval."""
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return Proportion(value=p, low=max(0.0, centre - half), high=min(1.0, centre + half), successes=successes, n=n)


def normal_cdf(x: float) -> float:
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


def two_proportion_test(k1: int, n1: int, k2: int, n2: int) -> tuple[float, float]:
    """Return (z, two-sided p) for the difference between proportions k2/n2 and k1/n1."""
    pooled = (k1 + k2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return 0.0, 1.0
    z = (k2 / n2 - k1 / n1) / se
    return z, 2 * (1 - normal_cdf(abs(z)))


def nps_score(promoters: int, detractors: int, n: int) -> Score:
    """Net promoter score (-100..100) with a normal-approximation 95% interval."""
    pp, pd = promoters / n, detractors / n
    value = pp - pd
    half = Z95 * math.sqrt(max(pp + pd - value * value, 0.0) / n)
    return Score(value=100 * value, low=100 * (value - half), high=100 * (value + half), n=n)


def mean_score(total: int, squares: int, n: int) -> Score:
    mean = total / n
    variance = max(squares / n - mean * mean, 0.0) * n / (n - 1) if n > 1 else 0.0
    half = Z95 * math.sqrt(variance / n)
    return Score(value=mean, low=mean - half, high=mean + half, n=n)


# Periods ---------------------------------------------------------------------------------------


def fiscal_quarter(day: date, start_month: int) -> tuple[int, int]:
    """The (fiscal year, quarter) of `day` when the fiscal year starts in `start_month` (named by its end year)."""
    year = day.year + (1 if start_month > 1 and day.month >= start_month else 0)
    return year, (day.month - start_month) % 12 // 3 + 1


def quarter_bounds(label: str, start_month: int) -> tuple[date, date]:
    """First day and first day after a fiscal quarter named like FY2026Q1."""
    try:
        _, _, first, after = fiscal_quarter_bounds(label, start_month)
    except ValueError as exc:
        raise Invalid(str(exc)) from None
    return first, after


def period_of(day: date, period: Period, start_month: int) -> tuple[str, date]:
    """The label and first day of the period holding `day`."""
    if period is Period.WEEK:
        monday = day - timedelta(days=day.weekday())
        iso = monday.isocalendar()
        return f"{iso.year}-W{iso.week:02d}", monday
    if period is Period.MONTH:
        return f"{day.year}-{day.month:02d}", day.replace(day=1)
    year, quarter = fiscal_quarter(day, start_month)
    label = f"FY{year}Q{quarter}"
    return label, quarter_bounds(label, start_month)[0]


def period_last_day(start: date, period: Period) -> date:
    """The last day of the period that begins on `start` (a Monday, a month's or a quarter's first day)."""
    if period is Period.WEEK:
        return start + timedelta(days=6)
    months = 1 if period is Period.MONTH else 3
    month_index = start.month - 1 + months
    return date(start.year + month_index // 12, month_index % 12 + 1, 1) - timedelta(days=1)


# The query -------------------------------------------------------------------------------------


@dataclass
class Counts:
    """Additive sums for one cell; every KPI is derived from these."""

    n: int = 0
    trust_n: int = 0
    trust_yes: int = 0
    satisfied_n: int = 0
    satisfied_yes: int = 0
    ces_n: int = 0
    ces_easy: int = 0
    ces_sum: int = 0
    ces_squares: int = 0
    nps_n: int = 0
    promoters: int = 0
    detractors: int = 0
    drivers_n: int = 0
    positive: dict[str, int] = field(default_factory=dict)
    negative: dict[str, int] = field(default_factory=dict)
    invited: int = 0
    answered_invitations: int = 0

    def add(self, other: Counts) -> None:
        for f in fields(self):
            if f.name in ("positive", "negative"):
                mine = getattr(self, f.name)
                for k, v in getattr(other, f.name).items():
                    mine[k] = mine.get(k, 0) + v
            else:
                setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


_SCALARS = [f.name for f in fields(Counts) if f.name not in ("positive", "negative", "invited",
                                                               "answered_invitations")]


def _flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.sum(case((condition, 1), else_=0))


def _response_aggregates() -> list[ColumnElement[Any]]:
    r = Response
    columns = [
        func.count(), func.count(r.trust), func.coalesce(func.sum(r.trust), 0),
        func.count(r.satisfied), func.coalesce(func.sum(r.satisfied), 0),
        func.count(r.ces_score), _flag(r.ces_score >= 5), func.coalesce(func.sum(r.ces_score), 0),
        func.coalesce(func.sum(r.ces_score * r.ces_score), 0),
        func.count(r.nps_score), _flag(r.nps_score >= 9), _flag(r.nps_score <= 6),
        func.coalesce(func.sum(r.drivers_answered), 0),
    ]
    columns += [_flag(r.drivers_positive.op("&")(bit) != 0) for bit in DRIVER_BIT.values()]
    columns += [_flag(r.drivers_negative.op("&")(bit) != 0) for bit in DRIVER_BIT.values()]
    return columns


_DIMENSIONS = {
    Dimension.AGENCY: "agency_id", Dimension.SERVICE: "service_id", Dimension.CHANNEL: "channel",
    Dimension.TOUCHPOINT: "touchpoint", Dimension.REGION: "region_id",
}


def _filtered(stmt: Any, model: Any, day_column: Any, filters: KpiFilters) -> Any:
    for name in ("agency_id", "service_id", "touchpoint", "region_id"):
        value = getattr(filters, name)
        if value is not None:
            stmt = stmt.where(getattr(model, name) == value)
    if filters.channel is not None:
        stmt = stmt.where(model.channel == filters.channel.value)
    if filters.since is not None:
        stmt = stmt.where(day_column >= filters.since)
    if filters.until is not None:
        stmt = stmt.where(day_column <= filters.until)
    return stmt


def _grouped(model: Any, buckets: list[Any], day_column: Any, group_by: Dimension, aggregates: list[Any],
             filters: KpiFilters) -> Any:
    keys = buckets if group_by is Dimension.NONE else [getattr(model, _DIMENSIONS[group_by]), *buckets]
    stmt = select(*keys, *aggregates).group_by(*keys)
    return _filtered(stmt, model, day_column, filters)


def _buckets(day_column: Any, period: Period) -> list[Any]:
    # Weeks cross months, so they need days; months and quarters need only (year, month), which
    # keeps the rows SQL returns to a handful per group.
    if period is Period.WEEK:
        return [day_column]
    return [extract("year", day_column), extract("month", day_column)]


def _bucket_day(values: Any, period: Period) -> date:
    if period is Period.WEEK:
        day = values[0]
        return day if isinstance(day, date) else date.fromisoformat(str(day))
    return date(int(values[0]), int(values[1]), 1)


def bucket_counts(
    *, session: Session, group_by: Dimension, period: Period, filters: KpiFilters
) -> dict[tuple[Any, date], Counts]:
    """Sum responses and invitations per (group, day or month) in two SQL aggregate queries."""
    out: dict[tuple[Any, date], Counts] = defaultdict(Counts)
    drivers = [d.value for d in DRIVER_BIT]
    width = 0 if group_by is Dimension.NONE else 1
    size = 1 if period is Period.WEEK else 2
    statement = _grouped(Response, _buckets(Response.submitted_on, period), Response.submitted_on, group_by,
                         _response_aggregates(), filters)
    for row in session.execute(statement):
        key = (row[0] if width else None, _bucket_day(row[width:width + size], period))
        values = [int(v or 0) for v in row[width + size:]]
        counts = Counts(**dict(zip(_SCALARS, values[:len(_SCALARS)], strict=True)))
        rest = values[len(_SCALARS):]
        counts.positive = dict(zip(drivers, rest[:len(drivers)], strict=True))
        counts.negative = dict(zip(drivers, rest[len(drivers):], strict=True))
        out[key].add(counts)
    invitations = [func.count(), func.count(Invitation.used_at)]
    statement = _grouped(Invitation, _buckets(Invitation.sent_on, period), Invitation.sent_on, group_by,
                         invitations, filters)
    for row in session.execute(statement):
        key = (row[0] if width else None, _bucket_day(row[width:width + size], period))
        out[key].add(Counts(invited=int(row[width + size]), answered_invitations=int(row[width + size + 1])))
    return out


def _cell(group: Any, label: str, start: date, counts: Counts, threshold: int) -> KpiCell:
    cell = KpiCell(group=None if group is None else str(group), group_label=None, period=label, period_start=start,
                   responses=counts.n, suppressed=counts.n < threshold)
    if cell.suppressed:
        return cell  # never a number for a small group, not even a rate
    c = counts
    cell.trust = wilson(c.trust_yes, c.trust_n) if c.trust_n else None
    cell.satisfaction = wilson(c.satisfied_yes, c.satisfied_n) if c.satisfied_n else None
    if c.drivers_n:
        cell.drivers_positive = {d: wilson(k, c.drivers_n) for d, k in c.positive.items()}
        cell.drivers_negative = {d: wilson(k, c.drivers_n) for d, k in c.negative.items()}
    if c.ces_n:
        cell.ces_easy = wilson(c.ces_easy, c.ces_n)
        cell.ces_mean = mean_score(c.ces_sum, c.ces_squares, c.ces_n)
    cell.nps = nps_score(c.promoters, c.detractors, c.nps_n) if c.nps_n else None
    if c.invited:
        cell.response_rate = wilson(min(c.answered_invitations, c.invited), c.invited)
    return cell


def _changes(previous: KpiCell, current: KpiCell) -> list[Change]:
    out = []
    for measure in ("trust", "satisfaction"):
        before, now = getattr(previous, measure), getattr(current, measure)
        if before is None or now is None:
            continue
        z, p = two_proportion_test(before.successes, before.n, now.successes, now.n)
        out.append(Change(measure=measure, previous=before.value, current=now.value,
                          difference=now.value - before.value, z=z, p_value=p, significant=p < 0.05))
    return out


def compute(
    *, session: Session, group_by: Dimension, period: Period, filters: KpiFilters, fiscal_year_start_month: int,
    threshold: int,
) -> list[KpiCell]:
    """Return one KPI cell per (group, period), in group then period order, small cells suppressed."""
    rolled: dict[tuple[Any, str, date], Counts] = defaultdict(Counts)
    for (group, day), counts in bucket_counts(session=session, group_by=group_by, period=period,
                                              filters=filters).items():
        label, start = period_of(day, period, fiscal_year_start_month)
        rolled[(group, label, start)].add(counts)
    cells: list[KpiCell] = []
    previous: dict[Any, KpiCell] = {}
    for (group, label, start), counts in sorted(rolled.items(), key=lambda kv: (str(kv[0][0]), kv[0][2])):
        cell = _cell(group, label, start, counts, threshold)
        before = previous.get(group)
        if before is not None and not before.suppressed and not cell.suppressed:
            cell.changes = _changes(before, cell)
        previous[group] = cell
        cells.append(cell)
    return cells
