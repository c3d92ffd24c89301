"""Evidence link health: checked over HTTP, never against private addresses."""

import pytest

from adoption.choices import LinkStatus
from adoption.services import links


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/card", LinkStatus.OK),
        ("/moved", LinkStatus.REDIRECTED),
        ("/gone", LinkStatus.BROKEN),
        ("/loop", LinkStatus.BROKEN),
        ("/no-head", LinkStatus.OK),
        ("/to-private", LinkStatus.BLOCKED),
    ],
)
def test_link_status_over_http(site, path, expected):
    assert links.link_status_for(site + path) == expected


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://localhost:8000/admin/",
        "http://10.1.2.3/",
        "http://192.168.0.1/",
        "http://172.16.5.4/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://0.0.0.0/",
    ],
)
def test_private_and_loopback_addresses_are_blocked_without_a_request(url, settings):
    settings.LINK_CHECK_ALLOWED_NETWORKS = []
    assert links.link_status_for(url) == LinkStatus.BLOCKED


def test_unresolvable_host_is_broken():
    assert links.link_status_for("https://no-such-host.invalid/page") == LinkStatus.BROKEN
