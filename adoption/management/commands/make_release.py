"""Write a data release of the published registry (adoption.releases); beat runs it monthly."""

from django.core.management.base import BaseCommand, CommandError

from adoption.releases import ReleaseExists, release_make


class Command(BaseCommand):
    help = "Write a dated, immutable data release (CSV, Parquet, datapackage.json, CITATION.cff, SHA256SUMS)."

    def handle(self, *args, **options):
        try:
            release = release_make(progress=lambda step: self.stdout.write(f"  {step}"))
        except ReleaseExists as error:
            raise CommandError(str(error)) from error
        if release is None:
            return
        self.stdout.write(self.style.SUCCESS(f"Release {release.version}: {release.records} records, "
                                             f"{len(release.files)} files"))
        for file in release.files:
            self.stdout.write(f"  {file['name']}  {file['bytes']} bytes  sha256 {file['sha256']}")
