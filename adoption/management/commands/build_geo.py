"""Convert the Natural Earth TopoJSON into the project's country shapes (run once; commit the output)."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand

from adoption import geo


class Command(BaseCommand):
    help = "Convert data/geo/countries-50m.json (TopoJSON, ISO numeric ids) into data/geo/countries.geojson (iso2)."

    def add_arguments(self, parser):
        parser.add_argument("--source", default=str(geo.TOPOJSON_PATH), help="TopoJSON file to read.")
        parser.add_argument("--output", default=str(geo.GEOJSON_PATH), help="GeoJSON file to write.")

    def handle(self, *args, source, output, **options):
        collection, skipped = geo.build_countries_geojson(Path(source))
        text = json.dumps(collection, separators=(",", ":"), ensure_ascii=False)
        Path(output).write_text(text + "\n", encoding="utf-8")
        self.stdout.write(f"{len(collection['features'])} countries written to {output} ({len(text) // 1024} KiB)")
        if skipped:
            self.stdout.write(f"Skipped (no ISO 3166 code in m49_regions.csv): {', '.join(skipped)}")
