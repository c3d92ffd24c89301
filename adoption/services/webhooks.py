"""Webhooks: signed-in users follow the registry's public events at a URL of their own.

A webhook's filters are the adoption list's parameters (one vocabulary), its URL must be a public web
address (the rules of `outbound`, shared with the link checker). Once a publication, change or
retraction commits, `webhook_dispatch` gives each webhook whose filters match the record one delivery:
a JSON body (the event and the record as the API shows it) signed with the webhook's secret. A Celery
task POSTs it (`webhook_deliver`), retried with backoff; each attempt is logged on the delivery. The
address is resolved and checked again at every attempt (a name may point elsewhere since it was
created), the connection goes to the address checked, and a redirect is an answer, never followed.
"""

import hashlib
import hmac
import http.client
import json
import logging
import time
from datetime import timedelta
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from adoption.choices import DeliveryStatus
from adoption.filtersets import AdoptionEventFilterSet
from adoption.models import Adoption, ModerationEvent, Webhook, WebhookDelivery
from adoption.selectors import PUBLIC_COMMENTS, PUBLIC_EVENTS
from adoption.selectors.events import event_kind

from . import outbound, queue
from .errors import ActionForbidden

logger = logging.getLogger(__name__)

MAX_WEBHOOKS_PER_USER = 20
MAX_ATTEMPTS = 10  # the task retries MAX_ATTEMPTS - 1 times
BACKOFF_MAX = timedelta(hours=1)  # the longest wait between two attempts
SWEEP_GRACE = timedelta(minutes=15)
SECRET_MIN_LENGTH = 16
TIMEOUT_SECONDS = 10
SIGNATURE_HEADER = "X-Registry-Signature"
USER_AGENT = "ModelAdoptionRegistry-webhooks/1.0"


class DeliveryFailed(Exception):
    """An attempt the receiver did not accept (an error, a timeout, a non-2xx answer): try again later."""


def _allowed() -> list:
    # Empty in production; tests allow the loopback network to receive deliveries on a server of their own.
    return outbound.allowed_networks("WEBHOOK_ALLOWED_NETWORKS")


def signature(secret: str, body: bytes) -> str:
    """The X-Registry-Signature header: 'sha256=' and the hex HMAC-SHA256 of the body with the secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def webhook_url_problem(url: str) -> str | None:
    """Why `url` cannot receive webhooks, or None: http(s) only, and its host resolves to public addresses."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        return _("Enter a full web address starting with http:// or https://.")
    if parts.scheme.lower() not in ("http", "https") or not host:
        return _("Enter a full web address starting with http:// or https://.")
    if reason := outbound.unreachable_url_reason(url, allowed=_allowed()):
        return _("This address cannot receive webhooks: %(reason)s.") % {"reason": reason}
    try:
        outbound.public_address(host, port or (443 if parts.scheme.lower() == "https" else 80), allowed=_allowed())
    except outbound.BlockedAddress as exc:
        return _("This address cannot receive webhooks: %(reason)s.") % {"reason": exc}
    except OSError:
        return _("%(host)s does not resolve to an address: check the host name.") % {"host": host}
    return None


def webhook_filters_clean(filters) -> dict[str, str]:
    """The filters as the adoption list's parameters, cleaned (slugs and codes normalised); a
    ValidationError keyed by parameter names what is wrong, as the list's 400 does."""
    if not isinstance(filters, dict):
        raise ValidationError({"filters": [_('Give the filters as an object of parameters, e.g. {"family": "qwen"}.')]})
    data, errors = {}, {}
    for key, value in filters.items():
        if isinstance(value, list | tuple):
            value = ",".join(str(item) for item in value)
        if not isinstance(value, str | int) or isinstance(value, bool) or not str(value).strip():
            errors[key] = [_("Give a value (text, or a list of values), or leave the parameter out.")]
            continue
        data[key] = str(value)
    if errors:
        raise ValidationError(errors)
    filterset = AdoptionEventFilterSet(data or None, queryset=Adoption.objects.none())
    if filterset.is_bound and not filterset.is_valid():
        raise ValidationError(filterset.form.parameter_errors())
    return filterset.form.query() if filterset.is_bound else {}


def webhook_create(*, user, url: str, filters: dict | None = None, secret: str) -> Webhook:
    """A webhook of `user`'s: its URL checked (public addresses only), its filters cleaned."""
    if not getattr(user, "is_authenticated", False):
        raise ActionForbidden(_("Sign in to create a webhook."))
    errors: dict = {}
    url = (url or "").strip()
    if problem := webhook_url_problem(url):
        errors["url"] = [problem]
    try:
        cleaned = webhook_filters_clean(filters or {})
    except ValidationError as exc:
        errors["filters"] = [f"{key}: {message}" if key != "filters" else message
                             for key, messages in exc.message_dict.items() for message in messages]
    if len(secret or "") < SECRET_MIN_LENGTH:
        errors["secret"] = [ngettext("Choose a secret of at least %(count)s character.",
                                       "Choose a secret of at least %(count)s characters.",
                                       SECRET_MIN_LENGTH) % {"count": SECRET_MIN_LENGTH}]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        # Counted under the owner's row lock, so two requests at once cannot pass the limit together.
        type(user).objects.select_for_update().filter(pk=user.pk).first()
        if Webhook.objects.filter(owner=user).count() >= MAX_WEBHOOKS_PER_USER:
            raise ValidationError({"url": [ngettext(
                "You have %(count)s webhook already: delete one first.",
                "You have %(count)s webhooks already: delete one first.",
                MAX_WEBHOOKS_PER_USER) % {"count": MAX_WEBHOOKS_PER_USER}]})
        return Webhook.objects.create(owner=user, url=url, filters=cleaned, secret=secret)


def webhook_delete(*, webhook: Webhook, user) -> None:
    """Delete one of `user`'s webhooks with its delivery log (no further attempt is made)."""
    if webhook.owner_id != getattr(user, "pk", None):
        raise ActionForbidden(_("Only the owner of a webhook can delete it."))
    webhook.delete()


def queue_event(event: ModerationEvent) -> None:
    """Once the transaction commits, find the webhooks that follow this event's record (public events only)."""
    if event.action in PUBLIC_EVENTS:
        queue.send_on_commit(queue.DISPATCH_WEBHOOKS, (event.pk,))


def _matches(webhook: Webhook, adoption: Adoption) -> bool:
    if not webhook.filters:
        return True
    filterset = AdoptionEventFilterSet(webhook.filters, queryset=Adoption.objects.filter(pk=adoption.pk))
    if not filterset.is_valid():  # a family or adopter it names no longer exists: nothing matches
        logger.info("webhook %s: filters no longer valid: %s", webhook.pk, filterset.form.errors.as_json())
        return False
    return filterset.qs.exists()


def _body(event: ModerationEvent, represent) -> str:
    payload = {
        "event": {
            "id": event.pk, "kind": event_kind(event), "action": event.action,
            "time": event.created_at, "comment": event.comment if event.action in PUBLIC_COMMENTS else "",
        },
        "adoption": represent(event.adoption),
    }
    return json.dumps(payload, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))


def webhook_dispatch(*, event_id: int, represent) -> list[int]:
    """One delivery per webhook following the event's record (created before the event), queued to send.
    `represent(adoption)` is the record as the API shows it. Idempotent: run twice, it delivers once."""
    event = (ModerationEvent.objects.select_related("adoption").filter(pk=event_id, action__in=PUBLIC_EVENTS)
             .first())
    if event is None:
        return []
    body, queued = None, []
    for webhook in Webhook.objects.filter(created_at__lte=event.created_at).order_by("pk"):
        if not _matches(webhook, event.adoption):
            continue
        body = body if body is not None else _body(event, represent)
        delivery, created = WebhookDelivery.objects.get_or_create(
            webhook=webhook, event=event, defaults={"kind": event_kind(event), "body": body}
        )
        if created:
            queued.append(delivery.pk)
    queue.send_on_commit(queue.DELIVER_WEBHOOK, *[(pk,) for pk in queued])
    return queued


def _post(webhook: Webhook, delivery: WebhookDelivery) -> int:
    """One POST of the delivery's body; the receiver's HTTP status (BlockedAddress before any connection)."""
    body = delivery.body.encode()
    conn, path, host = outbound.open_connection(webhook.url, allowed=_allowed(), timeout=TIMEOUT_SECONDS)
    try:
        conn.request("POST", path, body=body, headers={
            "Host": host, "User-Agent": USER_AGENT, "Content-Type": "application/json",
            SIGNATURE_HEADER: signature(webhook.secret, body),
            "X-Registry-Event": delivery.kind, "X-Registry-Delivery": str(delivery.pk),
        })
        return conn.getresponse().status
    finally:
        conn.close()


def webhook_deliver(*, delivery_id: int, final: bool = False) -> str | None:
    """One attempt at a delivery, logged; raises DeliveryFailed for the task to retry, unless `final`
    (then the delivery is given up). An address that is not public blocks it at once, without retries."""
    delivery = WebhookDelivery.objects.select_related("webhook").filter(pk=delivery_id).first()
    if delivery is None or delivery.status not in (DeliveryStatus.PENDING, DeliveryStatus.RETRYING):
        return delivery.status if delivery else None
    final = final or len(delivery.attempts) + 1 >= MAX_ATTEMPTS  # a swept delivery keeps its count
    started, code, error = time.monotonic(), None, ""
    try:
        code = _post(delivery.webhook, delivery)
        outcome = DeliveryStatus.DELIVERED if 200 <= code < 300 else None
        if outcome is None:
            error = "redirects are not followed" if 300 <= code < 400 else "the receiver did not accept it"
    except outbound.BlockedAddress as exc:
        outcome, error = DeliveryStatus.BLOCKED, str(exc)
    except (OSError, http.client.HTTPException, ValueError) as exc:  # unreachable, timed out, garbled
        outcome, error = None, f"{type(exc).__name__}: {exc}"
    if outcome is None:
        outcome = DeliveryStatus.FAILED if final else DeliveryStatus.RETRYING
    attempt = {"at": timezone.now().isoformat(), "status_code": code, "error": error,
               "duration_ms": round((time.monotonic() - started) * 1000)}
    with transaction.atomic():
        row = WebhookDelivery.objects.select_for_update().filter(pk=delivery_id).first()
        if row is None:  # the webhook was deleted meanwhile
            return None
        row.attempts = [*row.attempts, attempt]
        row.status = outcome
        row.last_attempt_at = timezone.now()
        if outcome == DeliveryStatus.DELIVERED:
            row.delivered_at = row.last_attempt_at
        row.save(update_fields=["attempts", "status", "last_attempt_at", "delivered_at"])
    if outcome == DeliveryStatus.RETRYING:
        raise DeliveryFailed(f"delivery {delivery_id}: {code or error}")
    return outcome


def webhook_deliveries_due(limit: int = 200) -> list[int]:
    """Deliveries whose task was lost (a broker outage, a worker gone): never tried though queued a while
    ago, or due for a retry long past the longest backoff. The periodic sweep queues them again."""
    now = timezone.now()
    never_tried = WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING, created_at__lt=now - SWEEP_GRACE)
    overdue = WebhookDelivery.objects.filter(
        status=DeliveryStatus.RETRYING, last_attempt_at__lt=now - BACKOFF_MAX - SWEEP_GRACE
    )
    return list((never_tried | overdue).order_by("created_at", "id").values_list("id", flat=True)[:limit])
