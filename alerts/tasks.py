"""Background work for alerts: the evaluations and the e-mail, each a thin call of a service (idempotent)."""

from celery import shared_task

from alerts import mail, services


@shared_task(ignore_result=True)
def evaluate_all() -> None:
    """Every rule over the whole network: Celery beat, every minute (CELERY_BEAT_SCHEDULE)."""
    services.evaluate()


@shared_task(ignore_result=True)
def evaluate_station(station_id: int) -> None:
    services.evaluate(station_id=station_id)


@shared_task(ignore_result=True)
def email_alert(alert_id: int) -> None:
    mail.send_new_alert(alert_id=alert_id)
