"""Visibility as queryset verbs: every view starts from one of these, never from a bare .all()."""

from django.db import models

from adoption.choices import Status
from adoption.roles import is_curator

REVIEW_QUEUE = (Status.SUBMITTED, Status.IN_REVIEW)
# Statuses anyone may read a record in: published, and retracted (DESIGN §3).
READABLE_STATUSES = (Status.PUBLISHED, Status.RETRACTED)


class AdoptionQuerySet(models.QuerySet):
    def published(self):
        """Records the public sees and the maps count."""
        return self.filter(status=Status.PUBLISHED)

    def pending_review(self):
        """The curators' queue: submitted and in review."""
        return self.filter(status__in=REVIEW_QUEUE)

    def visible_to(self, user):
        """Published records, plus the user's own; curators see everything."""
        if is_curator(user):
            return self
        if getattr(user, "is_authenticated", False):
            return self.filter(models.Q(status=Status.PUBLISHED) | models.Q(created_by=user))
        return self.published()

    def readable_by(self, user):
        """Records whose page and history `user` may open: visible_to(user), plus retracted records, which
        leave the maps but stay readable with their history."""
        if is_curator(user):
            return self
        readable = models.Q(status__in=READABLE_STATUSES)
        if getattr(user, "is_authenticated", False):
            readable |= models.Q(created_by=user)
        return self.filter(readable)

    def with_related(self):
        """What a list or brief serializer needs, in one query."""
        return self.select_related(
            "adopter__country", "family__origin_country", "checkpoint", "created_by"
        )


class OrganizationQuerySet(models.QuerySet):
    def published(self):
        return self.filter(is_published=True, merged_into__isnull=True)

    def visible_to(self, user):
        if is_curator(user):
            return self
        if getattr(user, "is_authenticated", False):
            return self.filter(models.Q(is_published=True) | models.Q(created_by=user))
        return self.filter(is_published=True)
