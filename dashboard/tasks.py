from celery import shared_task

from dashboard import services


@shared_task
def refresh_recent_rollups() -> int:
    """Beat: today's and yesterday's rollups, so the overview's day and month figures stay current."""
    return services.refresh_recent_rollups()
