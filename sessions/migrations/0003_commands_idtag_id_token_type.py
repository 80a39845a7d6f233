from django.db import migrations, models

# What each existing (OCPI-style) token type is, read by a 2.0.1 charger.
ID_TOKEN_TYPE_OF = {"RFID": "ISO14443", "APP_USER": "Central", "OTHER": "Central"}


def set_id_token_types(apps, schema_editor):
    IdTag = apps.get_model("charging", "IdTag")
    for token_type, id_token_type in ID_TOKEN_TYPE_OF.items():
        IdTag.objects.filter(token_type=token_type).update(id_token_type=id_token_type)


class Migration(migrations.Migration):
    dependencies = [("charging", "0002_driversession")]

    operations = [
        migrations.AddField(
            model_name="idtag",
            name="id_token_type",
            field=models.CharField(
                choices=[
                    ("ISO14443", "ISO 14443 card (MIFARE, most RFID cards)"),
                    ("ISO15693", "ISO 15693 card"),
                    ("eMAID", "eMAID (contract id, ISO 15118)"),
                    ("KeyCode", "Key code"),
                    ("Central", "Central (issued by this system)"),
                    ("Local", "Local (issued by the station)"),
                    ("MacAddress", "MAC address (Autocharge)"),
                    ("NoAuthorization", "No authorization"),
                ],
                default="ISO14443",
                max_length=16,
                verbose_name="OCPP 2.0.1 token type",
            ),
        ),
        migrations.RunPython(set_id_token_types, migrations.RunPython.noop),
    ]
