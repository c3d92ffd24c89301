"""Tests that start, break and restart real services of their own (tests/lab.py)."""

from tests.lab import lab_dir, lab_postgres, lab_redis  # noqa: F401 (fixtures)
from tests.services.served import registry_env  # noqa: F401 (fixture)
