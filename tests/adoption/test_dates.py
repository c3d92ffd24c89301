"""Partial dates at the ends of the calendar: the end of a period never steps past date.max (issue 11)."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from adoption.dates import parse_partial_date, period_end


@pytest.mark.parametrize(("text", "end"), [
    ("9999", datetime.date(9999, 12, 31)), ("9999-12", datetime.date(9999, 12, 31)),
    ("9999-12-31", datetime.date(9999, 12, 31)), ("2024-02", datetime.date(2024, 2, 29)),
    ("2023-02", datetime.date(2023, 2, 28)), ("0001", datetime.date(1, 12, 31)),
    ("2025-03-14", datetime.date(2025, 3, 14)),
])
def test_period_end_is_the_last_day_of_the_period(text, end):
    assert period_end(*parse_partial_date(text)) == end


@pytest.mark.parametrize("text", ["0000", "10000", "２０２５", "٢٠٢٥", "2025-1", "2025-00", "2025-02-30"])
def test_dates_outside_the_calendar_or_in_other_digits_are_refused(text):
    with pytest.raises(ValidationError):
        parse_partial_date(text)
