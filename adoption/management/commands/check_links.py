"""manage.py check_links: check evidence links now, in this process (the demo has no worker to do it).

It calls the link-check service (adoption/services/links.py: public addresses only, each redirect hop
checked) for the sources due (never checked, then stale), or every source with --all. Politeness: one
request at a time, and at least --per-host-delay seconds between two checks of the same host (the worker's
task is rate-limited the same way); hosts take turns so one slow site does not hold up the rest.
"""

import sys
import time
from collections import Counter, defaultdict, deque
from urllib.parse import urlsplit

from django.core.management.base import BaseCommand
from tqdm import tqdm

from adoption.choices import LinkStatus
from adoption.models import Evidence
from adoption.services import links


def polite_order(sources: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Interleave sources by host (round robin) so consecutive checks hit different hosts."""
    by_host: dict[str, deque] = defaultdict(deque)
    for pk, url in sources:
        by_host[(urlsplit(url).hostname or "").lower()].append((pk, url))
    ordered = []
    queues = deque(by_host.values())
    while queues:
        queue = queues.popleft()
        ordered.append(queue.popleft())
        if queue:
            queues.append(queue)
    return ordered


class Command(BaseCommand):
    help = "Check evidence link health now (sources never checked or stale; --all for every one)."

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="Check every source, not only those due.")
        parser.add_argument("--limit", type=int, default=10000, help="At most this many sources (default 10000).")
        parser.add_argument("--per-host-delay", type=float, default=2.0,
                            help="Seconds between two checks of one host (default 2: 30 a minute).")

    def handle(self, *args, verbosity, limit, per_host_delay, **options):
        if options["all"]:
            ids = list(Evidence.objects.order_by("id").values_list("id", flat=True)[:limit])
        else:
            ids = links.evidence_due_for_check(limit=limit)
        sources = polite_order(list(Evidence.objects.filter(pk__in=ids).order_by("id").values_list("id", "url")))
        show_bar = verbosity > 0 and sys.stderr.isatty()  # a bar on a terminal; logs get the summary alone
        last_seen: dict[str, float] = {}
        counts: Counter = Counter()
        for pk, url in tqdm(sources, desc="Evidence links", unit="link", disable=not show_bar):
            host = (urlsplit(url).hostname or "").lower()
            wait = last_seen.get(host, float("-inf")) + per_host_delay - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            status = links.evidence_check_link(evidence_id=pk)
            last_seen[host] = time.monotonic()
            if status is not None:
                counts[status] += 1
        if verbosity == 0:
            return
        self.stdout.write(f"Checked {sum(counts.values())} evidence link(s):")
        for status in (LinkStatus.OK, LinkStatus.REDIRECTED, LinkStatus.BROKEN, LinkStatus.BLOCKED):
            self.stdout.write(f"  {status.label:<11} {counts[status]:>5}")
        if counts[LinkStatus.BLOCKED]:
            self.stdout.write("Blocked links point at non-public addresses and were not fetched.")
