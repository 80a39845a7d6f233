from celery import shared_task

from roaming.services import request_log


@shared_task
def purge_request_log() -> int:
    return request_log.purge_request_log()
