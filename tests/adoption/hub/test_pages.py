"""The Hub's signal beside the curated map: /map/ shows the latest snapshot's download shares under both
attributions, with what cannot be attributed stated; nothing before any import."""

import re

import pytest

from .snapshot import jsonl, registry
from .test_import import run

pytestmark = pytest.mark.django_db


def _shares_table(page: str) -> dict[str, tuple[str, str]]:
    section = page[page.index('id="hub-shares-heading"'):]
    section = section[:section.index("</table>")]
    return {name: (origin, uploader) for name, origin, uploader in re.findall(
        r'<th scope="row">([^<]+)</th><td class="num">([^<]+)</td><td class="num">([^<]+)</td>', section)}


def test_the_map_page_shows_download_shares_by_base_origin_and_by_uploader(tmp_path, client):
    registry()
    run(jsonl(tmp_path / "models.jsonl"))

    table = _shares_table(client.get("/map/").content.decode())

    # By hand (tests/adoption/hub/snapshot.py): 1726 downloads; base origin CN 1658, US 20, unknown 48;
    # uploader CN 1500 (Qwen), SG 100 (AI Singapore), unknown 126.
    assert table["China"] == (f"{1658 / 1726 * 100:.1f}%", f"{1500 / 1726 * 100:.1f}%")
    assert table["United States"] == (f"{20 / 1726 * 100:.1f}%", "0.0%")
    assert table["Singapore"] == ("0.0%", f"{100 / 1726 * 100:.1f}%")
    assert table["Unknown"] == (f"{48 / 1726 * 100:.1f}%", f"{126 / 1726 * 100:.1f}%")
    assert table["Other countries"] == ("0.0%", "0.0%")


def test_before_any_import_the_map_page_has_no_hub_section(client):
    assert "hub-shares-heading" not in client.get("/map/").content.decode()
