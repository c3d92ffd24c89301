"""Compare the map summary and the open publication spans with the records; optionally repair them."""

from django.core.management.base import BaseCommand

from adoption.maps.repair import check


class Command(BaseCommand):
    help = "Report cells where the map summary differs from a recount of the published adoptions."

    def add_arguments(self, parser):
        parser.add_argument("--repair", action="store_true", help="Rebuild the summary and reopen drifted spans.")

    def handle(self, *args, repair, **options):
        report = check(repair=repair)
        if not report["drifted"]:
            self.stdout.write(f"Map summary consistent ({report['cells_checked']} cells).")
            return
        self.stdout.write(f"Map summary drift in {report['drifted']} of {report['cells_checked']} cells, e.g.:")
        for example in report["examples"]:
            if "span" in example:
                self.stdout.write(f"  record {example['span']['adoption_id']}: its open publication span differs")
                continue
            cell = {k: v for k, v in example["cell"].items() if v not in ("", 0)}
            self.stdout.write(f"  {cell}: stored {example['stored']}, recount {example['expected']}")
        self.stdout.write("Repaired (rebuilt)." if report["repaired"] else "Run with --repair to rebuild it.")
