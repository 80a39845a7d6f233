"""The Celery application: background sweeps, purges and (later) billing and OCPI pushes."""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "csms.settings")

app = Celery("voltstack")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
