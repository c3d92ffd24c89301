"""Partial dates: '2025', '2025-03' or '2025-03-14', stored as a date plus its precision."""

import calendar
import datetime
import re

from django.core.exceptions import ValidationError
from django.utils import formats
from django.utils.translation import gettext as _

from adoption.choices import DatePrecision

# ASCII digits only (\d would take other scripts' digits too), and nothing after the date, not even "\n".
_PARTIAL = re.compile(r"^([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?\Z")


def parse_partial_date(value: str) -> tuple[datetime.date, str]:
    """'2025-03' -> (date(2025, 3, 1), 'month'). Raises ValidationError naming the accepted forms."""
    match = _PARTIAL.match((value or "").strip())
    if not match:
        raise ValidationError(_("Enter a date as YYYY, YYYY-MM or YYYY-MM-DD."), code="invalid_partial_date")
    year, month, day = match.groups()
    try:
        date = datetime.date(int(year), int(month or 1), int(day or 1))
    except ValueError as exc:
        raise ValidationError(_("%(value)s is not a real date.") % {"value": value},
                              code="invalid_partial_date") from exc
    precision = DatePrecision.DAY if day else DatePrecision.MONTH if month else DatePrecision.YEAR
    return date, precision


def period_end(date: datetime.date, precision: str) -> datetime.date:
    """The last day of the period a partial date names: (2024-02-01, 'month') -> 2024-02-29. Never steps past
    date.max (until=9999 is the end of 9999, not an overflow)."""
    if precision == DatePrecision.YEAR:
        return date.replace(month=12, day=31)
    if precision == DatePrecision.MONTH:
        return date.replace(day=calendar.monthrange(date.year, date.month)[1])
    return date


def format_partial_date(date: datetime.date | None, precision: str) -> str:
    """The inverse of parse_partial_date: (date(2025, 3, 1), 'month') -> '2025-03'."""
    if date is None:
        return ""
    if precision == DatePrecision.YEAR:
        return f"{date:%Y}"
    if precision == DatePrecision.MONTH:
        return f"{date:%Y-%m}"
    return date.isoformat()


def localized_partial_date(date: datetime.date | None, precision: str) -> str:
    """A partial date for readers, in the active language's formats: '2025', 'March 2025' (mars 2025...),
    '14 March 2025'. Data and forms keep format_partial_date's ISO form."""
    if date is None:
        return ""
    if precision == DatePrecision.YEAR:
        return str(date.year)
    return formats.date_format(date, "YEAR_MONTH_FORMAT" if precision == DatePrecision.MONTH else "DATE_FORMAT")
