"""manage.py import_hub_snapshot FILE --date YYYY-MM-DD: import a snapshot of the Hub's model listing.

FILE is JSON Lines (one model per line, as the Hub's model listing API returns them) or Parquet (`.parquet`,
the public daily dumps' columns). The work is adoption.services.hub.snapshots; this prints the progress bar
and the summary. Re-importing a date replaces that snapshot; the same file gives the same figures."""

import datetime
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from adoption.selectors.corroboration import contradicted_records
from adoption.services.hub import parse
from adoption.services.hub.snapshots import NotPostgreSQL, hub_snapshot_import

SHOWN = 20  # malformed lines and models in cycles listed in the summary


def snapshot_date(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--date: give the snapshot's date as YYYY-MM-DD, not {text!r}.") from None


class Command(BaseCommand):
    help = "Import a Hugging Face Hub model snapshot (JSON Lines or Parquet) as the snapshot of --date."

    def add_arguments(self, parser):
        parser.add_argument("file", help="The snapshot: JSON Lines, or Parquet (.parquet).")
        parser.add_argument("--date", required=True, help="The date the snapshot was taken, YYYY-MM-DD.")

    def handle(self, *args, file, date, verbosity, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No such file: {file}")
        when = snapshot_date(date)
        show_bar = verbosity > 0 and sys.stderr.isatty()
        with tqdm(total=parse.count_rows(path), desc="Hub models", unit="row", unit_scale=True,
                  disable=not show_bar) as bar:
            try:
                result = hub_snapshot_import(path=path, date=when, progress=bar.update)
            except NotPostgreSQL as error:
                raise CommandError(str(error)) from None
            except OSError as error:  # a file unreadable part way (a damaged Parquet page): all rolled back
                raise CommandError(f"Could not read {file}: {error} Nothing was imported.") from None
        snapshot = result.snapshot
        self.stdout.write(
            f"Snapshot {snapshot.date}: {result.rows} rows read, {snapshot.models} models, {snapshot.edges} "
            f"declared bases, {snapshot.malformed} malformed lines, {snapshot.cycles} models in cycles "
            f"({snapshot.roots_unknown} with unknown roots)."
        )
        for entry in snapshot.malformed_lines[:SHOWN]:
            self.stdout.write(f"  line {entry['line']}: {entry['reason']}")
        if snapshot.malformed > SHOWN:
            self.stdout.write(f"  ... and {snapshot.malformed - SHOWN} more malformed lines.")
        if result.cycle_sample:
            self.stdout.write("  In cycles: " + ", ".join(result.cycle_sample[:SHOWN])
                              + (" ..." if snapshot.cycles > SHOWN else ""))
        latest, contradicted = contradicted_records()
        if latest == snapshot.date and contradicted:  # flagged to the curators, with both claims on their page
            records = ", ".join(f"#{row['adoption'].pk}" for row in contradicted[:SHOWN])
            self.stdout.write(
                f"  The Hub contradicts {len(contradicted)} published record{'' if len(contradicted) == 1 else 's'} "
                f"(the product traces to other families): {records}{' ...' if len(contradicted) > SHOWN else ''}. "
                "Curators: /moderation/hub/")
        if verbosity > 1:  # where the time went
            self.stdout.write(f"Seconds by phase ({sum(result.seconds.values()):.1f} in all):")
            for phase, seconds in result.seconds.items():
                self.stdout.write(f"  {seconds:7.2f}  {phase}")
