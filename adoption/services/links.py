"""Link health of evidence URLs, checked by a Celery task.

Only public addresses are ever contacted (the rules of `outbound`): every hop's host is resolved first
and a private, loopback, link-local, multicast or reserved address marks the link `blocked` without a
request (contributors type these URLs, so the checker must not become a way to probe our own network).
Redirects are followed by hand, up to a few hops, each hop checked the same way.
"""

import http.client
import logging
from datetime import timedelta
from urllib.parse import urljoin

from django.conf import settings
from django.utils import timezone

from adoption.choices import LinkStatus
from adoption.models import Evidence

from . import outbound, queue
from .outbound import BlockedAddress

logger = logging.getLogger(__name__)

MAX_REDIRECTS = 5
TIMEOUT_SECONDS = 10
USER_AGENT = "ModelAdoptionRegistry-linkcheck/1.0 (+evidence link health)"
RECHECK_AFTER = timedelta(days=30)


def _allowed_networks() -> list:
    # Empty in production; tests allow the loopback network to check a server of their own.
    return outbound.allowed_networks("LINK_CHECK_ALLOWED_NETWORKS")


def _request(url: str) -> tuple[int, str | None]:
    """One HEAD (then GET when HEAD is refused) to the checked address; returns (status, Location)."""
    for method in ("HEAD", "GET"):
        conn, path, host = outbound.open_connection(url, allowed=_allowed_networks(), timeout=TIMEOUT_SECONDS)
        try:
            conn.request(method, path, headers={"Host": host, "User-Agent": USER_AGENT})
            response = conn.getresponse()
            status, location = response.status, response.getheader("Location")
        finally:
            conn.close()
        if method == "HEAD" and status in (403, 405, 501):
            continue  # some servers refuse HEAD: ask again with GET
        return status, location
    return status, location


def link_status_for(url: str) -> str:
    """The health of `url`: ok, redirected (to a working page), broken or blocked."""
    redirected = False
    current = url
    try:
        for _ in range(MAX_REDIRECTS + 1):
            status, location = _request(current)
            if status in (301, 302, 303, 307, 308) and location:
                redirected = True
                current = urljoin(current, location)
                continue
            if 200 <= status < 300:
                return LinkStatus.REDIRECTED if redirected else LinkStatus.OK
            return LinkStatus.BROKEN
        return LinkStatus.BROKEN  # a redirect loop
    except BlockedAddress as exc:
        logger.info("link check blocked for %s: %s", url, exc)
        return LinkStatus.BLOCKED
    except (OSError, http.client.HTTPException, ValueError) as exc:
        logger.info("link check failed for %s: %s", url, exc)
        return LinkStatus.BROKEN


def evidence_check_link(*, evidence_id: int) -> str | None:
    """Check one source and record its health and the time of the check (no history row: the
    checker is not a curator's edit)."""
    evidence = Evidence.objects.filter(pk=evidence_id).only("id", "url").first()
    if evidence is None:
        return None
    status = link_status_for(evidence.url)
    Evidence.objects.filter(pk=evidence_id).update(link_status=status, link_checked_at=timezone.now())
    return status


def evidence_due_for_check(limit: int = 200) -> list[int]:
    """Sources never checked, then those checked longest ago (past RECHECK_AFTER)."""
    stale = timezone.now() - RECHECK_AFTER
    unchecked = list(Evidence.objects.filter(link_checked_at__isnull=True).order_by("id")
                     .values_list("id", flat=True)[:limit])
    if len(unchecked) < limit:
        unchecked += list(Evidence.objects.filter(link_checked_at__lt=stale).order_by("link_checked_at")
                          .values_list("id", flat=True)[: limit - len(unchecked)])
    return unchecked


def queue_link_checks(evidence_ids) -> None:
    """Check these sources once the surrounding transaction commits, when a worker does it: run
    eagerly (the demo, tests) a check would hold the contributor's request on the network."""
    ids = list(evidence_ids)
    if ids and not getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False):
        queue.send_on_commit(queue.CHECK_EVIDENCE_LINK, *[(pk,) for pk in ids])
