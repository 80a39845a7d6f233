import django.db.models.deletion
from django.db import migrations, models


def keep_the_posted_cdrs(apps, schema_editor):
    """A CDR already queued for (or POSTed to) its partner is kept as that body: it was sent as such."""
    Push = apps.get_model("roaming", "Push")
    CdrSnapshot = apps.get_model("roaming", "CdrSnapshot")
    ChargeDetailRecord = apps.get_model("billing", "ChargeDetailRecord")
    posted = Push.objects.filter(module="cdrs", method="POST").order_by("id").values_list("object_key", "body")
    first = {}
    for key, body in posted.iterator():
        if key.isdigit():
            first.setdefault(int(key), body)
    existing = set(ChargeDetailRecord.objects.filter(pk__in=list(first)).values_list("pk", flat=True))
    CdrSnapshot.objects.bulk_create(
        [CdrSnapshot(record_id=pk, body=body) for pk, body in first.items() if pk in existing], ignore_conflicts=True
    )


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0007_payment_disputes"),
        ("roaming", "0010_command_from_party"),
    ]

    operations = [
        migrations.CreateModel(
            name="CdrSnapshot",
            fields=[
                (
                    "record",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="ocpi_cdr",
                        serialize=False,
                        to="billing.chargedetailrecord",
                    ),
                ),
                ("body", models.JSONField()),
                ("created_at", models.DateTimeField(auto_now_add=True)),
            ],
        ),
        migrations.RunPython(keep_the_posted_cdrs, migrations.RunPython.noop),
    ]
