"""The registry's public events: publications, changes and retractions of records, read from the
moderation log that the workflow services write. The Atom feed lists them; webhooks deliver them."""

from django.utils import translation

from adoption.choices import Action, Status
from adoption.models import Adoption, ModerationEvent

from . import PUBLIC_COMMENTS, PUBLIC_EVENTS

# What each public action means to someone following the registry.
PUBLISHED, CHANGED, RETRACTED = "published", "changed", "retracted"
EVENT_KINDS = {
    Action.APPROVE: PUBLISHED,
    Action.IMPORT: PUBLISHED,
    Action.CHANGE_APPROVED: CHANGED,
    Action.RETRACT: RETRACTED,
}
FEED_LENGTH = 50


def followable_adoptions():
    """Records that were ever public (published, or retracted after): the ones events can be about."""
    return Adoption.objects.filter(status__in=(Status.PUBLISHED, Status.RETRACTED))


def public_events(adoptions, *, limit: int = FEED_LENGTH) -> list[ModerationEvent]:
    """The latest public events of these records, newest first, with what a feed entry shows. Comments
    are kept only where the public may read them (a retraction's reason)."""
    events = list(
        ModerationEvent.objects.filter(action__in=PUBLIC_EVENTS, adoption__in=adoptions.values("pk"))
        .select_related("adoption__adopter", "adoption__family", "change_request")
        .order_by("-created_at", "-id")[:limit]
    )
    for event in events:
        if event.action not in PUBLIC_COMMENTS:
            event.comment = ""
    return events


def event_kind(event: ModerationEvent) -> str:
    """published, changed or retracted."""
    return EVENT_KINDS[event.action]


def event_title(event: ModerationEvent) -> str:
    """'Published: AI Singapore builds on Qwen (fine-tune)', as plain text."""
    adoption = event.adoption
    with translation.override("en"):  # feed entries and webhook payloads are English whoever asks
        relation = str(adoption.get_relation_display())
    if relation[1:2].islower():  # 'Fine-tune' reads 'fine-tune' mid-sentence; 'API integration' stays
        relation = relation[0].lower() + relation[1:]
    return f"{event_kind(event).capitalize()}: {adoption.adopter.name} builds on {adoption.family.name} ({relation})"


def changed_fields(event: ModerationEvent) -> list[str]:
    """The fields an approved change request set (empty for other events)."""
    if event.action != Action.CHANGE_APPROVED or event.change_request is None:
        return []
    return sorted(event.change_request.proposed)
