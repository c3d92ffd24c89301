"""Name search that ignores case and Latin accents ('sao paulo' finds 'São Paulo'), on PostgreSQL and SQLite.

PostgreSQL folds in the query (lower() then translate() over the accented Latin letters, no extension
needed); the SQLite demo has no translate(), so it folds in Python over the candidate rows instead.
"""

from django.db import connections
from django.db.models import Func, Q, TextField
from django.db.models.functions import Cast

from adoption.text import FOLD, fold

_FOLD_FROM, _FOLD_TO = "".join(FOLD), "".join(FOLD.values())


class Folded(Func):
    """adoption.text.fold() in SQL (PostgreSQL): TRANSLATE(LOWER(text), accented letters, plain letters)."""

    function = "LOWER"
    output_field = TextField()

    def as_postgresql(self, compiler, connection, **extra):
        sql, params = self.as_sql(compiler, connection, **extra)
        return f"TRANSLATE({sql}, %s, %s)", (*params, _FOLD_FROM, _FOLD_TO)


def search_names(queryset, text: str, fields: tuple[str, ...], list_fields: tuple[str, ...] = ()):
    """Rows of `queryset` where any of `fields` (text) or an item of `list_fields` (JSON lists of
    text, such as aliases) contains `text`, ignoring case and accents."""
    needle = fold(text)
    if not needle:
        return queryset
    search = search_in_sql if connections[queryset.db].vendor == "postgresql" else search_in_python
    return search(queryset, needle, fields, list_fields)


def search_in_sql(queryset, needle: str, fields, list_fields):
    folded = {f"_folded_{name}": Folded(name) for name in fields}
    folded |= {f"_folded_{name}": Folded(Cast(name, TextField())) for name in list_fields}
    matches = Q.create([(f"{key}__contains", needle) for key in folded], connector=Q.OR)
    return queryset.alias(**folded).filter(matches)


def search_in_python(queryset, needle: str, fields, list_fields):
    """The SQLite demo has no translate(): fold each candidate's names here; its data is small."""
    matches = [
        row[0] for row in queryset.values_list("pk", *fields, *list_fields)
        if any(needle in fold(value) for value in _texts(row[1:]))
    ]
    return queryset.filter(pk__in=matches)


def _texts(values):
    for value in values:
        if isinstance(value, list | tuple):
            yield from (str(item) for item in value)
        elif value is not None:
            yield str(value)
