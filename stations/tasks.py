from celery import shared_task

from stations import services


@shared_task
def mark_silent_stations_offline() -> int:
    return services.mark_silent_stations_offline()


@shared_task
def clear_dead_connections() -> int:
    return services.clear_dead_connections()
