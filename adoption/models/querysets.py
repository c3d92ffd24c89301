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

    def submissions_visible_to(self, user):
        """The submissions pages and API: a contributor's own records in every status; curators every record."""
        if is_curator(user):
            return self
        if getattr(user, "is_authenticated", False):
            return self.filter(created_by=user)
        return self.none()

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
    """An unpublished organization is a proposal: its page is its proposer's (and the curators') alone, and
    another contributor learns no more of it than that it awaits review (when they propose the same name)."""

    def published(self):
        """Organizations the public lists: published, merged ones aside."""
        return self.filter(is_published=True, merged_into__isnull=True)

    def visible_to(self, user):
        """Organizations whose page `user` may open: published ones and their own proposals; curators all."""
        if is_curator(user):
            return self
        if getattr(user, "is_authenticated", False):
            return self.filter(models.Q(is_published=True) | models.Q(created_by=user))
        return self.filter(is_published=True)

    def selectable_by(self, user):
        """Organizations `user` may name as the adopter of a record: visible_to(user), plus a shared proposal
        their own records already name (they joined it by proposing the same name); curators all."""
        if is_curator(user):
            return self
        if not getattr(user, "is_authenticated", False):
            return self.filter(is_published=True)
        joined = self.model.objects.filter(adoptions__created_by=user).values("pk")
        return self.filter(models.Q(is_published=True) | models.Q(created_by=user) | models.Q(pk__in=joined))
