"""Partial dates at the ends of the calendar: the end of a period never steps past date.max (issue 11); shown to
readers in their language's formats (issue 17)."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from adoption.dates import localized_partial_date, parse_partial_date, period_end


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


@pytest.mark.parametrize(("language", "precision", "shown"), [
    ("en", "year", "2025"), ("en", "month", "March 2025"), ("en", "day", "March 14, 2025"),
    ("fr", "month", "mars 2025"), ("fr", "day", "14 mars 2025"), ("es", "month", "marzo de 2025"),
])
def test_a_partial_date_reads_in_the_readers_language(language, precision, shown):
    with translation.override(language):
        assert localized_partial_date(datetime.date(2025, 3, 14), precision) == shown
    assert localized_partial_date(None, "day") == ""
