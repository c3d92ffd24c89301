"""Emails to contributors when a curator decides on their record (sent by a Celery task, on commit).

Sending is idempotent: each moderation event is mailed at most once (its `notified_at` stamp is set
under a row lock), so a retried task or the catch-up sweep never mails twice.
"""

import datetime

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from adoption.choices import Action
from adoption.models import ModerationEvent
from adoption.services.accounts import account_language

# Lazy: each is translated when the email is written, inside the recipient's language (_send).
SUBJECTS = {
    # Translators: %(record)s in these decision emails is a record's name (the sentences add its number).
    Action.APPROVE: _("Your submission is published: %(record)s"),
    Action.REJECT: _("Your submission was rejected: %(record)s"),
    Action.REQUEST_CHANGES: _("Changes requested on your submission: %(record)s"),
    # Translators: a curator withdrew a published record from the counts (it stays readable).
    Action.RETRACT: _("A record you contributed was retracted: %(record)s"),
    Action.CHANGE_APPROVED: _("Your proposed change was applied: %(record)s"),
    Action.CHANGE_REJECTED: _("Your proposed change was not applied: %(record)s"),
}
SENTENCES = {
    Action.APPROVE: _("Your submission %(record)s is now published. Thank you!"),
    Action.REJECT: _("Your submission %(record)s was rejected."),
    Action.REQUEST_CHANGES: _("A curator asked for changes to your submission %(record)s. Edit it and submit it "
                              "again."),
    Action.RETRACT: _("The published record %(record)s was retracted: it no longer counts on the maps, but stays "
                      "readable with its history."),
    Action.CHANGE_APPROVED: _("Your proposed change to %(record)s was applied."),
    Action.CHANGE_REJECTED: _("Your proposed change to %(record)s was not applied."),
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
            gettext("Hello %(username)s,") % {"username": user.get_username()},
            "",
            SENTENCES[event.action] % {"record": f"#{event.adoption_id} {record}"},
        ]
        if event.comment:
            lines += ["", gettext("The curator wrote:"), event.comment]
        # A mail client needs an absolute link: SITE_URL says where the registry is served.
        url = f"{settings.SITE_URL.rstrip('/')}{event.adoption.get_absolute_url()}"
        lines += ["", gettext("See the record: %(url)s") % {"url": url}]
        send_mail(
            SUBJECTS[event.action] % {"record": record}, "\n".join(lines), settings.DEFAULT_FROM_EMAIL,
            [user.email],
        )


def notification_pending_ids(*, older_than: datetime.timedelta = SWEEP_AFTER) -> list[int]:
    """Decisions whose email was never sent (the task was lost, e.g. during a broker outage)."""
    return list(
        ModerationEvent.objects.filter(
            action__in=SUBJECTS, notified_at__isnull=True, created_at__lte=timezone.now() - older_than
        ).values_list("pk", flat=True)[:500]
    )
