"""Backfill the dashboard's day rollups: `manage.py dashboard_rollups --days 365`."""

import time
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from dashboard import services
from dashboard.selectors.months import next_month
from dashboard.selectors.rollups import local_day


class Command(BaseCommand):
    help = "Recompute the dashboard's per-day rollups of the last N local days (today included)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--days", type=int, default=2, help="How many days back, today included (default 2)")

    def handle(self, *args, days: int, **options) -> None:
        if days < 1:
            raise CommandError("--days must be at least 1")
        began = time.monotonic()
        now = timezone.now()
        last = local_day(now)
        first = last - timedelta(days=days - 1)
        written = 0
        while first <= last:  # a calendar month at a time (each month summed once): short transactions
            chunk_last = min(next_month(first) - timedelta(days=1), last)
            written += services.refresh_rollups(first=first, last=chunk_last, now=now)
            first = chunk_last + timedelta(days=1)
        self.stdout.write(
            f"rollups of {days} days to {last}: {written} station-days in {time.monotonic() - began:.1f} s"
        )
