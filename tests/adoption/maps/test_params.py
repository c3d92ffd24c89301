"""Map parameters: bad values named, partial dates."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from adoption.maps.params import MapParams

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("query", "bad"), [
    ({"group_by": "planet"}, "group_by"), ({"split": "mood"}, "split"), ({"unit": "kg"}, "unit"),
    ({"relation": "borrowing"}, "relation"), ({"stage": "x"}, "stage"), ({"adopter_kind": "x"}, "adopter_kind"),
    ({"country": "XX"}, "country"), ({"origin_country": "usa"}, "origin_country"), ({"region": "999"}, "region"),
    ({"since": "2024-13"}, "since"), ({"until": "soon"}, "until"), ({"since": "2025", "until": "2024"}, "until"),
    ({"as_of": "yesterday"}, "as_of"), ({"format": "xml"}, "format"), ({"grop_by": "city"}, "grop_by"),
    ({"sector": "x" * 101}, "sector"), ({"family": "no such!"}, "family"),
])
def test_bad_parameters_are_named(query, bad):
    with pytest.raises(ValidationError) as error:
        MapParams.from_query(query)
    assert bad in error.value.message_dict


def test_date_filters_take_partial_dates():
    params = MapParams.from_query({"since": "2024-02", "until": "2024-02"})
    assert (params.since, params.until) == (datetime.date(2024, 2, 1), datetime.date(2024, 2, 29))
    assert params.filters_echo() == {"since": "2024-02", "until": "2024-02"}
