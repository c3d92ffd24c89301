"""Requests the registry makes to addresses people typed (evidence links, webhooks): public web only.

The one set of rules: only http(s), no credentials in the URL, never localhost nor a non-public address
(private, loopback, link-local, multicast, reserved, unspecified, and IPv4 addresses wrapped in IPv6).
A host is resolved first and every address it resolves to must be public; the connection then goes to
the address that was checked, so a second DNS answer cannot swap in another one (DNS rebinding), while
TLS still verifies the certificate for the URL's own host name. Nothing here follows a redirect.

`allowed` networks are an exception for tests, which run servers of their own on loopback.
"""

import http.client
import ipaddress
import socket
import ssl
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _


class BlockedAddress(Exception):
    """The URL points at an address the registry must not contact."""


def allowed_networks(setting: str) -> list:
    """The networks a setting lets through (empty in production; tests allow loopback)."""
    return [ipaddress.ip_network(net) for net in getattr(settings, setting, [])]


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


def _blocked(address, allowed) -> bool:
    return non_public(address) and not any(address in network for network in allowed)


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


def unreachable_url_reason(url: str, *, allowed=()) -> str | None:
    """Why `url` can never be fetched from the public web, judged from the text alone (no DNS):
    another scheme than http(s), credentials, localhost, or a literal non-public address."""
    try:
        parts = urlsplit((url or "").strip())
        host = parts.hostname or ""
    except ValueError:
        return _("it is not a valid web address")
    if parts.scheme.lower() not in ("http", "https"):
        return _("only http:// and https:// addresses can be cited")
    if parts.username is not None or parts.password is not None:
        return _("it contains a user name or password")
    name = host.rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return _("it points at this computer (localhost)")
    address = literal_address(host)
    if address is not None and _blocked(address, allowed):
        return _("it points at a non-public address (%(address)s)") % {"address": address}
    return None


def public_address(host: str, port: int, *, allowed=()) -> str:
    """Resolve `host` and return one address to connect to; raise BlockedAddress unless all are public
    (or in `allowed`), OSError when the name does not resolve."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise OSError(f"cannot resolve {host}") from exc
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    for address in addresses:
        if _blocked(address, allowed):
            raise BlockedAddress(f"{host} resolves to a non-public address ({address})")
    return str(addresses[0])


def open_connection(url: str, *, allowed=(), timeout: float = 10) -> tuple[http.client.HTTPConnection, str, str]:
    """A connection to the checked public address of `url`'s host, with the request path and the Host
    header to send: `(connection, path, host)`. Raises BlockedAddress before any socket is opened."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BlockedAddress("only http and https URLs are contacted")
    if parts.username is not None or parts.password is not None:
        raise BlockedAddress("URLs with a user name or password are not contacted")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    address = public_address(parts.hostname, port, allowed=allowed)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    sock = socket.create_connection((address, port), timeout=timeout)
    if parts.scheme == "https":
        conn = http.client.HTTPSConnection(address, port, timeout=timeout)
        try:
            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=parts.hostname)
        except (OSError, ValueError):
            sock.close()
            raise
    else:
        conn = http.client.HTTPConnection(address, port, timeout=timeout)
    conn.sock = sock
    return conn, path, parts.netloc.rsplit("@", 1)[-1]
