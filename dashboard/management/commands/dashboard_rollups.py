"""Backfill the dashboard's day rollups: `manage.py dashboard_rollups --days 365`."""

import time
from datetime import timedelta

from django.core.management.base import BaseCommand
from django.utils import timezone

from dashboard import services
from dashboard.selectors.rollups import local_day


class Command(BaseCommand):
    help = "Recompute the dashboard's per-day rollups of the last N local days (today included)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--days", type=int, default=2, help="How many days back, today included (default 2)")

    def handle(self, *args, days: int, **options) -> None:
        if days < 1:
            self.stderr.write("--days must be at least 1")
            raise SystemExit(2)
        began = time.monotonic()
        now = timezone.now()
        last = local_day(now)
        first = last - timedelta(days=days - 1)
        written = services.refresh_rollups(first=first, last=last, now=now)
        self.stdout.write(f"rollups {first}..{last}: {written} station-days in {time.monotonic() - began:.1f} s")
