"""manage.py load_reference_data (contract): geography, families and the reference adoptions."""

import sys

from django.core.management.base import BaseCommand
from tqdm import tqdm

from adoption.services.reference import DATA_DIR, load_reference_data


class Command(BaseCommand):
    help = "Load UN M49 regions, all countries, the model families and the reference adoptions (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--data-dir", default=str(DATA_DIR), help="Folder holding m49_regions.csv and reference/.")

    def handle(self, *args, data_dir, verbosity, **options):
        from pathlib import Path

        # A progress bar on a terminal only; logs and CI get the summary alone.
        show_bar = verbosity > 0 and sys.stderr.isatty()

        def progress(rows):
            return tqdm(rows, desc="Adoptions", unit="row", disable=not show_bar)

        report = load_reference_data(Path(data_dir), progress=progress)
        if verbosity == 0:
            return
        labels = ("regions", "countries", "organizations", "families", "checkpoints", "adoptions")
        self.stdout.write("What this run did:")
        for label in labels:
            self.stdout.write(
                f"  {label:<14} created {report.created[label]:>4}   unchanged {report.unchanged[label]:>4}"
                f"   updated {report.updated[label]:>4}"
            )
        if report.flagged:
            self.stdout.write(self.style.WARNING(f"Imported with flags for curators ({len(report.flagged)}):"))
            for reference_id, flags in sorted(report.flagged.items()):
                self.stdout.write(f"  {reference_id}: {', '.join(flags)}")
        for record_id, names in sorted(report.missing_families.items()):
            self.stdout.write(self.style.WARNING(
                f"  {record_id} names families the catalogue lacks, not imported for them: {', '.join(names)}"
            ))
        if report.changed:
            self.stdout.write(self.style.SUCCESS("Reference data loaded."))
        else:
            self.stdout.write(self.style.SUCCESS("Nothing to do: the reference data is already loaded, no changes."))
