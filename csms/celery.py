"""The Celery application: background sweeps, purges and (later) billing and OCPI pushes."""

import os

from celery import Celery, signals

from csms.secrets import require_deployment_secrets

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "csms.settings")

app = Celery("voltstack")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


# Not at import: every process that loads the settings imports this module (csms/__init__.py),
# pytest included. A worker or beat about to start is the entry point.
@signals.worker_init.connect
@signals.beat_init.connect
def _refuse_public_secrets(**kwargs) -> None:
    require_deployment_secrets()
