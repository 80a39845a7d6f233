"""An EVSE's and a connector's number is `number`, other tables' copies `evse_number`/`connector_number`.

`evse_id`/`connector_id` read like foreign keys (and collided with the real
ones, `Connector.evse_id`, `Transaction.connector_id`). The columns are
renamed, their data kept; the unique constraints are rebuilt on the new names.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("stations", "0005_sample_soc"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="evse", name="unique_evse_per_station"),
        migrations.RemoveConstraint(model_name="connector", name="unique_connector_per_evse"),
        migrations.RemoveConstraint(model_name="devicemodelvariable", name="unique_device_model_attribute"),
        migrations.RenameField(model_name="evse", old_name="evse_id", new_name="number"),
        migrations.RenameField(model_name="connector", old_name="connector_id", new_name="number"),
        migrations.RenameField(model_name="compositeschedule", old_name="evse_id", new_name="evse_number"),
        migrations.RenameField(model_name="devicemodelvariable", old_name="evse_id", new_name="evse_number"),
        migrations.RenameField(model_name="devicemodelvariable", old_name="connector_id", new_name="connector_number"),
        migrations.AlterField(
            model_name="evse",
            name="number",
            field=models.PositiveIntegerField(
                help_text="The EVSE's number on its station (OCPP evseId)", verbose_name="EVSE"
            ),
        ),
        migrations.AlterField(
            model_name="connector",
            name="number",
            field=models.PositiveIntegerField(
                default=1,
                help_text="The connector's number within its EVSE (OCPP connectorId)",
                verbose_name="connector",
            ),
        ),
        migrations.AlterField(
            model_name="compositeschedule",
            name="evse_number",
            field=models.PositiveIntegerField(verbose_name="EVSE"),
        ),
        migrations.AlterField(
            model_name="devicemodelvariable",
            name="evse_number",
            field=models.PositiveIntegerField(default=0, verbose_name="EVSE"),
        ),
        migrations.AlterField(
            model_name="devicemodelvariable",
            name="connector_number",
            field=models.PositiveIntegerField(default=0, verbose_name="connector"),
        ),
        migrations.AlterField(
            model_name="connector",
            name="evse",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="connectors",
                to="stations.evse",
                verbose_name="EVSE",
            ),
        ),
        migrations.AlterModelOptions(name="evse", options={"ordering": ["station", "number"]}),
        migrations.AlterModelOptions(name="connector", options={"ordering": ["evse", "number"]}),
        migrations.AddConstraint(
            model_name="evse",
            constraint=models.UniqueConstraint(fields=("station", "number"), name="unique_evse_per_station"),
        ),
        migrations.AddConstraint(
            model_name="connector",
            constraint=models.UniqueConstraint(fields=("evse", "number"), name="unique_connector_per_evse"),
        ),
        migrations.AddConstraint(
            model_name="devicemodelvariable",
            constraint=models.UniqueConstraint(
                fields=(
                    "station",
                    "component",
                    "component_instance",
                    "evse_number",
                    "connector_number",
                    "variable",
                    "variable_instance",
                    "attribute_type",
                ),
                name="unique_device_model_attribute",
            ),
        ),
    ]
