from celery import shared_task

from csms.ocpp import services


@shared_task
def purge_message_log() -> int:
    return services.purge_message_log()
