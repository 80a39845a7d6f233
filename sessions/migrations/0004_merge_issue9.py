"""Joins the three sessions migrations issue 9 added side by side (token types, charging states, ended-without-stop)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("charging", "0003_billing_charging_state"),
        ("charging", "0003_commands_idtag_id_token_type"),
        ("charging", "0003_tx16_ended_without_stop"),
    ]
    operations = []
