"""Re-plans in Celery: debounced per site (a burst of readings is one re-plan), serialised by the site's
lock (services.site_lock), and a beat sweep that catches whatever an event missed."""

from celery import shared_task
from django.conf import settings

from csms.shared_cache import shared_cache
from smartcharging import selectors, services

QUEUED_KEY = "smartcharging:queued:"


def replan_soon(site_id: int) -> None:
    """Queue one re-plan of the site after the debounce delay, unless one is queued already."""
    delay = settings.SMART_CHARGING_DEBOUNCE_SECONDS
    if shared_cache().add(f"{QUEUED_KEY}{site_id}", True, timeout=delay + 60):
        replan_site.apply_async((site_id,), countdown=delay)


@shared_task(ignore_result=True)
def replan_site(site_id: int) -> None:
    # Cleared before reading: what happens from now on is not in this re-plan, so it queues the next.
    shared_cache().delete(f"{QUEUED_KEY}{site_id}")
    if services.replan(site_id=site_id) is None:  # another re-plan holds the site: plan again after it
        replan_soon(site_id)


@shared_task(ignore_result=True)
def station_connected(station_id: int) -> None:
    services.station_connected(station_id=station_id)


@shared_task(ignore_result=True)
def sweep_sites() -> None:
    """Beat: every enabled site is re-planned now and then, whatever events were lost."""
    for site_id in selectors.enabled_sites():
        replan_soon(site_id)
