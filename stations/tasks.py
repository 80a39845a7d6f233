from celery import shared_task

from stations.services import connections


@shared_task
def mark_silent_stations_offline() -> int:
    return connections.mark_silent_stations_offline()


@shared_task
def clear_dead_connections() -> int:
    return connections.clear_dead_connections()
