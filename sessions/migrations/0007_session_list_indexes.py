"""Indexes for the dashboard's session list: newest first (keyset on started_at, id), running ones, by station, by token."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("charging", "0006_reservation_evse_number"),
        ("stations", "0006_evse_connector_numbers"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="transaction",
            index=models.Index(fields=["-started_at", "-id"], name="transaction_newest"),
        ),
        migrations.AddIndex(
            model_name="transaction",
            index=models.Index(
                condition=models.Q(("status", "active")), fields=["-started_at"], name="transaction_running_newest"
            ),
        ),
        migrations.AddIndex(
            model_name="transaction",
            index=models.Index(fields=["station", "-started_at"], name="transaction_station_newest"),
        ),
        migrations.AddIndex(
            model_name="transaction",
            index=models.Index(fields=["id_tag_value", "-started_at"], name="transaction_tag_newest"),
        ),
    ]
