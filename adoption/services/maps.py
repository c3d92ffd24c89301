"""Map aggregates: kept in step with publication inside the same transaction.

The moderation services call `summary_record_published` when a record becomes published (approve,
approved change request: after the change) and `summary_record_unpublished` when it stops counting
(retract; approved change request: before the change), always inside their transaction.
"""

from adoption.models import Adoption


def summary_record_published(adoption: Adoption) -> None:
    """Count a record that has just become published (placeholder until the maps issue lands)."""


def summary_record_unpublished(adoption: Adoption) -> None:
    """Stop counting a record that was published, as it stood while published."""
