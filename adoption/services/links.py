"""Link health of evidence URLs, checked by a Celery task.

Only public addresses are ever contacted: every hop's host is resolved first and a private, loopback,
link-local, multicast or reserved address marks the link `blocked` without a request (contributors
type these URLs, so the checker must not become a way to probe our own network). Redirects are
followed by hand, up to a few hops, each hop checked the same way.
"""

import http.client
import ipaddress
import logging
import socket
import ssl
from datetime import timedelta
from urllib.parse import urljoin, urlsplit

from django.conf import settings
from django.utils import timezone

from adoption.choices import LinkStatus
from adoption.models import Evidence

from . import queue

logger = logging.getLogger(__name__)

MAX_REDIRECTS = 5
TIMEOUT_SECONDS = 10
USER_AGENT = "ModelAdoptionRegistry-linkcheck/1.0 (+evidence link health)"
RECHECK_AFTER = timedelta(days=30)


class BlockedAddress(Exception):
    """The URL points at an address the checker must not contact."""


def _allowed_networks() -> list:
    # Empty in production; tests allow the loopback network to check a server of their own.
    return [ipaddress.ip_network(net) for net in getattr(settings, "LINK_CHECK_ALLOWED_NETWORKS", [])]


# IPv6 prefixes that carry an IPv4 address in their last 32 bits (IPv4-compatible, NAT64); :: and ::1
# fall in the first too, and come out as 0.0.0.0 and 0.0.0.1: not public either way.
_EMBEDDING_V4 = (ipaddress.ip_network("::/96"), ipaddress.ip_network("64:ff9b::/96"))


def non_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Loopback, private, link-local, reserved, multicast, unspecified...: anything but a public
    unicast address, including an IPv4 one wrapped in IPv6 (::ffff:127.0.0.1, 6to4, Teredo, NAT64)."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour or (address.teredo or (None, None))[1]
        if embedded is None and any(address in network for network in _EMBEDDING_V4):
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None and non_public(embedded):
            return True
    return not address.is_global or address.is_multicast


def literal_address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address a URL's host names literally, in any form a browser or resolver accepts
    ('127.1', '0x7f000001', '2130706433', '[::1]', a trailing dot); None for a name."""
    host = (host or "").strip("[]").rstrip(".")
    try:
        return ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        pass
    if not host or not host.replace(".", "").isalnum() or not host.isascii():
        return None
    try:  # the classic inet_aton forms: shortened, hex, octal, a single number
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


def unreachable_url_reason(url: str) -> str | None:
    """Why `url` can never be fetched from the public web, judged from the text alone (no DNS):
    another scheme than http(s), credentials, localhost, or a literal non-public address."""
    try:
        parts = urlsplit((url or "").strip())
        host = parts.hostname or ""
    except ValueError:
        return "it is not a valid web address"
    if parts.scheme.lower() not in ("http", "https"):
        return "only http:// and https:// addresses can be cited"
    if parts.username is not None or parts.password is not None:
        return "it contains a user name or password"
    name = host.rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return "it points at this computer (localhost)"
    address = literal_address(host)
    if address is not None and non_public(address):
        return f"it points at a non-public address ({address})"
    return None


def public_address(host: str, port: int) -> str:
    """Resolve `host` and return one address to connect to; raise BlockedAddress unless all are public."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise OSError(f"cannot resolve {host}") from exc
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    allowed = _allowed_networks()
    for address in addresses:
        if any(address in network for network in allowed):
            continue
        if non_public(address):
            raise BlockedAddress(f"{host} resolves to a non-public address ({address})")
    return str(addresses[0])


def _request(url: str) -> tuple[int, str | None]:
    """One HEAD (then GET when HEAD is refused) to the checked address; returns (status, Location)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BlockedAddress("only http and https URLs are checked")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    address = public_address(parts.hostname, port)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    for method in ("HEAD", "GET"):
        # Connect to the address that was checked (no second DNS answer can swap it), while TLS
        # verifies the certificate for the URL's own host name.
        sock = socket.create_connection((address, port), timeout=TIMEOUT_SECONDS)
        if parts.scheme == "https":
            conn = http.client.HTTPSConnection(address, port, timeout=TIMEOUT_SECONDS)
            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=parts.hostname)
        else:
            conn = http.client.HTTPConnection(address, port, timeout=TIMEOUT_SECONDS)
        conn.sock = sock
        try:
            conn.request(method, path, headers={"Host": parts.netloc.rsplit("@", 1)[-1], "User-Agent": USER_AGENT})
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
