"""Emails to contributors when a curator decides on their record (sent by a Celery task, on commit).

Sending is idempotent: each moderation event is mailed at most once (its `notified_at` stamp is set
under a row lock), so a retried task or the catch-up sweep never mails twice.
"""

import datetime

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation

from adoption.choices import Action
from adoption.models import ModerationEvent
from adoption.services.accounts import account_language

SUBJECTS = {
    Action.APPROVE: "Your submission is published: {record}",
    Action.REJECT: "Your submission was rejected: {record}",
    Action.REQUEST_CHANGES: "Changes requested on your submission: {record}",
    Action.RETRACT: "A record you contributed was retracted: {record}",
    Action.CHANGE_APPROVED: "Your proposed change was applied: {record}",
    Action.CHANGE_REJECTED: "Your proposed change was not applied: {record}",
}
SENTENCES = {
    Action.APPROVE: "Your submission {record} is now published. Thank you!",
    Action.REJECT: "Your submission {record} was rejected.",
    Action.REQUEST_CHANGES: "A curator asked for changes to your submission {record}. Edit it and submit it again.",
    Action.RETRACT: "The published record {record} was retracted: it no longer counts on the maps, but stays "
                    "readable with its history.",
    Action.CHANGE_APPROVED: "Your proposed change to {record} was applied.",
    Action.CHANGE_REJECTED: "Your proposed change to {record} was not applied.",
}
SWEEP_AFTER = datetime.timedelta(minutes=10)


def _recipient(event: ModerationEvent):
    """The person the decision concerns: the change request's proposer or the record's contributor."""
    if event.change_request_id:
        return event.change_request.created_by
    return event.adoption.created_by


def notification_send(*, event_id: int) -> bool:
    """Email the contributor about one decision; True when a message went out."""
    with transaction.atomic():
        event = (
            ModerationEvent.objects.select_for_update(of=("self",))
            .select_related(
                "adoption__adopter", "adoption__family", "adoption__created_by", "change_request__created_by"
            )
            .filter(pk=event_id, action__in=SUBJECTS).first()
        )
        if event is None or event.notified_at is not None:
            return False
        user = _recipient(event)
        sent = False
        if user is not None and user.email:
            _send(event, user)
            sent = True
        # Stamped even when there is nobody to mail, so the sweep stops looking at it.
        ModerationEvent.objects.filter(pk=event.pk).update(notified_at=timezone.now())
    return sent


def _send(event: ModerationEvent, user) -> None:
    """The decision email, in the language the recipient chose (their account's)."""
    with translation.override(account_language(user)):
        record = str(event.adoption)
        lines = [
            f"Hello {user.get_username()},",
            "",
            SENTENCES[event.action].format(record=f"#{event.adoption_id} {record}"),
        ]
        if event.comment:
            lines += ["", "The curator wrote:", event.comment]
        # A mail client needs an absolute link: SITE_URL says where the registry is served.
        lines += ["", f"See the record: {settings.SITE_URL.rstrip('/')}{event.adoption.get_absolute_url()}"]
        send_mail(
            SUBJECTS[event.action].format(record=record), "\n".join(lines), settings.DEFAULT_FROM_EMAIL,
            [user.email],
        )


def notification_pending_ids(*, older_than: datetime.timedelta = SWEEP_AFTER) -> list[int]:
    """Decisions whose email was never sent (the task was lost, e.g. during a broker outage)."""
    return list(
        ModerationEvent.objects.filter(
            action__in=SUBJECTS, notified_at__isnull=True, created_at__lte=timezone.now() - older_than
        ).values_list("pk", flat=True)[:500]
    )
