"""The statistics and the fiscal calendar behind the KPIs."""

from datetime import date

import pytest

from govcx.core.errors import Invalid
from govcx.feedback.kpis import fiscal_quarter, nps_score, quarter_bounds, two_proportion_test, wilson


def test_wilson_interval_of_a_known_proportion():
    p = wilson(7, 10)

    assert (round(p.low, 4), round(p.high, 4)) == (0.3968, 0.8922)


def test_wilson_interval_stays_inside_zero_and_one_at_the_edges():
    assert wilson(0, 5).low == 0.0 and wilson(5, 5).high == 1.0


def test_a_large_difference_in_large_samples_is_significant():
    z, p = two_proportion_test(400, 1000, 500, 1000)

    assert round(z, 2) == 4.49 and p < 0.001


def test_nps_is_promoters_minus_detractors_in_points():
    assert nps_score(promoters=5, detractors=2, n=10).value == pytest.approx(30.0)


def test_the_fiscal_year_starting_in_october_names_october_2025_fy2026_q1():
    assert fiscal_quarter(date(2025, 10, 1), 10) == (2026, 1)
    assert fiscal_quarter(date(2025, 9, 30), 10) == (2025, 4)
    assert quarter_bounds("FY2026Q1", 10) == (date(2025, 10, 1), date(2026, 1, 1))
    assert quarter_bounds("fy2026q4", 1) == (date(2026, 10, 1), date(2027, 1, 1))


def test_a_quarter_not_written_like_fy2026q1_is_refused():
    with pytest.raises(Invalid):
        quarter_bounds("2026-Q1", 10)
