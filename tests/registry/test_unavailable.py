"""Which database errors count as the database being unavailable (503) and which stay bugs (500)."""

import psycopg
import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.backends.postgresql.base import DatabaseWrapper

from registry.unavailable import database_unavailable
from tests.lab import free_port

pytestmark = pytest.mark.django_db


def raised(run) -> Exception:
    with pytest.raises(Exception) as caught:  # noqa: PT011 (the kind is what the tests look at)
        run()
    return caught.value


def test_a_refused_connection_is_unavailability():
    settings = {**connection.settings_dict, "PORT": free_port(), "NAME": "nothing"}
    closed = DatabaseWrapper(settings, alias="closed-port")
    exc = raised(closed.ensure_connection)
    assert isinstance(exc, OperationalError) and database_unavailable(exc)


def test_a_connection_closed_under_the_request_is_unavailability():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    connection.connection.close()  # as a server gone away leaves it
    exc = raised(lambda: connection.cursor().execute("SELECT 1"))
    assert database_unavailable(exc)
    connection.close()


def test_query_and_data_errors_stay_errors(contributor):
    duplicate = raised(transaction.atomic()(lambda: get_user_model().objects.create(username=contributor.username)))
    assert isinstance(duplicate, IntegrityError) and not database_unavailable(duplicate)

    def slow_query():
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL statement_timeout = 1")
            cursor.execute("SELECT pg_sleep(1)")
    cancelled = raised(slow_query)  # an OperationalError too, but of the query, not the connection
    assert isinstance(cancelled, OperationalError) and isinstance(cancelled.__cause__, psycopg.errors.QueryCanceled)
    assert not database_unavailable(cancelled)
    assert not database_unavailable(ValueError("not a database error"))
