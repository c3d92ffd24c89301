"""Partial dates: '2025', '2025-03' or '2025-03-14', stored as a date plus its precision."""

import datetime
import re

from django.core.exceptions import ValidationError

from adoption.choices import DatePrecision

_PARTIAL = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def parse_partial_date(value: str) -> tuple[datetime.date, str]:
    """'2025-03' -> (date(2025, 3, 1), 'month'). Raises ValidationError naming the accepted forms."""
    match = _PARTIAL.match((value or "").strip())
    if not match:
        raise ValidationError("Enter a date as YYYY, YYYY-MM or YYYY-MM-DD.", code="invalid_partial_date")
    year, month, day = match.groups()
    try:
        date = datetime.date(int(year), int(month or 1), int(day or 1))
    except ValueError as exc:
        raise ValidationError(f"{value} is not a real date.", code="invalid_partial_date") from exc
    precision = DatePrecision.DAY if day else DatePrecision.MONTH if month else DatePrecision.YEAR
    return date, precision


def format_partial_date(date: datetime.date | None, precision: str) -> str:
    """The inverse of parse_partial_date: (date(2025, 3, 1), 'month') -> '2025-03'."""
    if date is None:
        return ""
    if precision == DatePrecision.YEAR:
        return f"{date:%Y}"
    if precision == DatePrecision.MONTH:
        return f"{date:%Y-%m}"
    return date.isoformat()
