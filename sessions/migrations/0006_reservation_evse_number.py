"""A reservation's EVSE is a number on the station, not a foreign key: `evse_number`."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("charging", "0005_transaction_cost"),
    ]

    operations = [
        migrations.RenameField(model_name="reservation", old_name="evse_id", new_name="evse_number"),
        migrations.AlterField(
            model_name="reservation",
            name="evse_number",
            field=models.PositiveIntegerField(help_text="0: any EVSE of the station", verbose_name="EVSE"),
        ),
    ]
