"""The e-mail a new alert sends to ALERTS_EMAIL_TO: its title and a link to the inbox, once per alert."""

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import timezone

from alerts.models import Alert


def send_new_alert(*, alert_id: int) -> bool:
    """Send the alert's e-mail unless it was sent (a retried task, a second worker); False when nothing was sent.

    The alert is marked first: an e-mail lost in a crash between the two is
    not sent twice, and for an inbox that is the better mistake.
    """
    if not settings.ALERTS_EMAIL_TO:
        return False
    if not Alert.objects.filter(pk=alert_id, emailed_at__isnull=True).update(emailed_at=timezone.now()):
        return False
    alert = Alert.objects.get(pk=alert_id)
    link = settings.ALERTS_BASE_URL.rstrip("/") + reverse("dashboard:alerts") + f"#alert-{alert.pk}"
    send_mail(
        subject=f"[Voltstack alert] {alert.title}"[:200],
        message=f"{alert.title}\n\nOpened {alert.opened_at:%Y-%m-%d %H:%M:%S} UTC ({alert.severity}).\n\n"
        f"The alerts inbox: {link}\n",
        from_email=None,
        recipient_list=settings.ALERTS_EMAIL_TO,
    )
    return True
