from django.db import migrations, models

# What existing rows most likely are, by standard: DC plugs come on a tethered cable, as do Type 1
# (single-phase) plugs; Type 2 and Schuko are sockets. The new fields' defaults cover Type 2.
DERIVED = {
    "IEC_62196_T2_COMBO": ("CABLE", "DC"),
    "IEC_62196_T1_COMBO": ("CABLE", "DC"),
    "CHADEMO": ("CABLE", "DC"),
    "IEC_62196_T1": ("CABLE", "AC_1_PHASE"),
    "DOMESTIC_F": ("SOCKET", "AC_1_PHASE"),
}


def derive_format_and_power_type(apps, schema_editor):
    Connector = apps.get_model("stations", "Connector")
    for standard, (format_, power_type) in DERIVED.items():
        Connector.objects.filter(standard=standard).update(format=format_, power_type=power_type)


class Migration(migrations.Migration):
    dependencies = [
        ("stations", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="connector",
            name="format",
            field=models.CharField(
                choices=[("SOCKET", "Socket"), ("CABLE", "Tethered cable")], default="SOCKET", max_length=8
            ),
        ),
        migrations.AddField(
            model_name="connector",
            name="power_type",
            field=models.CharField(
                choices=[
                    ("AC_1_PHASE", "AC, 1 phase"),
                    ("AC_2_PHASE", "AC, 2 phases"),
                    ("AC_2_PHASE_SPLIT", "AC, 2 phases (split)"),
                    ("AC_3_PHASE", "AC, 3 phases"),
                    ("DC", "DC"),
                ],
                default="AC_3_PHASE",
                max_length=16,
            ),
        ),
        migrations.AddIndex(
            model_name="location",
            index=models.Index(fields=["latitude", "longitude"], name="location_lat_lon"),
        ),
        migrations.RunPython(derive_format_and_power_type, migrations.RunPython.noop),
    ]
