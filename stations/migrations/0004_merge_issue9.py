"""Joins issue 9's two side-by-side stations migrations (permissions, clock skew)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("stations", "0003_secrets_station_permissions"),
        ("stations", "0003_tx201_clock_skew"),
    ]
    operations = []
