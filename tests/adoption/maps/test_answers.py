"""The cached answers follow the registry's data version."""

import pytest

from adoption.maps.answers import cached_answer
from adoption.maps.params import MapParams
from tests.adoption.maps.registry import make_geography, publish

pytestmark = pytest.mark.django_db


def test_cached_answer_follows_the_data_version(django_capture_on_commit_callbacks):
    make_geography()
    publish()
    params = MapParams.from_query({})
    assert cached_answer(params)["total"] == 1
    with django_capture_on_commit_callbacks(execute=True):  # the cached version is dropped on commit
        publish()
    assert cached_answer(params)["total"] == 2
    assert cached_answer(MapParams.from_query({}, timeseries=True), timeseries=True)["undated"] == 0
