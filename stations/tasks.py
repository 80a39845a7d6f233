from celery import shared_task

from stations import services


@shared_task
def mark_silent_stations_offline() -> int:
    return services.mark_silent_stations_offline()
