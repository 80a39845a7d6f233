"""Voltstack: the Django project and its embedded OCPP central system."""

from csms.celery import app as celery_app

__all__ = ("celery_app",)
