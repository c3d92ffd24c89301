"""Recompute the map summary from the published records (after a bulk import or a restore)."""

import time

from django.core.management.base import BaseCommand

from adoption.maps.repair import rebuild


class Command(BaseCommand):
    help = "Recompute every map summary cell from the published adoptions, in one transaction."

    def handle(self, *args, **options):
        started = time.perf_counter()
        cells = rebuild()
        self.stdout.write(f"Map summary rebuilt: {cells} cells in {time.perf_counter() - started:.2f} s.")
