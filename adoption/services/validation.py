"""The checks a record's content passes on every write, and what a submission needs on top of them.

Below both the records service (drafts and edits) and moderation (the submit action)."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from adoption.models import Adoption, Organization


def full_clean(record: Adoption, errors: dict) -> None:
    """Model validation (choices, constraints, checkpoint family) merged with errors found so far."""
    try:
        record.full_clean(exclude=[name for name in errors if name != "non_field_errors"])
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault("non_field_errors" if field == "__all__" else field, []).extend(messages)
    if errors:
        raise ValidationError(errors)


def check_adopter(adopter: Organization | None, user, errors: dict, *, current_id: int | None = None) -> None:
    """An adopter is an organization the user may name (published, proposed by them or already named by
    their records), or the record's own adopter. Others' proposals are not revealed: no such organization."""
    if adopter is None:
        errors.setdefault("adopter", [_("Choose an existing organization or propose a new one.")])
    elif adopter.is_published or adopter.pk == current_id:
        return
    elif not Organization.objects.selectable_by(user).filter(pk=adopter.pk).exists():
        errors.setdefault("adopter", [_("No such organization: choose one in the registry, or propose a new one.")])


def validate_for_submission(record: Adoption, user) -> None:
    """What a submission needs beyond a valid draft: at least one source and an allowed adopter."""
    errors: dict = {}
    if not record.evidence.exists():
        errors["evidence"] = [_("Cite at least one source (an http:// or https:// address) before submitting.")]
    check_adopter(record.adopter, user, errors, current_id=record.adopter_id)
    full_clean(record, errors)
